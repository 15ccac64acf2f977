//! The weekly loop allocates nothing: once a worker's scratch and outcome
//! have grown to fit (its first trials), every later trial reuses them, on
//! the plain network and under policy variants whose regime switches and
//! checkpoint resumes copy state into the scratch.
//!
//! The counter counts this thread's heap allocations only, so other tests
//! running at the same time do not disturb it.

use allocation_counter::measure;
use chipshock::network::{Network, ShockTarget};
use chipshock::policy;
use chipshock::sim::variant::VariantEngine;
use chipshock::sim::{Engine, TrialOutcome};

const SEED: u64 = 5;
const TRIALS: std::ops::Range<u64> = 0..120;

fn world() -> Network {
    let (scenario, diags) = chipshock::shipped::load(chipshock::shipped::WORLD).expect("embedded");
    assert!(diags.is_empty());
    chipshock::network::compile(&scenario).expect("the shipped world compiles")
}

/// The counter is live: without it every count would be zero and the
/// assertions below would pass for nothing.
fn assert_counting() {
    let info = measure(|| {
        std::hint::black_box(vec![0u8; 64]);
    });
    assert!(info.count_total > 0, "the allocation counter is not active");
}

/// Plays every trial again (the scratch already fits them), counting this
/// thread's heap allocations: there must be none.
fn assert_replay_allocates_nothing(what: &str, mut play: impl FnMut(u64)) {
    let info = measure(|| {
        for t in TRIALS {
            play(t);
        }
    });
    assert_eq!(
        info.count_total, 0,
        "{what}: {} allocations ({} bytes) in {} trials played again",
        info.count_total, info.bytes_total, TRIALS.end
    );
}

#[test]
fn trials_allocate_nothing_once_the_scratch_fits() {
    assert_counting();
    let net = world();
    let e = Engine::new(&net);
    let mut s = e.scratch();
    let mut out = TrialOutcome::default();
    let mut disrupted = 0;
    for t in TRIALS {
        e.run_trial(SEED, t, &mut s, &mut out, true);
        disrupted += usize::from(!out.fired.is_empty());
    }
    // The trials exercise the weekly loop, not only fast-forward.
    assert!(disrupted > TRIALS.end as usize / 2, "{disrupted} disrupted");
    assert_replay_allocates_nothing("world", |t| e.run_trial(SEED, t, &mut s, &mut out, true));
}

#[test]
fn policy_variants_allocate_nothing_once_the_scratch_fits() {
    assert_counting();
    let net = world();
    // Friendshoring is revoked by a change of government (a regime switch
    // mid-trial); reshoring ramps fabs up (checkpoints to resume from);
    // the stockpile locks reserves.
    for id in ["friendshoring", "reshoring", "stockpile", "all"] {
        let i = net
            .variants
            .iter()
            .position(|v| v.id == id)
            .expect("variant");
        let ve = VariantEngine::new(&policy::apply(&net, i).expect("applies"));
        let mut s = ve.scratch();
        let mut out = TrialOutcome::default();
        let mut revoked = 0;
        for t in TRIALS {
            ve.run_trial(SEED, t, &mut s, &mut out, true);
            revoked +=
                usize::from(out.fired.iter().any(|f| {
                    matches!(net.shocks[f.shock as usize].target, ShockTarget::Revoke(_))
                }));
        }
        // Some trials switch regime when the agreement is torn up.
        assert!(revoked > 0, "variant {id}: no trial revokes an agreement");
        assert_replay_allocates_nothing(&format!("variant {id}"), |t| {
            ve.run_trial(SEED, t, &mut s, &mut out, true)
        });
    }
}
