//! Durable asynchronous payments per second through one S over HTTP on 127.0.0.1, with the
//! payers and payees in this process driving the client engine
//! (`tests/common/functional.rs`, `create_network`): 1, 2 and 4 payer/payee pairs at once,
//! each pair one thread doing whole payments (A pays, offline B comes online and receives
//! — sells and claims —, A syncs). Every state of every role is written durably.
//!
//! Reported: payments per second; S's CPU per payment (the CPU of S's runtime threads,
//! `/proc/self/task`) and the whole process's (all roles), each also as a multiple of one
//! BIP340 verification measured in this run. `cargo bench --bench network`.

mod common;

#[path = "../tests/common/functional.rs"]
mod functional;

use std::time::Instant;

const PAYMENTS_PER_PAIR: usize = 20;

/// CPU seconds (user + system) of the threads of this process whose name starts with
/// `prefix` (`None`: the whole process).
fn cpu(prefix: Option<&str>) -> f64 {
    let Some(prefix) = prefix else {
        return common::cpu_seconds("/proc/self/stat");
    };
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .flatten()
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|comm| comm.starts_with(prefix))
        })
        .map(|task| common::cpu_seconds(task.path().join("stat")))
        .sum()
}

/// CPU seconds of one BIP340 verification (CPU time, not wall time: the ratio holds on a
/// busy machine too).
fn verify_seconds() -> f64 {
    let sk = secp::Scalar::try_from([9u8; 32]).unwrap();
    let sig: musig2::LiftedSignature = musig2::sign_solo(sk, [1u8; 32], [2u8; 32]);
    let n = 10_000;
    let c = cpu(None);
    for _ in 0..n {
        musig2::verify_single(sk.base_point_mul(), sig, [1u8; 32]).unwrap();
    }
    (cpu(None) - c) / f64::from(n)
}

fn main() {
    let verify = verify_seconds();
    println!(
        "asynchronous payments through one S over HTTP on 127.0.0.1, clients in-process \
         (client engine); one BIP340 verification = {:.1} µs of CPU (this run)",
        verify * 1e6
    );
    println!("| pairs | payments/s | S CPU per payment | × BIP340 | all roles CPU per payment | × BIP340 |");
    println!("|---|---|---|---|---|---|");
    for pairs in [1usize, 2, 4] {
        let net = functional::create_network(pairs, pairs, 1);
        // Warm-up: one payment per pair (fundings confirmed, first syncs done).
        for i in 0..pairs {
            net.pay_and_settle(i, i, 1_000);
        }
        let (s0, all0, t0) = (cpu(Some("tokio-")), cpu(None), Instant::now());
        std::thread::scope(|scope| {
            for i in 0..pairs {
                let net = &net;
                std::thread::Builder::new()
                    .name(format!("pair-{i}"))
                    .spawn_scoped(scope, move || {
                        for _ in 0..PAYMENTS_PER_PAIR {
                            net.pay_and_settle(i, i, 1_000);
                        }
                    })
                    .unwrap();
            }
        });
        let n = (pairs * PAYMENTS_PER_PAIR) as f64;
        let wall = t0.elapsed().as_secs_f64();
        let s_cpu = (cpu(Some("tokio-")) - s0) / n;
        let all_cpu = (cpu(None) - all0) / n;
        println!(
            "| {pairs} | {:.1} | {:.2} ms | {:.0} | {:.2} ms | {:.0} |",
            n / wall,
            s_cpu * 1e3,
            s_cpu / verify,
            all_cpu * 1e3,
            all_cpu / verify
        );
    }
}
