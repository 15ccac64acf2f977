//! `weekly.csv`: fulfilment bands per market and week, for fan charts.
//! Written only when weekly bands were recorded.

use std::io::{self, Write};

use super::fmt::csv_field;
use super::{Exporter, RunReport};
use crate::mc::Accumulated;

pub struct WeeklyCsv;

pub const HEADER: &str = "variant,market,week,mean,p5,p50,p95";

impl Exporter for WeeklyCsv {
    fn file_name(&self) -> &'static str {
        "weekly.csv"
    }

    fn applies(&self, r: &RunReport) -> bool {
        r.manifest.weekly_recorded
    }

    fn write(&self, out: &mut dyn Write, r: &RunReport, _: &Accumulated) -> io::Result<()> {
        writeln!(out, "{HEADER}")?;
        for b in &r.weekly {
            writeln!(
                out,
                "{},{},{},{},{},{},{}",
                csv_field(&r.manifest.variant),
                csv_field(&b.market),
                b.week,
                b.mean,
                b.p5,
                b.p50,
                b.p95
            )?;
        }
        Ok(())
    }
}
