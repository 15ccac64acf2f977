//! Loading scenario files: includes, per-entity parsing, explicit overrides.
//!
//! Each file is parsed into a TOML document first, then every entity
//! (`[[facility]]`, `[[shock]]`, ...) is deserialized on its own, so one bad
//! entity does not hide the problems of the others: the loader reports every
//! syntax, type and unknown-key error of every file at once.
//!
//! Files listed in `include` are loaded before the including file, depth
//! first, each at most once. An entity whose id was already defined is an
//! error unless it says `override = true`; then the fields it sets replace
//! the earlier ones and the others are kept.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::*;
use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use crate::source::{SourceMap, Span, with_base};

/// A loaded scenario: every file's definitions merged in load order.
#[derive(Debug, Default)]
pub struct Scenario {
    pub sources: SourceMap,
    pub merged: ScenarioFile,
}

/// Where scenario files come from: the disk, or the copy of the shipped
/// scenarios embedded in the binary.
pub trait SourceFs {
    fn read(&self, path: &Path) -> std::io::Result<String>;
    /// A stable identity for `path` (to load a file once and detect cycles).
    fn identity(&self, path: &Path) -> PathBuf;
}

/// The real file system.
pub struct DiskFs;

impl SourceFs for DiskFs {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
    fn identity(&self, path: &Path) -> PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| normalize(path))
    }
}

/// An in-memory file system (the shipped scenarios, tests).
pub struct MemoryFs {
    pub files: Vec<(PathBuf, String)>,
}

impl SourceFs for MemoryFs {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        let want = normalize(path);
        self.files
            .iter()
            .find(|(p, _)| normalize(p) == want)
            .map(|(_, t)| t.clone())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
    }
    fn identity(&self, path: &Path) -> PathBuf {
        normalize(path)
    }
}

/// Lexical path normalisation (`a/./b/../c` → `a/c`).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Why a scenario could not even be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The top-level file could not be read (a usage or I/O problem, not a
    /// problem with the scenario's contents).
    #[error("cannot read scenario `{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Loads `path` and everything it includes, from disk.
///
/// Returns the merged scenario and every problem found while loading; an
/// `Err` only when the top-level file cannot be read.
pub fn load_scenario(path: &Path) -> Result<(Scenario, Diagnostics), LoadError> {
    load_with(&DiskFs, path)
}

/// Loads a scenario from a string (include paths resolve against the
/// current directory).
pub fn load_scenario_str(name: &str, text: &str) -> (Scenario, Diagnostics) {
    let fs = MemoryFs {
        files: vec![(PathBuf::from(name), text.to_string())],
    };
    match load_with(&fs, Path::new(name)) {
        Ok(x) => x,
        Err(e) => {
            let mut d = Diagnostics::default();
            d.push(Diagnostic::global(e.to_string()));
            (Scenario::default(), d)
        }
    }
}

/// Loads `path` through `fs`.
pub fn load_with(fs: &dyn SourceFs, path: &Path) -> Result<(Scenario, Diagnostics), LoadError> {
    let text = fs.read(path).map_err(|source| LoadError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let mut loader = Loader {
        fs,
        sources: SourceMap::new(),
        diags: Diagnostics::default(),
        merged: Merged::default(),
        done: Vec::new(),
        stack: Vec::new(),
    };
    loader.load_file(path, text);
    let Loader {
        sources,
        mut diags,
        merged,
        ..
    } = loader;
    let merged = merged.finish(&mut diags);
    Ok((Scenario { sources, merged }, diags))
}

struct Loader<'a> {
    fs: &'a dyn SourceFs,
    sources: SourceMap,
    diags: Diagnostics,
    merged: Merged,
    /// Identities of files already loaded.
    done: Vec<PathBuf>,
    /// The include chain being loaded (for cycle messages).
    stack: Vec<(PathBuf, String)>,
}

const SECTIONS: &[&str] = &[
    "include", "meta", "bloc", "country", "product", "facility", "market", "link", "sourcing",
    "shock", "policy", "variant",
];

