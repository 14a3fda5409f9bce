//! SIGKILL during asynchronous payments (PROTOCOL.md §5, §7.3–7.5), with real processes: a
//! real `server run` S on 127.0.0.1, wallets A (payer) and B (payee) as `asyncpay` processes
//! on the shared regtest ledger.
//!
//! `sigkills_during_payments_lose_nothing` runs many payments; at random points of each step
//! (A's `pay`, `payments cancel`, `sync`, `payments wait`; B's `receive`, `claim`) it kills
//! the client running the step or S with SIGKILL, restarts S on the same port, and lets the
//! killed side run its command again until every payment is `paid` or `cancelled`. Then:
//! A, B and S agree on every payment; each channel's balances add up to its capacity and
//! move by exactly the paid payments (A pays amount + fee, B gets the amount, S keeps the
//! fee); no public nonce ever signed two different messages (S and the clients log each
//! signing through `ASYNCPAY_TEST_NONCE_LOG`).
//!
//! The kill points come from a seed (printed; set `ASYNCPAY_KILL_SEED` to replay one):
//! which process is killed and after how many milliseconds of the step. Timing still
//! depends on the machine, so a replay hits nearby, not identical, points.

use std::collections::{BTreeMap, HashMap};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;

use common::fault::{failing_syncs, Failing};
use common::procs::{Env, Server, Wallet};
use common::story::{keys_of, Story};

const A_CAPACITY: u64 = 200_000;
const B_CAPACITY: u64 = 300_000;
/// Attempts of one step before the test gives up on it.
const MAX_ATTEMPTS: u32 = 12;

/// splitmix64: small, deterministic, good enough to pick kill points.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    A,
    B,
}

/// What strikes the steps of a [`World`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Faults {
    /// SIGKILL of the client running the step, or of S (restarted at once).
    Kills,
    /// The client's disk: the syncs of its records' log fail with `EIO` from a seed-chosen
    /// one on (`common::fault`).
    FailingDisks,
}

/// The syncs of a client's log in one command, at most (a seed-chosen number of them
/// succeed before the disk fails): its open, its commits, its close.
const MAX_SYNCS: u64 = 12;

/// S, A with a 200 000 sat channel it funded, B with 300 000 sat of inbound capacity; every
/// process logs its nonce use.
struct World {
    faults: Faults,
    server: Server,
    /// The temporary directory of the ledger and the wallets (removed last).
    env: Env,
    s: Wallet,
    port: String,
    a: Wallet,
    b: Wallet,
    a_channel: String,
    b_channel: String,
    address: String,
    log: PathBuf,
    seed: u64,
    rng: Rng,
    /// Kills that interrupted something: "A", "B", "S" (S while a client command ran).
    kills: BTreeMap<&'static str, u32>,
    /// Kills of S after the client command had already finished.
    idle_s_kills: u32,
    /// How long each kind of command took when it last ran whole.
    durations: HashMap<String, Duration>,
    /// What happened, for the failure message.
    trace: Vec<String>,
}

impl World {
    fn new(seed: u64, faults: Faults) -> World {
        let story = Story::with(None, &[], true);
        let log = story.nonce_log();
        let port = story.server.port();
        let Story {
            env,
            s,
            server,
            a,
            b,
            a_channel,
            b_channel,
            address,
            ..
        } = story;
        World {
            faults,
            env,
            s,
            server,
            port,
            a,
            b,
            a_channel,
            b_channel,
            address,
            log,
            seed,
            rng: Rng(seed),
            kills: BTreeMap::new(),
            idle_s_kills: 0,
            durations: HashMap::new(),
            trace: Vec::new(),
        }
    }

    fn wallet(&self, who: Role) -> &Wallet {
        match who {
            Role::A => &self.a,
            Role::B => &self.b,
        }
    }

    fn cmd(&self, who: Role, args: &[&str]) -> Command {
        let mut c = self.wallet(who).cmd(args);
        c.env("ASYNCPAY_TEST_NONCE_LOG", &self.log);
        c
    }

