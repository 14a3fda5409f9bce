//! The relay policy of the embedded ledger, checked against a real node: every scenario
//! runs on the ledger and, when `BITCOIND_EXE` names a Bitcoin Inquisition `bitcoind`, the
//! same transactions run on it (regtest, 127.0.0.1, default policy). Both must take and
//! refuse the same transactions, with the same reject reason: what passes on the embedded
//! default passes on Inquisition. Coins are anyone-can-spend P2WSH outputs, so the
//! transactions need no signatures and are byte for byte the same on both.

use std::collections::BTreeSet;

use asyncpay::chain::{Ledger, LedgerError};
use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};
use serde_json::json;

mod common;

use common::bitcoind::{burn_address, burn_witness, Bitcoind};

/// The anyone-can-spend P2WSH script coins and outputs use.
fn burn() -> ScriptBuf {
    ScriptBuf::new_p2wsh(&ScriptBuf::from(vec![0x51]).wscript_hash())
}

/// A mempool to try transactions on.
trait Pool {
    fn name(&self) -> &'static str;
    /// A new confirmed coin of `sat` paying [`burn`].
    fn coin(&self, sat: u64) -> OutPoint;
    fn submit(&self, tx: &Transaction) -> Result<(), String>;
    fn package(&self, txs: &[Transaction]) -> Result<(), String>;
    fn mempool(&self) -> BTreeSet<Txid>;
    fn mine(&self);
    fn height(&self) -> u32;
}

struct LedgerPool {
    _dir: tempfile::TempDir,
    ledger: Ledger,
}

fn message(e: LedgerError) -> String {
    match e {
        LedgerError::Rejected(r) => r.to_string(),
        other => panic!("the ledger failed: {other}"),
    }
}

impl Pool for LedgerPool {
    fn name(&self) -> &'static str {
        "ledger"
    }
    fn coin(&self, sat: u64) -> OutPoint {
        self.ledger.fund(&burn(), Amount::from_sat(sat)).unwrap()
    }
    fn submit(&self, tx: &Transaction) -> Result<(), String> {
        self.ledger.submit(tx).map(drop).map_err(message)
    }
    fn package(&self, txs: &[Transaction]) -> Result<(), String> {
        self.ledger.submit_package(txs).map(drop).map_err(message)
    }
    fn mempool(&self) -> BTreeSet<Txid> {
        let txs = self.ledger.mempool().unwrap();
        txs.iter().map(Transaction::compute_txid).collect()
    }
    fn mine(&self) {
        self.ledger.mine(1, None).unwrap();
    }
    fn height(&self) -> u32 {
        self.ledger.tip().unwrap().height
    }
}

struct NodePool {
    node: Bitcoind,
    next_coinbase: std::cell::Cell<u64>,
}

impl NodePool {
    fn new(node: Bitcoind) -> NodePool {
        node.mine(150);
        NodePool {
            node,
            next_coinbase: std::cell::Cell::new(1),
        }
    }
}