impl Loader<'_> {
    fn load_file(&mut self, path: &Path, text: String) {
        let identity = self.fs.identity(path);
        let name = path.display().to_string();
        self.done.push(identity.clone());
        self.stack.push((identity, name.clone()));
        let file_id = self.sources.add(name, path, text);
        let base = self.sources.file(file_id).base;
        // Borrow the text from the source map for the parse.
        let text = self.sources.file(file_id).text.clone();
        let (doc, errors) = DeTable::parse_recoverable(&text);
        if !errors.is_empty() {
            for e in errors {
                self.toml_error(base, &e, "TOML syntax error");
            }
            self.stack.pop();
            return;
        }
        let doc = doc.into_inner();

        // Includes first, so this file's definitions come after theirs.
        if let Some((k, v)) = doc.get_key_value("include") {
            let key_span = shift(base, k.span());
            match with_base(base, || {
                Vec::<Sp<String>>::deserialize(ValueDeserializer::from(v.clone()))
            }) {
                Ok(list) => {
                    for inc in list {
                        self.include(path, &inc);
                    }
                }
                Err(e) => {
                    let d = Diagnostic::new(
                        format!("`include` must be a list of file paths: {}", e.message()),
                        e.span().map(|s| shift(base, s)).unwrap_or(key_span),
                    )
                    .hint("write `include = [\"world/base.toml\", \"shocks/taiwan.toml\"]`");
                    self.diags.push(d);
                }
            }
        }

        for (key, value) in doc.iter() {
            let section = key.get_ref().as_ref();
            let key_span = shift(base, key.span());
            macro_rules! array {
                ($field:ident, $ty:ty) => {{
                    match value.get_ref() {
                        DeValue::Array(items) => {
                            for item in items.iter() {
                                match with_base(base, || {
                                    <$ty>::deserialize(ValueDeserializer::from(item.clone()))
                                }) {
                                    Ok(x) => self.merged.$field.push(x),
                                    Err(e) => self.toml_error(
                                        base,
                                        &e,
                                        concat!("in a [[", stringify!($field), "]] entry"),
                                    ),
                                }
                            }
                        }
                        _ => self.diags.push(
                            Diagnostic::new(
                                format!("`{section}` must be an array of tables"),
                                key_span,
                            )
                            .hint(format!("write each entry as a `[[{section}]]` table")),
                        ),
                    }
                }};
            }
            match section {
                "include" => {}
                "meta" => match with_base(base, || {
                    Meta::deserialize(ValueDeserializer::from(value.clone()))
                }) {
                    Ok(m) => self.merged.meta.push((key_span, m)),
                    Err(e) => self.toml_error(base, &e, "in [meta]"),
                },
                "bloc" => array!(bloc, Bloc),
                "country" => array!(country, Country),
                "product" => array!(product, Product),
                "facility" => array!(facility, Facility),
                "market" => array!(market, Market),
                "link" => array!(link, Link),
                "sourcing" => array!(sourcing, Sourcing),
                "shock" => array!(shock, Shock),
                "policy" => array!(policy, Policy),
                "variant" => array!(variant, Variant),
                other => {
                    let hint = did_you_mean(other, SECTIONS.iter().copied())
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| format!("valid sections: {}", SECTIONS.join(", ")));
                    self.diags.push(
                        Diagnostic::new(format!("unknown section `{other}`"), key_span)
                            .label("not a scenario section")
                            .hint(hint),
                    );
                }
            }
        }
        self.stack.pop();
    }

    fn include(&mut self, from: &Path, inc: &Sp<String>) {
        let dir = from.parent().unwrap_or(Path::new(""));
        let target = normalize(&dir.join(&inc.value));
        let identity = self.fs.identity(&target);
        if let Some(pos) = self.stack.iter().position(|(id, _)| *id == identity) {
            let mut chain: Vec<String> = self.stack[pos..].iter().map(|(_, n)| n.clone()).collect();
            chain.push(target.display().to_string());
            self.diags.push(
                Diagnostic::new(format!("include cycle: {}", chain.join(" → ")), inc.span)
                    .label("this include closes the cycle")
                    .hint("move the shared definitions into a file that both include"),
            );
            return;
        }
        if self.done.contains(&identity) {
            return; // already loaded through another include
        }
        match self.fs.read(&target) {
            Ok(text) => self.load_file(&target, text),
            Err(e) => self.diags.push(
                Diagnostic::new(
                    format!("cannot read included file `{}`: {e}", target.display()),
                    inc.span,
                )
                .label("included here")
                .hint("include paths are relative to the including file"),
            ),
        }
    }

    fn toml_error(&mut self, base: usize, e: &toml::de::Error, context: &str) {
        let span = e
            .span()
            .map(|s| shift(base, s))
            .unwrap_or(Span::new(base, base));
        let message = e.message().trim().to_string();
        let hint = unknown_field_hint(&message);
        self.diags
            .push(Diagnostic::new(format!("{message} ({context})"), span).hint_opt(hint));
    }
}

