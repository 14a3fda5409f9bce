//! Whether a payment through S costs more when S is big: the same asynchronous payment
//! (`create_network`, clients in-process over HTTP on 127.0.0.1, as `benches/network.rs`)
//! measured on a fresh S, then again after S took on `CHANNELS` more channels (opened
//! through the protocol by other client wallets, 32 each, funded and confirmed), then again
//! with `ITEMS` more mailbox items (posted as S's own, 20 for each of `ITEMS / 20` other
//! recipients: members' items, which nothing expires or displaces). Each size has a
//! payer/payee pair of its own.
//!
//! Reported for each size: S's CPU per payment (its runtime threads, which serve the
//! requests; `/proc/self/task`), in ms and as a multiple of one BIP340 verification
//! measured in the same run, and the latency of `pay` and of `receive` (B online →
//! credited), p50 / p95, while S's chain watcher makes a pass a second on a thread of its
//! own, as in `server run`; and the wall time of one pass, about all of it CPU: the
//! watcher's cost is that, once a second, whether payments flow or not. A pass looks on
//! chain only at the channels that changed since the pass before, unless the chain changed
//! (then at all of them): both are timed, a quiet pass (the passes during the payments,
//! p50) and one after a block.
//!
//! `cargo bench --bench server_scale [-- CHANNELS ITEMS]` (default 10,000 and 99,900: the
//! mailbox holds at most 100,000 items, and the measured payments need room). Everything
//! lives under `ASYNCPAY_BENCH_DIR` (default `/dev/shm` when it exists): building 10,000
//! channels writes a few hundred thousand durable records, which on a disk would take most of
//! an hour; the figure compared is S's CPU, which an fsync does not change.

mod common;

#[path = "../tests/common/functional.rs"]
mod functional;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{cpu, verify_seconds};

use asyncpay::eltoo::Party;
use asyncpay::keys::NodeId;
use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use bitcoin::{Amount, FeeRate};

const PAYMENTS: usize = 60;
const CHANNELS_PER_NODE: usize = 32;
const CAPACITY: u64 = 100_000;
const ITEMS_PER_RECIPIENT: usize = 20;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

/// `PAYMENTS` whole payments from payer `k` to payee `k` (a pair of its own for each
/// size, so that the clients' own history is the same in every row) while S's chain
/// watcher runs a pass a second, as `server run` does; prints one table row.
fn measure(net: &functional::Net, k: usize, label: &str, verify: f64) {
    let (mut pays, mut receives) = (Vec::new(), Vec::new());
    let done = AtomicBool::new(false);
    let mut passes = Vec::new();
    let s0 = cpu(Some("tokio-"));
    std::thread::scope(|scope| {
        let watcher = std::thread::Builder::new()
            .name("watcher".into())
            .spawn_scoped(scope, || {
                let mut passes = Vec::new();
                while !done.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    net.servers[0].running().watch_pass();
                    passes.push(t.elapsed());
                    while t.elapsed() < Duration::from_secs(1) && !done.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                }
                passes
            })
            .unwrap();
        for _ in 0..PAYMENTS {
            let t = Instant::now();
            let p = net.pay(k, k, 1_000);
            pays.push(t.elapsed());
            let t = Instant::now();
            let got = net.receive(k);
            receives.push(t.elapsed());
            assert!(got.iter().any(|q| q.payment_id == p.payment_id));
            net.sync(k);
        }
        done.store(true, Ordering::Relaxed);
        passes = watcher.join().unwrap();
    });
    let s_cpu = (cpu(Some("tokio-")) - s0) / PAYMENTS as f64;
    net.ledger().mine(1, None).unwrap();
    let t = Instant::now();
    net.servers[0].running().watch_pass();
    let after_block = t.elapsed();
    pays.sort();
    receives.sort();
    passes.sort();
    println!(
        "| {label} | {:.2} ms | {:.0} | {:.1} / {:.1} ms | {:.1} / {:.1} ms | {:.1} / {:.1} ms |",
        s_cpu * 1e3,
        s_cpu / verify,
        percentile(&pays, 0.5),
        percentile(&pays, 0.95),
        percentile(&receives, 0.5),
        percentile(&receives, 0.95),
        percentile(&passes, 0.5),
        after_block.as_secs_f64() * 1e3,
    );
}

