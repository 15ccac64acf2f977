//! Engine throughput: one disrupted trial on synthetic networks of 200,
//! 2,000 and 20,000 facilities, a plain pass over the same CSR link arrays
//! as the reference, a quiet trial, and the shipped world scenario: one
//! trial with a Taiwan blockade active, and a batch of Monte Carlo trials
//! on all cores (trials per second).
//!
//! Throughput is in link-week updates: a trial's over the weeks it
//! simulates (its active weeks; the others are exact baseline weeks it
//! skips), the plain pass's over every week of the horizon. So the two
//! `thrpt` figures compare the cost of a link-week directly, which is the
//! form of the engine's speed target.

use std::hint::black_box;

use chipshock::network::Network;
use chipshock::sim::synth::synthetic;
use chipshock::sim::{Engine, TrialOutcome};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const SEED: u64 = 17;

/// The first trial whose schedule has a capacity shock.
fn disrupted_trial(e: &Engine, net: &Network) -> u64 {
    let mut s = e.scratch();
    let mut fired = Vec::new();
    (0..10_000)
        .find(|&t| {
            e.draw_schedule(SEED, t, &mut fired, &mut s);
            fired.iter().any(|f| {
                matches!(
                    net.shocks[f.shock as usize].target,
                    chipshock::network::ShockTarget::Capacity(_)
                )
            })
        })
        .unwrap_or(0)
}

/// The reference: per need and week, one read of each link's flow (the
/// need's total) and one read-modify-write of each link, over the CSR
/// arrays in need order, as the weekly loop's first pass walks them.
fn csr_pass(net: &Network, acc: &mut [f64]) {
    for _ in 0..net.settings.horizon_weeks {
        for n in 0..net.needs.len() {
            let row = net.need_links.row(n);
            let mut sum = 0.0;
            for &l in row {
                sum += net.baseline.link_flow[l as usize];
            }
            for &l in row {
                acc[l as usize] += sum * net.links[l as usize].share;
            }
        }
    }
    black_box(acc);
}

fn engine(c: &mut Criterion) {
    let mut g = c.benchmark_group("trial");
    g.sample_size(10);
    for size in [200usize, 2_000, 20_000] {
        let net = synthetic(size, 1);
        let e = Engine::new(&net);
        let trial = disrupted_trial(&e, &net);
        let mut s = e.scratch();
        let mut out = TrialOutcome::default();
        let mut active = 0u64;
        e.run_trial_inspect(SEED, trial, &mut s, &mut out, false, |_, _| active += 1);
        eprintln!(
            "trial/disrupted/{size} simulates {active} of {} weeks ({} links)",
            e.horizon(),
            net.links.len()
        );
        g.throughput(Throughput::Elements(net.links.len() as u64 * active));
        g.bench_function(format!("disrupted/{size}"), |b| {
            b.iter(|| e.run_trial(SEED, black_box(trial), &mut s, &mut out, false))
        });
        g.throughput(Throughput::Elements(e.link_weeks()));
        let mut acc = vec![0.0f64; net.links.len()];
        g.bench_function(format!("csr_pass/{size}"), |b| {
            b.iter(|| csr_pass(&net, &mut acc))
        });
    }
    g.finish();

    let mut net = synthetic(2_000, 1);
    for sh in &mut net.shocks {
        sh.occurrence = chipshock::network::Occurrence::Probability(0.0);
    }
    let e = Engine::new(&net);
    let mut s = e.scratch();
    let mut out = TrialOutcome::default();
    let mut trial = 0u64;
    c.bench_function("quiet_trial/2000", |b| {
        b.iter(|| {
            trial += 1;
            e.run_trial(SEED, trial, &mut s, &mut out, false)
        })
    });
}

/// The shipped world scenario: a scripted Taiwan blockade (26 weeks from
/// week 10, with the import cut it triggers), and 10,000 trials of the
/// shock library through the parallel runner (the main job).
fn world(c: &mut Criterion) {
    use chipshock::mc::{Layout, RunConfig, RunOptions, run_engine};
    use chipshock::sim::FiredShock;
    let (scenario, diags) = chipshock::shipped::load(chipshock::shipped::WORLD).expect("embedded");
    assert!(diags.is_empty());
    let net = chipshock::network::compile(&scenario).expect("the shipped world compiles");
    let e = Engine::new(&net);
    let id = |s: &str| net.shocks.iter().position(|x| x.id == s).expect("shock") as u32;
    let blockade = |shock| FiredShock::scripted(shock, 10, 26, 1.0, 8);
    let schedule = vec![
        blockade(id("taiwan_blockade")),
        blockade(id("taiwan_blockade_inbound")),
    ];
    let mut s = e.scratch();
    let mut out = TrialOutcome::default();
    // Weeks the loop actually simulates (the rest are skipped as exact
    // baseline weeks): the per-active-week cost is time / this.
    let mut active = 0u64;
    out.reset(0, e.market_need_ids().len(), 0);
    out.fired.extend_from_slice(&schedule);
    e.simulate(&mut s, &mut out, false, |_, _| active += 1);
    eprintln!(
        "world/taiwan_blockade_trial simulates {active} of {} weeks ({} links)",
        e.horizon(),
        net.links.len()
    );
    let mut g = c.benchmark_group("world");
    g.sample_size(10);
    g.throughput(Throughput::Elements(net.links.len() as u64 * active));
    g.bench_function("taiwan_blockade_trial", |b| {
        b.iter(|| {
            out.reset(0, e.market_need_ids().len(), 0);
            out.fired.extend_from_slice(&schedule);
            e.simulate(&mut s, &mut out, false, |_, _| {});
            black_box(out.lost_usd)
        })
    });
    g.throughput(Throughput::Elements(e.link_weeks()));
    let mut acc = vec![0.0f64; net.links.len()];
    g.bench_function("csr_pass", |b| b.iter(|| csr_pass(&net, &mut acc)));
    g.finish();

    // The main job's size: 10,000 trials (5–6 s an iteration on two cores,
    // so the group measures for longer than criterion's default 5 s).
    let trials = 10_000u64;
    let cfg = RunConfig::new(&net, SEED, 0..trials, false);
    let layout = Layout::from_network(&net, false);
    let opts = RunOptions::default();
    let mut g = c.benchmark_group("world_batch");
    g.sample_size(10);
    g.measurement_time(std::time::Duration::from_secs(60));
    g.throughput(Throughput::Elements(trials));
    g.bench_function("trials_10000_all_cores", |b| {
        b.iter(|| {
            black_box(
                run_engine(&e, &cfg, &layout, &opts, |_| {})
                    .expect("runs")
                    .count(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, engine, world);
criterion_main!(benches);
