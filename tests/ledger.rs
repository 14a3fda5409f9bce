//! Integration tests of the local regtest ledger: real files in temporary directories,
//! real signatures, Bitcoin Core's interpreter plus the ledger's BIP118 check.

use std::process::Command;

use asyncpay::chain::store::decode_state;
use asyncpay::chain::{
    faucet_script, Ledger, LedgerError, RejectError, TapscriptError, TxInfo, BLOCK_INTERVAL,
    GENESIS_TIME,
};
use asyncpay::crypto::bip118::{self, KeyVersion, SpendPath};
use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash;
use bitcoin::key::{Keypair, TapTweak};
use bitcoin::opcodes::all::*;
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::secp256k1::{Message, Secp256k1, XOnlyPublicKey};
use bitcoin::sighash::{Prevouts, SighashCache};
use bitcoin::taproot::{ControlBlock, LeafVersion, TaprootBuilder, TaprootSpendInfo};
use bitcoin::transaction::Version;
use bitcoin::{
    Amount, OutPoint, ScriptBuf, Sequence, TapLeafHash, TapSighashType, Transaction, TxIn, TxOut,
    Witness,
};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn keypair(seed: u8) -> Keypair {
    Keypair::from_seckey_slice(&Secp256k1::new(), &[seed; 32]).unwrap()
}

fn xonly(kp: &Keypair) -> XOnlyPublicKey {
    kp.x_only_public_key().0
}

/// Key-path-only P2TR output script of `kp`.
fn p2tr(kp: &Keypair) -> ScriptBuf {
    ScriptBuf::new_p2tr(&Secp256k1::new(), xonly(kp), None)
}

fn anchor() -> ScriptBuf {
    ScriptBuf::from_bytes(vec![0x51, 0x02, 0x4e, 0x73])
}

fn input(outpoint: OutPoint, sequence: u32) -> TxIn {
    TxIn {
        previous_output: outpoint,
        script_sig: ScriptBuf::new(),
        sequence: Sequence(sequence),
        witness: Witness::new(),
    }
}

fn tx(inputs: Vec<TxIn>, outputs: Vec<(ScriptBuf, u64)>) -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: inputs,
        output: outputs
            .into_iter()
            .map(|(script_pubkey, sat)| TxOut {
                value: Amount::from_sat(sat),
                script_pubkey,
            })
            .collect(),
    }
}

fn prevouts(ledger: &Ledger, tx: &Transaction) -> Vec<TxOut> {
    tx.input
        .iter()
        .map(|i| ledger.output(&i.previous_output).unwrap().unwrap())
        .collect()
}

/// Signs input `index` as a key-path spend of `kp`'s P2TR output.
fn sign_key_path(tx: &mut Transaction, index: usize, spent: &[TxOut], kp: &Keypair) {
    let secp = Secp256k1::new();
    let sighash = SighashCache::new(&*tx)
        .taproot_key_spend_signature_hash(index, &Prevouts::All(spent), TapSighashType::Default)
        .unwrap();
    let tweaked = kp.tap_tweak(&secp, None).to_keypair();
    let sig =
        secp.sign_schnorr_no_aux_rand(&Message::from_digest(sighash.to_byte_array()), &tweaked);
    tx.input[index].witness = Witness::p2tr_key_spend(&bitcoin::taproot::Signature {
        signature: sig,
        sighash_type: TapSighashType::Default,
    });
}

/// A P2TR output with internal key `internal` and a single tapscript leaf.
struct Leaf {
    script: ScriptBuf,
    info: TaprootSpendInfo,
}

impl Leaf {
    fn new(internal: &Keypair, script: ScriptBuf) -> Leaf {
        let info = TaprootBuilder::new()
            .add_leaf(0, script.clone())
            .unwrap()
            .finalize(&Secp256k1::new(), xonly(internal))
            .unwrap();
        Leaf { script, info }
    }

    fn script_pubkey(&self) -> ScriptBuf {
        ScriptBuf::new_p2tr_tweaked(self.info.output_key())
    }

    fn control_block(&self) -> ControlBlock {
        self.info
            .control_block(&(self.script.clone(), LeafVersion::TapScript))
            .unwrap()
    }

    fn leaf_hash(&self) -> TapLeafHash {
        TapLeafHash::from_script(&self.script, LeafVersion::TapScript)
    }

    /// Witness: `stack…, script, control block`.
    fn witness(&self, stack: &[Vec<u8>]) -> Witness {
        let mut w = Witness::new();
        for e in stack {
            w.push(e);
        }
        w.push(self.script.as_bytes());
        w.push(self.control_block().serialize());
        w
    }

    /// BIP342 signature (key version 0, SIGHASH_DEFAULT) for input `index`.
    fn sign_bip342(
        &self,
        tx: &Transaction,
        index: usize,
        spent: &[TxOut],
        kp: &Keypair,
    ) -> Vec<u8> {
        let sighash = SighashCache::new(tx)
            .taproot_script_spend_signature_hash(
                index,
                &Prevouts::All(spent),
                self.leaf_hash(),
                TapSighashType::Default,
            )
            .unwrap();
        Secp256k1::new()
            .sign_schnorr_no_aux_rand(&Message::from_digest(sighash.to_byte_array()), kp)
            .as_ref()
            .to_vec()
    }

    /// BIP118 signature with `hash_type` (appended unless 0x00) for input `index`.
    fn sign_bip118(
        &self,
        tx: &Transaction,
        index: usize,
        spent: &[TxOut],
        kp: &Keypair,
        hash_type: u8,
    ) -> Vec<u8> {
        let digest = bip118::signature_hash(
            tx,
            index,
            spent,
            hash_type,
            SpendPath::Tapscript {
                leaf_hash: self.leaf_hash(),
                key_version: KeyVersion::AnyPrevout,
                codesep_pos: 0xffff_ffff,
            },
            None,
        )
        .unwrap();
        let mut sig = Secp256k1::new()
            .sign_schnorr_no_aux_rand(&Message::from_digest(digest), kp)
            .as_ref()
            .to_vec();
        if hash_type != 0 {
            sig.push(hash_type);
        }
        sig
    }
}

fn rejection(result: Result<impl std::fmt::Debug, LedgerError>) -> RejectError {
    match result {
        Err(LedgerError::Rejected(e)) => e,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn new_ledger() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path().join("chain")).unwrap();
    (dir, ledger)
}

/// Funds a coin of 50,000 sat to `keypair(1)` and signs one spend of it for each of
/// `values`, paying `keypair(2)`, `keypair(3)`, …: spends that conflict with each other.
fn funded_spends(ledger: &Ledger, values: &[u64]) -> (OutPoint, Vec<Transaction>) {
    let alice = keypair(1);
    let funded = ledger
        .fund(&p2tr(&alice), Amount::from_sat(50_000))
        .unwrap();
    let spent = vec![ledger.output(&funded).unwrap().unwrap()];
    let spends = values
        .iter()
        .zip(2u8..)
        .map(|(&value, to)| {
            let mut spend = tx(
                vec![input(funded, 0xffff_fffd)],
                vec![(p2tr(&keypair(to)), value)],
            );
            sign_key_path(&mut spend, 0, &spent, &alice);
            spend
        })
        .collect();
    (funded, spends)
}

// ---------------------------------------------------------------------------------------
// Basics
// ---------------------------------------------------------------------------------------

#[test]
fn genesis_and_deterministic_clock() {
    let (_dir, ledger) = new_ledger();
    let tip = ledger.tip().unwrap();
    assert_eq!(tip.height, 0);
    assert_eq!(tip.time, GENESIS_TIME);
    let hashes = ledger.mine(3, None).unwrap();
    let tip = ledger.tip().unwrap();
    assert_eq!(tip.height, 3);
    assert_eq!(tip.time, GENESIS_TIME + 3 * BLOCK_INTERVAL);
    assert_eq!(tip.hash, hashes[2]);
    assert_eq!(ledger.block(3).unwrap().unwrap().hash, hashes[2]);
    // Two ledgers with the same history have the same block hashes.
    let (_dir2, other) = new_ledger();
    assert_eq!(other.mine(3, None).unwrap(), hashes);
}

/// A handle keeps one connection for reads between calls: it sees what other handles (and
/// processes) write, and a ledger made anew in its directory, not the file it had open.
#[test]
fn a_handle_reads_what_others_write_and_a_ledger_made_anew() {
    let (dir, ledger) = new_ledger();
    let path = dir.path().join("chain");
    assert_eq!(ledger.tip().unwrap().height, 0);
    let other = Ledger::open(&path).unwrap();
    other.mine(2, None).unwrap();
    assert_eq!(ledger.tip().unwrap().height, 2);
    let coin = other
        .fund(&p2tr(&keypair(1)), Amount::from_sat(10_000))
        .unwrap();
    assert!(ledger.output(&coin).unwrap().is_some());
    drop(other);
    std::fs::remove_dir_all(&path).unwrap();
    Ledger::open(&path).unwrap().mine(1, None).unwrap();
    assert_eq!(
        ledger.tip().unwrap().height,
        1,
        "the new ledger, not the removed one"
    );
    assert!(ledger.output(&coin).unwrap().is_none());
}

