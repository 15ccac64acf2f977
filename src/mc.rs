//! The Monte Carlo runner: many trials in parallel, folded into mergeable
//! accumulators.
//!
//! Trials run in fixed-size blocks. Within a block they run in parallel on
//! a local rayon pool, each writing its compact record into its own slot;
//! the block is then folded in trial order. Every accumulator is either a
//! per-trial table in trial order or an integer sum (fixed-point losses,
//! histogram counts), so the result is bit-identical for any thread count,
//! any block size, and any split of the trial range into shards merged
//! back with [`Accumulated::merge`].
//!
//! The runner knows nothing of the engine: it calls a closure
//! `run(trial, &mut scratch, &mut outcome)`. [`TrialRunner`] and
//! [`run_engine`] adapt anything with the engine's shape.
//!
//! *Invariant:* no randomness flows through here. Per-thread state is only
//! scratch memory; each trial draws from its own stream derived from
//! `(seed, trial)` inside the trial function.
//!
//! Memory: per trial, three `f64`s, three `u32`s, an offset and the fired
//! shocks (about 44 bytes plus 32 per fired shock); the weekly fan-chart
//! bands are a fixed 202-slot histogram per market and week; per-need
//! losses are summed as they arrive.

use std::ops::Range;
use std::sync::Mutex;

use rayon::prelude::*;
use serde::Serialize;

use crate::network::{Customer, Network};
use crate::sim::{FiredShock, TrialOutcome};
use crate::stats::{FixedMoments, FixedSum, UnitSum, histogram};

/// Default trials per block: large enough to keep both cores busy, small
/// enough that block buffers stay in the megabytes.
pub const DEFAULT_BLOCK_SIZE: usize = 1024;

/// Cap on the weekly block buffer; the block shrinks to fit (results do not
/// depend on the block size).
const WEEKLY_BUFFER_BYTES: usize = 64 << 20;

/// Marks an undefined time to survive/recover in the trial table.
const NONE: u32 = u32::MAX;

/// The most worker threads a run may ask for: far beyond any machine's
/// cores, and the cost of coordinating threads grows with their number.
pub const MAX_THREADS: u64 = 1024;

/// Most trials one run may hold. A run keeps every trial's record (exact
/// quantiles and `trials.csv` need them): 56 bytes plus 32 per shock fired,
/// about 150 bytes a trial on the shipped world with the arrays' growth,
/// so this is several GB. Larger studies split the trials with
/// `--first-trial` or shard a sweep.
pub const MAX_TRIALS: u64 = 50_000_000;

/// Largest `--first-trial`: any run of at most [`MAX_TRIALS`] trials from
/// it still ends within `u64` (an overflowing range would silently run
/// fewer trials, or none).
pub const MAX_FIRST_TRIAL: u64 = u64::MAX - MAX_TRIALS;

/// What determines a run's results, recorded in every output.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunConfig {
    pub scenario: String,
    pub scenario_hash: String,
    /// The scenario's `attribution` of its data (empty when none).
    pub attribution: String,
    pub seed: u64,
    /// Trials `start..end`; shards of one run use disjoint ranges.
    pub trials: Range<u64>,
    pub horizon_weeks: u32,
    pub fulfilment_threshold: f64,
    /// A trial whose loss reaches this many USD counts as severe.
    pub severe_loss_usd: f64,
    /// Whether weekly fulfilment bands were recorded.
    pub record_weekly: bool,
    /// The policy variant simulated (`baseline` without policies).
    pub variant: String,
}

impl RunConfig {
    /// The configuration of a run of `trials` over `net` as compiled (with
    /// any command-line overrides already applied to its settings).
    pub fn new(net: &Network, seed: u64, trials: Range<u64>, record_weekly: bool) -> Self {
        RunConfig {
            scenario: net.settings.name.clone(),
            scenario_hash: net.scenario_hash.clone(),
            attribution: net.settings.attribution.clone(),
            seed,
            trials,
            horizon_weeks: net.settings.horizon_weeks,
            fulfilment_threshold: net.settings.fulfilment_threshold,
            severe_loss_usd: net.settings.severe_loss_usd,
            record_weekly,
            variant: "baseline".to_string(),
        }
    }

    /// The same run, of variant `id`.
    pub fn with_variant(mut self, id: &str) -> Self {
        self.variant = id.to_string();
        self
    }
}

/// How to run, not what: none of this affects the results.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Trials per block (at least 1).
    pub block_size: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            threads: default_threads(),
            block_size: DEFAULT_BLOCK_SIZE,
        }
    }
}

/// All cores, as the OS reports them.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A way of grouping market needs for the loss breakdowns.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dimension {
    /// `market`, `country`, `sector`, `product` or `need`.
    pub name: String,
    /// Readable key of each group.
    pub keys: Vec<String>,
    /// Group of each market need.
    pub of_need: Vec<u32>,
}

/// The shape of a trial's outcome and how to group it: everything the
/// runner needs from the network, so that it can be tested without one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Layout {
    /// Market needs, in `Network::needs` order filtered to markets: the
    /// index space of `TrialOutcome::lost_usd_by_need`.
    pub market_needs: usize,
    pub markets: usize,
    pub weeks: usize,
    pub shocks: usize,
    pub record_weekly: bool,
    pub dims: Vec<Dimension>,
}