    /// Everything that happened so far, and the seed to replay it.
    fn context(&self) -> String {
        format!(
            "seed {} (ASYNCPAY_KILL_SEED={} replays it); trace:\n  {}",
            self.seed,
            self.seed,
            self.trace.join("\n  ")
        )
    }

    fn kill_s(&mut self) {
        let _ = self.server.child.kill();
        let _ = self.server.child.wait();
    }

    fn start_s(&mut self) {
        self.server = Server::start_with(&self.s, &self.port, &[], Some(&self.log));
    }

    /// Runs `args` as `who`; with probability `fault_percent` the world's faults strike it
    /// ([`World::step_killed`], [`World::step_on_failing_disk`]). Returns the command's
    /// output unless the fault ended it.
    fn step(&mut self, who: Role, args: &[&str], fault_percent: u64) -> Option<Output> {
        match self.faults {
            Faults::Kills => self.step_killed(who, args, fault_percent),
            Faults::FailingDisks => self.step_on_failing_disk(who, args, fault_percent),
        }
    }

    /// Runs `args` as `who`; with probability `percent` the syncs of `who`'s log fail from
    /// a seed-chosen one on (none may be left to fail). `None` if the command failed for
    /// the disk (it says so).
    fn step_on_failing_disk(&mut self, who: Role, args: &[&str], percent: u64) -> Option<Output> {
        // Not where B may send the payment scalar: a failure after it left closes the
        // channel (tests/adversary_disk.rs), which the rounds to come need open.
        let reveals_t = who == Role::B
            && (args[0] == "claim" || (args[0] == "receive" && !args.contains(&"--no-claim")));
        let fail = self.rng.chance(percent) && !reveals_t;
        let after = self.rng.below(MAX_SYNCS);
        let mut c = self.cmd(who, args);
        let wallet = self.wallet(who);
        let log = wallet.dir.join("records.sqlite-wal");
        if fail {
            failing_syncs(&mut c, self.env.root.path(), &log, Failing::After(after));
        }
        let out = c.output().unwrap();
        let said = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let for_the_disk = !out.status.success()
            && ["write-ahead log", "disk I/O error"]
                .iter()
                .any(|w| said.contains(w));
        let what = if fail {
            format!(" (its disk failing after {after} syncs)")
        } else {
            String::new()
        };
        self.trace
            .push(format!("{who:?} {args:?}{what}: {} {said}", out.status));
        assert!(
            fail || !for_the_disk,
            "a healthy disk failed?\n{}",
            self.context()
        );
        if for_the_disk {
            *self
                .kills
                .entry(if who == Role::A {
                    "A's disk"
                } else {
                    "B's disk"
                })
                .or_default() += 1;
            return None;
        }
        Some(out)
    }

