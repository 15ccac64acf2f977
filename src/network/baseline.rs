//! Baseline flows and chokepoints.
use super::Network;

#[derive(Clone, Debug, serde::Serialize)]
pub struct Chokepoint {
    pub product: u32,
    pub holder: String,
    pub share: f64,
}

pub fn chokepoints(_n: &Network) -> Vec<Chokepoint> {
    Vec::new()
}