impl Layout {
    /// Market needs grouped by market, country, sector, product and need.
    pub fn from_network(net: &Network, record_weekly: bool) -> Layout {
        let needs: Vec<(u32, u32)> = net
            .needs
            .iter()
            .filter_map(|n| match n.customer {
                Customer::Market(m) => Some((m, n.product)),
                Customer::Facility(_) => None,
            })
            .collect();
        let market = |m: u32| &net.markets[m as usize];
        let mut sectors: Vec<String> = Vec::new();
        let sector_of: Vec<u32> = needs
            .iter()
            .map(|&(m, _)| {
                let name = sector_name(market(m).sector);
                match sectors.iter().position(|s| *s == name) {
                    Some(i) => i as u32,
                    None => {
                        sectors.push(name);
                        sectors.len() as u32 - 1
                    }
                }
            })
            .collect();
        let dims = vec![
            Dimension {
                name: "market".into(),
                keys: net.markets.iter().map(|m| m.id.clone()).collect(),
                of_need: needs.iter().map(|&(m, _)| m).collect(),
            },
            Dimension {
                name: "country".into(),
                keys: net.countries.iter().map(|c| c.id.clone()).collect(),
                of_need: needs.iter().map(|&(m, _)| market(m).country).collect(),
            },
            Dimension {
                name: "sector".into(),
                keys: sectors,
                of_need: sector_of,
            },
            Dimension {
                name: "product".into(),
                keys: net.products.iter().map(|p| p.id.clone()).collect(),
                of_need: needs.iter().map(|&(_, p)| p).collect(),
            },
            Dimension {
                name: "need".into(),
                keys: needs
                    .iter()
                    .map(|&(m, p)| format!("{}/{}", market(m).id, net.products[p as usize].id))
                    .collect(),
                of_need: (0..needs.len() as u32).collect(),
            },
        ];
        Layout {
            market_needs: needs.len(),
            markets: net.markets.len(),
            weeks: net.settings.horizon_weeks as usize,
            shocks: net.shocks.len(),
            record_weekly,
            dims,
        }
    }

    fn weekly_len(&self) -> usize {
        if self.record_weekly {
            self.markets * self.weeks
        } else {
            0
        }
    }
}

fn sector_name(s: crate::scenario::Sector) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{s:?}"))
}

/// One row per trial, as columns, in trial order.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TrialTable {
    pub lost_usd: Vec<f64>,
    pub lost_units: Vec<f64>,
    pub peak_shortfall: Vec<f64>,
    pub weeks_below: Vec<u32>,
    /// Delay of back-ordered demand (unit-weeks; 0 without back-ordering
    /// markets).
    pub backorder_unit_weeks: Vec<f64>,
    tts: Vec<u32>,
    ttr: Vec<u32>,
    first_short: Vec<u32>,
    /// Trial `i`'s fired shocks are `fired[fired_offsets[i]..fired_offsets[i + 1]]`.
    fired_offsets: Vec<u64>,
    fired: Vec<FiredShock>,
}

impl TrialTable {
    fn new() -> Self {
        TrialTable {
            fired_offsets: vec![0],
            ..Default::default()
        }
    }

    pub fn len(&self) -> usize {
        self.lost_usd.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lost_usd.is_empty()
    }

    pub fn time_to_survive(&self, i: usize) -> Option<u32> {
        Some(self.tts[i]).filter(|&t| t != NONE)
    }

    pub fn time_to_recover(&self, i: usize) -> Option<u32> {
        Some(self.ttr[i]).filter(|&t| t != NONE)
    }

    /// The first week trial `i` fell short (total fulfilment below the
    /// threshold), if it did: with the horizon, the censoring time of a
    /// trial still short at the end.
    pub fn first_short_week(&self, i: usize) -> Option<u32> {
        Some(self.first_short[i]).filter(|&t| t != NONE)
    }

    /// Times to survive of the trials where one is defined, in trial order.
    pub fn defined_tts(&self) -> impl Iterator<Item = u32> + '_ {
        self.tts.iter().copied().filter(|&t| t != NONE)
    }

    pub fn defined_ttr(&self) -> impl Iterator<Item = u32> + '_ {
        self.ttr.iter().copied().filter(|&t| t != NONE)
    }

    pub fn fired(&self, i: usize) -> &[FiredShock] {
        &self.fired[self.fired_offsets[i] as usize..self.fired_offsets[i + 1] as usize]
    }

    fn push(&mut self, r: &Compact) {
        self.lost_usd.push(r.lost_usd);
        self.lost_units.push(r.lost_units);
        self.peak_shortfall.push(r.peak_shortfall);
        self.weeks_below.push(r.weeks_below);
        self.backorder_unit_weeks.push(r.backorder_unit_weeks);
        self.tts.push(r.tts.unwrap_or(NONE));
        self.ttr.push(r.ttr.unwrap_or(NONE));
        self.first_short.push(r.first_short.unwrap_or(NONE));
        self.fired.extend_from_slice(&r.fired);
        self.fired_offsets.push(self.fired.len() as u64);
    }

    fn append(&mut self, other: &TrialTable) {
        self.lost_usd.extend_from_slice(&other.lost_usd);
        self.lost_units.extend_from_slice(&other.lost_units);
        self.peak_shortfall.extend_from_slice(&other.peak_shortfall);
        self.weeks_below.extend_from_slice(&other.weeks_below);
        self.backorder_unit_weeks
            .extend_from_slice(&other.backorder_unit_weeks);
        self.tts.extend_from_slice(&other.tts);
        self.ttr.extend_from_slice(&other.ttr);
        self.first_short.extend_from_slice(&other.first_short);
        let base = self.fired.len() as u64;
        self.fired.extend_from_slice(&other.fired);
        self.fired_offsets
            .extend(other.fired_offsets[1..].iter().map(|o| o + base));
    }
}