fn shift(base: usize, r: std::ops::Range<usize>) -> Span {
    Span::new(r.start + base, r.end + base)
}

/// For serde's "unknown field `x`, expected one of `a`, `b`", suggests the
/// closest valid key.
fn unknown_field_hint(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (wanted, rest) = rest.split_once('`')?;
    let valid: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    match did_you_mean(wanted, valid.iter().copied()) {
        Some(s) => Some(format!("did you mean `{s}`?")),
        None if !valid.is_empty() => Some(format!("valid keys: {}", valid.join(", "))),
        None => None,
    }
}

/// Entities with an id that a later file may override.
trait Entity {
    const KIND: &'static str;
    fn id(&self) -> &Sp<String>;
    fn override_flag(&self) -> Option<&Sp<bool>>;
    /// Replaces every field `other` sets.
    fn merge_from(&mut self, other: Self);
}

macro_rules! entity {
    ($ty:ty, $kind:literal, [$($field:ident),*]) => {
        impl Entity for $ty {
            const KIND: &'static str = $kind;
            fn id(&self) -> &Sp<String> { &self.id }
            fn override_flag(&self) -> Option<&Sp<bool>> { self.override_.as_ref() }
            fn merge_from(&mut self, other: Self) {
                $( if other.$field.is_some() { self.$field = other.$field; } )*
            }
        }
    };
}

entity!(Bloc, "bloc", [name, agreement]);
entity!(Country, "country", [name, blocs]);
entity!(
    Product,
    "product",
    [
        name,
        unit,
        category,
        value_usd_per_unit,
        qualification_weeks
    ]
);
entity!(
    Facility,
    "facility",
    [
        name,
        firm,
        country,
        kind,
        product,
        capacity_per_week,
        recipe,
        capital,
        inventory_weeks,
        recovery_weeks,
        allocation
    ]
);
entity!(
    Market,
    "market",
    [name, country, sector, inventory_weeks, backorder, demand]
);
impl Entity for Shock {
    const KIND: &'static str = "shock";
    fn id(&self) -> &Sp<String> {
        &self.id
    }
    fn override_flag(&self) -> Option<&Sp<bool>> {
        self.override_.as_ref()
    }
    fn merge_from(&mut self, other: Self) {
        macro_rules! take { ($($f:ident),*) => { $( if other.$f.is_some() { self.$f = other.$f; } )* } }
        take!(
            name,
            probability,
            rate_per_year,
            onset_week,
            duration_weeks,
            severity,
            recovery_weeks,
            capacity,
            lane,
            demand,
            revoke
        );
        // An override that lists triggers replaces the earlier list.
        if !other.trigger.is_empty() {
            self.trigger = other.trigger;
        }
    }
}
entity!(
    Policy,
    "policy",
    [
        name,
        agreement,
        capex_usd,
        subsidy_usd,
        annual_cost_usd,
        reshore,
        friendshore,
        stockpile,
        dual_source,
        crisis_sharing,
        export_control
    ]
);
entity!(Variant, "variant", [name, policies]);

