//! Asynchronous payments per second through S (PROTOCOL.md §5), with real processes on
//! 127.0.0.1: S is `asyncpay server run` (every state write durable: encrypted, fsync'd,
//! atomically replaced), payers A and payees B are `asyncpay` wallet processes, all on one
//! regtest ledger. One payment is what the CLI does:
//!
//! - A `pay`: S records the payment with its nonce for A–S state n+1; A signs it withholding
//!   `s_A` and posts the sealed package to B's mailbox;
//! - B `receive`: fetches the package, sells `s_A` (B–S state with S's PTLC) and claims
//!   (B–S state folding the PTLC into B's balance; S completes A–S state n+1);
//! - A `sync`: collects B's invoice, the scalar and S's partial signature.
//!
//! Pairs run concurrently (1, 2 and 4 payer/payee pairs, each with its own channels), each
//! pair one payment after the other. Reported: payments per second S completes; S's CPU
//! time per payment (from `/proc/<S>/stat`, every thread of S), also as a multiple of one
//! BIP340 verification measured in this run; the clients' CPU per payment (reaped
//! children); and B's latency from coming online (starting `receive`) to its balance
//! credited (the claim signed and written: `receive` exits), median and p95.
//! `cargo bench --bench payments`.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_asyncpay");
/// Payments per configuration, shared among its pairs.
const PAYMENTS: usize = 96;
const PAIRS: [usize; 3] = [1, 2, 4];
/// Clock ticks per second of `/proc/*/stat` (USER_HZ, 100 on Linux).
const TICKS: f64 = 100.0;

/// `asyncpay --json` on the wallet `name` under `root`, unlocked with the identity file.
fn asyncpay(root: &Path, name: &str, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("ASYNCPAY_") {
            c.env_remove(k);
        }
    }
    c.args(["--json", "--datadir"])
        .arg(root.join(name))
        .arg("--chain")
        .arg(format!("regtest:{}", root.join("chain").display()))
        .arg("--identity")
        .arg(root.join("identity.txt"))
        .args(args);
    c
}