impl Pool for NodePool {
    fn name(&self) -> &'static str {
        "bitcoind"
    }
    fn coin(&self, sat: u64) -> OutPoint {
        let height = self.next_coinbase.get();
        self.next_coinbase.set(height + 1);
        let (coinbase, value) = self.node.burn_coin(height);
        let split = spend(
            2,
            &[(coinbase, false)],
            &[(burn(), sat), (burn(), value.to_sat() - sat - 1_000)],
        );
        self.submit(&split).unwrap();
        self.mine();
        OutPoint::new(split.compute_txid(), 0)
    }
    fn submit(&self, tx: &Transaction) -> Result<(), String> {
        let hex = bitcoin::consensus::encode::serialize_hex(tx);
        self.node
            .try_call("sendrawtransaction", &[json!(hex)])
            .map(drop)
    }
    fn package(&self, txs: &[Transaction]) -> Result<(), String> {
        let hexes: Vec<String> = txs
            .iter()
            .map(bitcoin::consensus::encode::serialize_hex)
            .collect();
        let answer = self.node.try_call("submitpackage", &[json!(hexes)])?;
        let msg = answer["package_msg"].as_str().unwrap();
        if msg == "success" {
            return Ok(());
        }
        if msg != "transaction failed" {
            return Err(msg.to_owned());
        }
        // A transaction's own error, the child's first.
        let results = &answer["tx-results"];
        Err(txs
            .iter()
            .rev()
            .filter_map(|t| results[t.compute_wtxid().to_string()]["error"].as_str())
            .find(|e| *e != "unevaluated")
            .unwrap_or(msg)
            .to_owned())
    }
    fn mempool(&self) -> BTreeSet<Txid> {
        self.node
            .mempool()
            .iter()
            .map(|t| t.parse().unwrap())
            .collect()
    }
    fn mine(&self) {
        self.node.mine_to(1, &burn_address());
    }
    fn height(&self) -> u32 {
        self.node.height() as u32
    }
}

/// A transaction of `version` spending `inputs` (`true`: a pay-to-anchor output, spent with
/// an empty witness; else a [`burn`] coin) to `outputs`.
fn spend(version: i32, inputs: &[(OutPoint, bool)], outputs: &[(ScriptBuf, u64)]) -> Transaction {
    Transaction {
        version: Version(version),
        lock_time: LockTime::ZERO,
        input: inputs
            .iter()
            .map(|(outpoint, anchor)| TxIn {
                previous_output: *outpoint,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: if *anchor {
                    Witness::new()
                } else {
                    Witness::from_slice(&burn_witness())
                },
            })
            .collect(),
        output: outputs
            .iter()
            .map(|(script, sat)| TxOut {
                value: Amount::from_sat(*sat),
                script_pubkey: script.clone(),
            })
            .collect(),
    }
}

/// A channel-like zero-fee version 3 parent: the whole `coin` out, then a zero-value anchor.
fn anchored(coin: OutPoint, sat: u64) -> Transaction {
    spend(
        3,
        &[(coin, false)],
        &[(burn(), sat), (ScriptBuf::new_p2a(), 0)],
    )
}

/// A version 3 child paying `fee` for `parent` through its anchor (output 1), from `coin`.
fn anchor_child(parent: &Transaction, coin: OutPoint, coin_sat: u64, fee: u64) -> Transaction {
    spend(
        3,
        &[
            (OutPoint::new(parent.compute_txid(), 1), true),
            (coin, false),
        ],
        &[(burn(), coin_sat - fee)],
    )
}

fn on_both(test: &str, scenario: impl Fn(&dyn Pool)) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path().join("chain")).unwrap();
    scenario(&LedgerPool { _dir: dir, ledger });
    if let Some(node) = Bitcoind::start(test, &[]) {
        scenario(&NodePool::new(node));
    }
}

#[track_caller]
fn refused(pool: &dyn Pool, result: Result<(), String>, reason: &str) -> String {
    match result {
        Err(e) if e.starts_with(reason) => e,
        other => panic!(
            "{}: expected a refusal for {reason:?}, got {other:?}",
            pool.name()
        ),
    }
}

#[track_caller]
fn taken(pool: &dyn Pool, result: Result<(), String>) {
    if let Err(e) = result {
        panic!("{}: refused: {e}", pool.name());
    }
}

