//! Graphviz DOT.

use petgraph::graph::DiGraph;
use petgraph::visit::EdgeRef;

use super::{GraphExporter, GraphMeta, attributes};
use crate::network::graph::{Edge, Node};

pub struct Dot;

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn attr_list(v: &impl serde::Serialize, extra: &[(&str, String)]) -> String {
    let mut parts: Vec<String> = extra
        .iter()
        .map(|(k, v)| format!("{k}={}", quote(v)))
        .collect();
    for (k, v) in attributes(v) {
        let text = match v {
            serde_json::Value::String(s) => s,
            serde_json::Value::Null => continue,
            other => other.to_string(),
        };
        parts.push(format!("{}={}", quote(&k), quote(&text)));
    }
    parts.join(", ")
}

impl GraphExporter for Dot {
    fn write(&self, g: &DiGraph<Node, Edge>, meta: &GraphMeta) -> String {
        let mut out = String::from("digraph chipshock {\n  rankdir=LR;\n");
        if let Some(a) = meta.attribution {
            // A graph attribute (kept by Graphviz in what it writes), not a
            // comment (dropped).
            out.push_str(&format!("  comment={};\n", quote(&format!("data: {a}"))));
        }
        for n in g.node_indices() {
            let node = &g[n];
            let shape = match node {
                Node::Country { .. } => "ellipse",
                Node::Facility { .. } => "box",
                Node::Market { .. } => "house",
            };
            out.push_str(&format!(
                "  {} [{}];\n",
                quote(node.id()),
                attr_list(
                    node,
                    &[("label", node.id().to_string()), ("shape", shape.into())]
                )
            ));
        }
        for e in g.edge_references() {
            let style = match e.weight() {
                Edge::LocatedIn => "dotted",
                Edge::Supply { .. } => "solid",
            };
            out.push_str(&format!(
                "  {} -> {} [{}];\n",
                quote(g[e.source()].id()),
                quote(g[e.target()].id()),
                attr_list(e.weight(), &[("style", style.into())])
            ));
        }
        out.push_str("}\n");
        out
    }
}
