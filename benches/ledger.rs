//! The regtest ledger at two chain heights, about 100 and about 20,000 blocks: submitting a
//! transaction, mining one block, the script queries (`utxos_for_script`, `value_at`), and a
//! whole `asyncpay --json wallet balance --identity FILE` process on a wallet synced to the
//! tip. Its cost should not grow with the height. `cargo bench --bench ledger`.
//!
//! The tall ledger is built by mining in bulk through the library (`Ledger::mine`). Mining
//! and submitting make the chain grow while they are measured (by a few hundred blocks at
//! most); the heights printed are those at the start.

mod common;

use common::check;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use asyncpay::chain::Ledger;
use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};
use criterion::Criterion;

const BIN: &str = env!("CARGO_BIN_EXE_asyncpay");

/// The witness script `OP_TRUE`: spends need no signature.
fn op_true() -> ScriptBuf {
    ScriptBuf::from_bytes(vec![0x51])
}

/// Pay-to-witness-script-hash of [`op_true`] (a transaction spending one to one is above
/// the relay policy's minimum size, which a pay-to-anchor one is not).
fn coin_script() -> ScriptBuf {
    ScriptBuf::new_p2wsh(&op_true().wscript_hash())
}

/// What one spend pays in fee (1 sat/vB relays).
const FEE: u64 = 200;

/// Spends `coin` (worth `value` sat) to a new coin of the same script, [`FEE`] less.
fn spend(coin: OutPoint, value: u64) -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: coin,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Witness::from_slice(&[op_true().to_bytes()]),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(value - FEE),
            script_pubkey: coin_script(),
        }],
    }
}

fn asyncpay(root: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(["--json", "--datadir"])
        .arg(root.join("wallet"))
        .arg("--chain")
        .arg(format!("regtest:{}", root.join("chain").display()))
        .arg("--identity")
        .arg(root.join("identity.txt"))
        .args(args);
    c
}

/// A ledger at about `height` blocks with a wallet synced to its tip: returns the ledger and
/// a coin of 1 BTC to spend from.
fn setup(root: &Path, height: u32) -> (Ledger, OutPoint) {
    common::write_identity(&root.join("identity.txt"));
    check(asyncpay(root, &["init"]));
    let addr: serde_json::Value =
        serde_json::from_str(&check(asyncpay(root, &["wallet", "address"]))).unwrap();
    let addr = addr["address"].as_str().unwrap().to_owned();
    let ledger = Ledger::open(root.join("chain")).unwrap();
    let start = Instant::now();
    let below = height.saturating_sub(ledger.tip().unwrap().height + 102);
    ledger.mine(below, None).unwrap();
    let mined = start.elapsed();
    let address: bitcoin::Address<bitcoin::address::NetworkUnchecked> = addr.parse().unwrap();
    ledger
        .fund_address(&address.assume_checked(), Amount::from_sat(500_000))
        .unwrap();
    let coin = ledger
        .fund(&coin_script(), Amount::from_btc(1.0).unwrap())
        .unwrap();
    // The first balance syncs the whole chain into the wallet; the measured ones sync nothing.
    let start = Instant::now();
    check(asyncpay(root, &["wallet", "balance"]));
    eprintln!(
        "ledger at height {}: mined {below} blocks in bulk in {mined:?}, first wallet sync {:?}",
        ledger.tip().unwrap().height,
        start.elapsed()
    );
    (ledger, coin)
}

fn bench_height(c: &mut Criterion, height: u32) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (ledger, mut coin) = setup(root, height);
    let mut value = 100_000_000u64;
    let name = |what: &str| format!("ledger_h{height}/{what}");

    c.bench_function(&name("submit"), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                let tx = spend(coin, value);
                let start = Instant::now();
                ledger.submit(&tx).unwrap();
                total += start.elapsed();
                coin = OutPoint::new(tx.compute_txid(), 0);
                value -= FEE;
                // Keep the chain of unconfirmed spends under the relay limit of 25: confirm
                // every 20 (not measured).
                if i % 20 == 19 {
                    ledger.mine(1, None).unwrap();
                }
            }
            ledger.mine(1, None).unwrap();
            total
        })
    });
    c.bench_function(&name("mine_one_block"), |b| {
        b.iter(|| ledger.mine(1, None).unwrap())
    });
    let script = coin_script();
    c.bench_function(&name("utxos_for_script"), |b| {
        b.iter(|| ledger.utxos_for_script(&script).unwrap())
    });
    c.bench_function(&name("value_at"), |b| {
        b.iter(|| ledger.value_at(&script).unwrap())
    });
    // Sync the wallet to the blocks mined above before measuring it.
    check(asyncpay(root, &["wallet", "balance"]));
    c.bench_function(&name("wallet_balance_identity_process"), |b| {
        b.iter(|| check(asyncpay(root, &["wallet", "balance"])))
    });
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    bench_height(&mut c, 100);
    bench_height(&mut c, 20_000);
    c.final_summary();
}
