//! GraphML (Gephi, NetworkX `read_graphml`, yEd).

use std::collections::BTreeMap;

use petgraph::graph::DiGraph;
use petgraph::visit::EdgeRef;

use super::{GraphExporter, GraphMeta, attributes, xml_escape};
use crate::network::graph::{Edge, Node};

pub struct GraphMl;

fn kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "double",
        _ => "string",
    }
}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| x.to_string())
            })
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}

impl GraphExporter for GraphMl {
    fn write(&self, g: &DiGraph<Node, Edge>, meta: &GraphMeta) -> String {
        // Declare every attribute key once, with its type.
        let mut node_keys: BTreeMap<String, &'static str> = BTreeMap::new();
        let mut edge_keys: BTreeMap<String, &'static str> = BTreeMap::new();
        let nodes: Vec<Vec<(String, serde_json::Value)>> =
            g.node_weights().map(attributes).collect();
        let edges: Vec<Vec<(String, serde_json::Value)>> =
            g.edge_weights().map(attributes).collect();
        for (k, v) in nodes.iter().flatten() {
            if !v.is_null() {
                node_keys.entry(k.clone()).or_insert(kind(v));
            }
        }
        for (k, v) in edges.iter().flatten() {
            if !v.is_null() {
                edge_keys.entry(k.clone()).or_insert(kind(v));
            }
        }
        let mut out = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n",
        );
        for (k, t) in &node_keys {
            out.push_str(&format!(
                "  <key id=\"n_{k}\" for=\"node\" attr.name=\"{k}\" attr.type=\"{t}\"/>\n"
            ));
        }
        for (k, t) in &edge_keys {
            out.push_str(&format!(
                "  <key id=\"e_{k}\" for=\"edge\" attr.name=\"{k}\" attr.type=\"{t}\"/>\n"
            ));
        }
        if meta.attribution.is_some() {
            out.push_str(
                "  <key id=\"g_attribution\" for=\"graph\" attr.name=\"attribution\" attr.type=\"string\"/>\n",
            );
        }
        out.push_str("  <graph id=\"chipshock\" edgedefault=\"directed\">\n");
        if let Some(a) = meta.attribution {
            out.push_str(&format!(
                "    <data key=\"g_attribution\">{}</data>\n",
                xml_escape(a)
            ));
        }
        for (n, attrs) in g.node_indices().zip(&nodes) {
            out.push_str(&format!("    <node id=\"{}\">\n", xml_escape(g[n].id())));
            for (k, v) in attrs {
                if !v.is_null() {
                    out.push_str(&format!(
                        "      <data key=\"n_{k}\">{}</data>\n",
                        xml_escape(&text(v))
                    ));
                }
            }
            out.push_str("    </node>\n");
        }
        for (e, attrs) in g.edge_references().zip(&edges) {
            out.push_str(&format!(
                "    <edge source=\"{}\" target=\"{}\">\n",
                xml_escape(g[e.source()].id()),
                xml_escape(g[e.target()].id())
            ));
            for (k, v) in attrs {
                if !v.is_null() {
                    out.push_str(&format!(
                        "      <data key=\"e_{k}\">{}</data>\n",
                        xml_escape(&text(v))
                    ));
                }
            }
            out.push_str("    </edge>\n");
        }
        out.push_str("  </graph>\n</graphml>\n");
        out
    }
}
