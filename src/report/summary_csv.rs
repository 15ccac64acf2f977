//! `summary.csv`: every headline figure as one tidy row
//! `metric,scope,key,statistic,value`, for R, pandas or a spreadsheet.

use std::io::{self, Write};

use super::fmt::{csv_field, num};
use super::{Exporter, Recovery, RunReport};
use crate::mc::Accumulated;
use crate::stats::{Proportion, QuantileEstimate, Summary};

pub struct SummaryCsv;

pub const HEADER: &str = "variant,metric,scope,key,statistic,value";

struct Rows<'w> {
    out: &'w mut dyn Write,
    variant: String,
}

impl Rows<'_> {
    fn row(
        &mut self,
        metric: &str,
        scope: &str,
        key: &str,
        stat: &str,
        value: f64,
    ) -> io::Result<()> {
        writeln!(
            self.out,
            "{},{},{},{},{},{}",
            self.variant,
            csv_field(metric),
            csv_field(scope),
            csv_field(key),
            stat,
            num(value)
        )
    }

    /// A figure that may be undefined: an empty value when it is.
    fn opt(
        &mut self,
        metric: &str,
        scope: &str,
        key: &str,
        stat: &str,
        value: Option<f64>,
    ) -> io::Result<()> {
        match value {
            Some(v) => self.row(metric, scope, key, stat, v),
            None => writeln!(
                self.out,
                "{},{},{},{},{},",
                self.variant,
                csv_field(metric),
                csv_field(scope),
                csv_field(key),
                stat
            ),
        }
    }

    /// A figure of the whole run that may be undefined.
    fn opt_row(&mut self, metric: &str, stat: &str, value: Option<f64>) -> io::Result<()> {
        self.opt(metric, "total", "", stat, value)
    }

    fn recovery(&mut self, metric: &str, k: &Recovery) -> io::Result<()> {
        let t = "total";
        self.row(metric, t, "", "short_trials", k.short_trials as f64)?;
        self.row(metric, t, "", "recovered", k.recovered as f64)?;
        self.row(
            metric,
            t,
            "",
            "still_short_at_end",
            k.still_short_at_end as f64,
        )?;
        self.opt_row(metric, "median", k.median)?;
        self.opt_row(metric, "p90", k.p90)?;
        self.row(
            metric,
            t,
            "",
            "longest_observed_weeks",
            k.longest_observed_weeks,
        )?;
        let s = k.still_short.as_ref();
        self.opt_row(metric, "p_still_short_weeks", s.map(|s| s.weeks))?;
        self.opt_row(metric, "p_still_short", s.map(|s| s.estimate))?;
        self.opt_row(metric, "p_still_short_std_error", s.map(|s| s.std_error))
    }

    fn quantile(
        &mut self,
        metric: &str,
        name: &str,
        q: Option<&QuantileEstimate>,
    ) -> io::Result<()> {
        self.opt_row(metric, name, q.map(|q| q.value))?;
        self.opt_row(
            metric,
            &format!("{name}_std_error"),
            q.and_then(|q| q.std_error),
        )?;
        self.opt_row(
            metric,
            &format!("{name}_ci95_low"),
            q.and_then(|q| q.ci95).map(|c| c[0]),
        )?;
        self.opt_row(
            metric,
            &format!("{name}_ci95_high"),
            q.and_then(|q| q.ci95).map(|c| c[1]),
        )
    }

    /// The rows of a summary. Without one (a conditional metric defined in
    /// no trial) the same rows, with `count` 0 and every figure empty, so
    /// that the file keeps its shape.
    fn summary(&mut self, metric: &str, s: Option<&Summary>) -> io::Result<()> {
        let t = "total";
        self.row(metric, t, "", "count", s.map_or(0, |s| s.count) as f64)?;
        self.opt_row(metric, "mean", s.map(|s| s.mean))?;
        self.opt_row(metric, "std_dev", s.and_then(|s| s.std_dev))?;
        self.opt_row(metric, "std_error", s.and_then(|s| s.std_error))?;
        let ci95 = s.and_then(|s| s.ci95);
        self.opt_row(metric, "ci95_low", ci95.map(|c| c[0]))?;
        self.opt_row(metric, "ci95_high", ci95.map(|c| c[1]))?;
        self.opt_row(metric, "min", s.map(|s| s.min))?;
        self.opt_row(metric, "max", s.map(|s| s.max))?;
        for (name, q) in [
            ("p50", s.map(|s| &s.p50)),
            ("p90", s.map(|s| &s.p90)),
            ("p95", s.map(|s| &s.p95)),
            ("p99", s.map(|s| &s.p99)),
        ] {
            self.quantile(metric, name, q)?;
        }
        self.opt_row(metric, "cvar95", s.map(|s| s.cvar95))?;
        self.opt_row(
            metric,
            "cvar95_std_error",
            s.and_then(|s| s.cvar95_std_error),
        )
    }

    fn proportion(
        &mut self,
        metric: &str,
        scope: &str,
        key: &str,
        p: &Proportion,
    ) -> io::Result<()> {
        self.row(metric, scope, key, "count", p.count as f64)?;
        self.row(metric, scope, key, "n", p.n as f64)?;
        self.row(metric, scope, key, "estimate", p.estimate)?;
        self.row(metric, scope, key, "std_error", p.std_error)?;
        self.row(metric, scope, key, "ci95_low", p.ci95[0])?;
        self.row(metric, scope, key, "ci95_high", p.ci95[1])
    }
}

impl Exporter for SummaryCsv {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }

    fn write(&self, out: &mut dyn Write, r: &RunReport, _: &Accumulated) -> io::Result<()> {
        writeln!(out, "{HEADER}")?;
        let mut w = Rows {
            out,
            variant: csv_field(&r.manifest.variant).into_owned(),
        };
        w.summary("lost_usd", Some(&r.lost_usd))?;
        w.summary("lost_units", Some(&r.lost_units))?;
        w.summary("peak_shortfall", Some(&r.peak_shortfall))?;
        w.summary("weeks_below_threshold", Some(&r.weeks_below_threshold))?;
        if let Some(b) = &r.backorder_unit_weeks {
            w.summary("backorder_unit_weeks", Some(b))?;
        }
        for (metric, c) in [
            ("time_to_survive", &r.time_to_survive),
            ("time_to_recover", &r.time_to_recover),
        ] {
            w.proportion(&format!("{metric}_defined"), "total", "", &c.defined)?;
            w.summary(metric, c.summary.as_ref())?;
            if let Some(k) = &c.kaplan_meier {
                w.recovery(&format!("{metric}_km"), k)?;
            }
        }
        w.proportion("p_any_loss", "total", "", &r.p_any_loss)?;
        w.proportion("p_severe_loss", "total", "", &r.p_severe_loss)?;
        for b in &r.breakdowns {
            for row in &b.rows {
                w.row(
                    "lost_usd",
                    &b.dimension,
                    &row.key,
                    "mean",
                    row.expected_lost_usd,
                )?;
                w.opt(
                    "lost_usd",
                    &b.dimension,
                    &row.key,
                    "std_error",
                    row.std_error,
                )?;
                w.row("lost_usd", &b.dimension, &row.key, "share", row.share)?;
                w.row(
                    "lost_units",
                    &b.dimension,
                    &row.key,
                    "mean",
                    row.expected_lost_units,
                )?;
            }
        }
        for s in &r.shocks {
            w.proportion("shock_fired", "shock", &s.id, &s.fired)?;
            w.row("shock_firings", "shock", &s.id, "count", s.firings as f64)?;
        }
        Ok(())
    }
}
