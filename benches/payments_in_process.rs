//! Asynchronous payments with A, B and S in one process (`tests/common/network.rs`, the
//! harness of the A–B–S state-machine fuzzer): S is `InProcessServer` (the core, HTTP API
//! and durable store of `server run`) on 127.0.0.1, A and B run the command handlers
//! in-process over real HTTP, one regtest ledger. One payment: A `pay`, B `receive` (sell
//! and claim), A `sync` (invoice, scalar, S's partial). Reported: payments per second, one
//! after the other; the whole process's CPU per payment (all three roles together), also as
//! a multiple of one BIP340 verification measured in this run; and S's share of it: A and B
//! run on the main thread (blocking HTTP), S on its runtime's threads, so S's CPU is the
//! process's minus the main thread's (`/proc/thread-self/stat` read on the main thread).
//! The mean of the first and of the last tenth of the payments shows whether a payment's cost
//! grows with the channels' histories (3 states per payment).
//! `cargo bench --bench payments_in_process [-- PAYMENTS]`.

mod common;

#[path = "../tests/common/network.rs"]
mod network;

use std::time::Instant;

const PAYMENTS: usize = 40;

/// User + system CPU seconds of this process so far (`/proc/self/stat`, all threads).
fn cpu() -> f64 {
    common::cpu_seconds("/proc/self/stat")
}

/// User + system CPU seconds of the calling thread so far: on the main thread, A's and B's.
fn main_thread_cpu() -> f64 {
    common::cpu_seconds("/proc/thread-self/stat")
}

/// `n` BIP340 verifications (the unit of the figures). Not inlined, so that a callgrind run
/// can count its instructions (`--dump-after=*bip340_verifications*`).
#[inline(never)]
fn bip340_verifications(n: u32) {
    let sk = secp::Scalar::try_from([9u8; 32]).unwrap();
    let pk = sk.base_point_mul();
    let sig: musig2::LiftedSignature = musig2::sign_solo(sk, [1u8; 32], [2u8; 32]);
    for _ in 0..n {
        musig2::verify_single(pk, std::hint::black_box(sig), [1u8; 32]).unwrap();
    }
}

/// The measured payments. Not inlined, so that a callgrind run can count exactly them, S's
/// threads included (`--zero-before=*measured_payments* --dump-after=*measured_payments*`).
#[inline(never)]
fn measured_payments(payments: usize, pay: &mut dyn FnMut() -> f64) -> Vec<f64> {
    (0..payments).map(|_| pay()).collect()
}

fn main() {
    let payments: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(PAYMENTS);
    let mut world = network::World::new();
    let address = world.address().to_owned();
    let pay = |world: &mut network::World| {
        let t = Instant::now();
        // The dust limit: the channels carry about 600 payments (`-- 590` at most).
        world.a.run(&format!("pay {address} 330")).unwrap();
        world.b.run("receive").unwrap();
        let synced = world.a.run("sync").unwrap();
        assert!(synced[0].to_string().contains("\"paid\""), "{synced:?}");
        t.elapsed().as_secs_f64()
    };
    pay(&mut world); // warm-up: the fundings confirmed, sessions unlocked

    // Fewer under callgrind: `BENCH_VERIFICATIONS=100`.
    let n: u32 = std::env::var("BENCH_VERIFICATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let t = Instant::now();
    bip340_verifications(n);
    let verify_s = t.elapsed().as_secs_f64() / f64::from(n);

    let (c0, m0, t0) = (cpu(), main_thread_cpu(), Instant::now());
    let mut each = measured_payments(payments, &mut || pay(&mut world));
    let (all, clients) = (cpu() - c0, main_thread_cpu() - m0);
    let n = payments as f64;
    let (cpu_per, wall) = (all / n, t0.elapsed().as_secs_f64());
    let s_per = (all - clients) / n;
    // Each payment adds 3 states to each channel's history: flat costs keep these equal.
    let tenth = (payments / 10).max(1);
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64 * 1e3;
    let (first, last) = (mean(&each[..tenth]), mean(&each[payments - tenth..]));
    each.sort_by(f64::total_cmp);
    println!(
        "asynchronous payments, A, B and S in one process over HTTP on 127.0.0.1, one after \
         the other; one BIP340 verification = {:.1} µs (this run)",
        verify_s * 1e6
    );
    println!(
        "{payments} payments in {wall:.2} s: {:.1} payments/s; CPU {:.2} ms per payment (all \
         roles) = {:.0} x BIP340; payment p50 {:.1} ms, p95 {:.1} ms",
        n / wall,
        cpu_per * 1e3,
        cpu_per / verify_s,
        each[payments / 2] * 1e3,
        each[payments * 95 / 100] * 1e3
    );
    println!(
        "S: CPU {:.2} ms per payment = {:.0} x BIP340; A and B: {:.2} ms = {:.0} x BIP340",
        s_per * 1e3,
        s_per / verify_s,
        clients / n * 1e3,
        clients / n / verify_s
    );
    println!("payment mean, first {tenth}: {first:.1} ms; last {tenth}: {last:.1} ms");
}
