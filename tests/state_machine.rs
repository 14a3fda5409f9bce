//! Adversary tier: a state-machine fuzzer of one eltoo channel, after rust-lightning's
//! `chanmon_consistency` — the bounded version, in every `cargo test`. The harness (steps,
//! the two sides and the ledger, the invariants, the final publish-and-enforce) is
//! `tests/common/state_machine.rs`, shared with the cargo-fuzz target `state_machine` of
//! `fuzz/` for long runs; here proptest draws the cases, and the named regression cases, the
//! fuzz target's seed corpus and a few fixed byte strings run through the same harness.
//!
//! `ASYNCPAY_WRITE_FUZZ_CORPUS=1 cargo test --test state_machine write_fuzz_corpus` writes the
//! named cases below as the seed corpus `fuzz/corpus/state_machine/seed-*`.

mod common;

#[path = "common/state_machine.rs"]
mod harness;

use harness::{case_from_bytes, case_to_bytes, run_case, Case, Step, MAX_STEPS};
use proptest::prelude::*;

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (any::<bool>(), any::<bool>(), 0u64..200_000).prop_map(|(p, f, amount)| {
            Step::Update { client_proposes: p, client_signs_first: f, amount }
        }),
        1 => (any::<bool>(), any::<bool>())
            .prop_map(|(p, finish)| Step::Interrupted { client_proposes: p, finish }),
        1 => any::<bool>().prop_map(|client| Step::Backup { client }),
        1 => (any::<bool>(), 0usize..8).prop_map(|(client, which)| Step::Restore { client, which }),
        1 => any::<bool>().prop_map(|backup_after_accept| Step::HostileReaccept { backup_after_accept }),
        1 => (1u8..4).prop_map(Step::Mine),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        1u8..90,
        proptest::collection::vec(step(), 0..=MAX_STEPS),
        0usize..256,
        any::<bool>(),
    )
        .prop_map(|(seed, steps, published, fee_first)| Case {
            seed,
            steps,
            published,
            fee_first,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn random_interleavings_keep_every_invariant(
        seed in 1u8..90,
        steps in proptest::collection::vec(step(), 1..24),
        published in any::<usize>(),
        fee_first in any::<bool>(),
    ) {
        run_case(seed, &steps, published, fee_first);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The fuzz target's decoder covers every case of the strategy: what the fuzzer mutates
    /// is the same space proptest draws from.
    #[test]
    fn fuzz_input_decodes_back_to_the_case(case in case()) {
        prop_assert_eq!(case_from_bytes(&case_to_bytes(&case)), Some(case));
    }

    /// Every byte string decodes (or is too short), within the step bound.
    #[test]
    fn any_fuzz_input_decodes_within_bounds(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        match case_from_bytes(&data) {
            None => prop_assert!(data.len() < 3),
            Some(case) => {
                prop_assert!((1..90).contains(&case.seed));
                prop_assert!(case.steps.len() <= MAX_STEPS);
            }
        }
    }
}

fn a_restored_client_publishes_its_oldest_state() -> Case {
    Case {
        seed: 7,
        steps: vec![
            Step::Backup { client: true },
            Step::Update {
                client_proposes: true,
                client_signs_first: true,
                amount: 100_000,
            },
            Step::Update {
                client_proposes: false,
                client_signs_first: false,
                amount: 50_000,
            },
            Step::Restore {
                client: true,
                which: 0,
            },
        ],
        published: 0,
        fee_first: true,
    }
}

fn a_hostile_reaccept(backup_after_accept: bool) -> Case {
    Case {
        seed: 8,
        steps: vec![
            Step::HostileReaccept {
                backup_after_accept,
            },
            Step::Mine(1),
        ],
        published: 0,
        fee_first: false,
    }
}

#[test]
fn a_restored_client_publishes_its_oldest_state_behind_a_fee_input_and_loses() {
    a_restored_client_publishes_its_oldest_state().run();
}

#[test]
fn a_hostile_reaccept_after_a_restore_never_signs_twice_with_one_nonce() {
    for backup_after_accept in [false, true] {
        a_hostile_reaccept(backup_after_accept).run();
    }
}

/// The seed corpus of the fuzz target: the named cases, and a few that reach every step.
fn seed_cases() -> Vec<Case> {
    let every_step = Case {
        seed: 42,
        steps: vec![
            Step::Update {
                client_proposes: true,
                client_signs_first: false,
                amount: 120_001,
            },
            Step::Backup { client: false },
            Step::Interrupted {
                client_proposes: false,
                finish: true,
            },
            Step::Mine(3),
            Step::Interrupted {
                client_proposes: true,
                finish: false,
            },
            Step::Backup { client: true },
            Step::Update {
                client_proposes: false,
                client_signs_first: true,
                amount: 7_777,
            },
            Step::HostileReaccept {
                backup_after_accept: true,
            },
            Step::Restore {
                client: false,
                which: 0,
            },
            Step::Update {
                client_proposes: true,
                client_signs_first: true,
                amount: 30_000,
            },
        ],
        published: 2,
        fee_first: true,
    };
    let backups_and_restores = Case {
        seed: 89,
        steps: vec![
            Step::Backup { client: true },
            Step::Backup { client: false },
            Step::Update {
                client_proposes: false,
                client_signs_first: false,
                amount: 199_998,
            },
            Step::Backup { client: true },
            Step::Update {
                client_proposes: true,
                client_signs_first: false,
                amount: 3,
            },
            Step::Restore {
                client: true,
                which: 1,
            },
            Step::Restore {
                client: false,
                which: 7,
            },
            Step::Mine(2),
        ],
        published: 1,
        fee_first: false,
    };
    vec![
        a_restored_client_publishes_its_oldest_state(),
        a_hostile_reaccept(false),
        a_hostile_reaccept(true),
        every_step,
        backups_and_restores,
    ]
}

fn corpus_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/state_machine")
}

/// The fuzz target's path, in every `cargo test`: a few fixed byte strings and every
/// committed seed decode and run through the harness.
#[test]
fn fuzz_inputs_run_through_the_harness() {
    assert_eq!(case_from_bytes(b""), None);
    assert_eq!(case_from_bytes(&[9, 9]), None);
    let fixed: [&[u8]; 4] = [
        &[0, 0, 0],
        &[0xff; 48],
        b"asyncpay: nobody loses money",
        &[
            88, 3, 1, 0x08, 0x30, 0x01, 0x86, 0xa0, 0x1e, 0x2a, 0x1c, 0x0b, 0x20, 0, 0, 7,
        ],
    ];
    for data in fixed {
        case_from_bytes(data).unwrap().run();
    }
    let mut seeds: Vec<_> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("seed-")
        })
        .collect();
    seeds.sort();
    assert_eq!(seeds.len(), seed_cases().len(), "seeds: write_fuzz_corpus");
    for (path, expected) in seeds.iter().zip(seed_cases()) {
        let case = case_from_bytes(&std::fs::read(path).unwrap()).unwrap();
        assert_eq!(
            case,
            expected,
            "{} is stale: write_fuzz_corpus",
            path.display()
        );
        case.run();
    }
}

/// Writes the seed corpus of the fuzz target (only with `ASYNCPAY_WRITE_FUZZ_CORPUS=1`).
#[test]
fn write_fuzz_corpus() {
    if std::env::var_os("ASYNCPAY_WRITE_FUZZ_CORPUS").is_none() {
        return;
    }
    let dir = corpus_dir();
    std::fs::create_dir_all(&dir).unwrap();
    for (i, case) in seed_cases().iter().enumerate() {
        std::fs::write(dir.join(format!("seed-{i:02}")), case_to_bytes(case)).unwrap();
    }
}