/// `n` more channels with S, opened by fresh client wallets (`CHANNELS_PER_NODE` each, at
/// most 16 unconfirmed at a time: S's limit per node), funded and confirmed.
fn add_channels(net: &functional::Net, n: usize) {
    let ledger = net.ledger();
    let s = net.servers[0].running();
    let url = s.url().to_owned();
    let mut opened = 0;
    let t = Instant::now();
    for k in 0.. {
        if opened >= n {
            break;
        }
        let node = functional::Node::create(net.root(), &format!("bg{k}"), &net.chain);
        let here = CHANNELS_PER_NODE.min(n - opened);
        // One coin, one block: each funding spends the change of the one before.
        node.fund((CAPACITY + 2_000) * here as u64);
        for batch in (0..here).collect::<Vec<_>>().chunks(16) {
            for _ in batch {
                node.engine()
                    .open_channel(
                        &url,
                        Amount::from_sat(CAPACITY),
                        Party::Client,
                        FeeRate::from_sat_per_vb_u32(2),
                    )
                    .unwrap();
            }
            ledger.mine(1, None).unwrap();
            s.watch_pass();
        }
        opened += here;
        if k % 10 == 9 {
            eprintln!("{opened} channels in {:.0} s", t.elapsed().as_secs_f64());
        }
    }
    // A few empty blocks on top: a wallet opening the ledger checks the last six again
    // (ADR 0010), and the clients measured should not pay for the fundings' blocks.
    ledger.mine(6, None).unwrap();
    s.watch_pass();
}

/// `n` more members' items in S's mailbox.
fn add_items(net: &functional::Net, n: usize) {
    let s = net.servers[0].running();
    let from = s.core().node_id();
    let secp = Secp256k1::signing_only();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let t = Instant::now();
    for i in 0..n {
        let mut key = [0x42u8; 32];
        key[..8].copy_from_slice(&((i / ITEMS_PER_RECIPIENT) as u64 + 1).to_be_bytes());
        let to = NodeId(PublicKey::from_secret_key(
            &secp,
            &SecretKey::from_slice(&key).unwrap(),
        ));
        s.mailbox()
            .post(from, to, vec![0xa5; 1_000], None, now)
            .unwrap();
        if i % 10_000 == 9_999 {
            eprintln!("{} items in {:.0} s", i + 1, t.elapsed().as_secs_f64());
        }
    }
}

fn main() {
    let dir = std::env::var_os("ASYNCPAY_BENCH_DIR").or_else(|| {
        std::path::Path::new("/dev/shm")
            .is_dir()
            .then(|| "/dev/shm".into())
    });
    if let Some(dir) = dir {
        std::env::set_var("TMPDIR", dir);
    }
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let channels = args.first().copied().unwrap_or(10_000);
    let items = args.get(1).copied().unwrap_or(99_900);

    let verify = verify_seconds();
    let net = functional::create_network(3, 3, 1);
    for k in 0..3 {
        net.pay_and_settle(k, k, 1_000);
    }
    println!(
        "one payment through S, clients in-process; one BIP340 verification = {:.1} µs of CPU",
        verify * 1e6
    );
    println!(
        "| S holds | S CPU per payment | × BIP340 | pay p50 / p95 | receive p50 / p95 | watcher pass, quiet / after a block |"
    );
    println!("|---|---|---|---|---|---|");
    measure(&net, 0, "6 channels, empty mailbox", verify);
    add_channels(&net, channels);
    measure(&net, 1, &format!("{} channels", channels + 6), verify);
    add_items(&net, items);
    measure(
        &net,
        2,
        &format!("{} channels, {items} mailbox items", channels + 6),
        verify,
    );
}