/// Definitions in load order, before duplicates are resolved.
#[derive(Default)]
struct Merged {
    meta: Vec<(Span, Meta)>,
    bloc: Vec<Bloc>,
    country: Vec<Country>,
    product: Vec<Product>,
    facility: Vec<Facility>,
    market: Vec<Market>,
    link: Vec<Link>,
    sourcing: Vec<Sourcing>,
    shock: Vec<Shock>,
    policy: Vec<Policy>,
    variant: Vec<Variant>,
}

/// Resolves duplicates: keeps the first definition of each id, merges
/// `override = true` redefinitions into it, and records the rest as errors.
fn dedupe<T: Entity>(items: Vec<T>, diags: &mut Diagnostics) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    let mut index: HashMap<String, usize> = HashMap::new();
    for item in items {
        let id = item.id().value.clone();
        let overrides = item.override_flag().map(|b| b.value).unwrap_or(false);
        match index.get(&id) {
            Some(&i) if overrides => out[i].merge_from(item),
            Some(&i) => diags.push(
                Diagnostic::new(
                    format!("duplicate {} id `{id}`", T::KIND),
                    item.id().span,
                )
                .label("defined again here")
                .related(out[i].id().span, "first defined here")
                .hint("rename one, or write `override = true` to change fields of the earlier definition"),
            ),
            None if overrides => diags.push(
                Diagnostic::new(
                    format!("{} `{id}` overrides nothing: no earlier definition", T::KIND),
                    item.id().span,
                )
                .hint("remove `override = true`, or include the file that defines it first"),
            ),
            None => {
                index.insert(id, out.len());
                out.push(item);
            }
        }
    }
    out
}

impl Merged {
    /// Resolves duplicate ids and `[meta]` tables into one scenario.
    fn finish(self, diags: &mut Diagnostics) -> ScenarioFile {
        let mut meta: Option<(Span, Meta)> = None;
        for (span, m) in self.meta {
            match &mut meta {
                None => meta = Some((span, m)),
                Some((first, cur)) => {
                    if m.override_.as_ref().is_some_and(|b| b.value) {
                        macro_rules! take { ($($f:ident),*) => { $( if m.$f.is_some() { cur.$f = m.$f; } )* } }
                        take!(
                            name,
                            description,
                            horizon_weeks,
                            fulfilment_threshold,
                            severe_loss_usd
                        );
                    } else {
                        diags.push(
                            Diagnostic::new("a second [meta] table", span)
                                .related(*first, "first [meta] here")
                                .hint("write `override = true` in the later [meta] to change its fields"),
                        );
                    }
                }
            }
        }
        let mut file = ScenarioFile {
            include: Vec::new(),
            meta: meta.map(|(_, m)| m),
            bloc: self.bloc,
            country: self.country,
            product: self.product,
            facility: self.facility,
            market: self.market,
            link: self.link,
            sourcing: self.sourcing,
            shock: self.shock,
            policy: self.policy,
            variant: self.variant,
        };
        resolve_duplicates(&mut file, diags);
        file
    }
}

/// Applies the override rules, reporting duplicate ids.
pub fn resolve_duplicates(file: &mut ScenarioFile, diags: &mut Diagnostics) {
    file.bloc = dedupe(std::mem::take(&mut file.bloc), diags);
    file.country = dedupe(std::mem::take(&mut file.country), diags);
    file.product = dedupe(std::mem::take(&mut file.product), diags);
    file.facility = dedupe(std::mem::take(&mut file.facility), diags);
    file.market = dedupe(std::mem::take(&mut file.market), diags);
    file.shock = dedupe(std::mem::take(&mut file.shock), diags);
    file.policy = dedupe(std::mem::take(&mut file.policy), diags);
    file.variant = dedupe(std::mem::take(&mut file.variant), diags);
}
