//! The state-machine fuzzer of asynchronous payments, after rust-lightning's
//! `chanmon_consistency`: the payer A, the payee B and the server S in one process, shared by
//! the bounded proptest version `tests/payments_state_machine.rs` (every `cargo test`) and the
//! cargo-fuzz target `fuzz/fuzz_targets/payments.rs` (long runs), which includes this file
//! with `#[path]`.
//!
//! Each role is the real code: A and B are wallets driven through the command handlers
//! in-process (one [`Context`] per role, as a REPL session holds it; a crash or a restart
//! drops it), S is [`InProcessServer`] (the core and HTTP API of `server run` on 127.0.0.1,
//! its watcher run as a step), all on one embedded regtest ledger. A case is a sequence of
//! [`Step`]s: payments, receives with or without the claim, claims, syncs, cancels, S's
//! watcher, blocks, backups and restores of A's or B's data dir (the restored role is stale
//! from then on: a cheater or a careless user), S restarted, and crashes at the protocol's
//! crash points (`payment-proposed`, `payment-nonces-recorded`, `sale-signed`). A step that
//! fails is part of the story (S refuses, a stale wallet is out of step); only a violated
//! invariant panics.
//!
//! After every step:
//! - conservation: every channel state each role holds adds up to its capacity;
//! - S's latest state of each channel (and an honest client's) never goes back;
//! - no public nonce ever signed two different sessions (every role logs its signings to
//!   `ASYNCPAY_TEST_NONCE_LOG`).
//!
//! At the end every role resumes honestly (B receives and claims, A syncs and cancels what is
//! left, S watches), both clients force-close, blocks pass until both channels settle, and
//! the chain must pay, to the satoshi from S's payment records: S at least what it is owed in
//! each channel (it never paid for a scalar it could not use), and an honest A or B exactly
//! its balance.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

use asyncpay::chain::Ledger;
use asyncpay::cli::args::Cli;
use asyncpay::cli::context::Context;
use asyncpay::cli::error::CliError;
use asyncpay::cli::repl::{parse_line, Line};
use asyncpay::cli::server::InProcessServer;
use asyncpay::cli::{commands, output};
use asyncpay::client::ClientChannel;
use asyncpay::client::{crash_in_process_at, ClientPayment, LocalStatus, TestCrash};
use asyncpay::eltoo::Party;
use asyncpay::protocol::{Channel, ChannelId};
use asyncpay::server::payments::PaymentStatus;
use asyncpay::server::ServerChannel;
use asyncpay::store::{ReadOnlyDir, Unlock};
use bitcoin::{Amount, ScriptBuf};
use clap::Parser;
use serde_json::Value;

pub const A_CAPACITY: u64 = 200_000;
/// The B–S channel's delay (S's `--inbound-shared-delay`).
pub const B_DELAY: u16 = 6;
pub const B_CAPACITY: u64 = 300_000;
/// Payment amounts a step picks from.
pub const AMOUNTS: [u64; 4] = [1_000, 7_500, 20_000, 90_000];
/// Backups kept per client (a restore picks one).
pub const MAX_BACKUPS: usize = 4;

/// The three roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Who {
    A,
    B,
    S,
}

/// One step of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A pays B's address `AMOUNTS[amount]`.
    Pay { amount: usize },
    /// B collects: receive and sell, and claim unless `no_claim`.
    Receive { no_claim: bool },
    /// B claims what it sold.
    Claim,
    /// A client collects what S holds for it (`sync`); for S, a watcher pass.
    Sync(Who),
    /// A cancels one of its unfinished payments (the `which`-th, cyclically), crashing
    /// right after S agreed when `crash` (`cancel-agreed`: the restoring state unsigned).
    Cancel { which: usize, crash: bool },
    /// One pass of S's chain watcher.
    Watch,
    /// Blocks pass.
    Mine(u8),
    /// A copy of a role's data dir (at most [`MAX_BACKUPS`] each, oldest dropped).
    Backup(Who),
    /// A role's data dir replaced by one of its backups (cyclically): it is stale now, and
    /// the others are the honest ones.
    Restore { who: Who, which: usize },
    /// A client force-closes its channel (publishes the latest update it holds: an old one
    /// if it is stale); for S, a watcher pass.
    ForceClose(Who),
    /// S stops and starts again from what it persisted (same port).
    RestartS,
    /// A crashes in `pay` right after writing the proposal (`nonces: false`) or S's nonce
    /// (`nonces: true`).
    CrashPay { amount: usize, nonces: bool },
    /// B crashes in `receive --no-claim` with the sale state signed and written, its partial
    /// not sent.
    CrashSale,
    /// B gives one of its sold, unclaimed payments back to S off-chain (`payments cancel`),
    /// crashing with the fail state signed and written when `crash`.
    GiveBack { which: usize, crash: bool },
}

