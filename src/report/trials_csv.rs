//! `trials.csv`: one row per trial, for any analysis the summary lacks.

use std::io::{self, Write};

use super::fmt::{csv_field, num, opt};
use super::{Exporter, RunReport};
use crate::mc::Accumulated;

pub struct TrialsCsv;

/// (`first_short_week` comes last, after `fired`, so that the columns of
/// earlier versions keep their positions.)
pub const HEADER: &str = "variant,trial,lost_usd,lost_units,peak_shortfall,weeks_below,backorder_unit_weeks,tts,ttr,fired,first_short_week";

impl Exporter for TrialsCsv {
    fn file_name(&self) -> &'static str {
        "trials.csv"
    }

    fn write(&self, out: &mut dyn Write, r: &RunReport, acc: &Accumulated) -> io::Result<()> {
        writeln!(out, "{HEADER}")?;
        let t = &acc.trials;
        let mut fired = String::new();
        let variant = csv_field(&r.manifest.variant);
        for i in 0..t.len() {
            // Fired shocks as `id@onset/duration/severity` (a revocation,
            // which has an onset only, as `id@onset`), `;`-separated.
            fired.clear();
            for (k, f) in t.fired(i).iter().enumerate() {
                if k > 0 {
                    fired.push(';');
                }
                if r.is_revocation(f.shock) {
                    fired.push_str(&format!("{}@{}", r.shock_id(f.shock), f.onset_week));
                } else {
                    fired.push_str(&format!(
                        "{}@{}/{}/{}",
                        r.shock_id(f.shock),
                        f.onset_week,
                        f.duration_weeks,
                        num(f.severity)
                    ));
                }
            }
            writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{}",
                variant,
                acc.first_trial + i as u64,
                num(t.lost_usd[i]),
                num(t.lost_units[i]),
                num(t.peak_shortfall[i]),
                t.weeks_below[i],
                num(t.backorder_unit_weeks[i]),
                opt(t.time_to_survive(i)),
                opt(t.time_to_recover(i)),
                csv_field(&fired),
                opt(t.first_short_week(i))
            )?;
        }
        Ok(())
    }
}