/// Loss totals of one breakdown group, summed exactly over trials.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct GroupSums {
    /// The per-trial group loss (USD): its sum, and the sum of its squares
    /// for the standard error of the mean.
    pub lost_usd: FixedMoments,
    pub lost_units: FixedSum,
}

/// Fan-chart bands: per market and week, a histogram of fulfilment, its
/// sum, and its least and greatest value, each cell `market * weeks + week`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WeeklyBands {
    pub markets: usize,
    pub weeks: usize,
    /// `SLOTS` counters per cell (see [`histogram`]).
    counts: Vec<u32>,
    sums: Vec<UnitSum>,
    /// Least and greatest fulfilment seen (as the histogram reads it:
    /// clamped to [0, 1], NaN as 0). A quantile interpolated within a bin
    /// is kept between them, so a week every trial had at the same value
    /// reads exactly that value, not a point of its 0.5 % bin.
    least: Vec<f32>,
    greatest: Vec<f32>,
}

/// A fulfilment as the histogram counts it (see [`histogram::slot`]).
#[inline]
fn as_counted(x: f32) -> f32 {
    if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) }
}

impl WeeklyBands {
    fn new(markets: usize, weeks: usize) -> Self {
        WeeklyBands {
            markets,
            weeks,
            counts: vec![0; markets * weeks * histogram::SLOTS],
            sums: vec![UnitSum::default(); markets * weeks],
            least: vec![1.0; markets * weeks],
            greatest: vec![0.0; markets * weeks],
        }
    }

    /// Histogram of fulfilment of `market` in `week`.
    pub fn histogram(&self, market: usize, week: usize) -> &[u32] {
        let c = market * self.weeks + week;
        &self.counts[c * histogram::SLOTS..(c + 1) * histogram::SLOTS]
    }

    /// The least and greatest fulfilment of `market` in `week`; `None`
    /// before any trial.
    fn range(&self, market: usize, week: usize) -> Option<(f64, f64)> {
        let c = market * self.weeks + week;
        (self.least[c] <= self.greatest[c])
            .then(|| (f64::from(self.least[c]), f64::from(self.greatest[c])))
    }

    /// Quantile `p` of the fulfilment of `market` in `week`: the least or
    /// greatest value seen, exactly, when `p`'s rank is the first or the
    /// last (P5 of up to 20 trials, P95 of up to 19); otherwise read from
    /// the histogram (see [`histogram::quantile`]) and kept within them.
    pub fn quantile(&self, market: usize, week: usize, p: f64) -> f64 {
        let counts = self.histogram(market, week);
        let Some((least, greatest)) = self.range(market, week) else {
            // No trial yet.
            return histogram::quantile(counts, p);
        };
        let n = histogram::count(counts);
        match histogram::rank(n, p) {
            k if k == n => greatest,
            1 => least,
            _ => histogram::quantile(counts, p).clamp(least, greatest),
        }
    }

    /// Mean fulfilment of `market` in `week` over `trials` trials, within
    /// the least and greatest value seen (each value is summed to 2⁻³², so
    /// a week every trial had at the same value could otherwise read a
    /// hair off it).
    pub fn mean(&self, market: usize, week: usize, trials: u64) -> f64 {
        if trials == 0 {
            return 1.0;
        }
        let mean = self.sums[market * self.weeks + week].value() / trials as f64;
        match self.range(market, week) {
            Some((least, greatest)) => mean.clamp(least, greatest),
            None => mean,
        }
    }
}

/// Everything a run (or a shard of one) accumulates.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Accumulated {
    pub first_trial: u64,
    pub trials: TrialTable,
    /// Per [`Layout::dims`] entry, per key.
    pub breakdown: Vec<Vec<GroupSums>>,
    /// Per shock: trials in which it fired at least once.
    pub shock_trials: Vec<u64>,
    /// Per shock: firings in total (a shock with a yearly rate may fire
    /// more than once per trial).
    pub shock_firings: Vec<u64>,
    pub weekly: Option<WeeklyBands>,
    #[serde(skip)]
    layout: Layout,
}

/// Why two accumulations cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// The second shard does not start where the first ends.
    #[error("trial ranges are not adjacent: the first ends at {end}, the second starts at {start}")]
    NotAdjacent { end: u64, start: u64 },
    /// The shards were run on differently shaped networks or options.
    #[error("the runs have different layouts (network shape or weekly recording differ)")]
    Layout,
}