/// A role driven in this process: a data dir on the shared ledger, and the session
/// ([`Context`]) its commands run in while it is "running".
pub struct Role {
    pub dir: PathBuf,
    pass: PathBuf,
    chain: PathBuf,
    ctx: Option<Context>,
}

impl Role {
    fn new(root: &Path, name: &str, chain: &Path) -> Role {
        let pass = root.join(format!("{name}.pass"));
        std::fs::write(&pass, "pw\n").unwrap();
        Role {
            dir: root.join(name),
            pass,
            chain: chain.to_path_buf(),
            ctx: None,
        }
    }

    fn context(&mut self) -> &mut Context {
        if self.ctx.is_none() {
            let chain = format!("regtest:{}", self.chain.display());
            let argv = [
                "asyncpay",
                "--json",
                "--datadir",
                self.dir.to_str().unwrap(),
                "--chain",
                &chain,
                "--passphrase-file",
                self.pass.to_str().unwrap(),
            ];
            let cli = Cli::try_parse_from(argv).unwrap();
            self.ctx = Some(Context::new(cli.global).unwrap());
        }
        self.ctx.as_mut().unwrap()
    }

    /// Runs one command line (as typed in the REPL); its results as JSON.
    pub fn run(&mut self, line: &str) -> Result<Vec<Value>, CliError> {
        let Line::Command(cli) = parse_line(line)? else {
            panic!("not a command: {line}");
        };
        let ctx = self.context();
        let command = cli.command.unwrap();
        let (done, results) = output::capture(|| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| commands::run(ctx, command)))
        });
        let done = match done {
            Ok(done) => done,
            // An armed crash point: the process "dies" there, nothing more is written.
            Err(payload) => match payload.downcast::<TestCrash>() {
                Ok(crash) => {
                    self.stop();
                    return Err(CliError::failed(format!("crashed at {}", crash.0)));
                }
                Err(other) => std::panic::resume_unwind(other),
            },
        };
        done.map(|()| {
            results
                .iter()
                .map(|r| serde_json::from_str(r).unwrap())
                .collect()
        })
    }

    /// Runs a command that must succeed; its (first) result.
    pub fn ok(&mut self, line: &str) -> Value {
        match self.run(line) {
            Ok(mut results) => results.swap_remove(0),
            Err(e) => panic!("{}: `{line}` failed: {e:?}", self.dir.display()),
        }
    }

    /// The process ends: the session (lock, unlocked store) is dropped.
    pub fn stop(&mut self) {
        self.ctx = None;
    }

    /// The store for reading, without the lock (as `server sales` reads a running S).
    fn read<T>(&self, f: impl FnOnce(&asyncpay::store::ReadOnlyStore) -> T) -> T {
        let store = ReadOnlyDir::open(&self.dir)
            .unwrap()
            .unlock(&Unlock::Passphrase(age::secrecy::SecretString::from(
                "pw".to_owned(),
            )))
            .unwrap();
        f(&store)
    }

    /// Every record of one kind in this role's store.
    fn all<T: asyncpay::store::StateFile>(&self) -> Vec<T> {
        self.read(|s| {
            s.keys_of::<T>()
                .unwrap()
                .iter()
                .filter_map(|k| s.load_keyed::<T>(k).unwrap())
                .collect()
        })
    }

    /// This client's channels.
    pub fn channels(&self) -> Vec<ClientChannel> {
        self.all()
    }

    /// This client's payments.
    pub fn payments(&self) -> Vec<ClientPayment> {
        self.all()
    }

    /// S's channels (this role is S).
    pub fn server_channels(&self) -> Vec<ServerChannel> {
        self.all()
    }
}

