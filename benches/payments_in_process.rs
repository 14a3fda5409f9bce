//! Asynchronous payments with A, B and S in one process (`tests/common/network.rs`, the
//! harness of the A–B–S state-machine fuzzer): S is `InProcessServer` (the core, HTTP API
//! and durable store of `server run`) on 127.0.0.1, A and B run the command handlers
//! in-process over real HTTP, one regtest ledger. One payment: A `pay`, B `receive` (sell
//! and claim), A `sync` (invoice, scalar, S's partial). Reported: payments per second, one
//! after the other; the whole process's CPU per payment (all three roles together), also as
//! a multiple of one BIP340 verification measured in this run.
//! `cargo bench --bench payments_in_process`.

#[path = "../tests/common/network.rs"]
mod network;

use std::time::Instant;

const PAYMENTS: usize = 40;

/// User + system CPU seconds of this process so far (`/proc/self/stat`, all threads).
fn cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

fn main() {
    let mut world = network::World::new();
    let address = world.address().to_owned();
    let pay = |world: &mut network::World| {
        let t = Instant::now();
        world.a.run(&format!("pay {address} 1000")).unwrap();
        world.b.run("receive").unwrap();
        let synced = world.a.run("sync").unwrap();
        assert!(synced[0].to_string().contains("\"paid\""), "{synced:?}");
        t.elapsed().as_secs_f64()
    };
    pay(&mut world); // warm-up: the fundings confirmed, sessions unlocked

    let sk = secp::Scalar::try_from([9u8; 32]).unwrap();
    let sig: musig2::LiftedSignature = musig2::sign_solo(sk, [1u8; 32], [2u8; 32]);
    let n = 5_000;
    let t = Instant::now();
    for _ in 0..n {
        musig2::verify_single(sk.base_point_mul(), sig, [1u8; 32]).unwrap();
    }
    let verify_s = t.elapsed().as_secs_f64() / f64::from(n);

    let (c0, t0) = (cpu(), Instant::now());
    let mut each: Vec<f64> = (0..PAYMENTS).map(|_| pay(&mut world)).collect();
    let (cpu_per, wall) = ((cpu() - c0) / PAYMENTS as f64, t0.elapsed().as_secs_f64());
    each.sort_by(f64::total_cmp);
    println!(
        "asynchronous payments, A, B and S in one process over HTTP on 127.0.0.1, one after \
         the other; one BIP340 verification = {:.1} µs (this run)",
        verify_s * 1e6
    );
    println!(
        "{PAYMENTS} payments in {wall:.2} s: {:.1} payments/s; CPU {:.2} ms per payment (all \
         roles) = {:.0} x BIP340; payment p50 {:.1} ms, p95 {:.1} ms",
        PAYMENTS as f64 / wall,
        cpu_per * 1e3,
        cpu_per / verify_s,
        each[PAYMENTS / 2] * 1e3,
        each[PAYMENTS * 95 / 100] * 1e3
    );
}
