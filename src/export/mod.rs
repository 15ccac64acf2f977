//! Graph exporters: one small trait, one file per format.
//!
//! Each writes the graph of [`network::graph::export_graph`]: countries,
//! facilities and markets as nodes; supply links and located-in relations
//! as edges, with their attributes, for Graphviz, Gephi or NetworkX. The
//! scenario's `[meta] attribution` is a graph-level attribute of every
//! format, so that the credit a data licence asks for travels with a graph
//! built from that data.

mod dot;
mod graphml;
mod json;

use petgraph::graph::DiGraph;

use crate::network::Network;
use crate::network::graph::{Edge, Node, export_graph};

pub use dot::Dot;
pub use graphml::GraphMl;
pub use json::Json;

/// What a graph file says of the graph as a whole.
#[derive(Clone, Copy, Debug, Default)]
pub struct GraphMeta<'a> {
    /// The scenario's attribution of its data (`None` when it declares none).
    pub attribution: Option<&'a str>,
}

/// A graph file format.
pub trait GraphExporter {
    fn write(&self, g: &DiGraph<Node, Edge>, meta: &GraphMeta) -> String;
}

/// The formats `chipshock graph --format` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Dot,
    Graphml,
    Json,
}

/// Renders `net` in `format`.
pub fn render(net: &Network, format: GraphFormat) -> String {
    let g = export_graph(net);
    let a = net.settings.attribution.as_str();
    let meta = GraphMeta {
        attribution: (!a.is_empty()).then_some(a),
    };
    match format {
        GraphFormat::Dot => Dot.write(&g, &meta),
        GraphFormat::Graphml => GraphMl.write(&g, &meta),
        GraphFormat::Json => Json.write(&g, &meta),
    }
}

/// Escapes text for XML attributes and content.
pub(crate) fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The attributes of a node or edge as (key, value) text pairs, in a fixed
/// order, from its JSON form.
pub(crate) fn attributes(v: &impl serde::Serialize) -> Vec<(String, serde_json::Value)> {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::Object(map)) => map.into_iter().collect(),
        _ => Vec::new(),
    }
}