/// Cheap scrypt for every wallet of this process (release builds too: the fuzz target), and one nonce log for all of them (nonces
/// are random: one log across worlds is as good as one per world).
fn process_setup() -> &'static Path {
    static LOG: OnceLock<PathBuf> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = std::env::temp_dir().join(format!(
            "asyncpay-nonce-log-{}-{}",
            std::process::id(),
            rand_u64()
        ));
        std::env::set_var("ASYNCPAY_SCRYPT_WORK_FACTOR", "10");
        // The fuzz target is a release build.
        std::env::set_var("ASYNCPAY_INSECURE_TEST_WORK_FACTOR", "1");
        std::env::set_var("ASYNCPAY_TEST_NONCE_LOG", &log);
        // An armed crash point unwinds with a `TestCrash` panic that `Role::run` catches:
        // no panic message for it (and no abort under libFuzzer, whose hook this wraps).
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<TestCrash>() {
                previous(info);
            }
        }));
        log
    })
}

fn rand_u64() -> u64 {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).unwrap();
    u64::from_le_bytes(b)
}

/// A, B and S on a fresh ledger: S (fee 1000 ppm; A–S delay 15, B–S 6), A with a
/// [`A_CAPACITY`] channel it funded, B with [`B_CAPACITY`] of inbound capacity S funded.
pub struct World {
    root: tempfile::TempDir,
    chain: PathBuf,
    pub a: Role,
    pub b: Role,
    pub s: Role,
    server: Option<InProcessServer>,
    listen: SocketAddr,
    address: String,
    backups: BTreeMap<Who, Vec<PathBuf>>,
    backups_taken: usize,
    /// Restored from a backup at some point: no longer trusted to be in step.
    stale: BTreeMap<Who, bool>,
    /// The highest state number S (and each client) ever held per channel.
    high: BTreeMap<(char, ChannelId), u32>,
    nonce_log: &'static Path,
    pub log: Vec<String>,
}

/// What B holds on chain besides its channel: fees for its force close and claims, which
/// pay their relay through their anchors.
const B_FEE_RESERVE: u64 = 100_000;

/// Worlds alive in this process: the last one to go removes the nonce log they share (a
/// later world makes it again), so that no test process leaves it behind.
static WORLDS: std::sync::Mutex<usize> = std::sync::Mutex::new(0);

impl Drop for World {
    fn drop(&mut self) {
        drop(self.server.take()); // S writes to the log no more
        let mut worlds = WORLDS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *worlds -= 1;
        if *worlds == 0 {
            let _ = std::fs::remove_file(self.nonce_log);
        }
    }
}