#[test]
fn nothing_below_the_minimum_relay_fee_alone() {
    on_both("nothing_below_the_minimum_relay_fee_alone", |pool| {
        let coin = pool.coin(50_000);
        // A channel transaction alone: refused, with the node's exact words.
        let parent = anchored(coin, 50_000);
        let e = refused(pool, pool.submit(&parent), "min relay fee not met");
        assert_eq!(e, format!("min relay fee not met, 0 < {}", parent.vsize()));
        // An ordinary transaction paying 1 sat less than 1 sat/vB, then exactly that.
        let probe = spend(2, &[(coin, false)], &[(burn(), 50_000)]);
        let vsize = probe.vsize() as u64;
        let low = spend(2, &[(coin, false)], &[(burn(), 50_000 - vsize + 1)]);
        let e = refused(pool, pool.submit(&low), "min relay fee not met");
        assert_eq!(e, format!("min relay fee not met, {} < {vsize}", vsize - 1));
        taken(
            pool,
            pool.submit(&spend(2, &[(coin, false)], &[(burn(), 50_000 - vsize)])),
        );
        // A zero-value output on a transaction paying a fee is dust.
        let other = pool.coin(50_000);
        let paying = spend(
            3,
            &[(other, false)],
            &[(burn(), 49_000), (ScriptBuf::new_p2a(), 0)],
        );
        let e = refused(pool, pool.submit(&paying), "dust");
        assert_eq!(e, "dust, tx with dust output must be 0-fee");
        // Two zero-value outputs are dust too, whatever the fee.
        let two = spend(
            3,
            &[(other, false)],
            &[
                (burn(), 50_000),
                (ScriptBuf::new_p2a(), 0),
                (ScriptBuf::new_p2a(), 0),
            ],
        );
        refused(pool, pool.submit(&two), "dust");
        // Versions beyond 3 are not relayed.
        refused(
            pool,
            pool.submit(&spend(4, &[(other, false)], &[(burn(), 49_000)])),
            "version",
        );
    });
}

#[test]
fn a_zero_fee_parent_goes_in_a_package_with_the_child_that_spends_its_anchor() {
    on_both(
        "a_zero_fee_parent_goes_in_a_package_with_the_child_that_spends_its_anchor",
        |pool| {
            let (coin, fee_coin) = (pool.coin(100_000), pool.coin(20_000));
            let parent = anchored(coin, 100_000);
            // A child that pays for the parent but leaves its anchor unspent.
            let stingy = spend(
                3,
                &[
                    (OutPoint::new(parent.compute_txid(), 0), false),
                    (fee_coin, false),
                ],
                &[(burn(), 100_000 + 20_000 - 2_000)],
            );
            // (The burn output of the parent is spendable by the same witness.)
            refused(
                pool,
                pool.package(&[parent.clone(), stingy]),
                "unspent-dust",
            );
            // A child whose package pays less than 1 sat/vB.
            let total =
                parent.vsize() as u64 + anchor_child(&parent, fee_coin, 20_000, 0).vsize() as u64;
            let cheap = anchor_child(&parent, fee_coin, 20_000, total - 1);
            refused(
                pool,
                pool.package(&[parent.clone(), cheap]),
                "min relay fee not met",
            );
            assert!(pool.mempool().is_empty(), "{}", pool.name());
            // A child paying enough: both go in, and both are mined.
            let child = anchor_child(&parent, fee_coin, 20_000, 1_000);
            taken(pool, pool.package(&[parent.clone(), child.clone()]));
            let both: BTreeSet<Txid> = [parent.compute_txid(), child.compute_txid()].into();
            assert_eq!(pool.mempool(), both, "{}", pool.name());
            // Submitting the same package again changes nothing.
            taken(pool, pool.package(&[parent.clone(), child.clone()]));
            pool.mine();
            assert!(pool.mempool().is_empty(), "{}", pool.name());
        },
    );
}