impl Accumulated {
    pub fn new(layout: &Layout, first_trial: u64) -> Self {
        Accumulated {
            first_trial,
            trials: TrialTable::new(),
            breakdown: layout
                .dims
                .iter()
                .map(|d| vec![GroupSums::default(); d.keys.len()])
                .collect(),
            shock_trials: vec![0; layout.shocks],
            shock_firings: vec![0; layout.shocks],
            weekly: layout
                .record_weekly
                .then(|| WeeklyBands::new(layout.markets, layout.weeks)),
            layout: layout.clone(),
        }
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Trials accumulated.
    pub fn count(&self) -> u64 {
        self.trials.len() as u64
    }

    /// The trial range covered.
    pub fn range(&self) -> Range<u64> {
        self.first_trial..self.first_trial + self.count()
    }

    /// Appends the shard that follows this one. The result is bit-identical
    /// to having run both ranges at once. (Checking that both shards come
    /// from the same scenario and seed is the caller's job: it holds the
    /// [`RunConfig`]s.)
    pub fn merge(&mut self, other: &Accumulated) -> Result<(), MergeError> {
        if self.layout != other.layout {
            return Err(MergeError::Layout);
        }
        if other.count() > 0 && self.count() > 0 && self.range().end != other.first_trial {
            return Err(MergeError::NotAdjacent {
                end: self.range().end,
                start: other.first_trial,
            });
        }
        if self.count() == 0 {
            self.first_trial = other.first_trial;
        }
        self.trials.append(&other.trials);
        for (mine, theirs) in self.breakdown.iter_mut().zip(&other.breakdown) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                a.lost_usd.merge(&b.lost_usd);
                a.lost_units.merge(&b.lost_units);
            }
        }
        for (a, b) in self.shock_trials.iter_mut().zip(&other.shock_trials) {
            *a += b;
        }
        for (a, b) in self.shock_firings.iter_mut().zip(&other.shock_firings) {
            *a += b;
        }
        if let (Some(a), Some(b)) = (&mut self.weekly, &other.weekly) {
            for (x, y) in a.counts.iter_mut().zip(&b.counts) {
                *x += y;
            }
            for (x, y) in a.sums.iter_mut().zip(&b.sums) {
                x.merge(y);
            }
            for (x, y) in a.least.iter_mut().zip(&b.least) {
                *x = x.min(*y);
            }
            for (x, y) in a.greatest.iter_mut().zip(&b.greatest) {
                *x = x.max(*y);
            }
        }
        Ok(())
    }
}

/// The per-trial scalars, copied out of the outcome in the parallel stage.
#[derive(Clone, Debug, Default)]
struct Compact {
    lost_usd: f64,
    lost_units: f64,
    peak_shortfall: f64,
    weeks_below: u32,
    backorder_unit_weeks: f64,
    tts: Option<u32>,
    ttr: Option<u32>,
    first_short: Option<u32>,
    /// Reused across blocks, so it allocates only when a trial fires more
    /// shocks than any before it in this slot.
    fired: Vec<FiredShock>,
}

/// Scratch buffers for the sequential fold of one trial.
struct FoldScratch {
    usd: Vec<f64>,
    units: Vec<f64>,
    seen: Vec<u64>,
}

impl Accumulated {
    /// Folds trial `trial` (its compact record and per-need losses).
    fn fold_trial(&mut self, trial: u64, r: &Compact, needs: &[f64], f: &mut FoldScratch) {
        self.trials.push(r);
        let n = self.layout.market_needs;
        let (usd, units) = needs[..2 * n].split_at(n);
        for (dim, sums) in self.layout.dims.iter().zip(&mut self.breakdown) {
            // Group totals in need order: a function of the trial alone.
            f.usd.clear();
            f.usd.resize(sums.len(), 0.0);
            f.units.clear();
            f.units.resize(sums.len(), 0.0);
            for ((&g, &u), &q) in dim.of_need.iter().zip(usd).zip(units) {
                f.usd[g as usize] += u;
                f.units[g as usize] += q;
            }
            for ((s, &u), &q) in sums.iter_mut().zip(&f.usd).zip(&f.units) {
                if u != 0.0 || q != 0.0 {
                    s.lost_usd.add(u);
                    s.lost_units.add(q);
                }
            }
        }
        for fs in &r.fired {
            let s = fs.shock as usize;
            if s >= self.shock_firings.len() {
                continue;
            }
            self.shock_firings[s] += 1;
            // `seen` holds trial + 1 so that its zero start means "never".
            if f.seen[s] != trial + 1 {
                f.seen[s] = trial + 1;
                self.shock_trials[s] += 1;
            }
        }
    }
}

/// Errors of a run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The worker pool could not be started.
    #[error("cannot start {threads} worker threads")]
    Pool {
        threads: usize,
        #[source]
        source: rayon::ThreadPoolBuildError,
    },
}

/// Hands each rayon split a scratch from a shared pool and takes it back
/// when the split is done, so scratch is created about once per thread
/// rather than once per split.
struct Pooled<'p, T> {
    item: Option<T>,
    pool: &'p Mutex<Vec<T>>,
}

impl<T> Drop for Pooled<'_, T> {
    fn drop(&mut self) {
        if let Some(t) = self.item.take() {
            self.pool.lock().unwrap_or_else(|e| e.into_inner()).push(t);
        }
    }
}

