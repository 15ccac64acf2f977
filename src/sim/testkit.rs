//! A small builder of hand-made networks for the engine's tests.

use std::collections::HashMap;

use super::synth::{Parts, assemble};
use crate::dist::Distribution;
use crate::network::{
    Bloc, Country, Customer, Facility, Link, Market, Need, NeedKind, Network, Occurrence, Product,
    Settings, Shock, ShockTarget, Trigger,
};
use crate::scenario::{Allocation, Dist, FacilityKind, ProductCategory, Sector};

pub fn fixed(x: f64) -> Distribution {
    Distribution::new(&Dist::Fixed(x)).unwrap()
}

/// A capacity shock on facility 0 (3 weeks at severity 0.5), to test the
/// schedule: how often and when it fires.
pub fn capacity_shock(occurrence: Occurrence, onset: Option<Distribution>) -> Shock {
    Shock {
        id: String::new(),
        name: String::new(),
        occurrence,
        onset_week: onset,
        duration_weeks: fixed(3.0),
        severity: fixed(0.5),
        recovery_weeks: None,
        target: ShockTarget::Capacity(vec![0]),
        reach: None,
        triggers: Vec::new(),
    }
}

pub struct Builder {
    parts: Parts,
    products: HashMap<String, u32>,
}

impl Builder {
    pub fn new(horizon: u32) -> Builder {
        Builder {
            parts: Parts {
                settings: Settings {
                    name: "test".into(),
                    description: String::new(),
                    attribution: String::new(),
                    horizon_weeks: horizon,
                    fulfilment_threshold: 0.95,
                    severe_loss_usd: 1e9,
                },
                blocs: vec![Bloc {
                    id: "pact".into(),
                    name: "Pact".into(),
                    agreement: true,
                }],
                countries: vec![Country {
                    id: "c".into(),
                    name: "C".into(),
                    blocs: vec![0],
                }],
                products: Vec::new(),
                facilities: Vec::new(),
                markets: Vec::new(),
                needs: Vec::new(),
                links: Vec::new(),
                shocks: Vec::new(),
            },
            products: HashMap::new(),
        }
    }

    pub fn product(&mut self, id: &str) -> u32 {
        if let Some(&p) = self.products.get(id) {
            return p;
        }
        let p = self.parts.products.len() as u32;
        self.parts.products.push(Product {
            id: id.into(),
            name: id.into(),
            unit: "unit".into(),
            category: ProductCategory::Material,
            value_usd_per_unit: 1.0,
            qualification_weeks: 26.0,
        });
        self.products.insert(id.into(), p);
        p
    }

    pub fn qualification_weeks(&mut self, product: &str, weeks: f64) {
        let p = self.product(product);
        self.parts.products[p as usize].qualification_weeks = weeks;
    }

    /// A facility making `product`; `cover` = inventory target in weeks.
    pub fn facility(&mut self, product: &str, capacity: f64, cover: f64, recovery: f64) -> u32 {
        let product = self.product(product);
        let f = self.parts.facilities.len() as u32;
        self.parts.facilities.push(Facility {
            id: format!("f{f}"),
            name: format!("f{f}"),
            firm: None,
            country: 0,
            kind: FacilityKind::Fab,
            product,
            capacity_per_week: capacity,
            inventory_weeks: cover,
            recovery_weeks: recovery,
            allocation: Allocation::Proportional,
        });
        f
    }

    pub fn priority(&mut self, f: u32) {
        self.parts.facilities[f as usize].allocation = Allocation::Priority;
    }

    fn need(&mut self, customer: Customer, product: &str, kind: NeedKind, cover: f64) -> u32 {
        let product = self.product(product);
        self.parts.needs.push(Need {
            customer,
            product,
            kind,
            target_weeks: cover,
            baseline_use: 0.0,
        });
        self.parts.needs.len() as u32 - 1
    }

    pub fn material(&mut self, f: u32, product: &str, per_unit: f64) -> u32 {
        let cover = self.parts.facilities[f as usize].inventory_weeks;
        self.need(
            Customer::Facility(f),
            product,
            NeedKind::Material { per_unit },
            cover,
        )
    }

    pub fn capital(&mut self, f: u32, product: &str, units: f64, erosion: f64) -> u32 {
        let cover = self.parts.facilities[f as usize].inventory_weeks;
        let kind = NeedKind::Capital {
            units_per_week: units,
            erosion_per_week: erosion,
        };
        self.need(Customer::Facility(f), product, kind, cover)
    }

    pub fn market(&mut self, cover: f64, backorder: bool) -> u32 {
        let m = self.parts.markets.len() as u32;
        self.parts.markets.push(Market {
            id: format!("m{m}"),
            name: format!("m{m}"),
            country: 0,
            sector: Sector::Automotive,
            inventory_weeks: cover,
            backorder,
        });
        m
    }

    pub fn demand(&mut self, m: u32, product: &str, units: f64, usd: f64) -> u32 {
        let cover = self.parts.markets[m as usize].inventory_weeks;
        let kind = NeedKind::Demand {
            units_per_week: units,
            lost_usd_per_unit: usd,
        };
        self.need(Customer::Market(m), product, kind, cover)
    }

    /// Returns the link's index in declaration order (what `Lane` targets use).
    pub fn link(&mut self, supplier: u32, need: u32, share: f64, lead: u32) -> u32 {
        self.parts.links.push(Link {
            supplier,
            need,
            share,
            lead_weeks: lead,
            qualified: true,
            priority: 0,
        });
        self.parts.links.len() as u32 - 1
    }

    pub fn unqualified(&mut self, link: u32) {
        self.parts.links[link as usize].qualified = false;
    }

    pub fn link_priority(&mut self, link: u32, p: u32) {
        self.parts.links[link as usize].priority = p;
    }

    /// A shock that surely fires at `onset` (fixed duration, severity and,
    /// when given, recovery).
    pub fn scripted(
        &mut self,
        target: ShockTarget,
        onset: f64,
        duration: f64,
        severity: f64,
        recovery: Option<f64>,
    ) -> u32 {
        self.shock(Shock {
            id: format!("s{}", self.parts.shocks.len()),
            name: String::new(),
            occurrence: Occurrence::Probability(1.0),
            onset_week: Some(fixed(onset)),
            duration_weeks: fixed(duration),
            severity: fixed(severity),
            recovery_weeks: recovery.map(fixed),
            target,
            reach: None,
            triggers: Vec::new(),
        })
    }

    pub fn shock(&mut self, s: Shock) -> u32 {
        self.parts.shocks.push(s);
        self.parts.shocks.len() as u32 - 1
    }

    pub fn trigger(&mut self, from: u32, to: u32, probability: f64, lag: f64) {
        self.parts.shocks[from as usize].triggers.push(Trigger {
            shock: to,
            probability,
            lag_weeks: fixed(lag),
        });
    }

    pub fn build(self) -> Network {
        assemble(self.parts)
    }
}