/// The change token a watcher skips quiet channels by moves with every write, from any
/// handle (a submit, a mine, a faucet payment, a replacement), not with reads or a refused
/// transaction, and differs for a ledger made anew in the same directory.
#[test]
fn the_change_token_moves_with_every_write_and_nothing_else() {
    let (dir, ledger) = new_ledger();
    let path = dir.path().join("chain");
    let token = |l: &Ledger| l.change_token().unwrap().expect("a file on unix");
    let mut seen = vec![token(&ledger)];
    let mut moved = |l: &Ledger, what: &str| {
        let now = token(l);
        assert!(!seen.contains(&now), "{what}: the token did not move");
        seen.push(now);
    };
    ledger.mine(1, None).unwrap();
    moved(&ledger, "mine");
    let (funded, spends) = funded_spends(&ledger, &[40_000, 30_000]);
    moved(&ledger, "fund");
    let other = Ledger::open(&path).unwrap();
    other.submit(&spends[0]).unwrap();
    moved(&ledger, "a submit through another handle");
    ledger.submit(&spends[1]).unwrap();
    moved(&ledger, "a replacement");
    let unchanged = token(&ledger);
    ledger.tip().unwrap();
    ledger.mempool().unwrap();
    ledger.spending_tx(&funded).unwrap();
    let mut refused = spends[0].clone();
    refused.output[0].value = Amount::from_sat(45_000);
    assert!(ledger.submit(&refused).is_err());
    assert_eq!(token(&ledger), unchanged, "reads and a refused submit");
    // A write that does not go through this build (an older asyncpay, `sqlite3` by hand)
    // moves it too: the database's own triggers count.
    let db = rusqlite::Connection::open(ledger.database_path()).unwrap();
    db.execute("DELETE FROM mempool_entries", []).unwrap();
    moved(&ledger, "a row deleted by hand");
    // A count deleted by hand vouches for nothing: no token (or a new count).
    let kept = token(&ledger);
    db.execute("DELETE FROM meta WHERE key = 'generation'", [])
        .unwrap();
    let after = ledger.change_token().unwrap();
    assert!(after.is_none_or(|t| t != kept), "{after:?}");
    Ledger::open(&path).unwrap();
    moved(&ledger, "the count made again at the next open");
    db.execute("UPDATE blocks SET time = time + 1 WHERE height = 1", [])
        .unwrap();
    moved(&ledger, "a block edited by hand");
    drop(db);
    // A copy counts on from its own random start.
    let copy_dir = tempfile::tempdir().unwrap();
    let copy = ledger.copy_to(copy_dir.path().join("copy")).unwrap();
    moved(&copy, "a copy");
    drop(other);
    std::fs::remove_dir_all(&path).unwrap();
    let anew = Ledger::open(&path).unwrap();
    anew.mine(1, None).unwrap();
    anew.mine(1, None).unwrap();
    moved(&ledger, "a ledger made anew");
}

/// A ledger made by a build from before the change token (no triggers, no `generation`)
/// gets both when this build opens it, and counts from then on.
#[test]
fn an_older_ledger_is_given_the_change_token_at_its_next_open() {
    let (dir, ledger) = new_ledger();
    ledger.mine(2, None).unwrap();
    let path = ledger.database_path();
    drop(ledger);
    let db = rusqlite::Connection::open(&path).unwrap();
    let triggers: Vec<String> = {
        let mut q = db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            .unwrap();
        q.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(triggers.len(), 15, "{triggers:?}");
    for name in &triggers {
        db.execute_batch(&format!("DROP TRIGGER {name}")).unwrap();
    }
    db.execute("DELETE FROM meta WHERE key = 'generation'", [])
        .unwrap();
    drop(db);
    let ledger = Ledger::open(dir.path().join("chain")).unwrap();
    let before = ledger.change_token().unwrap().unwrap();
    ledger.mine(1, None).unwrap();
    assert_ne!(ledger.change_token().unwrap().unwrap(), before);
    let db = rusqlite::Connection::open(&path).unwrap();
    let count: i64 = db
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(count, 15);
    // A trigger of that name that counts nothing is refused, never trusted or replaced.
    db.execute_batch(
        "DROP TRIGGER generation_blocks_INSERT;
         CREATE TRIGGER generation_blocks_INSERT AFTER INSERT ON blocks BEGIN SELECT 1; END;",
    )
    .unwrap();
    drop(db);
    drop(ledger);
    let refused = Ledger::open(dir.path().join("chain")).unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("trigger generation_blocks_INSERT is not the one asyncpay makes"),
        "{refused}"
    );
}

#[test]
fn fund_mine_and_spend_key_path() {
    let (_dir, ledger) = new_ledger();
    let alice = keypair(1);
    let bob = keypair(2);
    let funded = ledger
        .fund(&p2tr(&alice), Amount::from_sat(100_000))
        .unwrap();
    let utxo = ledger.utxo(&funded).unwrap().unwrap();
    assert_eq!(utxo.output.value, Amount::from_sat(100_000));
    assert_eq!(utxo.output.script_pubkey, p2tr(&alice));
    assert!(!utxo.is_coinbase);
    let funding = ledger.tx(&funded.txid).unwrap().unwrap();
    assert_eq!(
        funding.confirmation_height,
        Some(ledger.tip().unwrap().height)
    );

    let mut spend = tx(
        vec![input(funded, 0xffff_fffd)],
        vec![(p2tr(&bob), 60_000), (p2tr(&alice), 39_000)],
    );
    let spent = prevouts(&ledger, &spend);
    sign_key_path(&mut spend, 0, &spent, &alice);
    let txid = ledger.submit(&spend).unwrap();
    assert_eq!(ledger.mempool().unwrap(), vec![spend.clone()]);
    assert_eq!(ledger.tx(&txid).unwrap().unwrap().confirmation_height, None);
    assert_eq!(ledger.spending_tx(&funded).unwrap().unwrap().tx, spend);
    // Still a confirmed UTXO until mined.
    assert!(ledger.utxo(&funded).unwrap().is_some());

    let hashes = ledger.mine(1, None).unwrap();
    let tip = ledger.tip().unwrap();
    assert!(ledger.mempool().unwrap().is_empty());
    assert_eq!(
        ledger.tx(&txid).unwrap().unwrap().confirmation_height,
        Some(tip.height)
    );
    assert!(ledger
        .block(tip.height)
        .unwrap()
        .unwrap()
        .txids
        .contains(&txid));
    assert_eq!(tip.hash, hashes[0]);
    assert!(ledger.utxo(&funded).unwrap().is_none());
    assert_eq!(ledger.spending_tx(&funded).unwrap().unwrap().tx, spend);
    let bobs = ledger.utxos_for_script(&p2tr(&bob)).unwrap();
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0].0, OutPoint::new(txid, 0));
    // The 1000 sat fee went to the miner (the faucet): coinbase = subsidy + fee.
    let coinbase = ledger.block(tip.height).unwrap().unwrap().txids[0];
    let cb = ledger.tx(&coinbase).unwrap().unwrap().tx;
    assert_eq!(
        cb.output[0].value,
        asyncpay::chain::block_subsidy(tip.height) + Amount::from_sat(1_000)
    );
    assert_eq!(cb.output[0].script_pubkey, faucet_script());
}

#[test]
fn flipped_key_path_signature_byte_is_rejected() {
    let (_dir, ledger) = new_ledger();
    let alice = keypair(1);
    let funded = ledger
        .fund(&p2tr(&alice), Amount::from_sat(50_000))
        .unwrap();
    let mut spend = tx(
        vec![input(funded, 0xffff_fffd)],
        vec![(p2tr(&alice), 49_000)],
    );
    let spent = prevouts(&ledger, &spend);
    sign_key_path(&mut spend, 0, &spent, &alice);
    let mut bad = spend.clone();
    let mut sig = bad.input[0].witness.nth(0).unwrap().to_vec();
    sig[10] ^= 0x01;
    bad.input[0].witness = Witness::from_slice(&[sig]);
    let err = rejection(ledger.submit(&bad));
    assert_eq!(
        err.to_string(),
        "mandatory-script-verify-flag-failed, input 0: Bitcoin Core script interpreter rejected the spend: ERR_SCRIPT"
    );
    // A rejection does not touch the mempool; the honest spend still goes through.
    assert!(ledger.mempool().unwrap().is_empty());
    ledger.submit(&spend).unwrap();
}

#[test]
fn double_spends_are_rejected() {
    let (_dir, ledger) = new_ledger();
    let alice = keypair(1);
    let (funded, spends) = funded_spends(&ledger, &[49_000, 49_500]);
    let [first, second] = <[Transaction; 2]>::try_from(spends).unwrap();

    let first_id = ledger.submit(&first).unwrap();
    // Against the mempool: a conflicting spend that does not outbid the first is refused
    // (replacement by fee is the policy tests' subject).
    let err = rejection(ledger.submit(&second));
    assert!(
        err.to_string().starts_with(&format!(
            "insufficient fee, rejecting replacement {}; new feerate",
            second.compute_txid()
        )),
        "{err}"
    );
    assert_eq!(ledger.mempool().unwrap(), vec![first.clone()]);
    // A miner does not take a conflict with its mempool either.
    assert_eq!(
        rejection(ledger.submit_to_miner(&second)),
        RejectError::AlreadySpent {
            index: 0,
            outpoint: funded,
            by: first_id,
            in_mempool: true
        }
    );
    // The same transaction again: taken (it is there), as `sendrawtransaction` does.
    assert_eq!(ledger.submit(&first).unwrap(), first_id);
    assert_eq!(ledger.mempool().unwrap(), vec![first.clone()]);
    ledger.mine(1, None).unwrap();
    // Against the confirmed chain.
    let err = rejection(ledger.submit(&second));
    assert_eq!(
        err,
        RejectError::AlreadySpent {
            index: 0,
            outpoint: funded,
            by: first_id,
            in_mempool: false
        }
    );
    assert!(matches!(
        rejection(ledger.submit(&first)),
        RejectError::AlreadyKnown {
            confirmed: true,
            ..
        }
    ));
    // Within one transaction.
    let other = ledger.fund(&p2tr(&alice), Amount::from_sat(1_000)).unwrap();
    let mut dup = tx(
        vec![input(other, 0xffff_fffd), input(other, 0xffff_fffd)],
        vec![(p2tr(&alice), 500)],
    );
    let o = ledger.output(&other).unwrap().unwrap();
    let spent2 = vec![o.clone(), o];
    sign_key_path(&mut dup, 0, &spent2, &alice);
    sign_key_path(&mut dup, 1, &spent2, &alice);
    assert!(matches!(
        rejection(ledger.submit(&dup)),
        RejectError::DuplicateInput {
            index: 1,
            first_index: 0,
            ..
        }
    ));
    // A made-up outpoint.
    let ghost = OutPoint::new(bitcoin::Txid::from_byte_array([0x1a; 32]), 1);
    let err = rejection(ledger.submit(&tx(vec![input(ghost, 0)], vec![(p2tr(&keypair(99)), 0)])));
    assert_eq!(
        err.to_string(),
        format!(
            "bad-txns-inputs-missingorspent, input 0 spends {}:1 which does not exist or is already spent",
            ghost.txid
        )
    );
}