    /// Runs `args` as `who`; with probability `kill_percent` kills `who` or S (even odds)
    /// at a seed-chosen point of the command: a fraction of how long the same kind of
    /// command took when it last ran whole (so the kills land inside commands on a fast or
    /// a loaded machine alike). S is restarted on the same port at once, as by a supervisor.
    /// Returns the command's output unless the command itself was killed.
    fn step_killed(&mut self, who: Role, args: &[&str], kill_percent: u64) -> Option<Output> {
        let kill = self.rng.chance(kill_percent);
        let kill_s = self.rng.chance(50);
        let permille = self.rng.below(1_100);
        let kind = format!("{who:?} {}", kind_of(args));
        let whole = *self
            .durations
            .get(&kind)
            .unwrap_or(&Duration::from_millis(60));
        let delay = whole * permille as u32 / 1_000;
        let started = Instant::now();
        let mut child = self
            .cmd(who, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let line = |what: &str, out: &Output| {
            format!(
                "{who:?} {args:?}{what}: {} in {} ms {}",
                out.status,
                started.elapsed().as_millis(),
                String::from_utf8_lossy(&out.stdout).trim()
            )
        };
        let at = format!("{permille}‰ of {} ms", whole.as_millis());
        if !kill {
            let out = child.wait_with_output().unwrap();
            if out.status.success() {
                self.durations.insert(kind, started.elapsed());
            }
            self.trace.push(line("", &out));
            return Some(out);
        }
        std::thread::sleep(delay);
        if kill_s {
            let running = child.try_wait().unwrap().is_none();
            // S crashes and its supervisor restarts it at once, while the command runs on.
            self.kill_s();
            self.start_s();
            if running {
                *self.kills.entry("S").or_default() += 1;
            } else {
                self.idle_s_kills += 1;
            }
            let out = child.wait_with_output().unwrap();
            let what = format!(
                " (S killed at {at}{})",
                if running { "" } else { ", command done" }
            );
            self.trace.push(line(&what, &out));
            return Some(out);
        }
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        if out.status.signal() == Some(9) {
            *self
                .kills
                .entry(if who == Role::A { "A" } else { "B" })
                .or_default() += 1;
            self.trace.push(format!("{who:?} {args:?} killed at {at}"));
            None
        } else {
            self.trace.push(line(" (done before the kill)", &out));
            Some(out)
        }
    }

    fn payments(&self, who: Role) -> Vec<Value> {
        let out = self
            .cmd(who, &["payments", "list", "--all"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{who:?} payments list: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            self.context()
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["payments"].as_array().unwrap().clone()
    }

    fn payment(&self, who: Role, id: &str) -> Option<Value> {
        self.payments(who)
            .into_iter()
            .find(|p| p["payment_id"] == id)
    }

    fn status(&self, who: Role, id: &str) -> Option<String> {
        self.payment(who, id)
            .map(|p| p["status"].as_str().unwrap().to_owned())
    }

    /// A killed S may have taken B's scalar without signing the claimed state: B then goes
    /// on chain at once (issue 9 item 8). Blocks pass while it does, so that its settlement
    /// and claim confirm.
    fn mine_while_b_claims_on_chain(&mut self, id: &str) {
        let on_chain = self.payment(Role::B, id).is_some_and(|p| {
            p["reason"].as_str().is_some_and(|r| {
                ["force-closed", "on chain", "once it confirms"]
                    .iter()
                    .any(|w| r.contains(w))
            })
        });
        if on_chain {
            self.env.mine(2);
        }
    }

    /// Runs steps chosen by `next` until `done`; each step may be killed (the first more
    /// likely than the retries).
    fn until(
        &mut self,
        what: &str,
        who: Role,
        mut done: impl FnMut(&World) -> bool,
        mut next: impl FnMut(&mut World, u32) -> Vec<String>,
    ) {
        let mut kills = 0;
        for attempt in 0..MAX_ATTEMPTS {
            if done(self) {
                return;
            }
            let percent = match (attempt, kills) {
                (_, 3..) => 0,
                (0, _) => 85,
                _ => 35,
            };
            let args = next(self, attempt);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            if self.step(who, &args, percent).is_none() {
                kills += 1;
            }
        }
        assert!(
            done(self),
            "{what}: not done after {MAX_ATTEMPTS} attempts\nA: {:#?}\nB: {:#?}\n{}",
            self.payments(Role::A),
            self.payments(Role::B),
            self.context()
        );
    }
}

/// The kind of a command, for its usual duration: `pay`, `payments cancel`, `receive
/// --no-claim`, ...
fn kind_of(args: &[&str]) -> String {
    let mut words: Vec<&str> = args.iter().take(2).copied().collect();
    if args[0] != "payments" {
        words.truncate(1);
    }
    if args.contains(&"--no-claim") {
        words.push("--no-claim");
    }
    words.join(" ")
}

/// `GET path` from S, signed by `keys`' node key.
fn get_as(url: &str, keys: &asyncpay::keys::WalletKeys, path: &str) -> Value {
    asyncpay::net::client::Client::new(url, keys.node_secret(), None)
        .unwrap()
        .get(path)
        .unwrap()
}

fn str_of(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

/// `ASYNCPAY_KILL_SEED`, or `default`.
fn seed_or(default: u64) -> u64 {
    std::env::var("ASYNCPAY_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// `rounds` payments from A to B, each cancelled or paid, received whole or sold then
/// claimed apart (chosen by the seed), every step run again until it is done while
/// `w`'s faults strike; returns each round's payment and whether the round cancelled it.
fn pay_rounds(w: &mut World, rounds: u64) -> Vec<(String, bool)> {
    let mut ids: Vec<String> = Vec::new();
    // Each round's own payment, and whether the round cancels it.
    let mut round_payments: Vec<(String, bool)> = Vec::new();
    for round in 0..rounds {
        let amount = (2_000 + 300 * round).to_string();
        let cancel = w.rng.chance(30);
        let claim_apart = w.rng.chance(40);
        w.trace.push(format!(
            "--- round {round}: {amount} sat{}{}",
            if cancel { ", cancelled" } else { "" },
            if claim_apart { ", claimed apart" } else { "" }
        ));

        // A pays; a killed `pay` is resumed by `sync` or by running `pay` again.
        let known = ids.clone();
        let new_payment = |w: &World| {
            w.payments(Role::A)
                .into_iter()
                .filter(|p| !known.contains(&str_of(p, "payment_id")))
                .find(|p| p["status"] != "failed" && p["status"] != "cancelled")
        };
        let address = w.address.clone();
        w.until(
            "A's pay",
            Role::A,
            |w| {
                new_payment(w)
                    .is_some_and(|p| p["status"] == "pending" && !p["delivered"].is_null())
            },
            |w, attempt| {
                // Running `pay` again gets a clear error while the killed one is unfinished.
                if attempt > 0 && new_payment(w).is_some() && !w.rng.chance(30) {
                    vec!["sync".into()]
                } else {
                    vec!["pay".into(), address.clone(), amount.clone()]
                }
            },
        );
        let pid = str_of(&new_payment(w).unwrap(), "payment_id");
        round_payments.push((pid.clone(), cancel));
        ids.extend(
            w.payments(Role::A)
                .iter()
                .map(|p| str_of(p, "payment_id"))
                .filter(|id| !ids.contains(id))
                .collect::<Vec<_>>(),
        );

        // A cancels before B comes online.
        if cancel {
            w.until(
                "A's cancel",
                Role::A,
                |w| w.status(Role::A, &pid).as_deref() == Some("cancelled"),
                |w, attempt| {
                    if attempt > 0 && w.rng.chance(40) {
                        vec!["sync".into()]
                    } else {
                        vec!["payments".into(), "cancel".into(), pid.clone()]
                    }
                },
            );
        }

        // B comes online: receive (sell and claim), or sell first and claim apart.
        let b_final = |w: &World| {
            matches!(
                w.status(Role::B, &pid).as_deref(),
                Some("paid" | "failed" | "cancelled")
            )
        };
        if claim_apart {
            w.until(
                "B's receive --no-claim",
                Role::B,
                |w| {
                    matches!(
                        w.status(Role::B, &pid).as_deref(),
                        Some("sold" | "paid" | "failed" | "cancelled")
                    )
                },
                |_, _| vec!["receive".into(), "--no-claim".into()],
            );
            if !cancel && w.rng.chance(50) {
                // A tries to cancel a sold payment (killed or not): S refuses, it stays
                // pending and ends paid.
                let out = w.step(Role::A, &["payments", "cancel", &pid], 85);
                assert!(
                    out.is_none_or(|o| !o.status.success()),
                    "cancel of a sold payment\n{}",
                    w.context()
                );
                w.until(
                    "A's refused cancel",
                    Role::A,
                    |w| w.status(Role::A, &pid).as_deref() == Some("pending"),
                    |_, _| vec!["sync".into()],
                );
            }
            let id = pid.clone();
            w.until("B's claim", Role::B, b_final, |w, _| {
                w.mine_while_b_claims_on_chain(&id);
                if w.rng.chance(50) {
                    vec!["claim".into(), id.clone()]
                } else {
                    vec!["claim".into()]
                }
            });
        } else {
            let id = pid.clone();
            w.until("B's receive", Role::B, b_final, |w, _| {
                w.mine_while_b_claims_on_chain(&id);
                vec!["receive".into()]
            });
        }
        let b_status = w.status(Role::B, &pid).unwrap();
        assert_eq!(
            b_status == "paid",
            !cancel,
            "payment {pid} at B: {b_status}\n{}",
            w.context()
        );

        // A comes back and collects.
        let id = pid.clone();
        w.until(
            "A's sync",
            Role::A,
            |w| {
                matches!(
                    w.status(Role::A, &pid).as_deref(),
                    Some("paid" | "cancelled")
                )
            },
            |w, _| {
                if w.rng.chance(50) {
                    vec!["sync".into()]
                } else {
                    vec![
                        "payments".into(),
                        "wait".into(),
                        id.clone(),
                        "--timeout".into(),
                        "3s".into(),
                    ]
                }
            },
        );
        let a_status = w.status(Role::A, &pid).unwrap();
        assert_eq!(
            a_status,
            if cancel { "cancelled" } else { "paid" },
            "payment {pid} at A\n{}",
            w.context()
        );
    }
    round_payments
}

/// Everything final; A, B and S agree on every payment, the balances moved by exactly the
/// paid ones, the channels still work, and no public nonce signed two messages. Returns
/// (paid, cancelled, nonces logged).
fn everything_agrees(
    w: &World,
    round_payments: &[(String, bool)],
    rounds: u64,
) -> (usize, usize, usize) {
    let a_keys = keys_of(&w.a);
    let b_keys = keys_of(&w.b);
    let url = w.server.url.clone();
    let at_s: HashMap<String, Value> = get_as(&url, &a_keys, "/v1/payments")
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (str_of(p, "payment_id"), p.clone()))
        .collect();
    let at_a = w.payments(Role::A);
    let at_b: HashMap<String, Value> = w
        .payments(Role::B)
        .into_iter()
        .map(|p| (str_of(&p, "payment_id"), p))
        .collect();
    let (mut paid, mut cancelled, mut amounts, mut fees) = (0, 0, 0u64, 0u64);
    let mut unrecorded = 0;
    for p in &at_a {
        let id = str_of(p, "payment_id");
        let status = str_of(p, "status");
        match (status.as_str(), at_s.get(&id)) {
            ("paid", Some(s)) => {
                assert!(
                    round_payments.contains(&(id.clone(), false)),
                    "{id} is paid but no round paid it\n{}",
                    w.context()
                );
                assert_eq!(s["status"], "paid", "{id}\n{}", w.context());
                assert_eq!(at_b[&id]["status"], "paid", "{id}\n{}", w.context());
                paid += 1;
                amounts += p["amount_sat"].as_u64().unwrap();
                fees += p["fee_sat"].as_u64().unwrap();
            }
            ("cancelled", Some(s)) => {
                assert_eq!(s["status"], "cancelled", "{id}\n{}", w.context());
                assert!(
                    at_b.get(&id)
                        .is_none_or(|b| (b["status"] == "failed" || b["status"] == "cancelled")
                            && str_of(b, "reason").contains("cancelled")),
                    "{id} at B: {:?}\n{}",
                    at_b.get(&id),
                    w.context()
                );
                cancelled += 1;
            }
            // S refused the request: nothing was signed.
            ("failed", None) => {}
            // Killed between A's proposal and S's answer: A never signs a proposal whose S
            // nonce it did not record (docs/protocol.md §7.3), so it cancelled; S never
            // recorded it either. Nothing was signed.
            ("cancelled", None) => {
                assert!(!at_b.contains_key(&id), "{id} reached B\n{}", w.context());
                unrecorded += 1;
            }
            (status, s) => panic!("payment {id}: {status} at A, {s:?} at S\n{}", w.context()),
        }
    }
    assert_eq!(
        at_a.iter().filter(|p| p["status"] != "failed").count() - unrecorded,
        at_s.len(),
        "S knows exactly A's payments\n{}",
        w.context()
    );
    for (id, p) in &at_b {
        let s = &at_s[id];
        // A payment S did not pay ends failed at B, or cancelled when S refused B's sale
        // because the payer had cancelled it.
        let ok = if s["status"] == "paid" {
            p["status"] == "paid"
        } else {
            p["status"] == "failed" || p["status"] == "cancelled"
        };
        assert!(
            ok,
            "{id} at B: {} (S: {})\n{}",
            p["status"],
            s["status"],
            w.context()
        );
    }
    // Every round that did not cancel is paid, once; besides the rounds' cancels, a `pay`
    // killed after S recorded it may have been cancelled by A's recovery (and paid again).
    let cancels = round_payments.iter().filter(|(_, cancel)| *cancel).count();
    assert_eq!(paid, round_payments.len() - cancels, "{}", w.context());
    assert!(cancelled >= cancels, "{}", w.context());
    assert_eq!(round_payments.len() as u64, rounds);

    // Money: each channel adds up to its capacity, A and S agree on it, and the balances
    // moved by exactly the paid payments. The channels still work afterwards.
    let a_before = (A_CAPACITY - amounts - fees, amounts + fees);
    let b_before = (amounts, B_CAPACITY - amounts);
    let check = |w: &World,
                 who: Role,
                 id: &str,
                 keys: &asyncpay::keys::WalletKeys,
                 (client, server): (u64, u64)| {
        let mine = w.wallet(who).ok(&["channel", "show", id]);
        let theirs = get_as(&w.server.url, keys, "/v1/channels");
        let theirs = theirs
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel_id"] == id)
            .unwrap()
            .clone();
        for v in [&mine, &theirs] {
            assert_eq!(v["client_sat"], client, "{who:?}: {v}\n{}", w.context());
            assert_eq!(v["server_sat"], server, "{who:?}: {v}\n{}", w.context());
        }
        assert_eq!(mine["state"], theirs["state"], "{who:?}\n{}", w.context());
        assert_eq!(
            client + server,
            mine["capacity_sat"].as_u64().unwrap(),
            "{}",
            w.context()
        );
    };
    check(w, Role::A, &w.a_channel, &a_keys, a_before);
    check(w, Role::B, &w.b_channel, &b_keys, b_before);
    w.a.ok(&["channel", "push", &w.a_channel, "1000"]);
    w.b.ok(&["channel", "push", &w.b_channel, "500"]);
    check(
        w,
        Role::A,
        &w.a_channel,
        &a_keys,
        (a_before.0 - 1000, a_before.1 + 1000),
    );
    check(
        w,
        Role::B,
        &w.b_channel,
        &b_keys,
        (b_before.0 - 500, b_before.1 + 500),
    );

    // No public nonce signed two different messages (S, A and B all log).
    let text = std::fs::read_to_string(&w.log).unwrap();
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for line in text.lines() {
        let (nonce, msg) = line.split_once(' ').unwrap();
        let first = seen.entry(nonce).or_insert(msg);
        assert_eq!(
            *first,
            msg,
            "nonce {nonce} signed two messages\n{}",
            w.context()
        );
    }

    if std::env::var_os("ASYNCPAY_KILL_TRACE").is_some() {
        eprintln!("{}", w.context());
    }
    (paid, cancelled, seen.len())
}

#[test]
fn sigkills_during_payments_lose_nothing() {
    let seed = seed_or(0x5eed_2024);
    eprintln!("kill seed {seed} (set ASYNCPAY_KILL_SEED to replay)");
    let started = Instant::now();
    let mut w = World::new(seed, Faults::Kills);
    let rounds = 20u64;
    let round_payments = pay_rounds(&mut w, rounds);
    let killing = started.elapsed();
    let (paid, cancelled, nonces) = everything_agrees(&w, &round_payments, rounds);
    let total: u32 = w.kills.values().sum();
    eprintln!(
        "{rounds} payments ({paid} paid, {cancelled} cancelled), {total} kills {:?} (+{} of S between commands), {} nonces logged, {:.1} s",
        w.kills,
        w.idle_s_kills,
        nonces,
        killing.as_secs_f64()
    );
    assert!(total >= 20, "only {total} kills: {:?}", w.kills);
    assert!(
        paid >= 4 && cancelled >= 1,
        "{paid} paid, {cancelled} cancelled"
    );
}

/// The same payments with the clients' disks failing instead: at a seed-chosen sync of a
/// step, every sync of A's (or B's) records' log fails with `EIO` until the command ends;
/// the step is run again on a healthy disk. A commit whose sync failed may still be found
/// by the next command (the kernel kept the log's pages): the step ran up to a commit that
/// may or may not have happened, as with a kill, and nothing it depends on has left.
#[test]
#[cfg(target_os = "linux")] // LD_PRELOAD
fn failing_disks_during_payments_lose_nothing() {
    let seed = seed_or(0xd15c_2026);
    eprintln!("disk seed {seed} (set ASYNCPAY_KILL_SEED to replay)");
    let started = Instant::now();
    let mut w = World::new(seed, Faults::FailingDisks);
    let rounds = 12u64;
    let round_payments = pay_rounds(&mut w, rounds);
    let (paid, cancelled, nonces) = everything_agrees(&w, &round_payments, rounds);
    let total: u32 = w.kills.values().sum();
    eprintln!(
        "{rounds} payments ({paid} paid, {cancelled} cancelled), {total} commands failed \
         for the disk {:?}, {nonces} nonces logged, {:.1} s",
        w.kills,
        started.elapsed().as_secs_f64()
    );
    assert!(
        w.kills.len() == 2 && total >= 8,
        "only {total} disk failures: {:?}",
        w.kills
    );
    assert!(
        paid >= 4 && cancelled >= 1,
        "{paid} paid, {cancelled} cancelled"
    );
}

/// Record `coll`/`key` of data dir `dir` as it is in its database: (seq, body).
fn record(dir: &std::path::Path, coll: &str, key: &str) -> (i64, Vec<u8>) {
    common::records::raw_db(dir)
        .query_row(
            "SELECT seq, body FROM records WHERE coll = ?1 AND key = ?2",
            [coll, key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

/// Puts `row` back as record `coll`/`key` of data dir `dir`.
fn put_back(dir: &std::path::Path, coll: &str, key: &str, (seq, body): &(i64, Vec<u8>)) {
    common::records::raw_db(dir)
        .execute(
            "UPDATE records SET seq = ?3, body = ?4 WHERE coll = ?1 AND key = ?2",
            rusqlite::params![coll, key, seq, body],
        )
        .unwrap();
}

/// The crash window these two writes had (A's state `n+1` completed with S's partial
/// signature, then the payment written paid) is one transaction now: the payment record as
/// it was before `sync`, put back beside the channel `sync` left, is no state a crash can
/// leave but a rollback, refused by every command; the genuine record back, A goes on.
#[test]
fn a_payment_record_put_back_from_before_sync_is_refused() {
    let w = World::new(1, Faults::Kills);
    let paid = w.a.ok(&["pay", &w.address, "10000"]);
    let pid = str_of(&paid, "payment_id");
    assert_eq!(w.b.ok(&["receive"])["payments"][0]["status"], "paid");
    let before = record(&w.a.dir, "payments", &pid);
    assert_eq!(w.a.ok(&["sync"])["payments"][0]["status"], "paid");
    let after = record(&w.a.dir, "payments", &pid);
    put_back(&w.a.dir, "payments", &pid, &before);
    let out = w.a.cmd(&["sync"]).output().unwrap();
    assert_eq!(out.status.code(), Some(7), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("tampered with"), "{text}");
    put_back(&w.a.dir, "payments", &pid, &after);
    assert_eq!(w.status(Role::A, &pid).as_deref(), Some("paid"));
    let shown = w.a.ok(&["payments", "show", &pid]);
    assert_eq!(shown["invoice"]["body"]["amount_sat"], 10_000, "{shown}");
    let a = w.a.ok(&["channel", "show", &w.a_channel]);
    assert_eq!(
        (a["client_sat"].as_u64(), a["state"].as_u64()),
        (Some(189_990), Some(1))
    );
    w.a.ok(&["channel", "push", &w.a_channel, "1000"]);
}

/// The same for S: its A–S state `n+1` completed with `s_A` and the payment written paid
/// are one transaction. S's payment and B–S channel records put back from before B's
/// claim (what a crash between the old writes left) keep S's database from opening: S
/// refuses to start on it rather than sell or sign from an old state; the genuine records
/// back, S starts and both channels go on.
#[test]
fn s_records_put_back_from_before_a_claim_are_refused() {
    let mut w = World::new(2, Faults::Kills);
    let pid = str_of(&w.a.ok(&["pay", &w.address, "10000"]), "payment_id");
    let sold = w.b.ok(&["receive", "--no-claim"]);
    assert_eq!(sold["payments"][0]["status"], "sold", "{sold}");
    let s_records = [
        ("server-payments", pid.clone()),
        ("server-channels", w.b_channel.clone()),
    ];
    let before: Vec<_> = s_records
        .iter()
        .map(|(coll, key)| record(&w.s.dir, coll, key))
        .collect();
    assert_eq!(w.b.ok(&["claim"])["payments"][0]["status"], "paid");
    w.kill_s();
    let after: Vec<_> = s_records
        .iter()
        .map(|(coll, key)| record(&w.s.dir, coll, key))
        .collect();
    for ((coll, key), row) in s_records.iter().zip(&before) {
        put_back(&w.s.dir, coll, key, row);
    }
    let err = asyncpay::store::DataDir::open(&w.s.dir, asyncpay::store::LockWait::Fail)
        .unwrap()
        .unlock(&asyncpay::store::Unlock::Passphrase(
            age::secrecy::SecretString::from("pw".to_owned()),
        ))
        .unwrap_err();
    assert!(
        matches!(err, asyncpay::store::StoreError::RolledBack { .. }),
        "{err}"
    );
    for ((coll, key), row) in s_records.iter().zip(&after) {
        put_back(&w.s.dir, coll, key, row);
    }
    w.start_s();
    assert_eq!(w.a.ok(&["sync"])["payments"][0]["status"], "paid");
    let b = w.b.ok(&["channel", "show", &w.b_channel]);
    assert_eq!(
        (b["client_sat"].as_u64(), b["server_sat"].as_u64()),
        (Some(10_000), Some(290_000))
    );
    let a = w.a.ok(&["channel", "show", &w.a_channel]);
    assert_eq!(
        (a["client_sat"].as_u64(), a["server_sat"].as_u64()),
        (Some(189_990), Some(10_010))
    );
    // S agrees, and both channels go on.
    let theirs = get_as(&w.server.url, &keys_of(&w.b), "/v1/channels");
    assert_eq!(theirs[0]["client_sat"], 10_000);
    assert_eq!(theirs[0]["state"], b["state"]);
    w.b.ok(&["channel", "push", &w.b_channel, "100"]);
    w.a.ok(&["channel", "push", &w.a_channel, "100"]);
}