/// Runs, expects success, returns the JSON result.
fn ok(root: &Path, name: &str, args: &[&str]) -> Value {
    let out = asyncpay(root, name, args).output().expect("asyncpay runs");
    assert!(
        out.status.success(),
        "{name}: asyncpay {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A new wallet `name` with `sat` on chain.
fn wallet(root: &Path, name: &str, sat: u64) {
    ok(root, name, &["init"]);
    let address = ok(root, name, &["wallet", "address"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(
        root,
        "faucet",
        &["regtest", "fund", &address, &format!("{sat}sat")],
    );
}

/// utime + stime (seconds) of process `pid`, and of its reaped children.
fn cpu_of(pid: &str) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<f64> = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .map(|f| f.parse().unwrap_or(0.0))
                .collect()
        })
        .unwrap_or_default();
    let at = |i: usize| fields.get(i).copied().unwrap_or(0.0) / TICKS;
    (at(11) + at(12), at(13) + at(14))
}

/// How long each step of one payment took.
struct Steps {
    pay: Duration,
    /// B's latency: from starting `receive` to its exit (claim signed and written).
    receive: Duration,
    sync: Duration,
}

/// One payment of `pair`: A pays, B receives (sells and claims), A syncs.
fn payment(root: &Path, pair: usize, address: &str) -> Steps {
    let (a, b) = (format!("a{pair}"), format!("b{pair}"));
    let t = Instant::now();
    let paid = ok(root, &a, &["pay", address, "1000"]);
    let pay = t.elapsed();
    assert_eq!(paid["status"], "pending", "{paid}");
    let id = paid["payment_id"].as_str().unwrap();
    let t = Instant::now();
    let received = ok(root, &b, &["receive"]);
    let receive = t.elapsed();
    assert_eq!(received["payments"][0]["payment_id"], id, "{received}");
    assert_eq!(received["payments"][0]["status"], "paid", "{received}");
    let t = Instant::now();
    let synced = ok(root, &a, &["sync"]);
    let sync = t.elapsed();
    assert_eq!(synced["payments"][0]["status"], "paid", "{synced}");
    Steps { pay, receive, sync }
}

/// The `p` quantile of `values` in milliseconds (nearest rank).
fn percentile(values: impl Iterator<Item = Duration>, p: f64) -> f64 {
    let mut sorted: Vec<Duration> = values.collect();
    sorted.sort();
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let root: PathBuf = dir.path().to_path_buf();
    let root = root.as_path();
    common::write_identity(&root.join("identity.txt"));

    // S: fee 1000 ppm, one confirmation, funds the payees' inbound channels. The delays of
    // the A–S and B–S channels satisfy the sale's timing inequality (docs/protocol.md §4.1),
    // as in the tests' network harness.
    wallet(root, "s", 10_000_000);
    ok(
        root,
        "s",
        &[
            "server",
            "init",
            "--shared-delay",
            "15",
            "--min-shared-delay",
            "2",
            "--inbound-shared-delay",
            "6",
            "--confirmation-budget",
            "1",
            "--min-confirmations",
            "1",
            "--inbound",
            "anyone",
        ],
    );
    let mut child = asyncpay(
        root,
        "s",
        &[
            "server",
            "run",
            "--listen",
            "127.0.0.1:0",
            "--watch-interval-ms",
            "600000",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let server = Server(child);
    let s_pid = server.0.id().to_string();
    let url = serde_json::from_str::<Value>(&line).expect("the listening line")["url"]
        .as_str()
        .unwrap()
        .to_owned();

    // Pairs: A with a channel it funded, B with inbound capacity S funded.
    let pairs = *PAIRS.iter().max().unwrap();
    let mut addresses = Vec::new();
    for i in 0..pairs {
        let (a, b) = (format!("a{i}"), format!("b{i}"));
        wallet(root, &a, 2_000_000);
        ok(root, &a, &["channel", "open", &url, "1000000"]);
        ok(root, &b, &["init"]);
        ok(root, &b, &["channel", "request-inbound", &url, "1000000"]);
        addresses.push(
            ok(root, &b, &["address"])["address"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    ok(root, "faucet", &["regtest", "mine", "1"]);
    for (i, address) in addresses.iter().enumerate() {
        payment(root, i, address); // warm up: S sees the fundings confirmed
    }

    // BIP340 verification baseline, measured in this run.
    let sk = secp::Scalar::try_from([9u8; 32]).unwrap();
    let sig: musig2::LiftedSignature = musig2::sign_solo(sk, [1u8; 32], [2u8; 32]);
    let n = 5_000;
    let t = Instant::now();
    for _ in 0..n {
        musig2::verify_single(sk.base_point_mul(), sig, [1u8; 32]).unwrap();
    }
    let verify_s = t.elapsed().as_secs_f64() / f64::from(n);

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "asynchronous payments through S (`server run`, durable writes), clients as processes; \
         {cores} core(s), load average {} before",
        loadavg()
    );
    println!(
        "one BIP340 verification = {:.1} µs (this run)",
        verify_s * 1e6
    );
    println!(
        "{:>5} {:>8} {:>7} {:>10} {:>12} {:>10} {:>15} {:>13} {:>13} {:>14}",
        "pairs",
        "payments",
        "wall s",
        "payments/s",
        "S CPU ms/pay",
        "x BIP340",
        "client CPU ms/pay",
        "B latency p50",
        "B latency p95",
        "pay/sync p50"
    );
    for count in PAIRS {
        let each = PAYMENTS / count;
        let total = each * count;
        let (s0, c0) = (cpu_of(&s_pid).0, cpu_of("self").1);
        let t = Instant::now();
        let steps: Vec<Steps> = std::thread::scope(|scope| {
            let workers: Vec<_> = addresses[..count]
                .iter()
                .enumerate()
                .map(|(i, address)| {
                    scope.spawn(move || {
                        (0..each)
                            .map(|_| payment(root, i, address))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        });
        let wall = t.elapsed().as_secs_f64();
        let s_cpu = (cpu_of(&s_pid).0 - s0) / total as f64;
        let client_cpu = (cpu_of("self").1 - c0) / total as f64;
        let receive = || steps.iter().map(|s| s.receive);
        println!(
            "{count:>5} {total:>8} {wall:>7.2} {:>10.1} {:>12.2} {:>10.0} {:>15.2} {:>10.1} ms {:>10.1} ms {:>6.1}/{:.1} ms",
            total as f64 / wall,
            s_cpu * 1e3,
            s_cpu / verify_s,
            client_cpu * 1e3,
            percentile(receive(), 0.5),
            percentile(receive(), 0.95),
            percentile(steps.iter().map(|s| s.pay), 0.5),
            percentile(steps.iter().map(|s| s.sync), 0.5),
        );
    }
    println!("load average {} after", loadavg());
    drop(server);
}
