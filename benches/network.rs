//! Durable asynchronous payments per second through one S over HTTP on 127.0.0.1, with the
//! payers and payees in this process driving the client engine
//! (`tests/common/functional.rs`, `create_network`): 1, 2, 4 and 8 payer/payee pairs at once,
//! each pair one thread doing whole payments (A pays, offline B comes online and receives
//! — sells and claims —, A syncs). Every state of every role is written durably.
//!
//! Reported: payments per second; S's CPU per payment (the CPU of S's runtime threads,
//! `/proc/self/task`) and the whole process's (all roles), each also as a multiple of one
//! BIP340 verification measured in this run; S's commits per payment and the syncs of its
//! log that made them durable (group commit, ADR 0014: requests waiting at once share one);
//! the replay journal's appends per payment and the syncs that made them durable (grouped
//! the same way); how long S's one lock of its state was held per payment (wall time, and
//! the CPU time its holders used meanwhile), and the payments per second each bounds S at
//! (every request and the watcher serialize on the lock: its wall time here, where a holder
//! waits for a core the clients take; its CPU time on a machine with cores to spare); and
//! S's reads of the chain before its lock, the looks at the chain its checks took from
//! them, and those they made under it (ADR 0015).
//! `cargo bench --bench network`.

mod common;

#[path = "../tests/common/functional.rs"]
mod functional;

use std::time::Instant;

use common::{cpu, verify_seconds};

const PAYMENTS_PER_PAIR: usize = 20;

fn main() {
    let verify = verify_seconds();
    println!(
        "asynchronous payments through one S over HTTP on 127.0.0.1, clients in-process \
         (client engine); one BIP340 verification = {:.1} µs of CPU (this run)",
        verify * 1e6
    );
    println!(
        "| pairs | payments/s | S CPU per payment | × BIP340 | all roles CPU per payment | \
         × BIP340 | S commits, log syncs per payment | journal appends, syncs per payment | \
         S's lock held per payment, wall, CPU | payments/s they bound S at | \
         reads before S's lock, looks from them, looks under it, per payment |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for pairs in [1usize, 2, 4, 8] {
        let net = functional::create_network(pairs, pairs, 1);
        // Warm-up: one payment per pair (fundings confirmed, first syncs done).
        for i in 0..pairs {
            net.pay_and_settle(i, i, 1_000);
        }
        let s = net.servers[0].running();
        let core = s.core();
        let (s0, all0, g0, j0, l0, t0) = (
            cpu(Some("tokio-")),
            cpu(None),
            core.group_stats(),
            s.journal_stats(),
            core.lock_stats(),
            Instant::now(),
        );
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
        let (g, j, l) = (core.group_stats(), s.journal_stats(), core.lock_stats());
        let held = (l.held - l0.held).as_secs_f64() / n;
        let held_cpu = (l.cpu - l0.cpu).as_secs_f64() / n;
        println!(
            "| {pairs} | {:.1} | {:.2} ms | {:.0} | {:.2} ms | {:.0} | {:.1}, {:.1} | {:.1}, {:.1} \
             | {:.2}, {:.2} ms | {:.0}, {:.0} | {:.1}, {:.1}, {:.1} |",
            n / wall,
            s_cpu * 1e3,
            s_cpu / verify,
            all_cpu * 1e3,
            all_cpu / verify,
            (g.commits - g0.commits) as f64 / n,
            (g.syncs - g0.syncs) as f64 / n,
            (j.commits - j0.commits) as f64 / n,
            (j.syncs - j0.syncs) as f64 / n,
            held * 1e3,
            held_cpu * 1e3,
            1.0 / held,
            1.0 / held_cpu,
            (l.reads - l0.reads) as f64 / n,
            (l.looks_before - l0.looks_before) as f64 / n,
            (l.looks_under - l0.looks_under) as f64 / n,
        );
    }
}