#[test]
fn value_creation_is_rejected() {
    let (_dir, ledger) = new_ledger();
    let alice = keypair(1);
    let funded = ledger
        .fund(&p2tr(&alice), Amount::from_sat(50_000))
        .unwrap();
    let spent = vec![ledger.output(&funded).unwrap().unwrap()];
    let mut spend = tx(
        vec![input(funded, 0xffff_fffd)],
        vec![(p2tr(&alice), 50_001)],
    );
    sign_key_path(&mut spend, 0, &spent, &alice);
    let err = rejection(ledger.submit(&spend));
    assert_eq!(
        err,
        RejectError::ValueCreation {
            inputs_sat: 50_000,
            outputs_sat: 50_001
        }
    );
    // Exactly the input value (zero fee) is fine.
    let mut spend = tx(
        vec![input(funded, 0xffff_fffd)],
        vec![(p2tr(&alice), 50_000)],
    );
    sign_key_path(&mut spend, 0, &spent, &alice);
    // Valid by consensus, but the node relays nothing below 1 sat/vB.
    assert_eq!(
        rejection(ledger.submit(&spend)).to_string(),
        format!("min relay fee not met, 0 < {}", spend.vsize())
    );
    let mut spend = tx(
        vec![input(funded, 0xffff_fffd)],
        vec![(p2tr(&alice), 50_000 - spend.vsize() as u64)],
    );
    sign_key_path(&mut spend, 0, &spent, &alice);
    ledger.submit(&spend).unwrap();
    // More than 21M BTC in one output.
    let huge = tx(
        vec![input(funded, 0)],
        vec![(anchor(), 21_000_000 * 100_000_000 + 1)],
    );
    assert!(matches!(
        rejection(ledger.submit(&huge)),
        RejectError::OutputTooLarge { index: 0, .. }
    ));
    // No inputs, no outputs.
    assert_eq!(
        rejection(ledger.submit(&tx(vec![], vec![(anchor(), 0)]))),
        RejectError::NoInputs
    );
    assert_eq!(
        rejection(ledger.submit(&tx(vec![input(funded, 0)], vec![]))),
        RejectError::NoOutputs
    );
}

#[test]
fn immature_coinbase_rejected_until_100_blocks() {
    let (_dir, ledger) = new_ledger();
    let miner = keypair(7);
    ledger.mine(1, Some(p2tr(&miner))).unwrap();
    let cb_txid = ledger.block(1).unwrap().unwrap().txids[0];
    let coinbase = OutPoint::new(cb_txid, 0);
    let utxo = ledger.utxo(&coinbase).unwrap().unwrap();
    assert!(utxo.is_coinbase);
    assert_eq!(utxo.output.value, Amount::from_btc(50.0).unwrap());
    let mut spend = tx(
        vec![input(coinbase, 0xffff_fffd)],
        vec![(p2tr(&miner), 1_000)],
    );
    let spent = vec![utxo.output.clone()];
    sign_key_path(&mut spend, 0, &spent, &miner);
    let err = rejection(ledger.submit(&spend));
    assert_eq!(
        err,
        RejectError::ImmatureCoinbase {
            index: 0,
            outpoint: coinbase,
            coinbase_height: 1,
            spend_height: 2
        }
    );
    ledger.mine(98, None).unwrap(); // tip 99: next block 100 is only 99 above
    assert!(matches!(
        rejection(ledger.submit(&spend)),
        RejectError::ImmatureCoinbase {
            spend_height: 100,
            ..
        }
    ));
    ledger.mine(1, None).unwrap(); // tip 100
    ledger.submit(&spend).unwrap();
    ledger.mine(1, None).unwrap();
    assert_eq!(
        ledger
            .tx(&spend.compute_txid())
            .unwrap()
            .unwrap()
            .confirmation_height,
        Some(101)
    );
}

#[test]
fn absolute_height_and_time_locktimes() {
    let (_dir, ledger) = new_ledger();
    let alice = keypair(1);
    let a = ledger
        .fund(&p2tr(&alice), Amount::from_sat(10_000))
        .unwrap();
    let b = ledger
        .fund(&p2tr(&alice), Amount::from_sat(10_000))
        .unwrap();
    let tip = ledger.tip().unwrap();

    // Height: locktime tip+2 may enter block tip+3 at the earliest.
    let mut by_height = tx(vec![input(a, 0xffff_fffe)], vec![(p2tr(&alice), 9_000)]);
    by_height.lock_time = LockTime::from_consensus(tip.height + 2);
    let spent = prevouts(&ledger, &by_height);
    sign_key_path(&mut by_height, 0, &spent, &alice);
    let err = rejection(ledger.submit(&by_height));
    assert_eq!(
        err.to_string(),
        format!(
            "non-final, absolute locktime of height {} not reached (next block height {})",
            tip.height + 2,
            tip.height + 1
        )
    );
    ledger.mine(1, None).unwrap();
    assert!(matches!(
        rejection(ledger.submit(&by_height)),
        RejectError::LocktimeHeight { .. }
    ));
    ledger.mine(1, None).unwrap();
    ledger.submit(&by_height).unwrap();

    // Time: compared against the median time past (BIP113), which lags the tip by 5 blocks.
    let tip = ledger.tip().unwrap();
    assert_eq!(tip.median_time_past, tip.time - 5 * BLOCK_INTERVAL);
    let locktime = tip.time + 1;
    let mut by_time = tx(vec![input(b, 0xffff_fffe)], vec![(p2tr(&alice), 9_000)]);
    by_time.lock_time = LockTime::from_consensus(locktime);
    let spent = prevouts(&ledger, &by_time);
    sign_key_path(&mut by_time, 0, &spent, &alice);
    assert_eq!(
        rejection(ledger.submit(&by_time)),
        RejectError::LocktimeTime {
            locktime,
            median_time_past: tip.median_time_past
        }
    );
    ledger.mine(5, None).unwrap(); // MTP = tip.time: still not past
    assert!(matches!(
        rejection(ledger.submit(&by_time)),
        RejectError::LocktimeTime { .. }
    ));
    ledger.mine(1, None).unwrap(); // MTP = tip.time + 600 > locktime
    ledger.submit(&by_time).unwrap();

    // All-final sequences disable the locktime entirely.
    let c = ledger
        .fund(&p2tr(&alice), Amount::from_sat(10_000))
        .unwrap();
    let mut final_seq = tx(vec![input(c, 0xffff_ffff)], vec![(p2tr(&alice), 9_000)]);
    final_seq.lock_time = LockTime::from_consensus(1_000_000);
    let spent = prevouts(&ledger, &final_seq);
    sign_key_path(&mut final_seq, 0, &spent, &alice);
    ledger.submit(&final_seq).unwrap();
}

#[test]
fn bip68_relative_locktime_in_a_tapscript_leaf() {
    let (_dir, ledger) = new_ledger();
    let internal = keypair(9);
    let key = keypair(10);
    let script = Builder::new()
        .push_int(144)
        .push_opcode(OP_CSV)
        .push_opcode(OP_DROP)
        .push_x_only_key(&xonly(&key))
        .push_opcode(OP_CHECKSIG)
        .into_script();
    let leaf = Leaf::new(&internal, script);
    let funded = ledger
        .fund(&leaf.script_pubkey(), Amount::from_sat(20_000))
        .unwrap();
    let confirmed_at = ledger.tip().unwrap().height;
    let spent = vec![ledger.output(&funded).unwrap().unwrap()];

    let build = |sequence: u32| {
        let mut t = tx(vec![input(funded, sequence)], vec![(p2tr(&key), 19_000)]);
        let sig = leaf.sign_bip342(&t, 0, &spent, &key);
        t.input[0].witness = leaf.witness(&[sig]);
        t
    };
    let spend = build(144);
    let err = rejection(ledger.submit(&spend));
    assert_eq!(
        err.to_string(),
        format!(
            "non-BIP68-final, input 0: relative locktime of 144 blocks not reached (confirmed at {confirmed_at}, tip {confirmed_at})"
        )
    );
    ledger.mine(142, None).unwrap();
    assert_eq!(
        rejection(ledger.submit(&spend)),
        RejectError::RelativeHeight {
            index: 0,
            blocks: 144,
            confirmed_at: Some(confirmed_at),
            tip: confirmed_at + 142
        }
    );
    ledger.mine(1, None).unwrap(); // next block is confirmed_at + 144
                                   // A sequence below the script's 144 fails OP_CHECKSEQUENCEVERIFY in Core.
    let short = build(143);
    assert!(matches!(
        rejection(ledger.submit(&short)),
        RejectError::Script { index: 0, .. }
    ));
    // A flipped BIP340 signature byte is caught by Core.
    let mut bad = spend.clone();
    let mut sig = bad.input[0].witness.nth(0).unwrap().to_vec();
    sig[0] ^= 0x80;
    bad.input[0].witness = leaf.witness(&[sig]);
    assert!(matches!(
        rejection(ledger.submit(&bad)),
        RejectError::Script { index: 0, .. }
    ));
    ledger.submit(&spend).unwrap();
    ledger.mine(1, None).unwrap();
    assert_eq!(
        ledger
            .tx(&spend.compute_txid())
            .unwrap()
            .unwrap()
            .confirmation_height,
        Some(confirmed_at + 144)
    );
}

#[test]
fn bip68_time_based_relative_locktime() {
    let (_dir, ledger) = new_ledger();
    let alice = keypair(1);
    let coin = ledger
        .fund(&p2tr(&alice), Amount::from_sat(10_000))
        .unwrap();
    let confirmed_at = ledger.tip().unwrap().height;
    // 2 units of 512 s = 1024 s after the median time past of the block before the one
    // that confirmed the coin.
    let mut spend = tx(
        vec![input(coin, (1 << 22) | 2)],
        vec![(p2tr(&alice), 9_000)],
    );
    let spent = prevouts(&ledger, &spend);
    sign_key_path(&mut spend, 0, &spent, &alice);
    let err = rejection(ledger.submit(&spend));
    assert!(
        matches!(
            err,
            RejectError::RelativeTime { index: 0, seconds: 1024, confirmed_at: Some(h), .. } if h == confirmed_at
        ),
        "{err}"
    );
    ledger.mine(1, None).unwrap();
    ledger.submit(&spend).unwrap();
    // Unconfirmed parents never satisfy a non-zero relative locktime.
    let mut child = tx(
        vec![input(OutPoint::new(spend.compute_txid(), 0), 1)],
        vec![(p2tr(&alice), 8_000)],
    );
    let spent = prevouts(&ledger, &child);
    sign_key_path(&mut child, 0, &spent, &alice);
    let err = rejection(ledger.submit(&child));
    assert!(err.to_string().contains("(unconfirmed, tip"), "{err}");
    ledger.mine(1, None).unwrap();
    ledger.submit(&child).unwrap();
}