/// Runs `trials`, calling `run(trial, scratch, outcome)` for each on a
/// pool of `opts.threads` threads, and accumulates the outcomes.
///
/// `run` receives an outcome already [`reset`](TrialOutcome::reset) for the
/// trial and must fill it; it must derive all randomness from the trial
/// number (and a seed it captures). `progress` is called on the calling
/// thread after each block with the number of trials done.
///
/// # Panics
/// If `run` fills the per-need vectors with a length other than
/// `layout.market_needs` (a broken engine, not a user error), or panics
/// itself.
pub fn run_trials<S, M, F, P>(
    trials: Range<u64>,
    layout: &Layout,
    opts: &RunOptions,
    make_scratch: M,
    run: F,
    mut progress: P,
) -> Result<Accumulated, RunError>
where
    S: Send,
    M: Fn() -> S + Sync,
    F: Fn(u64, &mut S, &mut TrialOutcome) + Sync,
    P: FnMut(u64),
{
    let threads = opts.threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("chipshock-mc-{i}"))
        .build()
        .map_err(|source| RunError::Pool { threads, source })?;

    let n_needs = layout.market_needs;
    let wlen = layout.weekly_len();
    // Strides of at least 1 so that chunking never sees a zero size.
    let need_stride = (2 * n_needs).max(1);
    let week_stride = wlen.max(1);
    let mut block = opts.block_size.max(1);
    if wlen > 0 {
        block = block.min((WEEKLY_BUFFER_BYTES / (wlen * 4)).max(1));
    }
    let total = trials.end.saturating_sub(trials.start);
    block = block.min(total.max(1) as usize);

    let mut acc = Accumulated::new(layout, trials.start);
    let mut recs = vec![Compact::default(); block];
    let mut need_buf = vec![0.0f64; block * need_stride];
    let mut week_buf = vec![0.0f32; block * week_stride];
    let mut fold = FoldScratch {
        usd: Vec::new(),
        units: Vec::new(),
        seen: vec![0; layout.shocks],
    };
    let states: Mutex<Vec<(S, TrialOutcome)>> = Mutex::new(Vec::new());

    let mut start = trials.start;
    while start < trials.end {
        let len = (trials.end - start).min(block as u64) as usize;
        pool.install(|| {
            recs[..len]
                .par_iter_mut()
                .zip(need_buf[..len * need_stride].par_chunks_mut(need_stride))
                .zip(week_buf[..len * week_stride].par_chunks_mut(week_stride))
                .enumerate()
                .for_each_init(
                    || {
                        let item = states.lock().unwrap_or_else(|e| e.into_inner()).pop();
                        Pooled {
                            item: Some(
                                item.unwrap_or_else(|| (make_scratch(), TrialOutcome::default())),
                            ),
                            pool: &states,
                        }
                    },
                    |st, (i, ((rec, needs), weekly))| {
                        let (scratch, out) = st.item.as_mut().expect("taken only on drop");
                        let trial = start + i as u64;
                        out.reset(trial, n_needs, wlen);
                        run(trial, scratch, out);
                        copy_out(out, rec, needs, weekly, n_needs, wlen);
                    },
                );
        });
        for (i, rec) in recs[..len].iter().enumerate() {
            let needs = &need_buf[i * need_stride..(i + 1) * need_stride];
            acc.fold_trial(start + i as u64, rec, needs, &mut fold);
        }
        if let Some(w) = &mut acc.weekly {
            pool.install(|| fold_weekly(w, &week_buf[..len * week_stride], week_stride));
        }
        start += len as u64;
        progress(start - trials.start);
    }
    Ok(acc)
}

fn copy_out(
    out: &TrialOutcome,
    rec: &mut Compact,
    needs: &mut [f64],
    weekly: &mut [f32],
    n_needs: usize,
    wlen: usize,
) {
    assert_eq!(
        (out.lost_usd_by_need.len(), out.lost_units_by_need.len()),
        (n_needs, n_needs),
        "trial {}: per-need losses must have one entry per market need",
        out.trial
    );
    rec.lost_usd = out.lost_usd;
    rec.lost_units = out.lost_units;
    rec.peak_shortfall = out.peak_shortfall;
    rec.weeks_below = out.weeks_below_threshold;
    rec.backorder_unit_weeks = out.backorder_unit_weeks;
    rec.tts = out.time_to_survive;
    rec.ttr = out.time_to_recover;
    rec.first_short = out.first_short_week;
    rec.fired.clear();
    rec.fired.extend_from_slice(&out.fired);
    needs[..n_needs].copy_from_slice(&out.lost_usd_by_need);
    needs[n_needs..2 * n_needs].copy_from_slice(&out.lost_units_by_need);
    if wlen > 0 {
        assert_eq!(
            out.weekly_fulfilment.len(),
            wlen,
            "trial {}: weekly fulfilment must be markets × weeks",
            out.trial
        );
        weekly.copy_from_slice(&out.weekly_fulfilment);
    }
}

/// Adds a block's weekly fulfilment to the bands, in parallel over cells:
/// integer counts and fixed-point sums make the order irrelevant.
fn fold_weekly(w: &mut WeeklyBands, buf: &[f32], stride: usize) {
    let trials = buf.len() / stride;
    w.counts
        .par_chunks_mut(histogram::SLOTS)
        .zip(w.sums.par_iter_mut())
        .zip(w.least.par_iter_mut().zip(w.greatest.par_iter_mut()))
        .enumerate()
        .for_each(|(c, ((h, s), (least, greatest)))| {
            for t in 0..trials {
                let x = buf[t * stride + c];
                h[histogram::slot(x)] += 1;
                s.add(x);
                let y = as_counted(x);
                *least = least.min(y);
                *greatest = greatest.max(y);
            }
        });
}

/// The engine's side of a run: anything that can play one trial.
pub trait TrialRunner: Sync {
    /// Per-thread working memory, reused across trials.
    type Scratch: Send;