#[test]
fn truc_transactions_keep_to_their_topology() {
    on_both("truc_transactions_keep_to_their_topology", |pool| {
        let (a, b, c) = (pool.coin(100_000), pool.coin(20_000), pool.coin(20_000));
        // A version 2 parent in the mempool; a version 3 child of it is refused.
        let v2 = spend(2, &[(a, false)], &[(burn(), 99_000)]);
        taken(pool, pool.submit(&v2));
        let v2_out = OutPoint::new(v2.compute_txid(), 0);
        let truc_child = spend(3, &[(v2_out, false)], &[(burn(), 98_000)]);
        let e = refused(pool, pool.submit(&truc_child), "TRUC-violation");
        assert!(
            e.contains("cannot spend from non-version=3 tx"),
            "{}: {e}",
            pool.name()
        );
        pool.mine();

        // A version 3 package; a version 2 child of the parent is refused.
        let parent = anchored(v2_out, 99_000);
        let child = anchor_child(&parent, b, 20_000, 1_000);
        taken(pool, pool.package(&[parent.clone(), child.clone()]));
        let parent_out = OutPoint::new(parent.compute_txid(), 0);
        let v2_child = spend(2, &[(parent_out, false)], &[(burn(), 98_000)]);
        let e = refused(pool, pool.submit(&v2_child), "TRUC-violation");
        assert!(e.contains("non-version=3 tx"), "{}: {e}", pool.name());
        // A grandchild is one ancestor too many.
        let grandchild = spend(
            3,
            &[(OutPoint::new(child.compute_txid(), 0), false)],
            &[(burn(), 18_000)],
        );
        let e = refused(pool, pool.submit(&grandchild), "TRUC-violation");
        assert!(
            e.ends_with("would have too many ancestors"),
            "{}: {e}",
            pool.name()
        );
        // A child over 1,000 vB is too big.
        let big = spend(
            3,
            &[(OutPoint::new(parent.compute_txid(), 1), true), (c, false)],
            &vec![(burn(), 330); 30],
        );
        let e = refused(pool, pool.submit(&big), "TRUC-violation");
        assert!(e.contains("is too big"), "{}: {e}", pool.name());
    });
}

#[test]
fn a_second_child_replaces_the_first_only_by_paying_more() {
    on_both(
        "a_second_child_replaces_the_first_only_by_paying_more",
        |pool| {
            let (coin, b, c) = (pool.coin(100_000), pool.coin(20_000), pool.coin(20_000));
            let parent = anchored(coin, 100_000);
            let first = anchor_child(&parent, b, 20_000, 1_000);
            taken(pool, pool.package(&[parent.clone(), first.clone()]));
            // A sibling spending the parent's other output but not its anchor: refused, even
            // paying well (no sibling eviction around the anchor).
            let sibling = spend(
                3,
                &[(OutPoint::new(parent.compute_txid(), 0), false), (c, false)],
                &[(burn(), 120_000 - 5_000)],
            );
            refused(pool, pool.submit(&sibling), "missing-ephemeral-spends");
            // Another child on the anchor paying less than the first: refused.
            let e = refused(
                pool,
                pool.submit(&anchor_child(&parent, c, 20_000, 900)),
                "insufficient fee",
            );
            assert!(e.contains("new feerate"), "{}: {e}", pool.name());
            // Paying more than the first, but not for its own relay too: refused.
            let e = refused(
                pool,
                pool.submit(&anchor_child(&parent, c, 20_000, 1_050)),
                "insufficient fee",
            );
            assert!(
                e.contains("not enough additional fees to relay"),
                "{}: {e}",
                pool.name()
            );
            // Paying enough: it takes the first one's place.
            let better = anchor_child(&parent, c, 20_000, 3_000);
            taken(pool, pool.submit(&better));
            let now: BTreeSet<Txid> = [parent.compute_txid(), better.compute_txid()].into();
            assert_eq!(pool.mempool(), now, "{}", pool.name());
        },
    );
}