impl World {
    pub fn new() -> World {
        let nonce_log = process_setup();
        let root = tempfile::tempdir().unwrap();
        let chain = root.path().join("chain");
        let mut s = Role::new(root.path(), "s", &chain);
        s.ok("init");
        s.ok(
            "server init --shared-delay 15 --min-shared-delay 2 --inbound-shared-delay 6 \
             --confirmation-budget 1 --min-confirmations 1 --inbound anyone",
        );
        fund(&mut s, &chain, 1_000_000);
        *WORLDS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) += 1;
        let mut world = World {
            a: Role::new(root.path(), "a", &chain),
            b: Role::new(root.path(), "b", &chain),
            s,
            root,
            chain,
            server: None,
            listen: "127.0.0.1:0".parse().unwrap(),
            address: String::new(),
            backups: BTreeMap::new(),
            backups_taken: 0,
            stale: BTreeMap::new(),
            high: BTreeMap::new(),
            nonce_log,
            log: Vec::new(),
        };
        world.start_s();
        let url = world.server.as_ref().unwrap().url().to_owned();
        world.listen = url.trim_start_matches("http://").parse().unwrap();
        world.a.ok("init");
        fund(&mut world.a, &world.chain, 500_000);
        world.a.ok(&format!("channel open {url} {A_CAPACITY}"));
        world.b.ok("init");
        // B's fee reserve: its force close and claims pay their relay through their anchors.
        fund(&mut world.b, &world.chain, B_FEE_RESERVE);
        world
            .b
            .ok(&format!("channel request-inbound {url} {B_CAPACITY}"));
        world.ledger().mine(1, None).unwrap();
        world.address = world.b.ok("address")["address"]
            .as_str()
            .unwrap()
            .to_owned();
        world
    }

    /// B's payment address.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The regtest ledger's directory.
    pub fn chain_dir(&self) -> &Path {
        &self.chain
    }

    fn ledger(&self) -> Ledger {
        Ledger::open(&self.chain).unwrap()
    }

    fn start_s(&mut self) {
        let ctx = self.s.context();
        self.server = Some(InProcessServer::start(ctx, self.listen).unwrap());
    }

    fn stop_s(&mut self) {
        self.server = None;
        self.s.stop();
    }

    fn role(&mut self, who: Who) -> &mut Role {
        match who {
            Who::A => &mut self.a,
            Who::B => &mut self.b,
            Who::S => &mut self.s,
        }
    }

    fn is_stale(&self, who: Who) -> bool {
        self.stale.get(&who).copied().unwrap_or(false)
    }

    /// A's unfinished payments.
    fn unfinished(&self) -> Vec<String> {
        self.a
            .payments()
            .into_iter()
            .filter(|p| {
                matches!(
                    p.status,
                    LocalStatus::Proposed | LocalStatus::Pending | LocalStatus::Cancelling
                )
            })
            .map(|p| p.payment_id.to_string())
            .collect()
    }

    fn note(&mut self, step: &Step, result: Result<Vec<Value>, CliError>) {
        let outcome = match result {
            Ok(results) => {
                let mut text = Value::from(results).to_string();
                text.truncate(400);
                format!("ok {text}")
            }
            Err(e) => format!("refused: {}", e.message),
        };
        self.log.push(format!("{step:?}: {outcome}"));
    }

    /// Runs one step, then checks the invariants.
    pub fn run(&mut self, step: &Step) {
        let address = self.address.clone();
        let result = match *step {
            Step::Pay { amount } => self.a.run(&format!(
                "pay {address} {}",
                AMOUNTS[amount % AMOUNTS.len()]
            )),
            Step::Receive { no_claim } => self.b.run(if no_claim {
                "receive --no-claim"
            } else {
                "receive"
            }),
            Step::Claim => self.b.run("claim"),
            Step::Sync(Who::S) | Step::ForceClose(Who::S) => {
                self.server.as_ref().unwrap().watch_pass();
                Ok(Vec::new())
            }
            Step::Sync(who) => self.role(who).run("sync"),
            Step::ForceClose(who) => {
                let role = self.role(who);
                let id = role.channels()[0].channel.id();
                role.run(&format!("channel close {id} --force --no-wait"))
            }
            Step::Cancel { which, crash } => {
                let ids = self.unfinished();
                if ids.is_empty() {
                    Ok(Vec::new())
                } else {
                    let id = &ids[which % ids.len()];
                    crash_in_process_at(crash.then_some("cancel-agreed"));
                    let r = self.a.run(&format!("payments cancel {id}"));
                    crash_in_process_at(None);
                    r
                }
            }
            Step::Watch => {
                self.server.as_ref().unwrap().watch_pass();
                Ok(Vec::new())
            }
            Step::Mine(n) => {
                self.ledger().mine(u32::from(n % 8) + 1, None).unwrap();
                Ok(Vec::new())
            }
            Step::Backup(who) => {
                let to = self
                    .root
                    .path()
                    .join(format!("backup-{}", self.backups_taken));
                self.backups_taken += 1;
                copy_dir(&self.role(who).dir.clone(), &to);
                let kept = self.backups.entry(who).or_default();
                kept.push(to);
                if kept.len() > MAX_BACKUPS {
                    kept.remove(0);
                }
                Ok(Vec::new())
            }
            Step::Restore { who, which } => {
                let Some(from) = self
                    .backups
                    .get(&who)
                    .filter(|b| !b.is_empty())
                    .map(|b| b[which % b.len()].clone())
                else {
                    return self.check();
                };
                if who == Who::S {
                    self.stop_s();
                }
                let role = self.role(who);
                role.stop();
                let dir = role.dir.clone();
                std::fs::remove_dir_all(&dir).unwrap();
                copy_dir(&from, &dir);
                self.stale.insert(who, true);
                if who == Who::S {
                    self.start_s();
                }
                Ok(Vec::new())
            }
            Step::RestartS => {
                self.stop_s();
                self.start_s();
                Ok(Vec::new())
            }
            Step::CrashPay { amount, nonces } => {
                crash_in_process_at(Some(if nonces {
                    "payment-nonces-recorded"
                } else {
                    "payment-proposed"
                }));
                let r = self.a.run(&format!(
                    "pay {address} {}",
                    AMOUNTS[amount % AMOUNTS.len()]
                ));
                crash_in_process_at(None);
                r
            }
            Step::GiveBack { which, crash } => {
                let sold: Vec<String> = self
                    .b
                    .payments()
                    .into_iter()
                    .filter(|p| p.status == LocalStatus::Sold)
                    .map(|p| p.payment_id.to_string())
                    .collect();
                if sold.is_empty() {
                    Ok(Vec::new())
                } else {
                    crash_in_process_at(crash.then_some("fail-signed"));
                    let r = self
                        .b
                        .run(&format!("payments cancel {}", sold[which % sold.len()]));
                    crash_in_process_at(None);
                    r
                }
            }
            Step::CrashSale => {
                crash_in_process_at(Some("sale-signed"));
                let r = self.b.run("receive --no-claim");
                crash_in_process_at(None);
                r
            }
        };
        self.note(step, result);
        self.check();
    }

    /// The invariants that hold after every step.
    pub fn check(&mut self) {
        let mut held: Vec<(char, Channel)> = Vec::new();
        for (tag, role) in [('a', &self.a), ('b', &self.b)] {
            held.extend(role.channels().into_iter().map(|c| (tag, c.channel)));
        }
        held.extend(
            self.s
                .server_channels()
                .into_iter()
                .map(|c| ('s', c.channel)),
        );
        for (tag, channel) in held {
            let capacity = channel.params().capacity;
            if let Some(latest) = channel.latest() {
                latest.state.check(capacity).unwrap_or_else(|e| {
                    panic!("{tag}: conservation broken in {}: {e}", channel.id())
                });
                let who = match tag {
                    'a' => Who::A,
                    'b' => Who::B,
                    _ => Who::S,
                };
                if !self.is_stale(who) {
                    let high = self.high.entry((tag, channel.id())).or_insert(0);
                    assert!(
                        latest.state.number >= *high,
                        "{tag}: latest state of {} went back from {high} to {}\n{}",
                        channel.id(),
                        latest.state.number,
                        self.log.join("\n")
                    );
                    *high = latest.state.number;
                }
            }
            if let Some(pending) = channel.pending() {
                pending.next().check(capacity).unwrap_or_else(|e| {
                    panic!(
                        "{tag}: pending state breaks conservation in {}: {e}",
                        channel.id()
                    )
                });
            }
        }
        check_nonce_log(self.nonce_log);
    }

    /// Every role resumes honestly, both clients force-close, blocks pass until both
    /// channels settle; then the chain must pay each side what S's records say, to the
    /// satoshi (S at least that, an honest client exactly that).
    pub fn settle(mut self) {
        crash_in_process_at(None);
        for _ in 0..2 {
            for step in [
                Step::Receive { no_claim: false },
                Step::Claim,
                Step::Sync(Who::A),
                Step::Watch,
            ] {
                self.run(&step);
            }
        }
        for id in self.unfinished() {
            let _ = self.a.run(&format!("payments cancel {id}"));
        }
        self.run(&Step::Sync(Who::A));
        self.check();

        let s_channels = self.s.server_channels();
        let s_to_node = |client_channel: &Channel| -> ScriptBuf {
            s_channels
                .iter()
                .find(|c| c.channel.id() == client_channel.id())
                .expect("S holds every client channel")
                .channel
                .params()
                .to_node_script(Party::Server)
        };
        let a_channel = self.a.channels().remove(0).channel;
        let b_channel = self.b.channels().remove(0).channel;
        // Where each side's money ends: its to_node script (settlements and PTLC claims pay
        // it).
        let scripts = [
            a_channel.params().to_node_script(Party::Client),
            s_to_node(&a_channel),
            b_channel.params().to_node_script(Party::Client),
            s_to_node(&b_channel),
        ];
        let (a_id, b_id) = (a_channel.id(), b_channel.id());
        let a_node = s_channels
            .iter()
            .find(|c| c.channel.id() == a_id)
            .unwrap()
            .client;

        // Both clients force-close; blocks pass, each with S's watcher, the clients' closes
        // and B's claims, until both channels settled and every PTLC any state held is past
        // its expiry and both delays (claimed by B, or taken back by S).
        let ledger = self.ledger();
        let mut settled_at = None;
        for _ in 0..200 {
            for (who, id) in [(Who::A, a_id), (Who::B, b_id)] {
                let _ = self
                    .role(who)
                    .run(&format!("channel close {id} --force --no-wait"));
            }
            let _ = self.b.run("claim");
            self.server.as_ref().unwrap().watch_pass();
            ledger.mine(1, None).unwrap();
            let tip = ledger.tip().unwrap().height;
            let settled = scripts[..2].iter().any(|s| value_at(&ledger, s) > 0)
                && scripts[2..].iter().any(|s| value_at(&ledger, s) > 0);
            if settled && settled_at.is_none() {
                settled_at = Some(tip);
            }
            let resolved = self.last_ptlc_expiry() + 2 * u32::from(B_DELAY) + 6;
            if settled_at.is_some_and(|at| tip > at + 2 && tip > resolved) {
                break;
            }
        }
        let got: Vec<u64> = scripts.iter().map(|s| value_at(&ledger, s)).collect();
        let log = self.log.join("\n");
        assert!(
            settled_at.is_some(),
            "the channels never settled: {got:?}\n{log}"
        );

        // Each client collects what S learned on chain (a claim there pays the payer too).
        for who in [Who::A, Who::B] {
            let step = Step::Sync(who);
            let result = self.role(who).run("sync");
            self.note(&step, result);
        }
        // What S's records say was paid (read last: a claim on chain tells S too).
        let views = self.server.as_ref().unwrap().core().payments_of(&a_node);
        let paid: Vec<_> = views
            .iter()
            .filter(|p| p.status == PaymentStatus::Paid)
            .collect();
        let paid_with_fee: u64 = paid.iter().map(|p| p.amount_sat + p.fee_sat).sum();
        let paid_to_b: u64 = paid.iter().map(|p| p.amount_sat).sum();
        let fees: u64 = paid.iter().map(|p| p.fee_sat).sum();
        // What each client's own records say.
        let (a_payments, b_payments) = (self.a.payments(), self.b.payments());
        let paid_ids = |ps: &[ClientPayment]| -> Vec<String> {
            let mut ids: Vec<String> = ps
                .iter()
                .filter(|p| p.status == LocalStatus::Paid)
                .map(|p| p.payment_id.to_string())
                .collect();
            ids.sort();
            ids
        };
        let b_paid: u64 = b_payments
            .iter()
            .filter(|p| p.status == LocalStatus::Paid)
            .map(|p| p.amount_sat)
            .sum();
        let b_paid_with_fee: u64 = b_payments
            .iter()
            .filter(|p| p.status == LocalStatus::Paid)
            .map(|p| p.amount_sat + p.fee_sat)
            .sum();
        let mut s_ids: Vec<String> = paid.iter().map(|p| p.payment_id.to_string()).collect();
        s_ids.sort();
        let (a_honest, b_honest, s_honest) = (
            !self.is_stale(Who::A),
            !self.is_stale(Who::B),
            !self.is_stale(Who::S),
        );
        let statuses = |ps: &[ClientPayment]| -> Vec<String> {
            ps.iter()
                .map(|p| {
                    format!(
                        "{:.8} {:?} {:?}",
                        p.payment_id.to_string(),
                        p.status,
                        p.reason
                    )
                })
                .collect()
        };
        eprintln!(
            "{log}\nS: {} paid ({paid_with_fee} sat with fees); A: {:?}; B: {:?}; on chain (A, S \
             with A, B, S with B) = {got:?}",
            paid.len(),
            statuses(&a_payments),
            statuses(&b_payments)
        );
        if s_honest {
            // S never pays for a scalar it cannot use: it ends with what it put in and its
            // fees, in each channel as in total; eltoo has no penalty, so whatever a stale
            // client published, each channel settles at S's latest state, to the satoshi.
            assert_eq!(
                (got[0], got[1]),
                (A_CAPACITY - paid_with_fee, paid_with_fee),
                "A–S did not settle at S's records\n{log}"
            );
            assert_eq!(
                (got[2], got[3]),
                (paid_to_b, B_CAPACITY - paid_to_b),
                "B–S did not settle at S's records\n{log}"
            );
            assert_eq!(got[1] + got[3], B_CAPACITY + fees, "S's total\n{log}");
        }
        if b_honest {
            // B keeps every payment it was paid, whatever S did.
            assert!(
                got[2] >= b_paid,
                "B got {} of {b_paid} it was paid\n{log}",
                got[2]
            );
        }
        if a_honest && b_honest {
            // A paid for nothing B did not get.
            assert!(
                A_CAPACITY - got[0] <= b_paid_with_fee,
                "A lost {} for {b_paid_with_fee} B was paid (with S's fees)\n{log}",
                A_CAPACITY - got[0]
            );
        }
        if a_honest && b_honest && s_honest {
            assert_eq!(
                paid_ids(&a_payments),
                s_ids,
                "A's and S's paid payments\n{log}"
            );
            assert_eq!(
                paid_ids(&b_payments),
                s_ids,
                "B's and S's paid payments\n{log}"
            );
        }
    }

    /// The latest expiry of any PTLC in any state B or S holds (0: none).
    fn last_ptlc_expiry(&self) -> u32 {
        let mut channels: Vec<Channel> = self.b.channels().into_iter().map(|c| c.channel).collect();
        channels.extend(self.s.server_channels().into_iter().map(|c| c.channel));
        channels
            .iter()
            .flat_map(|c| {
                let latest = c.latest().map(|l| l.state.clone());
                let pending = c.pending().map(|p| p.next().clone());
                latest.into_iter().chain(pending)
            })
            .flat_map(|state| state.ptlcs)
            .map(|p| p.expiry)
            .max()
            .unwrap_or(0)
    }
}