#[test]
fn pay_to_anchor_spend_with_cpfp() {
    let (_dir, ledger) = new_ledger();
    let alice = keypair(1);
    let a = ledger
        .fund(&p2tr(&alice), Amount::from_sat(30_000))
        .unwrap();
    let fee_coin = ledger.fund(&p2tr(&alice), Amount::from_sat(5_000)).unwrap();
    // Parent (version 3) pays zero fee and carries a zero-value anchor.
    let mut parent = tx(
        vec![input(a, 0xffff_fffd)],
        vec![(p2tr(&keypair(2)), 30_000), (anchor(), 0)],
    );
    parent.version = Version(3);
    let spent = prevouts(&ledger, &parent);
    sign_key_path(&mut parent, 0, &spent, &alice);
    let parent_id = parent.compute_txid();
    // Alone it pays too little for the node to relay it.
    assert_eq!(
        rejection(ledger.submit(&parent)).to_string(),
        format!("min relay fee not met, 0 < {}", parent.vsize())
    );
    // Child spends the unconfirmed anchor (empty witness) plus a fee coin.
    let mut child = tx(
        vec![
            input(OutPoint::new(parent_id, 1), 0xffff_fffd),
            input(fee_coin, 0xffff_fffd),
        ],
        vec![(p2tr(&alice), 4_000)],
    );
    child.version = Version(3);
    let spent = vec![
        parent.output[1].clone(),
        ledger.output(&fee_coin).unwrap().unwrap(),
    ];
    sign_key_path(&mut child, 1, &spent, &alice);
    assert!(child.input[0].witness.is_empty());
    let child_id = child.compute_txid();
    // Together, as a package, the child pays for both.
    assert_eq!(
        ledger
            .submit_package(&[parent.clone(), child.clone()])
            .unwrap(),
        vec![parent_id, child_id]
    );
    ledger.mine(1, None).unwrap();
    let height = ledger.tip().unwrap().height;
    assert_eq!(
        ledger.tx(&parent_id).unwrap().unwrap().confirmation_height,
        Some(height)
    );
    assert_eq!(
        ledger.tx(&child_id).unwrap().unwrap().confirmation_height,
        Some(height)
    );
    let block = ledger.block(height).unwrap().unwrap();
    assert_eq!(&block.txids[1..], &[parent_id, child_id]);
}

// ---------------------------------------------------------------------------------------
// BIP118 (ANYPREVOUT): Core 26 accepts any signature for these keys; the ledger does not.
// ---------------------------------------------------------------------------------------

fn bip118_key(kp: &Keypair) -> PushBytesBuf {
    let mut key = vec![0x01];
    key.extend_from_slice(&xonly(kp).serialize());
    PushBytesBuf::try_from(key).unwrap()
}

/// Two outputs paying the same `leaf` (same script, same amount).
fn two_coins(ledger: &Ledger, leaf: &Leaf) -> (OutPoint, OutPoint) {
    let a = ledger
        .fund(&leaf.script_pubkey(), Amount::from_sat(40_000))
        .unwrap();
    let b = ledger
        .fund(&leaf.script_pubkey(), Amount::from_sat(40_000))
        .unwrap();
    (a, b)
}

/// Core alone (libbitcoinconsensus with our flags) on input `index`.
fn core_accepts(tx: &Transaction, spent: &[TxOut], index: usize) -> bool {
    let utxos: Vec<bitcoinconsensus::Utxo> = spent
        .iter()
        .map(|o| bitcoinconsensus::Utxo {
            script_pubkey: o.script_pubkey.as_bytes().as_ptr(),
            script_pubkey_len: o.script_pubkey.len() as u32,
            value: o.value.to_sat() as i64,
        })
        .collect();
    bitcoinconsensus::verify_with_flags(
        spent[index].script_pubkey.as_bytes(),
        spent[index].value.to_sat(),
        &bitcoin::consensus::serialize(tx),
        Some(&utxos),
        index,
        asyncpay::chain::validate::SCRIPT_FLAGS,
    )
    .is_ok()
}