#[test]
fn a_conflicting_transaction_replaces_only_by_outbidding() {
    on_both(
        "a_conflicting_transaction_replaces_only_by_outbidding",
        |pool| {
            let (coin, other) = (pool.coin(50_000), pool.coin(10_000));
            let original = spend(2, &[(coin, false)], &[(burn(), 49_000)]);
            taken(pool, pool.submit(&original));
            let child = spend(
                2,
                &[(OutPoint::new(original.compute_txid(), 0), false)],
                &[(burn(), 48_000)],
            );
            taken(pool, pool.submit(&child));
            // A lower fee rate: refused.
            let lower = spend(2, &[(coin, false)], &[(burn(), 49_500)]);
            let e = refused(pool, pool.submit(&lower), "insufficient fee");
            assert!(e.contains("new feerate"), "{}: {e}", pool.name());
            // A higher rate but less than the original and its child paid together.
            let short = spend(2, &[(coin, false)], &[(burn(), 48_500)]);
            let e = refused(pool, pool.submit(&short), "insufficient fee");
            assert!(
                e.contains("less fees than conflicting txs"),
                "{}: {e}",
                pool.name()
            );
            // Spending what it replaces is inconsistent.
            let circular = spend(
                2,
                &[
                    (coin, false),
                    (OutPoint::new(child.compute_txid(), 0), false),
                ],
                &[(burn(), 40_000)],
            );
            refused(
                pool,
                pool.submit(&circular),
                "bad-txns-spends-conflicting-tx",
            );
            // Enough to pay for both and its own relay: the original and its child are gone.
            let replacement = spend(2, &[(coin, false), (other, false)], &[(burn(), 55_000)]);
            taken(pool, pool.submit(&replacement));
            let now: BTreeSet<Txid> = [replacement.compute_txid()].into();
            assert_eq!(pool.mempool(), now, "{}", pool.name());
        },
    );
}

#[test]
fn a_package_replaces_an_old_parent_and_child_by_outbidding_them() {
    on_both(
        "a_package_replaces_an_old_parent_and_child_by_outbidding_them",
        |pool| {
            let (coin, b, c) = (pool.coin(100_000), pool.coin(20_000), pool.coin(20_000));
            // An old channel state with its child in the mempool; a newer one spends the same
            // output (as the latest update rebinds to the funding output).
            let old = anchored(coin, 100_000);
            let old_child = anchor_child(&old, b, 20_000, 2_000);
            taken(pool, pool.package(&[old.clone(), old_child.clone()]));
            let mut new = anchored(coin, 100_000);
            new.input[0].sequence = Sequence(0xffff_fffc);
            // Alone it pays nothing; with a child paying less than the old package: refused.
            refused(pool, pool.submit(&new), "min relay fee not met");
            let cheap = anchor_child(&new, c, 20_000, 1_500);
            refused(
                pool,
                pool.package(&[new.clone(), cheap]),
                "package RBF failed: insufficient anti-DoS fees",
            );
            // Outbidding it: the old package is gone.
            let child = anchor_child(&new, c, 20_000, 4_000);
            taken(pool, pool.package(&[new.clone(), child.clone()]));
            let now: BTreeSet<Txid> = [new.compute_txid(), child.compute_txid()].into();
            assert_eq!(pool.mempool(), now, "{}", pool.name());
            pool.mine();
            assert!(pool.mempool().is_empty(), "{}", pool.name());
        },
    );
}

#[test]
fn locktimes_and_spent_inputs_in_the_nodes_words() {
    on_both("locktimes_and_spent_inputs_in_the_nodes_words", |pool| {
        let coin = pool.coin(50_000);
        let mut early = spend(2, &[(coin, false)], &[(burn(), 49_000)]);
        early.lock_time = LockTime::from_height(pool.height() + 2).unwrap();
        refused(pool, pool.submit(&early), "non-final");
        let mut relative = spend(2, &[(coin, false)], &[(burn(), 49_000)]);
        relative.input[0].sequence = Sequence::from_height(3);
        refused(pool, pool.submit(&relative), "non-BIP68-final");
        pool.mine();
        pool.mine();
        taken(pool, pool.submit(&relative));
        pool.mine();
        let again = spend(2, &[(coin, false)], &[(burn(), 40_000)]);
        refused(pool, pool.submit(&again), "bad-txns-inputs-missingorspent");
    });
}