    fn new_scratch(&self) -> Self::Scratch;

    /// Plays trial `trial` of the run seeded `seed` into `out` (already
    /// reset). Fills `out.weekly_fulfilment` only when `record_weekly`.
    fn run_trial(
        &self,
        seed: u64,
        trial: u64,
        scratch: &mut Self::Scratch,
        out: &mut TrialOutcome,
        record_weekly: bool,
    );
}

/// Runs `cfg.trials` of `engine` with the configuration's seed.
pub fn run_engine<R: TrialRunner>(
    engine: &R,
    cfg: &RunConfig,
    layout: &Layout,
    opts: &RunOptions,
    progress: impl FnMut(u64),
) -> Result<Accumulated, RunError> {
    let (seed, weekly) = (cfg.seed, layout.record_weekly);
    run_trials(
        cfg.trials.clone(),
        layout,
        opts,
        || engine.new_scratch(),
        |trial, s, out| engine.run_trial(seed, trial, s, out, weekly),
        progress,
    )
}

/// A trial function with analytically known outcomes, for testing the
/// runner, the statistics and the reports without the engine.
#[cfg(test)]
pub(crate) mod fake {
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};

    use super::*;

    /// Probability that a trial has a shock (and then a loss).
    pub const P_SHOCK: f64 = 0.3;
    /// Mean loss of a shocked trial: exponential with this mean.
    pub const MEAN_LOSS: f64 = 1e9;

    /// Three market needs over two markets (need 0, 1 → market 0; need 2 →
    /// market 1), two products, two shocks.
    pub fn layout(weeks: usize, record_weekly: bool) -> Layout {
        let dim = |name: &str, keys: &[&str], of_need: [u32; 3]| Dimension {
            name: name.into(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
            of_need: of_need.to_vec(),
        };
        Layout {
            market_needs: 3,
            markets: 2,
            weeks,
            shocks: 2,
            record_weekly,
            dims: vec![
                dim("market", &["us_auto", "eu_dc"], [0, 0, 1]),
                dim("product", &["logic", "dram"], [0, 1, 0]),
            ],
        }
    }

    /// Trial `trial` of the run seeded `seed`, drawn from its own stream.
    pub fn trial(seed: u64, trial: u64, out: &mut TrialOutcome) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(trial);
        if rng.random::<f64>() < P_SHOCK {
            let loss = -MEAN_LOSS * (1.0 - rng.random::<f64>()).ln();
            let split = [0.5, 0.3, 0.2];
            for (j, w) in split.iter().enumerate() {
                out.lost_usd_by_need[j] = loss * w;
                out.lost_units_by_need[j] = loss * w / 50.0;
            }
            out.lost_usd = loss;
            out.lost_units = loss / 50.0;
            out.peak_shortfall = rng.random::<f64>();
            out.weeks_below_threshold = rng.random_range(1..10);
            out.time_to_survive = Some(rng.random_range(0..4));
            out.time_to_recover = rng.random_bool(0.8).then(|| rng.random_range(1..30));
            out.first_short_week = out.time_to_survive.map(|t| 10 + t);
            let shock = rng.random_range(0..2);
            out.fired.push(FiredShock {
                shock,
                onset_week: rng.random_range(0..50),
                duration_weeks: rng.random_range(1..20),
                severity: rng.random::<f64>(),
                recovery_weeks: 4,
                triggered_by: None,
            });
            if shock == 0 && rng.random_bool(0.5) {
                out.fired.push(FiredShock {
                    shock: 1,
                    onset_week: 60,
                    duration_weeks: 3,
                    severity: 0.25,
                    recovery_weeks: 2,
                    triggered_by: Some(0),
                });
            }
            for x in out.weekly_fulfilment.iter_mut() {
                *x = rng.random::<f32>();
            }
        }
    }

    /// A network whose market needs match [`layout`]: need 0 and 1 of
    /// market `us_auto` (automotive, US), need 2 of `eu_dc` (data centre,
    /// DE); products `logic` and `dram`; shocks `taiwan_blockade` and
    /// `neon_loss`. No facilities: the fake trial needs none.
    pub fn network(weeks: u32) -> Network {
        use crate::dist::Distribution;
        use crate::network::*;
        use crate::scenario::{ProductCategory, Sector};
        let country = |id: &str| Country {
            id: id.into(),
            name: id.to_uppercase(),
            blocs: vec![],
        };
        let product = |id: &str| Product {
            id: id.into(),
            name: id.into(),
            unit: "units".into(),
            category: ProductCategory::BackEnd,
            value_usd_per_unit: 50.0,
            qualification_weeks: 26.0,
        };
        let market = |id: &str, country: u32, sector: Sector| Market {
            id: id.into(),
            name: id.into(),
            country,
            sector,
            inventory_weeks: 2.0,
            backorder: false,
        };
        let need = |m: u32, p: u32| Need {
            customer: Customer::Market(m),
            product: p,
            kind: NeedKind::Demand {
                units_per_week: 100.0,
                lost_usd_per_unit: 1000.0,
            },
            target_weeks: 2.0,
            baseline_use: 100.0,
        };
        let shock = |id: &str| Shock {
            id: id.into(),
            name: id.replace('_', " "),
            occurrence: Occurrence::Probability(0.3),
            onset_week: None,
            duration_weeks: Distribution::Fixed(10.0),
            severity: Distribution::Fixed(0.5),
            recovery_weeks: None,
            target: ShockTarget::Capacity(vec![]),
            reach: None,
            triggers: vec![],
        };
        Network {
            settings: Settings {
                name: "tiny".into(),
                description: String::new(),
                attribution: String::new(),
                horizon_weeks: weeks,
                fulfilment_threshold: 0.95,
                severe_loss_usd: 2e9,
            },
            blocs: vec![],
            countries: vec![country("us"), country("de"), country("tw")],
            products: vec![product("logic"), product("dram")],
            facilities: vec![],
            markets: vec![
                market("us_auto", 0, Sector::Automotive),
                market("eu_dc", 1, Sector::DataCentre),
            ],
            needs: vec![need(0, 0), need(0, 1), need(1, 0)],
            links: vec![],
            need_links: Csr::default(),
            facility_needs: Csr::default(),
            market_needs: Csr::from_pairs(2, [(0, 0), (0, 1), (1, 2)]),
            supplier_links: Csr::default(),
            topo_order: vec![],
            baseline: Baseline::default(),
            shocks: vec![shock("taiwan_blockade"), shock("neon_loss")],
            policies: vec![],
            variants: vec![],
            scenario_hash: "abc123".into(),
        }
    }

    pub fn run(
        trials: Range<u64>,
        layout: &Layout,
        threads: usize,
        block_size: usize,
    ) -> Accumulated {
        let opts = RunOptions {
            threads,
            block_size,
        };
        run_trials(
            trials,
            layout,
            &opts,
            || (),
            |t, _: &mut (), out| trial(42, t, out),
            |_| {},
        )
        .expect("pool starts")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Welford;

    fn json(a: &Accumulated) -> String {
        serde_json::to_string(a).unwrap()
    }

    /// A week every trial had at the same fulfilment reads exactly that
    /// value in every band, not a point of its 0.5 % bin; bands of values
    /// spread over a bin stay within the values seen, also after a merge.
    #[test]
    fn weekly_bands_stay_within_the_values_seen() {
        let mut w = WeeklyBands::new(2, 2);
        // Cell 0: every trial at 0.8; cell 1: 0.801 .. 0.804.
        let buf: Vec<f32> = (0..4)
            .flat_map(|i| [0.8, 0.801 + 0.001 * i as f32, 1.0, 1.0])
            .collect();
        fold_weekly(&mut w, &buf, 4);
        for p in [0.05, 0.5, 0.95] {
            assert_eq!(w.quantile(0, 0, p) as f32, 0.8f32, "p {p}");
            let q = w.quantile(0, 1, p) as f32;
            assert!((0.801..=0.804).contains(&q), "p {p}: {q}");
        }
        assert_eq!(w.mean(0, 0, 4) as f32, 0.8f32);
        let mut other = WeeklyBands::new(2, 2);
        fold_weekly(&mut other, &[0.2, 0.9, 1.0, 1.0], 4);
        let layout = fake::layout(2, true);
        let (mut a, mut b) = (Accumulated::new(&layout, 0), Accumulated::new(&layout, 0));
        a.weekly = Some(w);
        b.weekly = Some(other);
        a.merge(&b).unwrap();
        let w = a.weekly.as_ref().unwrap();
        // The greatest values of both sides bound the merged bands.
        assert_eq!(w.quantile(0, 0, 0.5) as f32, 0.8f32);
        assert_eq!(w.quantile(0, 1, 0.99) as f32, 0.9f32);
    }

    /// When the rank of a band is the first or the last, it is the least or
    /// greatest value exactly: with two trials P95 (rank 2 of 2) is the
    /// larger, where the histogram read the smaller (both in one bin) and
    /// the mean sat above it; P5 of up to 20 trials is the
    /// smallest. A week every trial had at the same value has that mean.
    #[test]
    fn extreme_ranks_of_the_weekly_bands_are_exact() {
        let mut w = WeeklyBands::new(1, 3);
        // Week 0: 0.8040 and 0.8049, one bin, whose second value the
        // midpoint rule reads at 0.80375, kept to 0.8040; week 1: 0.3 and
        // 0.9; week 2: a small value in both trials.
        fold_weekly(&mut w, &[0.804, 0.3, 1e-3, 0.8049, 0.9, 1e-3], 3);
        assert_eq!(w.quantile(0, 0, 0.95) as f32, 0.8049f32);
        assert_eq!(w.quantile(0, 0, 0.05) as f32, 0.804f32);
        assert!(w.mean(0, 0, 2) <= w.quantile(0, 0, 0.95));
        assert_eq!(w.quantile(0, 1, 0.95) as f32, 0.9f32);
        assert_eq!(w.quantile(0, 1, 0.5) as f32, 0.3f32);
        assert_eq!(w.quantile(0, 1, 0.05) as f32, 0.3f32);
        assert_eq!(w.mean(0, 2, 2) as f32, 1e-3f32);
        // 20 trials spread over [0.5, 0.6): P5 is rank 1, P95 rank 19 (read
        // from the histogram), P99 rank 20.
        let mut w = WeeklyBands::new(1, 1);
        let xs: Vec<f32> = (0..20).map(|i| 0.5 + 0.005 * i as f32 + 0.0013).collect();
        fold_weekly(&mut w, &xs, 1);
        assert_eq!(w.quantile(0, 0, 0.05) as f32, xs[0]);
        assert_eq!(w.quantile(0, 0, 0.99) as f32, xs[19]);
        let p95 = w.quantile(0, 0, 0.95);
        assert!((p95 - f64::from(xs[18])).abs() < 0.005, "{p95}");
        assert!(p95 < f64::from(xs[19]));
    }

    #[test]
    fn thread_count_and_block_size_do_not_change_results() {
        let layout = fake::layout(6, true);
        let one = fake::run(0..3000, &layout, 1, DEFAULT_BLOCK_SIZE);
        for (threads, block) in [(2, DEFAULT_BLOCK_SIZE), (2, 7), (3, 1), (1, 5000)] {
            let other = fake::run(0..3000, &layout, threads, block);
            assert_eq!(one, other, "threads {threads}, block {block}");
            assert_eq!(json(&one), json(&other));
        }
    }

    #[test]
    fn shards_merge_into_exactly_the_whole_run() {
        let layout = fake::layout(6, true);
        let whole = fake::run(100..2100, &layout, 2, 256);
        let mut a = fake::run(100..1337, &layout, 1, 100);
        let b = fake::run(1337..2100, &layout, 2, 1000);
        a.merge(&b).unwrap();
        assert_eq!(whole, a);
        assert_eq!(json(&whole), json(&a));
        assert_eq!(a.range(), 100..2100);
    }

    #[test]
    fn merge_refuses_gaps_and_other_layouts() {
        let layout = fake::layout(6, false);
        let mut a = fake::run(0..10, &layout, 1, 4);
        let b = fake::run(11..20, &layout, 1, 4);
        assert!(matches!(
            a.merge(&b),
            Err(MergeError::NotAdjacent { end: 10, start: 11 })
        ));
        let c = fake::run(10..20, &fake::layout(6, true), 1, 4);
        assert!(matches!(a.merge(&c), Err(MergeError::Layout)));
    }

    #[test]
    fn outcomes_match_the_known_distribution() {
        let layout = fake::layout(4, false);
        let acc = fake::run(0..20_000, &layout, 2, 1024);
        assert_eq!(acc.count(), 20_000);
        let w: Welford = acc.trials.lost_usd.iter().copied().collect();
        let truth = fake::P_SHOCK * fake::MEAN_LOSS;
        let se = w.std_error().unwrap();
        assert!(
            (w.mean() - truth).abs() < 4.0 * se,
            "mean {} vs {truth} ± {se}",
            w.mean(),
        );
        let hit = acc.trials.lost_usd.iter().filter(|&&x| x > 0.0).count() as u64;
        let shocked: u64 = acc.shock_trials.iter().sum::<u64>();
        // Shock 1 also fires as a trigger of shock 0, so trials with both
        // count twice in the per-shock tallies.
        let both = (0..acc.trials.len())
            .filter(|&i| acc.trials.fired(i).len() == 2)
            .count() as u64;
        assert_eq!(shocked, hit + both);
        assert_eq!(acc.shock_firings.iter().sum::<u64>(), hit + both);
        // Breakdowns add up to the total, per dimension.
        let total: f64 = acc.trials.lost_usd.iter().sum();
        for sums in &acc.breakdown {
            let s: f64 = sums.iter().map(|g| g.lost_usd.sum()).sum();
            assert!((s - total).abs() < 1e-9 * total, "{s} vs {total}");
        }
        let market0 = acc.breakdown[0][0].lost_usd.sum();
        assert!((market0 / total - 0.8).abs() < 1e-9);
        assert!(acc.weekly.is_none());
    }

    #[test]
    fn weekly_bands_count_every_trial() {
        let layout = fake::layout(3, true);
        let acc = fake::run(0..500, &layout, 2, 64);
        let w = acc.weekly.as_ref().unwrap();
        for m in 0..2 {
            for wk in 0..3 {
                let h = w.histogram(m, wk);
                assert_eq!(h.iter().map(|&c| u64::from(c)).sum::<u64>(), 500);
                let unshocked = acc.trials.lost_usd.iter().filter(|&&x| x == 0.0).count();
                assert_eq!(h[histogram::SLOTS - 1] as usize, unshocked);
                let mean = w.mean(m, wk, 500);
                // 70 % at 1, 30 % uniform(0, 1): about 0.85.
                assert!((mean - 0.85).abs() < 0.05, "{mean}");
            }
        }
    }

    #[test]
    fn progress_reports_each_block_and_scratch_is_reused() {
        let layout = fake::layout(2, false);
        let made = std::sync::atomic::AtomicUsize::new(0);
        let mut seen = Vec::new();
        let opts = RunOptions {
            threads: 2,
            block_size: 100,
        };
        run_trials(
            0..450,
            &layout,
            &opts,
            || made.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            |t, _, out| fake::trial(1, t, out),
            |done| seen.push(done),
        )
        .unwrap();
        assert_eq!(seen, vec![100, 200, 300, 400, 450]);
        // One scratch per concurrently running split, never one per trial.
        assert!(made.into_inner() <= 8);
    }

    #[test]
    fn empty_range_gives_an_empty_accumulation() {
        let acc = fake::run(5..5, &fake::layout(2, true), 2, 16);
        assert_eq!(acc.count(), 0);
        assert_eq!(acc.range(), 5..5);
    }
}