fn bip118_spend_scenario(leaf: &Leaf, signer: &Keypair) {
    let (_dir, ledger) = new_ledger();
    let (a, b) = two_coins(&ledger, leaf);
    let dest = p2tr(&keypair(30));
    let unsigned =
        |coin: OutPoint| tx(vec![input(coin, 0xffff_fffd)], vec![(dest.clone(), 39_000)]);

    // Valid APOAS|ALL signature, made for coin `a`.
    let mut spend_a = unsigned(a);
    let spent_a = prevouts(&ledger, &spend_a);
    let sig = leaf.sign_bip118(&spend_a, 0, &spent_a, signer, 0xc1);
    assert_eq!(sig.len(), 65);

    // A flipped byte: Core alone accepts it (unknown key type), the ledger rejects it.
    let mut flipped = sig.clone();
    flipped[5] ^= 0x01;
    spend_a.input[0].witness = leaf.witness(&[flipped]);
    assert!(
        core_accepts(&spend_a, &spent_a, 0),
        "core 26 should not know bip118 keys"
    );
    let err = rejection(ledger.submit(&spend_a));
    assert!(
        matches!(
            err,
            RejectError::Tapscript {
                index: 0,
                error: TapscriptError::Bip118InvalidSignature {
                    hash_type: 0xc1,
                    ..
                }
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("mandatory-script-verify-flag-failed, input 0: invalid bip118 signature (hash type 0xc1)"),
        "{err}"
    );

    // A different (valid) hash type byte on the same signature: the digest changes.
    let mut wrong_type = sig.clone();
    wrong_type[64] = 0x41;
    spend_a.input[0].witness = leaf.witness(&[wrong_type]);
    assert!(matches!(
        rejection(ledger.submit(&spend_a)),
        RejectError::Tapscript {
            error: TapscriptError::Bip118InvalidSignature {
                hash_type: 0x41,
                ..
            },
            ..
        }
    ));
    // Undefined hash types.
    for bad in [0x00u8, 0x04, 0x40, 0xc4] {
        let mut t = sig.clone();
        t[64] = bad;
        spend_a.input[0].witness = leaf.witness(&[t]);
        assert_eq!(
            rejection(ledger.submit(&spend_a)),
            RejectError::Tapscript {
                index: 0,
                error: TapscriptError::Bip118HashType(bad)
            }
        );
    }
    // A signature of the wrong size.
    spend_a.input[0].witness = leaf.witness(&[sig[..63].to_vec()]);
    assert_eq!(
        rejection(ledger.submit(&spend_a)),
        RejectError::Tapscript {
            index: 0,
            error: TapscriptError::Bip118SignatureSize(63)
        }
    );

    // The honest signature is accepted...
    spend_a.input[0].witness = leaf.witness(std::slice::from_ref(&sig));
    ledger.check(&spend_a).unwrap();
    ledger.submit(&spend_a).unwrap();
    // ...and rebinds, unchanged, to coin `b` (same script): that is what ANYPREVOUT is for.
    let mut spend_b = unsigned(b);
    spend_b.input[0].witness = leaf.witness(&[sig]);
    ledger.submit(&spend_b).unwrap();
    ledger.mine(1, None).unwrap();
    let height = ledger.tip().unwrap().height;
    for t in [&spend_a, &spend_b] {
        assert_eq!(
            ledger
                .tx(&t.compute_txid())
                .unwrap()
                .unwrap()
                .confirmation_height,
            Some(height)
        );
    }
}

#[test]
fn bip118_internal_key_leaf_op1_checksig() {
    let internal = keypair(11);
    let script = Builder::new()
        .push_opcode(OP_PUSHNUM_1)
        .push_opcode(OP_CHECKSIG)
        .into_script();
    bip118_spend_scenario(&Leaf::new(&internal, script), &internal);
}

#[test]
fn bip118_explicit_key_leaf() {
    let internal = keypair(12);
    let key = keypair(13);
    let script = Builder::new()
        .push_slice(bip118_key(&key))
        .push_opcode(OP_CHECKSIG)
        .into_script();
    bip118_spend_scenario(&Leaf::new(&internal, script), &key);
}

#[test]
fn bip118_default_hash_type_64_byte_signature_and_apo_rebinding() {
    let (_dir, ledger) = new_ledger();
    let key = keypair(14);
    let script = Builder::new()
        .push_slice(bip118_key(&key))
        .push_opcode(OP_CHECKSIG)
        .into_script();
    let leaf = Leaf::new(&keypair(15), script);
    let (a, b) = two_coins(&ledger, &leaf);
    // SIGHASH_DEFAULT (64 bytes) commits to the outpoint: no rebinding.
    let mut spend_a = tx(
        vec![input(a, 0xffff_fffd)],
        vec![(p2tr(&keypair(99)), 39_000)],
    );
    let spent = prevouts(&ledger, &spend_a);
    let sig = leaf.sign_bip118(&spend_a, 0, &spent, &key, 0x00);
    assert_eq!(sig.len(), 64);
    spend_a.input[0].witness = leaf.witness(std::slice::from_ref(&sig));
    ledger.check(&spend_a).unwrap();
    let mut spend_b = tx(
        vec![input(b, 0xffff_fffd)],
        vec![(p2tr(&keypair(99)), 39_000)],
    );
    spend_b.input[0].witness = leaf.witness(&[sig]);
    assert!(matches!(
        rejection(ledger.submit(&spend_b)),
        RejectError::Tapscript {
            error: TapscriptError::Bip118InvalidSignature {
                hash_type: 0x00,
                ..
            },
            ..
        }
    ));
    // APO|ALL (0x41) commits to the script but not the outpoint: rebinding works.
    let sig = leaf.sign_bip118(&spend_a, 0, &spent, &key, 0x41);
    spend_b.input[0].witness = leaf.witness(&[sig]);
    ledger.submit(&spend_b).unwrap();
}

#[test]
fn bip118_two_of_two_with_checksigadd() {
    let (_dir, ledger) = new_ledger();
    let (k1, k2) = (keypair(16), keypair(17));
    let script = Builder::new()
        .push_slice(bip118_key(&k1))
        .push_opcode(OP_CHECKSIG)
        .push_slice(bip118_key(&k2))
        .push_opcode(OP_CHECKSIGADD)
        .push_int(2)
        .push_opcode(OP_NUMEQUAL)
        .into_script();
    let leaf = Leaf::new(&keypair(18), script);
    let coin = ledger
        .fund(&leaf.script_pubkey(), Amount::from_sat(10_000))
        .unwrap();
    let mut spend = tx(
        vec![input(coin, 0xffff_fffd)],
        vec![(p2tr(&keypair(99)), 9_000)],
    );
    let spent = prevouts(&ledger, &spend);
    let s1 = leaf.sign_bip118(&spend, 0, &spent, &k1, 0xc1);
    let s2 = leaf.sign_bip118(&spend, 0, &spent, &k2, 0xc1);
    // Witness stack bottom to top: s2 (for CHECKSIGADD), s1 (for the first CHECKSIG).
    let mut bad = s2.clone();
    bad[0] ^= 1;
    spend.input[0].witness = leaf.witness(&[bad, s1.clone()]);
    assert!(core_accepts(&spend, &spent, 0));
    assert!(matches!(
        rejection(ledger.submit(&spend)),
        RejectError::Tapscript {
            error: TapscriptError::Bip118InvalidSignature { .. },
            ..
        }
    ));
    spend.input[0].witness = leaf.witness(&[s2, s1]);
    ledger.submit(&spend).unwrap();
}

#[test]
fn unsupported_opcode_with_bip118_key_is_rejected_clearly() {
    let (_dir, ledger) = new_ledger();
    let internal = keypair(19);
    let script = Builder::new()
        .push_slice([0xab; 4])
        .push_opcode(OP_HASH256)
        .push_opcode(OP_DROP)
        .push_opcode(OP_PUSHNUM_1)
        .push_opcode(OP_CHECKSIG)
        .into_script();
    let leaf = Leaf::new(&internal, script);
    let coin = ledger
        .fund(&leaf.script_pubkey(), Amount::from_sat(10_000))
        .unwrap();
    let mut spend = tx(
        vec![input(coin, 0xffff_fffd)],
        vec![(p2tr(&keypair(99)), 10_000)],
    );
    let spent = prevouts(&ledger, &spend);
    let sig = leaf.sign_bip118(&spend, 0, &spent, &internal, 0xc1);
    spend.input[0].witness = leaf.witness(&[sig]);
    assert!(core_accepts(&spend, &spent, 0));
    let err = rejection(ledger.submit(&spend));
    assert_eq!(
        err.to_string(),
        "mandatory-script-verify-flag-failed, input 0: tapscript opcode OP_HASH256 not supported by the ledger's BIP118 checker"
    );
}

// ---------------------------------------------------------------------------------------
// Persistence and concurrency
// ---------------------------------------------------------------------------------------

#[test]
fn database_round_trips_and_reads_do_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain");
    let ledger = Ledger::open(&path).unwrap();
    let alice = keypair(1);
    let funded = ledger
        .fund(&p2tr(&alice), Amount::from_sat(70_000))
        .unwrap();
    let mut spend = tx(
        vec![input(funded, 0xffff_fffd)],
        vec![(p2tr(&alice), 69_000)],
    );
    let spent = prevouts(&ledger, &spend);
    sign_key_path(&mut spend, 0, &spent, &alice);
    ledger.submit(&spend).unwrap();

    let db = ledger.database_path();
    assert_eq!(db, path.join("ledger.sqlite"));
    let version: u32 = rusqlite::Connection::open(&db)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, asyncpay::chain::SCHEMA_VERSION);
    let before = std::fs::read(&db).unwrap();
    let mtime = std::fs::metadata(&db).unwrap().modified().unwrap();

    // A second handle sees the same chain, including the mempool.
    let other = Ledger::open(&path).unwrap();
    assert_eq!(other.tip().unwrap(), ledger.tip().unwrap());
    assert_eq!(other.utxo(&funded).unwrap(), ledger.utxo(&funded).unwrap());
    assert_eq!(other.mempool().unwrap(), vec![spend.clone()]);
    other.utxos_for_script(&p2tr(&alice)).unwrap();
    other.value_at(&p2tr(&alice)).unwrap();
    other.tx(&funded.txid).unwrap();
    other.spending_tx(&funded).unwrap();
    other.block(3).unwrap();
    other.full_block(3).unwrap();
    other.check(&spend).unwrap_err();
    // A rejected submission does not write either, nor one already in the mempool.
    rejection(other.submit(&tx(vec![], vec![(anchor(), 0)])));
    other.submit(&spend).unwrap();
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert_eq!(std::fs::metadata(&db).unwrap().modified().unwrap(), mtime);
    // Nothing but the database is left behind once no handle is open (a handle keeps a
    // connection for reads, and with it SQLite's `-wal` and `-shm` files).
    drop((ledger, other));
    let names: Vec<String> = std::fs::read_dir(&path)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, vec!["ledger.sqlite".to_owned()]);
    let ledger = Ledger::open(&path).unwrap();

    // A database of a newer schema is refused clearly, by new and existing handles.
    let set_version = |v: u32| {
        rusqlite::Connection::open(&db)
            .unwrap()
            .pragma_update(None, "user_version", v)
            .unwrap()
    };
    set_version(asyncpay::chain::SCHEMA_VERSION + 1);
    let err = Ledger::open(&path).unwrap_err();
    assert!(
        matches!(
            err,
            LedgerError::UnsupportedVersion {
                found: 2,
                supported: 1,
                ..
            }
        ),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("ledger.sqlite has unsupported version 2"),
        "{msg}"
    );
    assert!(msg.contains("use a newer asyncpay"), "{msg}");
    assert!(matches!(
        ledger.tip().unwrap_err(),
        LedgerError::UnsupportedVersion { found: 2, .. }
    ));
    // It was not touched: with the version back, the chain is all there.
    set_version(asyncpay::chain::SCHEMA_VERSION);
    assert_eq!(ledger.mempool().unwrap(), vec![spend]);

    // Garbage is reported as a database error that names the file.
    let junk = dir.path().join("junk");
    std::fs::create_dir_all(&junk).unwrap();
    std::fs::write(junk.join("ledger.sqlite"), vec![0x5a; 4096]).unwrap();
    let err = Ledger::open(&junk).unwrap_err();
    assert!(matches!(err, LedgerError::Database { .. }), "{err}");
    assert!(err.to_string().contains("ledger.sqlite"), "{err}");
}