// ---------------------------------------------------------------------------------------
// Found by an attacker's review: each was a divergence between the ledger and the node.

fn out(tx: &Transaction, vout: u32) -> OutPoint {
    OutPoint::new(tx.compute_txid(), vout)
}

/// A child in a package may spend only package parents and confirmed coins
/// (validation.cpp AcceptPackage, "package-not-child-with-unconfirmed-parents").
#[test]
fn package_child_spending_a_mempool_tx_outside_the_package() {
    on_both(
        "package_child_spending_a_mempool_tx_outside_the_package",
        |pool| {
            let (a, b) = (pool.coin(50_000), pool.coin(50_000));
            let m = spend(2, &[(a, false)], &[(burn(), 49_000)]);
            taken(pool, pool.submit(&m));
            let p = spend(2, &[(b, false)], &[(burn(), 49_000)]);
            let c = spend(
                2,
                &[(out(&p, 0), false), (out(&m, 0), false)],
                &[(burn(), 96_000)],
            );
            refused(
                pool,
                pool.package(&[p, c]),
                "package-not-child-with-unconfirmed-parents",
            );
        },
    );
}

/// A package whose parent is already confirmed: the child goes in, and the package fails
/// for the parent (`txn-already-known`).
#[test]
fn package_with_a_confirmed_parent() {
    on_both("package_with_a_confirmed_parent", |pool| {
        let (coin, f1, f2) = (pool.coin(100_000), pool.coin(20_000), pool.coin(20_000));
        let parent = anchored(coin, 100_000);
        let first = anchor_child(&parent, f1, 20_000, 1_000);
        taken(pool, pool.package(&[parent.clone(), first]));
        pool.mine();
        let second = spend(
            3,
            &[(out(&parent, 0), false), (f2, false)],
            &[(burn(), 119_000)],
        );
        refused(
            pool,
            pool.package(&[parent.clone(), second.clone()]),
            "txn-already-known",
        );
        assert!(
            pool.mempool().contains(&second.compute_txid()),
            "{}: the child went in all the same",
            pool.name()
        );
    });
}

/// submitpackage refuses parents that spend each other (rpc/mempool.cpp IsChildWithParentsTree).
#[test]
fn package_parents_depending_on_each_other() {
    on_both("package_parents_depending_on_each_other", |pool| {
        let a = pool.coin(50_000);
        let p1 = spend(2, &[(a, false)], &[(burn(), 20_000), (burn(), 29_000)]);
        let p2 = spend(2, &[(out(&p1, 0), false)], &[(burn(), 19_000)]);
        let c = spend(
            2,
            &[(out(&p1, 1), false), (out(&p2, 0), false)],
            &[(burn(), 47_000)],
        );
        refused(
            pool,
            pool.package(&[p1, p2, c]),
            "package topology disallowed",
        );
    });
}

/// submitpackage takes 2 to 25 transactions.
#[test]
fn package_of_one() {
    on_both("package_of_one", |pool| {
        let a = pool.coin(50_000);
        let t = spend(2, &[(a, false)], &[(burn(), 49_000)]);
        refused(
            pool,
            pool.package(&[t]),
            "Array must contain between 2 and 25",
        );
    });
}

