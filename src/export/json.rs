//! JSON in NetworkX's node-link form (`networkx.node_link_graph`).

use petgraph::graph::DiGraph;
use petgraph::visit::EdgeRef;
use serde_json::{Value, json};

use super::{GraphExporter, GraphMeta};
use crate::network::graph::{Edge, Node};

pub struct Json;

impl GraphExporter for Json {
    fn write(&self, g: &DiGraph<Node, Edge>, meta: &GraphMeta) -> String {
        let nodes: Vec<Value> = g
            .node_weights()
            .map(|n| serde_json::to_value(n).unwrap_or(Value::Null))
            .collect();
        let links: Vec<Value> = g
            .edge_references()
            .map(|e| {
                let mut v = serde_json::to_value(e.weight()).unwrap_or_else(|_| json!({}));
                if let Value::Object(m) = &mut v {
                    m.insert("source".into(), json!(g[e.source()].id()));
                    m.insert("target".into(), json!(g[e.target()].id()));
                }
                v
            })
            .collect();
        let mut graph = json!({ "name": "chipshock" });
        if let (Some(a), Value::Object(m)) = (meta.attribution, &mut graph) {
            m.insert("attribution".into(), json!(a));
        }
        let doc = json!({
            "directed": true,
            "multigraph": true,
            "graph": graph,
            "nodes": nodes,
            "links": links,
        });
        let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
        s.push('\n');
        s
    }
}
