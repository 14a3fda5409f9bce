//! Adversary tier: the state-machine fuzzer of asynchronous payments — A, B and S in one
//! process, random interleavings of payments, receives, claims, syncs, cancels, S's watcher,
//! blocks, backups and restores, S's restarts and crashes at the protocol's crash points —
//! the bounded version, in every `cargo test`. The harness and its invariants are
//! `tests/common/network.rs`, shared with the cargo-fuzz target `payments` of `fuzz/`.

#[path = "common/network.rs"]
mod network;

use network::{case_from_bytes, run_case, step_from_byte, Step, Who};
use proptest::prelude::*;

fn step() -> impl Strategy<Value = Step> {
    any::<u8>().prop_map(step_from_byte)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn random_interleavings_keep_every_invariant(steps in proptest::collection::vec(step(), 1..20)) {
        run_case(&steps);
    }
}

/// A's session (one context for all its commands, as the REPL's) keeps the ledger it
/// opened and checks the recent blocks again only when the ledger changed: a recent block
/// edited by hand between two of its commands is refused by the next one (exit 7), as a
/// fresh process refuses it.
#[test]
fn a_session_refuses_a_ledger_edited_between_two_of_its_commands() {
    let mut world = network::World::new();
    world.a.ok("wallet balance");
    world.a.ok("wallet balance");
    let db = rusqlite::Connection::open(world.chain_dir().join("ledger.sqlite")).unwrap();
    let edited = db
        .execute(
            "UPDATE transactions SET raw = CAST(raw || x'00' AS BLOB) WHERE position = 0 \
             AND height = (SELECT MAX(height) FROM blocks)",
            [],
        )
        .unwrap();
    assert_eq!(edited, 1);
    let refused = world.a.run("wallet balance").unwrap_err();
    let shown = format!("{refused:?}");
    assert_eq!(refused.kind.code(), 7, "{shown}");
    assert!(shown.contains("ledger"), "{shown}");
}

/// The honest story: A pays twice, B receives one and claims later, S watches.
#[test]
fn honest_payments_settle_to_the_satoshi() {
    run_case(&[
        Step::Pay { amount: 1 },
        Step::Pay { amount: 2 },
        Step::Receive { no_claim: true },
        Step::Watch,
        Step::Claim,
        Step::Sync(Who::A),
    ]);
}

/// A keeps a backup, pays, B sells and claims, A goes back to the backup (it cheats with the
/// state before the payment): S still ends with what A paid.
#[test]
fn a_payer_restored_to_before_its_payment_cannot_take_it_back() {
    run_case(&[
        Step::Backup(Who::A),
        Step::Pay { amount: 3 },
        Step::Receive { no_claim: true },
        Step::Mine(1),
        Step::Restore {
            who: Who::A,
            which: 0,
        },
        Step::Claim,
        Step::Watch,
    ]);
}

/// A goes back to its backup from before a paid payment and publishes that old state: S
/// rebinds its latest and loses nothing; B keeps what it was paid.
#[test]
fn a_stale_payer_publishing_its_old_state_takes_nothing() {
    run_case(&[
        Step::Backup(Who::A),
        Step::Pay { amount: 2 },
        Step::Receive { no_claim: false },
        Step::Sync(Who::A),
        Step::Restore {
            who: Who::A,
            which: 0,
        },
        Step::ForceClose(Who::A),
        Step::Mine(3),
        Step::Watch,
    ]);
}

/// S goes back to its backup from before a payment (it "forgets" it was paid): the honest A
/// and B still get exactly their balances.
#[test]
fn a_server_restored_from_a_backup_cannot_take_the_clients_money() {
    run_case(&[
        Step::Backup(Who::S),
        Step::Pay { amount: 3 },
        Step::Receive { no_claim: false },
        Step::Sync(Who::A),
        Step::Restore {
            who: Who::S,
            which: 0,
        },
        Step::Watch,
        Step::Mine(2),
        Step::Sync(Who::B),
    ]);
}

/// B sells, then gives the payment back off-chain (once crashing after signing the fail
/// state): A's money comes back, S pays nothing.
#[test]
fn a_sale_given_back_returns_the_money() {
    run_case(&[
        Step::Pay { amount: 2 },
        Step::Receive { no_claim: true },
        Step::GiveBack {
            which: 0,
            crash: true,
        },
        Step::GiveBack {
            which: 0,
            crash: false,
        },
        Step::Watch,
        Step::Sync(Who::A),
    ]);
}

/// A crashes in a cancel right after S agreed, and pays again at once: the cancel is
/// finished first, and the second payment is paid.
#[test]
fn a_cancel_interrupted_after_s_agreed_is_finished_by_the_next_pay() {
    run_case(&[
        Step::Pay { amount: 1 },
        Step::Cancel {
            which: 0,
            crash: true,
        },
        Step::Pay { amount: 2 },
        Step::Receive { no_claim: false },
        Step::Sync(Who::A),
    ]);
}

/// Crashes at each crash point, then everything resumes.
#[test]
fn crashes_at_every_crash_point_resume() {
    run_case(&[
        Step::CrashPay {
            amount: 0,
            nonces: false,
        },
        Step::Sync(Who::A),
        Step::CrashPay {
            amount: 1,
            nonces: true,
        },
        Step::Sync(Who::A),
        Step::Pay { amount: 2 },
        Step::CrashSale,
        Step::RestartS,
        Step::Receive { no_claim: true },
        Step::GiveBack {
            which: 0,
            crash: true,
        },
        Step::Sync(Who::A),
        Step::Pay { amount: 1 },
        Step::Receive { no_claim: false },
        Step::Sync(Who::A),
    ]);
}

/// Fixed byte strings through the fuzz target's decoder.
#[test]
fn fuzzer_bytes_decode_to_cases() {
    run_case(&case_from_bytes(&[
        0x10, 0x03, 0x0a, 0x21, 0x13, 0x0b, 0x04, 0x09, 0x0c, 0x15,
    ]));
}

/// Found by the fuzzer: B sells, blocks pass until the PTLC is too near its expiry to reveal
/// the scalar off-chain, so B claims on chain; S learns the scalar there and is paid by A's
/// update. A's record must say paid too.
#[test]
fn a_claim_on_chain_near_the_expiry_is_paid_in_every_record() {
    run_case(&case_from_bytes(&[
        0x10, 0x20, 0x13, 0x07, 0x10, 0x59, 0x04, 0x32,
    ]));
}