/// Package RBF compares feerate diagrams (txmempool.cpp CalculateChunksForRBF,
/// feefrac.cpp CompareChunks): an old parent paying a higher rate than the new package is
/// a chunk of its own, which the new package must not fall below.
#[test]
fn package_rbf_diagram_with_a_high_fee_old_parent() {
    on_both("package_rbf_diagram_with_a_high_fee_old_parent", |pool| {
        let (coin, fee_coin) = (pool.coin(100_000), pool.coin(20_000));
        let probe = spend(2, &[(coin, false)], &[(burn(), 100_000)]);
        let sp = probe.vsize() as u64;
        let old = spend(2, &[(coin, false)], &[(burn(), 100_000 - 20 * sp)]);
        let probe_c = spend(2, &[(out(&old, 0), false)], &[(burn(), 0)]);
        let sc = probe_c.vsize() as u64;
        let old_child = spend(
            2,
            &[(out(&old, 0), false)],
            &[(burn(), 100_000 - 20 * sp - sc)],
        );
        taken(pool, pool.submit(&old));
        taken(pool, pool.submit(&old_child));
        let (fp, fc) = (20 * sp, sc);
        let new = anchored(coin, 100_000);
        let s = new.vsize() as u64 + anchor_child(&new, fee_coin, 20_000, 0).vsize() as u64;
        // Above the old cluster's rate and its fees plus relay, below the old parent's rate.
        let f = ((fp + fc) * s / (sp + sc) + s).max(fp + fc + s) + 10;
        assert!(f * 1000 / s < fp * 1000 / sp, "{f} {s} {fp} {sp}");
        let child = anchor_child(&new, fee_coin, 20_000, f);
        refused(
            pool,
            pool.package(&[new, child]),
            "package RBF failed: insufficient feerate: does not improve feerate diagram",
        );
    });
}

/// Package RBF only for conflicts in clusters of at most two (txmempool.cpp
/// CheckConflictTopology): an old parent with two children cannot be package-replaced.
#[test]
fn package_rbf_of_a_parent_with_two_children() {
    on_both("package_rbf_of_a_parent_with_two_children", |pool| {
        let (coin, fee_coin) = (pool.coin(100_000), pool.coin(50_000));
        let old = spend(2, &[(coin, false)], &[(burn(), 49_500), (burn(), 49_500)]);
        taken(pool, pool.submit(&old));
        taken(
            pool,
            pool.submit(&spend(2, &[(out(&old, 0), false)], &[(burn(), 49_000)])),
        );
        taken(
            pool,
            pool.submit(&spend(2, &[(out(&old, 1), false)], &[(burn(), 49_000)])),
        );
        let new = anchored(coin, 100_000);
        let child = anchor_child(&new, fee_coin, 50_000, 20_000);
        refused(pool, pool.package(&[new, child]), "package RBF failed: ");
    });
}

/// Default ancestor/descendant limits: 25 (validation.cpp "too-long-mempool-chain").
#[test]
fn chain_of_26_unconfirmed() {
    on_both("chain_of_26_unconfirmed", |pool| {
        let mut prev = pool.coin(100_000);
        let mut value = 100_000;
        for i in 0..26 {
            value -= 500;
            let t = spend(2, &[(prev, false)], &[(burn(), value)]);
            let r = pool.submit(&t);
            if i < 25 {
                taken(pool, r);
            } else {
                refused(pool, r, "too-long-mempool-chain");
            }
            prev = out(&t, 0);
        }
    });
}

/// A parent refused alone for rules 3/4 (less fees than what it replaces) is reconsidered
/// with its child: PaysForRBF failure is TX_RECONSIDERABLE (validation.cpp ReplacementChecks).
#[test]
fn parent_short_of_rule_3_alone_is_reconsidered_in_its_package() {
    on_both(
        "parent_short_of_rule_3_alone_is_reconsidered_in_its_package",
        |pool| {
            let (coin, f1, f2) = (pool.coin(100_000), pool.coin(20_000), pool.coin(20_000));
            // Old: a version 3 parent paying 5 sat/vB, no anchor, and a child paying 3,000.
            let probe = spend(3, &[(coin, false)], &[(burn(), 100_000)]);
            let sp = probe.vsize() as u64;
            let old = spend(3, &[(coin, false)], &[(burn(), 100_000 - 5 * sp)]);
            let old_child = spend(
                3,
                &[(out(&old, 0), false), (f1, false)],
                &[(burn(), 100_000 - 5 * sp + 20_000 - 3_000)],
            );
            taken(pool, pool.package(&[old.clone(), old_child]));
            // New parent at 6 sat/vB (rule 6 holds), far less than 3,000 in total.
            let mut new = spend(3, &[(coin, false)], &[(burn(), 100_000 - 6 * sp)]);
            new.input[0].sequence = Sequence(0xffff_fffc);
            let child = spend(
                3,
                &[(out(&new, 0), false), (f2, false)],
                &[(burn(), 100_000 - 6 * sp + 20_000 - 6_000)],
            );
            taken(pool, pool.package(&[new, child]));
        },
    );
}