#[test]
fn an_old_state_json_ledger_is_imported_once() {
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ledger-v1");
    let bytes = std::fs::read(golden.join("state.json")).unwrap();
    let old = decode_state(&bytes, &golden.join("state.json")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain");
    std::fs::create_dir_all(&path).unwrap();
    std::fs::write(path.join("state.json"), &bytes).unwrap();

    let ledger = Ledger::open(&path).unwrap();
    // Imported, and the old file renamed, unchanged.
    assert!(!path.join("state.json").exists());
    assert_eq!(
        std::fs::read(path.join("state.json.migrated")).unwrap(),
        bytes
    );
    // The tip (as recorded in tests/data/README.md) and every block.
    let tip = ledger.tip().unwrap();
    assert_eq!(tip, old.tip());
    assert_eq!(tip.height, 104);
    assert_eq!(
        tip.hash.to_string(),
        "170b4b63add0d8959cd0d00e30b5efed18309190a111646b4f29f379157bc7fb"
    );
    assert_eq!(ledger.genesis_hash().unwrap(), old.genesis_hash());
    for info in old.blocks() {
        assert_eq!(ledger.block(info.height).unwrap().as_ref(), Some(info));
        assert_eq!(
            ledger.full_block(info.height).unwrap(),
            old.full_block(info.height)
        );
    }
    // The UTXOs, the funded ones and the faucet's.
    let owner = p2tr(&keypair(7));
    let utxos = ledger.utxos_for_script(&owner).unwrap();
    assert_eq!(utxos, old.utxos_for_script(&owner));
    let outpoints: Vec<String> = utxos.iter().map(|(o, _)| o.to_string()).collect();
    assert_eq!(
        outpoints,
        [
            "9522e6fd4520c896a0452166469b5c60f85c121ac33de6feae37d714c746a307:0",
            "52c56bea6262e91804dbb2c5dbdef37a71146240424f23e98e98f055e1e17deb:0"
        ]
    );
    assert_eq!(ledger.value_at(&owner).unwrap(), Amount::from_sat(173_456));
    assert_eq!(
        ledger.utxos_for_script(&faucet_script()).unwrap(),
        old.utxos_for_script(&faucet_script())
    );
    // The mempool, and its spend of the second funded output.
    let mempool = ledger.mempool().unwrap();
    assert_eq!(mempool, old.mempool());
    let pending = mempool[0].compute_txid();
    assert_eq!(
        pending.to_string(),
        "2f714514d20cd2cf9b4d4abde6171a97ae45fd24955c091f0e1bf5cf2e0f94ad"
    );
    assert_eq!(
        ledger.spending_tx(&utxos[1].0).unwrap().unwrap().tx,
        mempool[0]
    );
    assert_eq!(ledger.submit(&mempool[0]).unwrap(), pending);

    // The chain goes on: mining confirms the migrated mempool transaction.
    ledger.mine(1, None).unwrap();
    assert!(ledger.mempool().unwrap().is_empty());
    assert_eq!(
        ledger.tx(&pending).unwrap().unwrap().confirmation_height,
        Some(105)
    );
    // Opening again does not import again.
    let again = Ledger::open(&path).unwrap();
    assert_eq!(again.tip().unwrap().height, 105);

    // A migration interrupted after the import but before the rename is finished by the
    // next open, without importing twice.
    std::fs::rename(path.join("state.json.migrated"), path.join("state.json")).unwrap();
    let again = Ledger::open(&path).unwrap();
    assert!(!path.join("state.json").exists());
    assert!(path.join("state.json.migrated").exists());
    assert_eq!(again.tip().unwrap().height, 105);
}

/// What a miner was paid to include is not replaced through relay, however much the
/// replacement pays (its fee counts as unbounded, as `prioritisetransaction` makes it), and
/// it is mined although it pays nothing.
#[test]
fn what_a_miner_was_paid_to_include_is_not_outbid() {
    let (_dir, ledger) = new_ledger();
    let (_, spends) = funded_spends(&ledger, &[50_000, 40_000]);
    let [bribed, outbid] = <[Transaction; 2]>::try_from(spends).unwrap();
    let bribed_id = ledger.submit_to_miner(&bribed).unwrap();
    let err = rejection(ledger.submit(&outbid)).to_string();
    assert!(
        err.starts_with("insufficient fee") && err.contains("a miner was paid to include"),
        "{err}"
    );
    ledger.mine(1, None).unwrap();
    assert!(ledger
        .tx(&bribed_id)
        .unwrap()
        .unwrap()
        .confirmation_height
        .is_some());
}

/// The old state file is validated again on import, not trusted: its block hashes are no
/// seal (anyone recomputes them), so a file edited to pay a coin from nowhere, or a coinbase
/// claiming more than the subsidy and fees, is refused with what is wrong, and no chain is
/// made from it.
#[test]
fn an_edited_state_json_is_refused_on_import() {
    use bitcoin::consensus::encode::{deserialize_hex, serialize_hex};
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ledger-v1");
    let bytes = std::fs::read(golden.join("state.json")).unwrap();
    // Block 104 is the last one: a coinbase and the payment of a funded output.
    let edit = |which: usize, more: u64| -> Vec<u8> {
        let mut state: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let prev: bitcoin::BlockHash = state["blocks"][103]["hash"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let block = &mut state["blocks"][104];
        let mut tx: Transaction = deserialize_hex(block["txs"][which].as_str().unwrap()).unwrap();
        tx.output[0].value += Amount::from_sat(more);
        block["txs"][which] = serialize_hex(&tx).into();
        let txids: Vec<bitcoin::Txid> = block["txs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                deserialize_hex::<Transaction>(t.as_str().unwrap())
                    .unwrap()
                    .compute_txid()
            })
            .collect();
        let header = bitcoin::block::Header {
            version: bitcoin::block::Version::TWO,
            prev_blockhash: prev,
            merkle_root: bitcoin::merkle_tree::calculate_root(
                txids
                    .iter()
                    .map(|t| bitcoin::TxMerkleNode::from_raw_hash(t.to_raw_hash())),
            )
            .unwrap(),
            time: block["time"].as_u64().unwrap() as u32,
            bits: bitcoin::CompactTarget::from_consensus(0x207f_ffff),
            nonce: 0,
        };
        block["hash"] = header.block_hash().to_string().into();
        serde_json::to_vec(&state).unwrap()
    };
    for (edited, expected) in [
        (edit(1, 1_000), "block 104: transaction"),
        (edit(0, 1), "block 104: the coinbase claims"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chain");
        std::fs::create_dir_all(&path).unwrap();
        std::fs::write(path.join("state.json"), &edited).unwrap();
        match Ledger::open(&path).and_then(|l| l.tip()) {
            Err(LedgerError::Corrupt { reason, .. }) => {
                assert!(reason.contains(expected), "{reason}")
            }
            other => panic!("an edited state file was imported: {other:?}"),
        }
        assert!(
            path.join("state.json").exists(),
            "the file is left as it was"
        );
        assert!(
            matches!(Ledger::open(&path), Err(LedgerError::Corrupt { .. })),
            "no chain was made from it: the next open refuses it again"
        );
    }
    // The genuine file still imports.
    assert!(decode_state(&bytes, &golden.join("state.json")).is_ok());
}

#[test]
fn the_state_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain");
    let alice = keypair(3);
    let (tip, funded, spend) = {
        let ledger = Ledger::open(&path).unwrap();
        let funded = ledger
            .fund(&p2tr(&alice), Amount::from_sat(40_000))
            .unwrap();
        let mut spend = tx(
            vec![input(funded, 0xffff_fffd)],
            vec![(p2tr(&alice), 39_000)],
        );
        let spent = prevouts(&ledger, &spend);
        sign_key_path(&mut spend, 0, &spent, &alice);
        ledger.submit(&spend).unwrap();
        (ledger.tip().unwrap(), funded, spend)
    };
    // Another process opens it later.
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(ledger.tip().unwrap(), tip);
    assert_eq!(ledger.mempool().unwrap(), vec![spend.clone()]);
    assert_eq!(
        ledger.utxo(&funded).unwrap().unwrap().output.value,
        Amount::from_sat(40_000)
    );
    assert_eq!(
        ledger.spending_tx(&funded).unwrap().unwrap(),
        TxInfo {
            tx: spend,
            confirmation_height: None
        }
    );
}

#[test]
fn mining_moves_transactions_from_the_mempool_into_the_block() {
    let (_dir, ledger) = new_ledger();
    let alice = keypair(4);
    let funded = ledger
        .fund(&p2tr(&alice), Amount::from_sat(30_000))
        .unwrap();
    let mut parent = tx(
        vec![input(funded, 0xffff_fffd)],
        vec![(anchor(), 29_000), (p2tr(&keypair(99)), 500)],
    );
    let spent = prevouts(&ledger, &parent);
    sign_key_path(&mut parent, 0, &spent, &alice);
    let parent_id = ledger.submit(&parent).unwrap();
    // A child of the unconfirmed parent.
    let child = tx(
        vec![input(OutPoint::new(parent_id, 0), 0xffff_fffd)],
        vec![(anchor(), 14_000), (anchor(), 14_000)],
    );
    let child_id = ledger.submit(&child).unwrap();
    assert_eq!(
        ledger.mempool().unwrap(),
        vec![parent.clone(), child.clone()]
    );
    let height = ledger.tip().unwrap().height + 1;
    let hash = ledger.mine(1, None).unwrap()[0];

    assert!(ledger.mempool().unwrap().is_empty());
    let block = ledger.block(height).unwrap().unwrap();
    assert_eq!(block.hash, hash);
    assert_eq!(block.txids[1..], [parent_id, child_id]);
    for id in [parent_id, child_id] {
        assert_eq!(
            ledger.tx(&id).unwrap().unwrap().confirmation_height,
            Some(height)
        );
    }
    assert!(ledger.utxo(&funded).unwrap().is_none());
    assert!(ledger.utxo(&OutPoint::new(parent_id, 0)).unwrap().is_none());
    assert_eq!(
        ledger
            .utxo(&OutPoint::new(child_id, 0))
            .unwrap()
            .unwrap()
            .height,
        height
    );
    assert_eq!(
        ledger
            .spending_tx(&OutPoint::new(parent_id, 0))
            .unwrap()
            .unwrap(),
        TxInfo {
            tx: child,
            confirmation_height: Some(height)
        }
    );
    // The coinbase collected both fees.
    let coinbase = ledger.tx(&block.txids[0]).unwrap().unwrap().tx;
    assert_eq!(
        coinbase.output[0].value,
        asyncpay::chain::block_subsidy(height) + Amount::from_sat(1_500)
    );
    let full = ledger.full_block(height).unwrap().unwrap();
    assert_eq!(full.block_hash(), hash);
    assert!(full.check_merkle_root());
}

#[test]
fn a_copy_is_a_separate_ledger_with_the_same_chain() {
    let (dir, ledger) = new_ledger();
    let alice = keypair(5);
    let funded = ledger
        .fund(&p2tr(&alice), Amount::from_sat(20_000))
        .unwrap();
    let copy = ledger.copy_to(dir.path().join("copy")).unwrap();
    assert_eq!(copy.tip().unwrap(), ledger.tip().unwrap());
    assert_eq!(copy.utxo(&funded).unwrap(), ledger.utxo(&funded).unwrap());
    copy.mine(1, None).unwrap();
    assert_eq!(copy.tip().unwrap().height, ledger.tip().unwrap().height + 1);
    // A copy never overwrites a ledger.
    assert!(ledger.copy_to(dir.path().join("copy")).is_err());
}

#[test]
fn concurrent_handles_in_threads_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain");
    let ledger = Ledger::open(&path).unwrap();
    let owners: Vec<Keypair> = (20..26).map(keypair).collect();
    let coins: Vec<OutPoint> = owners
        .iter()
        .map(|k| ledger.fund(&p2tr(k), Amount::from_sat(10_000)).unwrap())
        .collect();
    let start_height = ledger.tip().unwrap().height;
    let handles: Vec<_> = owners
        .iter()
        .zip(coins)
        .map(|(kp, coin)| {
            let path = path.clone();
            let kp = *kp;
            std::thread::spawn(move || {
                let ledger = Ledger::open(&path).unwrap();
                let spent = vec![ledger.output(&coin).unwrap().unwrap()];
                let mut spend = tx(
                    vec![input(coin, 0xffff_fffd)],
                    vec![(p2tr(&keypair(99)), 9_000)],
                );
                sign_key_path(&mut spend, 0, &spent, &kp);
                let id = ledger.submit(&spend).unwrap();
                let funded = ledger.fund(&p2tr(&kp), Amount::from_sat(1_234)).unwrap();
                (id, funded)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        ledger.tip().unwrap().height,
        start_height + owners.len() as u32
    );
    for ((id, funded), kp) in results.iter().zip(&owners) {
        assert!(ledger.tx(id).unwrap().is_some(), "spend {id} lost");
        assert_eq!(
            ledger.utxo(funded).unwrap().unwrap().output.script_pubkey,
            p2tr(kp)
        );
    }
}

#[test]
fn concurrent_conflicting_spends_admit_exactly_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain");
    let ledger = Ledger::open(&path).unwrap();
    let alice = keypair(30);
    let coin = ledger
        .fund(&p2tr(&alice), Amount::from_sat(20_000))
        .unwrap();
    let spent = vec![ledger.output(&coin).unwrap().unwrap()];
    // Eight spends of the same coin, each paying a different fee, from eight handles at once.
    let handles: Vec<_> = (0..8u64)
        .map(|i| {
            let mut spend = tx(
                vec![input(coin, 0xffff_fffd)],
                vec![(p2tr(&keypair(99)), 19_000 - i)],
            );
            sign_key_path(&mut spend, 0, &spent, &alice);
            let path = path.clone();
            std::thread::spawn(move || (Ledger::open(&path).unwrap().submit(&spend), spend))
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    // The fees differ by 1 sat, too little to pay for a replacement's relay: exactly one is
    // taken, every other is refused for not outbidding it, and it alone is in the mempool.
    let winners: Vec<&Transaction> = results
        .iter()
        .filter_map(|(r, spend)| r.as_ref().ok().map(|_| spend))
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for (result, _) in &results {
        if let Err(e) = result {
            assert!(
                matches!(e.rejection(), Some(RejectError::Policy { reason, .. }) if reason == "insufficient fee"),
                "{e}"
            );
        }
    }
    assert_eq!(ledger.mempool().unwrap(), vec![winners[0].clone()]);
}

const CHILD_ENV: &str = "ASYNCPAY_LEDGER_TEST_CHILD_DIR";

/// Runs only as a child process of `concurrent_processes_lose_nothing`.
#[test]
fn child_process_worker() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let seed: u8 = std::env::var("ASYNCPAY_LEDGER_TEST_CHILD_SEED")
        .unwrap()
        .parse()
        .unwrap();
    let ledger = Ledger::open(&dir).unwrap();
    for _ in 0..4 {
        ledger
            .fund(&p2tr(&keypair(seed)), Amount::from_sat(777))
            .unwrap();
    }
}

#[test]
fn concurrent_processes_lose_nothing() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain");
    Ledger::open(&path).unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (40..44u8)
        .map(|seed| {
            Command::new(&exe)
                .args(["--exact", "child_process_worker", "--test-threads=1"])
                .env(CHILD_ENV, &path)
                .env("ASYNCPAY_LEDGER_TEST_CHILD_SEED", seed.to_string())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let ledger = Ledger::open(&path).unwrap();
    for seed in 40..44u8 {
        assert_eq!(
            ledger
                .utxos_for_script(&p2tr(&keypair(seed)))
                .unwrap()
                .len(),
            4,
            "seed {seed}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// The database is re-validated, not trusted
// ---------------------------------------------------------------------------------------

/// A ledger with a funded coin, some blocks on top and a transaction in the mempool.
fn busy_ledger() -> (tempfile::TempDir, Ledger, rusqlite::Connection) {
    let (dir, ledger) = new_ledger();
    let (_, spends) = funded_spends(&ledger, &[49_000]);
    ledger.mine(10, None).unwrap();
    ledger.submit(&spends[0]).unwrap();
    let db = rusqlite::Connection::open(dir.path().join("chain/ledger.sqlite")).unwrap();
    (dir, ledger, db)
}

fn corruption(result: Result<impl std::fmt::Debug, LedgerError>) -> String {
    match result {
        Err(LedgerError::Corrupt { reason, .. }) => reason,
        other => panic!("expected the ledger to be found corrupt, got {other:?}"),
    }
}

#[test]
fn an_honest_ledger_verifies_whole_and_by_its_last_blocks() {
    let (dir, ledger, _db) = busy_ledger();
    ledger.mine(1, None).unwrap();
    let tip = ledger.tip().unwrap().height;
    let whole = ledger.verify(None).unwrap();
    assert!(whole.whole);
    assert_eq!((whole.from_height, whole.to_height), (1, tip));
    // A coinbase a block, the funding and the spend.
    assert_eq!(whole.transactions, u64::from(tip) + 2);
    let recent = ledger.verify(Some(3)).unwrap();
    assert!(!recent.whole);
    assert_eq!((recent.from_height, recent.to_height), (tip - 2, tip));
    assert_eq!(recent.transactions, 4, "three coinbases and the spend");
    Ledger::open(dir.path().join("chain")).unwrap();
}

#[test]
fn a_forged_coin_is_found_by_verify_and_its_spend_at_the_next_open() {
    let (dir, ledger, db) = busy_ledger();
    let faucet = faucet_script();
    // Someone who can write the database makes the oldest faucet coin worth 1,000 times as
    // much. It is older than the blocks each open re-validates.
    let forged = db
        .execute(
            "UPDATE outputs SET value = value * 1000 WHERE script_pubkey = ?1 \
             AND spent_by IS NULL AND height = (SELECT MIN(height) FROM outputs \
             WHERE script_pubkey = ?1 AND spent_by IS NULL)",
            [faucet.as_bytes()],
        )
        .unwrap();
    assert_eq!(forged, 1);
    let path = dir.path().join("chain");
    Ledger::open(&path).expect("the edit is older than the blocks an open re-validates");
    let reason = corruption(ledger.verify(None));
    assert!(reason.contains("differs from its transaction"), "{reason}");
    // The forger spends the forged value (the faucet signs for what the table says, and the
    // mempool reads the table too): the block holding that spend is refused at the next open.
    let thief = keypair(9);
    ledger
        .fund(&p2tr(&thief), Amount::from_int_btc(1_000))
        .expect("the forged coin pays");
    let reason = corruption(Ledger::open(&path));
    assert!(reason.contains("is invalid"), "{reason}");
}

/// A handle kept for a session (the REPL's, an in-process engine's) checks the recent
/// blocks again only when something was written since it last did, whoever wrote it and
/// however: a write through another handle, an edit by hand, bytes changed outside SQLite.
#[test]
fn a_kept_ledger_checks_its_recent_blocks_again_after_any_write() {
    let (dir, ledger, db) = busy_ledger();
    let chain = dir.path().join("chain");
    // `busy_ledger` wrote after its open: checked once, then nothing to do.
    assert!(ledger.check_recent().unwrap());
    assert!(!ledger.check_recent().unwrap());
    assert!(
        !ledger.clone().check_recent().unwrap(),
        "a clone shares the mark"
    );
    // Another handle (another process) mines.
    Ledger::open(&chain).unwrap().mine(1, None).unwrap();
    assert!(ledger.check_recent().unwrap());
    assert!(!ledger.check_recent().unwrap());
    // Bytes written outside SQLite move no `data_version`; the file's time does.
    for file in ["ledger.sqlite", "ledger.sqlite-wal"] {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(chain.join(file))
            .unwrap();
        f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(60))
            .unwrap();
        assert!(ledger.check_recent().unwrap(), "{file}");
        assert!(!ledger.check_recent().unwrap(), "{file}");
    }
    // An edit by hand of a recent block's spend is found by the kept handle itself.
    db.execute(
        "UPDATE transactions SET raw = CAST(raw || x'00' AS BLOB) WHERE position = 0 \
         AND height = (SELECT MAX(height) FROM blocks) - 1",
        [],
    )
    .unwrap();
    corruption(ledger.check_recent());
    // And again at the next command: a failed check leaves no mark.
    corruption(ledger.check_recent());
}

/// Writes that go around the kept connection's WAL index move no `data_version`: a forged
/// copy put back over the file in place (same inode), and an edit made under another name
/// then moved back (review finding F1). The file marks catch both, and the check reads
/// through a new connection, not the kept one's cached pages.
#[test]
fn a_kept_ledger_finds_a_file_replaced_in_place_or_edited_under_another_name() {
    use std::os::unix::fs::MetadataExt;
    let forge = |db: &rusqlite::Connection, tip: u32| {
        let n = db
            .execute(
                "UPDATE outputs SET value = value + 100000000 WHERE height = ?1 AND coinbase = 1",
                [tip],
            )
            .unwrap();
        assert_eq!(n, 1);
    };
    for in_place in [true, false] {
        let (dir, ledger) = new_ledger();
        ledger.mine(20, None).unwrap();
        let tip = ledger.tip().unwrap().height;
        let db = ledger.database_path();
        // Everything in the main file (another process checkpointing), then checked.
        rusqlite::Connection::open(&db)
            .unwrap()
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        assert!(ledger.check_recent().unwrap());
        assert!(!ledger.check_recent().unwrap());
        let inode = std::fs::metadata(&db).unwrap().ino();
        if in_place {
            let forged = dir.path().join("forged.sqlite");
            let source = rusqlite::Connection::open(&db).unwrap();
            source
                .execute("VACUUM INTO ?1", [forged.to_str().unwrap()])
                .unwrap();
            let copy = rusqlite::Connection::open(&forged).unwrap();
            forge(&copy, tip);
            copy.pragma_update(None, "journal_mode", "DELETE").unwrap();
            drop(copy);
            std::fs::copy(&forged, &db).unwrap();
        } else {
            let aside = dir.path().join("chain/aside.sqlite");
            std::fs::rename(&db, &aside).unwrap();
            let edit = rusqlite::Connection::open(&aside).unwrap();
            forge(&edit, tip);
            edit.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .unwrap();
            drop(edit);
            std::fs::rename(&aside, &db).unwrap();
        }
        assert_eq!(
            std::fs::metadata(&db).unwrap().ino(),
            inode,
            "the same file"
        );
        let reason = corruption(ledger.check_recent());
        assert!(reason.contains("differs from its transaction"), "{reason}");
    }
}

#[test]
fn rows_and_bytes_no_block_accounts_for_are_found() {
    // An output row no transaction creates: only the whole verification counts rows.
    let (dir, ledger, db) = busy_ledger();
    db.execute(
        "INSERT INTO outputs (txid, vout, value, script_pubkey, height, coinbase, spent_by) \
         VALUES (randomblob(32), 0, 100000000, ?1, 5, 0, NULL)",
        [p2tr(&keypair(9)).as_bytes()],
    )
    .unwrap();
    Ledger::open(dir.path().join("chain")).unwrap();
    let reason = corruption(ledger.verify(None));
    assert!(
        reason.contains("outputs, the blocks account for"),
        "{reason}"
    );

    // A recent coin marked spent by a transaction that does not spend it.
    let (dir, _ledger, db) = busy_ledger();
    db.execute(
        "UPDATE outputs SET spent_by = randomblob(32) WHERE coinbase = 1 \
         AND height = (SELECT MAX(height) FROM blocks)",
        [],
    )
    .unwrap();
    let reason = corruption(Ledger::open(dir.path().join("chain")).and_then(|l| l.verify(None)));
    assert!(reason.contains("spent outputs"), "{reason}");

    // A recent confirmed transaction's bytes replaced: refused at open.
    let (dir, ledger, db) = busy_ledger();
    let tip = ledger.tip().unwrap().height;
    let (raw,): (Vec<u8>,) = db
        .query_row(
            "SELECT raw FROM transactions WHERE height = ?1 AND position = 0",
            [tip],
            |r| Ok((r.get(0)?,)),
        )
        .unwrap();
    let mut coinbase: Transaction = bitcoin::consensus::deserialize(&raw).unwrap();
    coinbase.output[0].value += Amount::from_sat(1);
    db.execute(
        "UPDATE transactions SET raw = ?1 WHERE height = ?2 AND position = 0",
        rusqlite::params![bitcoin::consensus::serialize(&coinbase), tip],
    )
    .unwrap();
    let reason = corruption(Ledger::open(dir.path().join("chain")));
    assert!(reason.contains("is stored with the bytes of"), "{reason}");
}

fn db_of(dir: &tempfile::TempDir) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.path().join("chain/ledger.sqlite")).unwrap()
}

/// A transaction out of nothing (it spends an outpoint that never existed) paying `sat`.
fn out_of_nothing(to: &Keypair, sat: u64) -> Transaction {
    tx(
        vec![input(
            OutPoint::new(bitcoin::Txid::from_byte_array([7; 32]), 0),
            0xffff_ffff,
        )],
        vec![(p2tr(to), sat)],
    )
}

#[test]
fn a_made_up_transaction_placed_in_an_old_block_is_refused_when_read_or_spent() {
    let (dir, ledger) = new_ledger();
    ledger.mine(20, None).unwrap();
    let thief = keypair(9);
    let forged = out_of_nothing(&thief, 100_000_000_000);
    let ftxid = forged.compute_txid();
    let db = db_of(&dir);
    db.execute(
        "INSERT INTO transactions (txid, raw, height, position) VALUES (?1, ?2, 1, 99)",
        rusqlite::params![
            ftxid.as_byte_array().as_slice(),
            bitcoin::consensus::serialize(&forged)
        ],
    )
    .unwrap();
    db.execute(
        "INSERT INTO outputs (txid, vout, value, script_pubkey, height, coinbase, spent_by) \
         VALUES (?1, 0, 100000000000, ?2, 1, 0, NULL)",
        rusqlite::params![ftxid.as_byte_array().as_slice(), p2tr(&thief).as_bytes()],
    )
    .unwrap();
    let path = dir.path().join("chain");
    let ledger = Ledger::open(&path).expect("the row is older than the blocks an open checks");
    // A watcher asking whether it confirmed is told the ledger is corrupt, not "yes".
    let reason = corruption(ledger.tx(&ftxid));
    assert!(reason.starts_with("block 1: "), "{reason}");
    // The thief spends it anyway (the mempool reads the UTXO table): the block holding the
    // spend is refused at the next open, its input's creator not being in its block.
    let mut spend = tx(
        vec![input(OutPoint::new(ftxid, 0), 0xffff_fffd)],
        vec![(p2tr(&keypair(10)), 99_999_990_000)],
    );
    sign_key_path(&mut spend, 0, &forged.output, &thief);
    ledger.submit(&spend).unwrap();
    ledger.mine(1, None).unwrap();
    let reason = corruption(Ledger::open(&path));
    assert!(reason.starts_with("block 1: "), "{reason}");
    assert!(corruption(ledger.verify(None)).contains("block 1"));
}

#[test]
fn a_spent_coin_marked_unspent_again_is_found_by_verify() {
    let (dir, ledger) = new_ledger();
    let (coin, spends) = funded_spends(&ledger, &[49_000, 49_000]);
    let [first, second] = <[Transaction; 2]>::try_from(spends).unwrap();
    ledger.submit(&first).unwrap();
    ledger.mine(10, None).unwrap();
    db_of(&dir)
        .execute(
            "UPDATE outputs SET spent_by = NULL WHERE txid = ?1 AND vout = ?2",
            rusqlite::params![coin.txid.as_byte_array().as_slice(), coin.vout],
        )
        .unwrap();
    let path = dir.path().join("chain");
    let ledger = Ledger::open(&path).unwrap();
    ledger.submit(&second).unwrap();
    ledger.mine(1, None).unwrap();
    // What the last blocks alone cannot show (the first spend is 11 blocks deep; ADR 0010):
    // the open passes, the whole verification does not.
    Ledger::open(&path).expect("the undone spend is older than the blocks an open checks");
    let reason = corruption(ledger.verify(None));
    assert!(reason.contains("does not record that"), "{reason}");
}

/// Rewrites the coinbase of the tip block and its header (as a forger would).
fn rewrite_tip_coinbase(db: &rusqlite::Connection, height: u32, outputs: Vec<TxOut>) {
    let (old, raw): (Vec<u8>, Vec<u8>) = db
        .query_row(
            "SELECT txid, raw FROM transactions WHERE height = ?1 AND position = 0",
            [height],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let mut coinbase: Transaction = bitcoin::consensus::deserialize(&raw).unwrap();
    coinbase.output = outputs;
    let new = coinbase.compute_txid();
    db.execute(
        "UPDATE transactions SET txid = ?1, raw = ?2 WHERE height = ?3 AND position = 0",
        rusqlite::params![
            new.as_byte_array().as_slice(),
            bitcoin::consensus::serialize(&coinbase),
            height
        ],
    )
    .unwrap();
    db.execute("DELETE FROM outputs WHERE txid = ?1", [old])
        .unwrap();
    for (vout, o) in coinbase.output.iter().enumerate() {
        if !o.script_pubkey.is_op_return() {
            db.execute(
                "INSERT INTO outputs (txid, vout, value, script_pubkey, height, coinbase, spent_by) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, NULL)",
                rusqlite::params![
                    new.as_byte_array().as_slice(),
                    vout as u32,
                    o.value.to_sat() as i64,
                    o.script_pubkey.as_bytes(),
                    height
                ],
            )
            .unwrap();
        }
    }
    // A one-transaction block: the merkle root is the coinbase's txid.
    db.execute(
        "UPDATE blocks SET merkle_root = ?1 WHERE height = ?2",
        rusqlite::params![new.as_byte_array().as_slice(), height],
    )
    .unwrap();
    rehash_block(db, height);
}

/// Sets the stored hash of block `height` to the hash of its stored header fields, after a
/// forger's edit of them.
fn rehash_block(db: &rusqlite::Connection, height: u32) {
    let (prev, merkle, time): (Vec<u8>, Vec<u8>, u32) = db
        .query_row(
            "SELECT prev_hash, merkle_root, time FROM blocks WHERE height = ?1",
            [height],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let header = bitcoin::block::Header {
        version: bitcoin::block::Version::TWO,
        prev_blockhash: bitcoin::BlockHash::from_byte_array(prev.try_into().unwrap()),
        merkle_root: bitcoin::TxMerkleNode::from_byte_array(merkle.try_into().unwrap()),
        time,
        bits: bitcoin::CompactTarget::from_consensus(0x207f_ffff),
        nonce: 0,
    };
    db.execute(
        "UPDATE blocks SET hash = ?1 WHERE height = ?2",
        rusqlite::params![header.block_hash().as_byte_array().as_slice(), height],
    )
    .unwrap();
}

/// Block times follow the ledger's clock: a forger who moves a block's time (to bring a
/// time lock's expiry forward) and hashes its header again is refused.
#[test]
fn a_block_time_moved_off_the_ledgers_clock_is_refused() {
    let (dir, ledger) = new_ledger();
    ledger.mine(3, None).unwrap();
    let db = db_of(&dir);
    db.execute("UPDATE blocks SET time = time + 7200 WHERE height = 3", [])
        .unwrap();
    rehash_block(&db, 3);
    let reason = corruption(Ledger::open(dir.path().join("chain")));
    assert!(reason.contains("is not the ledger's clock"), "{reason}");
}

#[test]
fn a_coinbase_whose_outputs_overflow_is_refused_not_a_crash() {
    let (dir, ledger) = new_ledger();
    ledger.mine(3, None).unwrap();
    let max = Amount::MAX_MONEY.to_sat();
    // Summed in u64 the two wrap around to 1 sat: within any subsidy.
    rewrite_tip_coinbase(
        &db_of(&dir),
        3,
        vec![
            TxOut {
                value: Amount::from_sat(max),
                script_pubkey: p2tr(&keypair(9)),
            },
            TxOut {
                value: Amount::from_sat(u64::MAX - max + 1),
                script_pubkey: ScriptBuf::new_op_return([0u8; 4]),
            },
        ],
    );
    let reason = corruption(Ledger::open(dir.path().join("chain")));
    assert!(reason.contains("more than 21 million btc"), "{reason}");
    assert!(corruption(ledger.verify(None)).contains("more than 21 million btc"));
}

#[test]
fn rows_hidden_from_an_index_or_a_planted_schema_are_found() {
    let (dir, ledger) = new_ledger();
    ledger.mine(10, None).unwrap();
    let fake = out_of_nothing(&keypair(20), 1_000_000);
    let ftxid = fake.compute_txid();
    let path = dir.path().join("chain/ledger.sqlite");
    let set_index = |sql: &str| {
        let db = rusqlite::Connection::open(&path).unwrap();
        let v: i64 = db
            .query_row("PRAGMA schema_version", [], |r| r.get(0))
            .unwrap();
        db.execute_batch("PRAGMA writable_schema = ON").unwrap();
        db.execute(
            "UPDATE sqlite_master SET sql = ?1 WHERE name = 'transactions_by_block'",
            [sql],
        )
        .unwrap();
        db.execute_batch(&format!(
            "PRAGMA schema_version = {}; PRAGMA writable_schema = OFF",
            v + 1
        ))
        .unwrap();
    };
    let index = "CREATE INDEX transactions_by_block ON transactions (height, position)";
    // While the index leaves rows out, the schema is not ours: refused at open.
    set_index(&format!("{index} WHERE height < 0"));
    let reason = corruption(Ledger::open(dir.path().join("chain")));
    assert!(reason.contains("schema"), "{reason}");
    // A confirmed transaction slipped in under it, the index then put back.
    db_of(&dir)
        .execute(
            "INSERT INTO transactions (txid, raw, height, position) VALUES (?1, ?2, 5, 1)",
            rusqlite::params![
                ftxid.as_byte_array().as_slice(),
                bitcoin::consensus::serialize(&fake)
            ],
        )
        .unwrap();
    set_index(index);
    let reason = corruption(ledger.tx(&ftxid));
    assert!(reason.contains("block 5"), "{reason}");
    let reason = corruption(ledger.verify(None));
    assert!(reason.contains("integrity check"), "{reason}");
    // A trigger planted beside the tables.
    let (dir, ledger) = new_ledger();
    db_of(&dir)
        .execute_batch(
            "CREATE TRIGGER steal AFTER INSERT ON outputs BEGIN \
             UPDATE outputs SET value = value * 2 WHERE txid = NEW.txid; END;",
        )
        .unwrap();
    assert!(corruption(ledger.verify(Some(1))).contains("(trigger steal)"));
}
