//! `exceedance.csv`: the loss exceedance curve, `P(loss > loss_usd)`.

use std::io::{self, Write};

use super::fmt::{csv_field, num};
use super::{Exporter, RunReport};
use crate::mc::Accumulated;

pub struct ExceedanceCsv;

pub const HEADER: &str = "variant,loss_usd,probability";

impl Exporter for ExceedanceCsv {
    fn file_name(&self) -> &'static str {
        "exceedance.csv"
    }

    fn write(&self, out: &mut dyn Write, r: &RunReport, _: &Accumulated) -> io::Result<()> {
        writeln!(out, "{HEADER}")?;
        for p in &r.exceedance {
            writeln!(
                out,
                "{},{},{}",
                csv_field(&r.manifest.variant),
                num(p.loss_usd),
                num(p.probability)
            )?;
        }
        Ok(())
    }
}