/// Transactions under 65 non-witness bytes are not relayed (validation.cpp "tx-size-small").
#[test]
fn tiny_transaction() {
    on_both("tiny_transaction", |pool| {
        let a = pool.coin(1_000);
        let t = spend(2, &[(a, false)], &[(ScriptBuf::new_op_return([]), 0)]);
        refused(pool, pool.submit(&t), "tx-size-small");
    });
}

/// sendrawtransaction of a transaction already in the mempool succeeds on the node.
#[test]
fn resubmitting_a_mempool_transaction() {
    on_both("resubmitting_a_mempool_transaction", |pool| {
        let a = pool.coin(50_000);
        let t = spend(2, &[(a, false)], &[(burn(), 49_000)]);
        taken(pool, pool.submit(&t));
        taken(pool, pool.submit(&t));
    });
}

/// Package RBF where the new child re-spends the old child's fee coin (two direct
/// conflicts: the old parent and the old child). Core's diagram puts the old child with its
/// parent in one chunk; the ledger compares the package with the old child's own rate.
#[test]
fn package_rbf_reusing_the_old_childs_coin() {
    on_both("package_rbf_reusing_the_old_childs_coin", |pool| {
        let (coin, f1) = (pool.coin(100_000), pool.coin(20_000));
        let old = anchored(coin, 100_000);
        let old_child = anchor_child(&old, f1, 20_000, 2_000);
        taken(pool, pool.package(&[old.clone(), old_child.clone()]));
        let mut new = anchored(coin, 100_000);
        new.input[0].sequence = Sequence(0xffff_fffc);
        let s = new.vsize() as u64 + anchor_child(&new, f1, 20_000, 0).vsize() as u64;
        let (sp, sc) = (old.vsize() as u64, old_child.vsize() as u64);
        let f = (2_000 + s).max(2_000 * s / (sp + sc) + s / 2) + 50;
        assert!(f * 1000 / s < 2_000 * 1000 / sc, "{f} {s} {sc}");
        let child = anchor_child(&new, f1, 20_000, f);
        taken(pool, pool.package(&[new, child]));
    });
}

/// A zero-fee parent whose fee child was replaced away is not mined (a miner takes packages
/// of at least 1 sat/vB): it waits for a new child.
#[test]
fn stripped_parent_is_not_mined() {
    on_both("stripped_parent_is_not_mined", |pool| {
        let (coin, x, y) = (pool.coin(100_000), pool.coin(20_000), pool.coin(20_000));
        let parent = anchored(coin, 100_000);
        let child = anchor_child(&parent, x, 20_000, 1_000);
        taken(pool, pool.package(&[parent.clone(), child]));
        // The stranger double-spends its own coin, dropping its child.
        taken(
            pool,
            pool.submit(&spend(2, &[(x, false)], &[(burn(), 17_000)])),
        );
        assert!(
            pool.mempool().contains(&parent.compute_txid()),
            "{}",
            pool.name()
        );
        pool.mine();
        assert!(
            pool.mempool().contains(&parent.compute_txid()),
            "{}: the stripped zero-fee parent was mined",
            pool.name()
        );
        // A new child on its anchor, and the two are mined.
        let again = anchor_child(&parent, y, 20_000, 1_000);
        taken(pool, pool.submit(&again));
        pool.mine();
        assert!(pool.mempool().is_empty(), "{}", pool.name());
    });
}
