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

/// Escapes text for XML attributes and content. XML 1.0 allows no
/// control character but tab, line feed and carriage return, not even as a
/// character reference, so a file with one is not XML (Gephi and NetworkX
/// refuse it): any other control character (U+007F to U+009F too, which
/// XML allows but discourages) and U+FFFE and U+FFFF, which it does not
/// allow either, are written as their escape, `\u{7}`, the text the
/// terminal shows. Tab, line feed and carriage return are written as
/// character references, which a parser keeps as they are (a raw carriage
/// return is read as a line feed, and in an attribute each of the three as
/// a space).
pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push_str(&format!("&#{};", u32::from(c))),
            c if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {
                out.extend(c.escape_unicode());
            }
            c => out.push(c),
        }
    }
    out
}

/// The attributes of a node or edge as (key, value) text pairs, in a fixed
/// order, from its JSON form.
pub(crate) fn attributes(v: &impl serde::Serialize) -> Vec<(String, serde_json::Value)> {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::Object(map)) => map.into_iter().collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The teaching chain with control characters in a facility's name
    /// and in the attribution, as a scenario built in code may have them
    /// (validation refuses them in a scenario file, tabs and line breaks
    /// of the attribution aside).
    fn network_with_control_characters() -> Network {
        let (scenario, problems) = crate::shipped::load("examples/teaching_chain.toml").unwrap();
        assert!(problems.is_empty());
        let mut net = crate::network::compile(&scenario).unwrap();
        net.facilities[0].name = "The\u{7}fab \u{1b}[31m\u{9b}\u{FFFF}".into();
        net.settings.attribution = "x\u{1} \"y\"\tz\r\nnext".into();
        net
    }

    /// Whether `c` may appear in an XML 1.0 document (its `Char`).
    fn xml_char(c: char) -> bool {
        matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
            || c >= '\u{10000}'
    }

    /// GraphML with control characters in a name or the attribution is
    /// still XML: no character XML forbids is written (a name with BEL made
    /// a file Gephi and NetworkX refused), and what they were is readable.
    #[test]
    fn graphml_is_xml_whatever_the_text() {
        let out = render(&network_with_control_characters(), GraphFormat::Graphml);
        assert_eq!(out.chars().find(|&c| !xml_char(c)), None);
        assert!(!out.contains('\u{9b}'), "discouraged in XML, escaped too");
        assert!(
            out.contains(">The\\u{7}fab \\u{1b}[31m\\u{9b}\\u{ffff}</data>"),
            "{out}"
        );
        assert!(out.contains(
            "<data key=\"g_attribution\">x\\u{1} &quot;y&quot;&#9;z&#13;&#10;next</data>"
        ));
        // Every element opened is closed, in order.
        let mut open: Vec<&str> = Vec::new();
        for tag in out.split('<').skip(1).map(|t| t.split('>').next().unwrap()) {
            let name = |t: &str| t.split([' ', '/']).next().unwrap().to_string();
            if let Some(closing) = tag.strip_prefix('/') {
                assert_eq!(open.pop().map(name), Some(name(closing)), "{tag}");
            } else if !tag.ends_with('/') && !tag.starts_with('?') {
                open.push(tag);
            }
        }
        assert!(open.is_empty(), "{open:?}");
    }

    /// DOT and JSON carry such text as it is, and stay valid: JSON escapes
    /// control characters itself, and Graphviz reads them raw inside a
    /// quoted string.
    #[test]
    fn dot_and_json_keep_the_text() {
        let net = network_with_control_characters();
        let json: serde_json::Value =
            serde_json::from_str(&render(&net, GraphFormat::Json)).unwrap();
        assert_eq!(json["nodes"][3]["name"], net.facilities[0].name.as_str());
        assert_eq!(
            json["graph"]["attribution"],
            net.settings.attribution.as_str()
        );
        let dot = render(&net, GraphFormat::Dot);
        assert!(dot.contains(&format!("\"name\"=\"{}\"", net.facilities[0].name)));
        assert!(dot.contains("comment=\"data: x\u{1} \\\"y\\\"\tz\r\nnext\";"));
    }
}
