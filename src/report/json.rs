//! `summary.json`: the whole [`RunReport`], manifest first.

use std::io::{self, Write};

use super::{Exporter, RunReport};
use crate::mc::Accumulated;

pub struct SummaryJson;

impl Exporter for SummaryJson {
    fn file_name(&self) -> &'static str {
        "summary.json"
    }

    fn write(&self, out: &mut dyn Write, report: &RunReport, _: &Accumulated) -> io::Result<()> {
        // serde_json prints floats with ryu (shortest round-trip), so equal
        // reports give equal bytes.
        serde_json::to_writer_pretty(&mut *out, report)?;
        out.write_all(b"\n")
    }
}