fn fund(role: &mut Role, chain: &Path, sat: u64) {
    let address = role.ok("wallet address")["address"]
        .as_str()
        .unwrap()
        .to_owned();
    let script = bitcoin::Address::from_str(&address)
        .unwrap()
        .assume_checked()
        .script_pubkey();
    Ledger::open(chain)
        .unwrap()
        .fund(&script, Amount::from_sat(sat))
        .unwrap();
}

fn value_at(ledger: &Ledger, script: &ScriptBuf) -> u64 {
    ledger.value_at(script).unwrap().to_sat()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else if entry.file_name() != "lock" {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// No public nonce signed two different sessions (message and peer nonce).
pub fn check_nonce_log(path: &Path) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    let mut seen = BTreeMap::new();
    for line in text.lines() {
        let Some((nonce, session)) = line.split_once(' ') else {
            continue;
        };
        let first = seen.entry(nonce).or_insert(session);
        assert_eq!(*first, session, "nonce {nonce} signed two sessions");
    }
}

/// Runs a case from a fresh world and settles it.
pub fn run_case(steps: &[Step]) {
    let mut world = World::new();
    for step in steps {
        world.run(step);
    }
    world.settle();
}

/// A case from fuzzer bytes: one byte per step (the low bits choose the step, the high bits
/// its argument), at most 24 steps.
pub fn case_from_bytes(data: &[u8]) -> Vec<Step> {
    data.iter().take(24).map(|&b| step_from_byte(b)).collect()
}

pub fn step_from_byte(b: u8) -> Step {
    let arg = usize::from(b >> 4);
    let who = [Who::A, Who::B, Who::S][arg % 3];
    match b & 0x0f {
        0..=2 => Step::Pay { amount: arg },
        3 => Step::Receive {
            no_claim: arg % 2 == 1,
        },
        4 => Step::Claim,
        5 => Step::Sync(who),
        6 => Step::Cancel {
            which: arg / 2,
            crash: arg % 2 == 1,
        },
        7 => Step::Watch,
        8 => Step::GiveBack {
            which: arg / 2,
            crash: arg % 2 == 1,
        },
        9 => Step::Mine(b >> 4),
        10 => Step::Backup(who),
        11 => Step::Restore {
            who,
            which: arg / 2,
        },
        12 => Step::RestartS,
        15 => Step::ForceClose(who),
        13 => Step::CrashPay {
            amount: arg,
            nonces: arg % 2 == 1,
        },
        _ => Step::CrashSale,
    }
}
