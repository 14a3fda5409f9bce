//! `asyncpay demo`: the walkthrough on embedded defaults, told step by step. It runs the real
//! commands as separate processes — three wallets (A, B and the server S) on a fresh local
//! regtest ledger, S's `server run` on 127.0.0.1 — exactly as a person would in three
//! terminals (README.md, "Walkthrough"): channels both ways, the asynchronous payment
//! (docs/protocol.md §7) while its payee is offline, a cancelled one, and a force close from
//! an old backup that S's watcher defeats. Every balance and every claim it makes is checked; the
//! first failed check ends it with exit status 1.
//!
//! Balances are read with `channel show` (the wallet's own files and the chain, never S), so
//! reading them does not bring an "offline" wallet online; S's own view of A's channel is
//! read from S's API (`GET /v1/channels`, signed with A's node key).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bitcoin::{Network, ScriptBuf};
use indicatif::ProgressBar;
use serde::Serialize;
use serde_json::Value;

use super::error::{CliError, CliResult};
use super::output::{Output, Render};
use crate::chain::Ledger;
use crate::keys::{Seed, WalletKeys};
use crate::server::ChannelSummary;
use crate::store::write_atomic;

/// How many steps the story has (for the progress line).
const STEPS: usize = 12;

/// A channel's latest signed state as one party sees it.
#[derive(Debug, Serialize)]
pub struct ChannelBalance {
    /// "A–S" or "B–S".
    channel: &'static str,
    /// Whose records: "A", "B" or "S".
    seen_by: &'static str,
    /// The latest fully signed state.
    state: u32,
    /// The client of the channel: "A" or "B".
    client: &'static str,
    client_sat: u64,
    server_sat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

/// An amount on chain.
#[derive(Debug, Serialize)]
pub struct OnchainBalance {
    what: String,
    sat: u64,
}

/// One `asyncpay` process the story ran.
#[derive(Debug, Serialize)]
pub struct Ran {
    /// Who runs it: "A", "B", "S", "A-old" (A's old backup) or "ledger" (no wallet).
    by: String,
    /// The command line, without the demo's `--json --chain --datadir --identity` (`--chain`
    /// only at `init` and for the commands without a wallet: the wallets remember it).
    command: String,
    exit_code: i32,
}

/// What happened in a step, in order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// A command was run.
    Ran(Ran),
    /// What it did.
    Note(String),
    /// A claim the demo checked (each passed; a failure ends the demo).
    Check(String),
}

/// One step of the story.
#[derive(Debug, Serialize)]
pub struct Step {
    number: usize,
    title: String,
    log: Vec<Event>,
    /// Full values the notes shorten: payment ids, addresses, node ids.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    facts: BTreeMap<String, String>,
    channels: Vec<ChannelBalance>,
    onchain_sat: Vec<OnchainBalance>,
    elapsed_ms: u64,
}

/// The whole story, for `--json`.
#[derive(Debug, Serialize)]
pub struct DemoReport {
    directory: String,
    kept: bool,
    server_url: String,
    steps: Vec<Step>,
    checks_passed: usize,
    elapsed_ms: u64,
}

/// `123456` → `123,456`.
fn sat(v: u64) -> String {
    crate::units::grouped(v)
}

/// A long argument (address, id) shortened for a person: `rasp1qypkuc…wqaz7te3`.
fn short(arg: &str) -> String {
    if arg.chars().count() > 28 {
        let chars: Vec<char> = arg.chars().collect();
        let head: String = chars[..12].iter().collect();
        let tail: String = chars[chars.len() - 8..].iter().collect();
        format!("{head}…{tail}")
    } else {
        arg.to_owned()
    }
}

impl Render for DemoReport {
    fn human(&self) -> String {
        let mut s = String::new();
        for step in &self.steps {
            s.push_str(&format!("{:>2}. {}\n", step.number, step.title));
            for event in &step.log {
                match event {
                    Event::Ran(ran) => {
                        let line: Vec<String> = ran.command.split(' ').map(short).collect();
                        let code = if ran.exit_code == 0 {
                            String::new()
                        } else {
                            format!("   (exit status {})", ran.exit_code)
                        };
                        s.push_str(&format!("  {:>7}$ {}{code}\n", ran.by, line.join(" ")));
                    }
                    Event::Note(note) => s.push_str(&format!("           · {note}\n")),
                    Event::Check(check) => s.push_str(&format!("           ✓ {check}\n")),
                }
            }
            for c in &step.channels {
                s.push_str(&format!(
                    "           {} channel, state {:<2}  {} {:>9} sat   S {:>9} sat   ({}'s records{})\n",
                    c.channel,
                    c.state,
                    c.client,
                    sat(c.client_sat),
                    sat(c.server_sat),
                    c.seen_by,
                    c.note.as_deref().map(|n| format!("; {n}")).unwrap_or_default()
                ));
            }
            for b in &step.onchain_sat {
                s.push_str(&format!(
                    "           {:<33} {:>9} sat\n",
                    b.what,
                    sat(b.sat)
                ));
            }
            s.push('\n');
        }
        s.push_str(&format!(
            "All {} checks passed in {:.1} s.\n",
            self.checks_passed,
            self.elapsed_ms as f64 / 1000.0
        ));
        if self.kept {
            let port = self.server_url.rsplit(':').next().unwrap_or("9737");
            s.push_str(&format!(
                "\nThe wallets are kept in {0}; explore them, e.g.:\n  \
                 asyncpay --datadir {0}/a --identity {0}/a.identity payments list\n  \
                 asyncpay --datadir {0}/b --identity {0}/b.identity channel list\n\
                 (each wallet remembers its ledger, {0}/chain)\n\
                 S's server has stopped; to go on, start it again on the same address:\n  \
                 asyncpay --datadir {0}/s --identity {0}/s.identity server run --listen 127.0.0.1:{port}\n",
                self.directory
            ));
        }
        s.push_str("The same story by hand in three terminals: README.md, \"Walkthrough\".");
        s
    }
}

fn fail(what: impl std::fmt::Display) -> CliError {
    CliError::failed(format!("demo: {what}"))
}

/// Who a wallet directory belongs to, for the log.
fn label(wallet: &str) -> &'static str {
    match wallet {
        "a" => "A",
        "b" => "B",
        "s" => "S",
        "a-backup" => "A-old",
        _ => "ledger",
    }
}

/// The demo's wallets and ledger in one directory.
struct World {
    root: PathBuf,
    exe: PathBuf,
    ledger: Ledger,
}

/// A child `server run`, stopped when dropped.
struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl World {
    /// `asyncpay --json` as `wallet` (no wallet when empty), in the demo directory.
    fn command(&self, wallet: &str, args: &[&str]) -> Command {
        let mut c = Command::new(&self.exe);
        c.current_dir(&self.root).arg("--json");
        // A wallet remembers the ledger it was made with: only `init` and the commands
        // without a wallet name it.
        if wallet.is_empty() || args.first() == Some(&"init") {
            c.arg("--chain")
                .arg(format!("regtest:{}", self.root.join("chain").display()));
        }
        if !wallet.is_empty() {
            c.arg("--datadir")
                .arg(self.root.join(wallet))
                .arg("--identity")
                .arg(self.identity(wallet));
        }
        c.args(args).stdin(Stdio::null());
        c
    }

    fn identity(&self, wallet: &str) -> PathBuf {
        self.root.join(format!("{wallet}.identity"))
    }

    /// Runs `asyncpay`; its exit code and JSON (the error document on failure).
    fn exec(&self, wallet: &str, args: &[&str]) -> CliResult<(i32, Value)> {
        let out = self
            .command(wallet, args)
            .output()
            .map_err(|e| fail(format!("cannot run asyncpay: {e}")))?;
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        Ok((out.status.code().unwrap_or(-1), doc))
    }

    /// Runs `asyncpay` for the story's bookkeeping (not logged); it must succeed.
    fn peek(&self, wallet: &str, args: &[&str]) -> CliResult<Value> {
        let (code, doc) = self.exec(wallet, args)?;
        if code != 0 {
            return Err(fail(format!(
                "`asyncpay {}` ({}) failed: {}",
                args.join(" "),
                label(wallet),
                doc["error"]["message"].as_str().unwrap_or("no message")
            )));
        }
        Ok(doc)
    }

    fn new_identity(&self, name: &str) -> CliResult<()> {
        let identity = age::x25519::Identity::generate();
        let text = format!(
            "# demo identity of wallet {name}\n{}\n",
            age::secrecy::ExposeSecret::expose_secret(&identity.to_string())
        );
        write_atomic(&self.identity(name), text.as_bytes()).map_err(fail)
    }

    fn mine(&self, n: u32) -> CliResult<()> {
        self.ledger.mine(n, None).map(drop).map_err(fail)
    }

    fn onchain(&self, wallet: &str) -> CliResult<u64> {
        Ok(self.peek(wallet, &["wallet", "balance"])?["total_sat"]
            .as_u64()
            .unwrap_or(0))
    }

    /// The wallet's keys, from its mnemonic (the demo plays every role).
    fn keys(&self, wallet: &str) -> CliResult<WalletKeys> {
        let phrase = self.peek(wallet, &["wallet", "backup", "--force"])?["mnemonic"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        Ok(Seed::from_phrase(&phrase)
            .map_err(fail)?
            .keys(Network::Regtest))
    }

    /// The `to_node` script of `wallet`'s channel with key index `index` (where the channel
    /// pays the wallet when it ends: an address of the wallet's own change chain), read from
    /// its channel files without the data dir's lock (S runs meanwhile).
    fn to_node(&self, wallet: &str, index: u32) -> CliResult<ScriptBuf> {
        let store = crate::store::ReadOnlyDir::open(&self.root.join(wallet))
            .and_then(|d| d.unlock(&crate::store::Unlock::IdentityFile(self.identity(wallet))))
            .map_err(fail)?;
        for key in store
            .keys_of::<crate::client::ClientChannel>()
            .map_err(fail)?
        {
            let ch: Option<crate::client::ClientChannel> = store.load_keyed(&key).map_err(fail)?;
            if let Some(ch) = ch.filter(|c| c.key_index == index) {
                return Ok(ch
                    .channel
                    .params()
                    .to_node_script(crate::eltoo::Party::Client));
            }
        }
        for key in store
            .keys_of::<crate::server::ServerChannel>()
            .map_err(fail)?
        {
            let ch: Option<crate::server::ServerChannel> = store.load_keyed(&key).map_err(fail)?;
            if let Some(ch) = ch.filter(|c| c.key_index == index) {
                return Ok(ch
                    .channel
                    .params()
                    .to_node_script(crate::eltoo::Party::Server));
            }
        }
        Err(fail(format!(
            "{} has no channel with key index {index}",
            label(wallet)
        )))
    }

    fn value_at(&self, script: &ScriptBuf) -> CliResult<u64> {
        Ok(self
            .ledger
            .utxos_for_script(script)
            .map_err(fail)?
            .iter()
            .map(|(_, u)| u.output.value.to_sat())
            .sum())
    }

    fn start_server(&self) -> CliResult<(ServerProcess, String)> {
        let mut child = self
            .command("s", &SERVER_RUN)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| fail(format!("cannot start the server: {e}")))?;
        let stdout = child.stdout.take().expect("piped");
        let server = ServerProcess(child);
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map_err(fail)?;
        let doc: Value = serde_json::from_str(&line)
            .map_err(|_| fail("the server did not report its address"))?;
        let url = doc["url"].as_str().unwrap_or_default().to_owned();
        Ok((server, url))
    }

    /// Waits until the ledger's mempool holds a transaction (S's watcher published).
    /// Waits up to `limit` for a transaction in the mempool; whether one came.
    fn await_mempool(&self, limit: Duration) -> CliResult<bool> {
        let deadline = Instant::now() + limit;
        while self.ledger.mempool().map_err(fail)?.is_empty() {
            if Instant::now() > deadline {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(true)
    }
}

const SERVER_RUN: [&str; 6] = [
    "server",
    "run",
    "--listen",
    "127.0.0.1:0",
    "--watch-interval-ms",
    "100",
];

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if entry.file_name() != "lock" {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// The step being told.
struct Current {
    step: Step,
    started: Instant,
    spinner: ProgressBar,
}

struct Story {
    w: World,
    out: Output,
    steps: Vec<Step>,
    current: Option<Current>,
    checks_passed: usize,
}

impl Story {
    fn begin(&mut self, title: impl Into<String>) {
        let title = title.into();
        let number = self.steps.len() + 1;
        let spinner = self.out.spinner(&format!("[{number}/{STEPS}] {title}"));
        self.current = Some(Current {
            step: Step {
                number,
                title,
                log: Vec::new(),
                facts: BTreeMap::new(),
                channels: Vec::new(),
                onchain_sat: Vec::new(),
                elapsed_ms: 0,
            },
            started: Instant::now(),
            spinner,
        });
    }

    fn step(&mut self) -> &mut Step {
        &mut self.current.as_mut().expect("inside a step").step
    }

    /// The error for a failure inside the current step.
    fn failure(&self, what: impl std::fmt::Display) -> CliError {
        match &self.current {
            Some(c) => fail(format!("step {} ({}): {what}", c.step.number, c.step.title)),
            None => fail(what),
        }
    }

    fn end(&mut self) {
        let mut c = self.current.take().expect("inside a step");
        c.spinner.finish_and_clear();
        c.step.elapsed_ms = c.started.elapsed().as_millis() as u64;
        self.out.note(&format!(
            "✓ [{}/{STEPS}] {} ({} ms)",
            c.step.number, c.step.title, c.step.elapsed_ms
        ));
        self.steps.push(c.step);
    }

    /// Clears the progress of a step that failed.
    fn abandon(&mut self) {
        if let Some(c) = self.current.take() {
            c.spinner.finish_and_clear();
            self.out
                .note(&format!("✗ [{}/{STEPS}] {}", c.step.number, c.step.title));
        }
    }

    /// Runs a story command as `wallet` (no wallet when empty, then logged as `by`), logs it,
    /// and expects exit status `code`; returns its JSON.
    fn run_as(&mut self, by: &str, wallet: &str, args: &[&str], code: i32) -> CliResult<Value> {
        let (got, doc) = self.w.exec(wallet, args)?;
        self.step().log.push(Event::Ran(Ran {
            by: by.to_owned(),
            command: format!("asyncpay {}", args.join(" ")),
            exit_code: got,
        }));
        if got != code {
            let why = doc["error"]["message"].as_str().unwrap_or("no message");
            return Err(self.failure(format!(
                "`asyncpay {}` ({by}) ended with exit status {got}, expected {code}: {why}",
                args.join(" ")
            )));
        }
        Ok(doc)
    }

    /// Runs a story command as `wallet`; it must succeed.
    fn run(&mut self, wallet: &str, args: &[&str]) -> CliResult<Value> {
        self.run_as(label(wallet), wallet, args, 0)
    }

    fn note(&mut self, text: impl Into<String>) {
        self.step().log.push(Event::Note(text.into()));
    }

    fn fact(&mut self, key: &str, value: impl Into<String>) {
        self.step().facts.insert(key.to_owned(), value.into());
    }

    /// A claim of the story; a false one ends the demo.
    fn check(&mut self, holds: bool, claim: impl Into<String>) -> CliResult<()> {
        let claim = claim.into();
        if !holds {
            return Err(self.failure(format!("check failed: {claim}")));
        }
        self.checks_passed += 1;
        self.step().log.push(Event::Check(claim));
        Ok(())
    }

    /// Checks `got == want` for a balance shown as `what`.
    fn expect(&mut self, what: &str, got: u64, want: u64) -> CliResult<()> {
        if got != want {
            return Err(self.failure(format!(
                "check failed: {what} is {} sat, expected {}",
                sat(got),
                sat(want)
            )));
        }
        self.checks_passed += 1;
        Ok(())
    }

    /// Shows (and checks) a channel's latest signed state: `(state, client, server)`.
    fn channel(&mut self, balance: ChannelBalance, want: (u32, u64, u64)) -> CliResult<()> {
        let name = format!("{} in {}'s records", balance.channel, balance.seen_by);
        self.expect(
            &format!("the state number of {name}"),
            balance.state.into(),
            want.0.into(),
        )?;
        self.expect(
            &format!("{}'s balance of {name}", balance.client),
            balance.client_sat,
            want.1,
        )?;
        self.expect(
            &format!("S's balance of {name}"),
            balance.server_sat,
            want.2,
        )?;
        self.step().channels.push(balance);
        Ok(())
    }

    /// The channel `id` of client `wallet` as its own files say (`channel show`).
    fn client_view(
        &mut self,
        wallet: &str,
        id: &str,
        want: (u32, u64, u64),
        note: Option<String>,
    ) -> CliResult<()> {
        let v = self.w.peek(wallet, &["channel", "show", id])?;
        let client = label(wallet);
        let balance = ChannelBalance {
            channel: if client == "A" { "A–S" } else { "B–S" },
            seen_by: client,
            state: v["state"].as_u64().unwrap_or(0) as u32,
            client,
            client_sat: v["client_sat"].as_u64().unwrap_or(0),
            server_sat: v["server_sat"].as_u64().unwrap_or(0),
            note,
        };
        self.channel(balance, want)
    }

    /// A's channel `id` as S's records say (`GET /v1/channels`, signed with A's node key).
    fn server_view(
        &mut self,
        url: &str,
        id: &str,
        want: (u32, u64, u64),
        note: &str,
    ) -> CliResult<()> {
        let keys = self.w.keys("a")?;
        let client = crate::net::client::Client::new(url, keys.node_secret(), None)
            .map_err(|e| self.failure(e))?;
        let channels: Vec<ChannelSummary> = client
            .get("/v1/channels")
            .map_err(|e| self.failure(format!("S's channel list: {e}")))?;
        let c = channels
            .iter()
            .find(|c| c.channel_id.to_string() == id)
            .ok_or_else(|| self.failure("S does not list A's channel"))?;
        let balance = ChannelBalance {
            channel: "A–S",
            seen_by: "S",
            state: c.state.unwrap_or(0),
            client: "A",
            client_sat: c.client_sat.unwrap_or(0),
            server_sat: c.server_sat.unwrap_or(0),
            note: Some(note.to_owned()),
        };
        self.channel(balance, want)
    }

    /// Both channels as their clients A and B see them.
    fn both(&mut self, ids: &Ids, a: (u32, u64, u64), b: (u32, u64, u64)) -> CliResult<()> {
        self.client_view("a", &ids.a, a, None)?;
        self.client_view("b", &ids.b, b, None)
    }

    fn onchain(&mut self, what: &str, got: u64, want: u64) -> CliResult<()> {
        self.expect(what, got, want)?;
        self.step().onchain_sat.push(OnchainBalance {
            what: what.to_owned(),
            sat: got,
        });
        Ok(())
    }
}

/// The two channels.
struct Ids {
    a: String,
    b: String,
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// Runs the demo in `keep` (kept afterwards) or in a temporary directory.
pub fn run(out: Output, keep: Option<PathBuf>) -> CliResult<DemoReport> {
    let started = Instant::now();
    let temp;
    let root = match &keep {
        Some(dir) => {
            if dir.exists() && std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_some()) {
                return Err(CliError::usage(format!(
                    "--keep {} must be a new or empty directory",
                    dir.display()
                )));
            }
            std::fs::create_dir_all(dir).map_err(fail)?;
            dir.clone()
        }
        None => {
            temp = tempfile::Builder::new()
                .prefix("asyncpay-demo-")
                .tempdir()
                .map_err(fail)?;
            temp.path().to_path_buf()
        }
    };
    let world = World {
        exe: std::env::current_exe().map_err(fail)?,
        ledger: Ledger::open(root.join("chain")).map_err(fail)?,
        root: root.clone(),
    };
    let mut story = Story {
        w: world,
        out,
        steps: Vec::new(),
        current: None,
        checks_passed: 0,
    };
    let told = tell(&mut story);
    story.abandon();
    let server_url = told?;
    Ok(DemoReport {
        directory: root.display().to_string(),
        kept: keep.is_some(),
        server_url,
        steps: story.steps,
        checks_passed: story.checks_passed,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

/// The story; returns S's URL.
fn tell(st: &mut Story) -> CliResult<String> {
    // 1. Wallets.
    st.begin("Three wallets: A (the payer), B (the payee) and S (the server)");
    for name in ["a", "b", "s"] {
        st.w.new_identity(name)?;
        st.run(name, &["init"])?;
    }
    let b_node = text(&st.w.peek("b", &["wallet", "info"])?["node_id"]);
    st.note("each has its own encrypted data dir, unlocked with an age identity file (no passphrase prompts), on one fresh local regtest ledger");
    st.note(format!("B's node id: {b_node}"));
    st.fact("b_node_id", b_node.clone());
    st.end();

    // 2. Coins.
    st.begin("The ledger's faucet pays A, B and S on chain; B keeps a fee reserve: it reveals the payment scalar only while it could enforce its claim on chain, paying the fees");
    for (name, amount) in [("a", "1000000"), ("b", "50000"), ("s", "5000000")] {
        let address = text(&st.run(name, &["wallet", "address"])?["address"]);
        st.run_as("ledger", "", &["regtest", "fund", &address, amount], 0)?;
    }
    for (who, name, want) in [
        ("A on chain", "a", 1_000_000),
        ("B on chain", "b", 50_000),
        ("S on chain", "s", 5_000_000),
    ] {
        let got = st.w.onchain(name)?;
        st.onchain(who, got, want)?;
    }
    st.end();

    // 3. The server.
    st.begin("S becomes a server and runs it as a separate process on 127.0.0.1");
    st.run(
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
    )?;
    let (server, url) = st.w.start_server()?;
    st.step().log.push(Event::Ran(Ran {
        by: "S".into(),
        command: format!("asyncpay {} &", SERVER_RUN.join(" ")),
        exit_code: 0,
    }));
    st.note(format!("listening on {url}; policy: channels usable after 1 confirmation, shared_delay 15 blocks for channels clients fund and 6 for channels S funds (so S can sell payments safely, docs/protocol.md 4.1), S's fee 1,000 ppm of each asynchronous payment"));
    st.fact("server_url", url.clone());
    st.end();

    // 4. Channels.
    st.begin("Channels: A funds A–S with 400,000 sat; S funds B–S with 300,000 sat of inbound capacity for B");
    let a_id = text(&st.run("a", &["channel", "open", &url, "400000"])?["channel_id"]);
    let b_id = text(&st.run("b", &["channel", "request-inbound", &url, "300000"])?["channel_id"]);
    st.w.mine(1)?;
    st.note("state 0 of each channel is signed by both sides before its funding transaction is published; one block confirms both");
    st.fact("a_channel_id", a_id.clone());
    st.fact("b_channel_id", b_id.clone());
    let ids = Ids { a: a_id, b: b_id };
    st.both(&ids, (0, 400_000, 0), (0, 0, 300_000))?;
    st.end();

    // 5. B's address; B goes offline.
    st.begin("B publishes its payment address and goes offline");
    let address = text(&st.run("b", &["address"])?["address"]);
    let decoded = st.run_as("A", "", &["decode", &address], 0)?;
    st.note(format!("B's address: {address}"));
    st.fact("b_address", address.clone());
    st.check(
        decoded["node_id"] == b_node.as_str(),
        "the address names B's node id (checked with `asyncpay decode`)",
    )?;
    st.check(
        decoded["server_url"] == url.as_str() && decoded["mailbox_recipient"].is_string(),
        "it also names B's mailbox key and S's URL, where payers leave B's payments",
    )?;
    st.note("from here until step 7 B runs nothing");
    st.both(&ids, (0, 400_000, 0), (0, 0, 300_000))?;
    st.end();

    // 6. A pays B while B is offline.
    st.begin("A pays B 10,000 sat while B is offline, then goes offline too");
    let paid = st.run("a", &["pay", &address, "10000"])?;
    let pid = text(&paid["payment_id"]);
    st.fact("payment_id", pid.clone());
    st.check(
        paid["status"] == "pending" && paid["fee_sat"] == 10,
        format!(
            "payment {} is pending; S's fee is 10 sat (1,000 ppm)",
            short(&pid)
        ),
    )?;
    st.note("A and S agreed state 1 (A 389,990, S 10,010); A signed it but withholds its partial signature s_A from S: s_A is only in the update package for B");
    st.check(
        text(&paid["delivered"]).starts_with(&format!("mailbox {url} ")),
        "the package waits in B's mailbox at S, sealed to B's mailbox key: only B can open it",
    )?;
    st.client_view(
        "a",
        &ids.a,
        (0, 400_000, 0),
        Some("state 1 waits for B".into()),
    )?;
    st.server_view(
        &url,
        &ids.a,
        (0, 400_000, 0),
        "without s_A, S cannot complete state 1",
    )?;
    st.client_view("b", &ids.b, (0, 0, 300_000), None)?;
    st.end();

    // 7. B comes online and is paid.
    st.begin("B comes online, sells A's signature to S and is paid");
    let received = st.run("b", &["receive"])?;
    st.note("`receive` fetched the package from B's mailbox, opened it, checked s_A·G = T_A (the payment point of A's signature on state 1), signed an invoice for T_A, sold s_A to S for a PTLC in B–S after checking S's adaptor pre-signature, and claimed the PTLC by revealing s_A");
    let got = &received["payments"][0];
    let holds =
        got["payment_id"] == pid.as_str() && got["amount_sat"] == 10_000 && got["status"] == "paid";
    st.check(holds, "B's wallet has the payment as paid, 10,000 sat")?;
    st.server_view(
        &url,
        &ids.a,
        (1, 389_990, 10_010),
        "S completed state 1 with the s_A it bought",
    )?;
    st.client_view(
        "a",
        &ids.a,
        (0, 400_000, 0),
        Some("A is offline and does not know yet".into()),
    )?;
    st.client_view("b", &ids.b, (2, 10_000, 290_000), None)?;
    st.end();

    // 8. A comes back.
    st.begin("A comes back: `sync` collects B's invoice, the scalar and S's signature");
    let synced = st.run("a", &["sync"])?;
    st.note("`sync` checked B's signature on the invoice and its terms, that the scalar equals A's own s_A, and S's partial signature, which completes state 1");
    st.check(
        synced["payments"][0]["status"] == "paid",
        "A's wallet has the payment as paid",
    )?;
    let shown = st.run("a", &["payments", "show", &pid])?;
    let invoice = shown["invoice"].clone();
    let file = "invoice.json";
    write_atomic(&st.w.root.join(file), invoice.to_string().as_bytes()).map_err(fail)?;
    let decoded = st.run_as("A", "", &["decode", &format!("@{file}")], 0)?;
    st.check(
        decoded["kind"] == "invoice" && decoded["signature_valid"] == true,
        "A holds B's invoice, and its signature verifies",
    )?;
    st.check(
        decoded["payee"] == b_node.as_str(),
        format!("it is signed by B's node id {}", short(&b_node)),
    )?;
    st.check(
        decoded["payment_id"] == pid.as_str() && decoded["amount_sat"] == 10_000,
        "for this payment and 10,000 sat",
    )?;
    let b_shown = st.w.peek("b", &["payments", "show", &pid])?;
    st.check(
        b_shown["invoice"] == invoice,
        "it is the very invoice B made (B's records)",
    )?;
    st.check(
        shown["status"] == "paid",
        "A holds the scalar S bought from B, and it matches A's own s_A (the demo never prints it): s_A·G = T_A, the invoice's payment point",
    )?;
    st.fact("payment_point", text(&invoice["body"]["payment_point"]));
    st.both(&ids, (1, 389_990, 10_010), (2, 10_000, 290_000))?;
    st.end();

    // 9. A cancelled payment.
    st.begin("A pays B 5,000 sat more while B is offline, then cancels");
    let second = st.run("a", &["pay", &address, "5000"])?;
    let pid2 = text(&second["payment_id"]);
    st.fact("cancelled_payment_id", pid2.clone());
    st.check(
        second["status"] == "pending",
        format!("payment {} is pending", short(&pid2)),
    )?;
    st.note("state 2 (A 384,985, S 15,015) is signed by A but withheld, as before");
    let cancelled = st.run("a", &["payments", "cancel", &pid2])?;
    st.check(
        cancelled["status"] == "cancelled",
        "cancelled: S now refuses any sale of it; state 2 is superseded by state 3, which gives A its balance back",
    )?;
    st.both(&ids, (3, 389_990, 10_010), (2, 10_000, 290_000))?;
    st.end();

    // 10. B's sale is refused: not B's failure, the payment is over.
    st.begin("B comes online again: S refuses to buy the cancelled payment");
    st.run_as("B", "b", &["receive"], 0)?;
    let listed = st.run("b", &["payments", "list", "--status", "cancelled"])?;
    let cancelled = listed["payments"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["payment_id"] == pid2.as_str()))
        .cloned()
        .unwrap_or(Value::Null);
    let why = text(&cancelled["reason"]);
    st.note(format!("B's wallet: {why}"));
    st.check(
        cancelled["status"] == "cancelled" && why.contains("cancelled"),
        "`receive` succeeds and B's wallet lists it as cancelled by the payer; nothing changed in either channel",
    )?;
    st.both(&ids, (3, 389_990, 10_010), (2, 10_000, 290_000))?;
    st.end();

    // 11. Payments inside the channel; an old backup.
    st.begin("A pays S 25,000 sat twice inside A–S and keeps a backup taken in between");
    st.run("a", &["channel", "push", &ids.a, "25000"])?;
    let backup = st.w.root.join("a-backup");
    copy_dir(&st.w.root.join("a"), &backup).map_err(fail)?;
    std::fs::copy(st.w.identity("a"), st.w.identity("a-backup")).map_err(fail)?;
    st.run("a", &["channel", "push", &ids.a, "25000"])?;
    st.note("states 4 (A 364,990) and 5 (A 339,990); the backup (A-old) holds state 4");
    st.both(&ids, (5, 339_990, 60_010), (2, 10_000, 290_000))?;
    st.end();

    // 12. A, restored from its old backup, tries to close with state 4 (25,000 sat better
    // for A). S's watcher rebinds state 5 over it; after shared_delay S settles state 5.
    st.begin(
        "A's old backup force-closes A–S with state 4; S answers with state 5: the old state loses",
    );
    st.run_as(
        "A-old",
        "a-backup",
        &["channel", "close", &ids.a, "--force", "--no-wait"],
        5,
    )?;
    // One block confirms the old update; S's watcher publishes state 5 over it. Fifteen blocks
    // confirm that and give it shared_delay's depth; S's watcher publishes the settlement.
    // (If S answered while the old update was in the mempool, both are mined together; if
    // S is slow, the loop below mines until S's settlement is out.)
    let s_to_node_a = st.w.to_node("s", 0)?;
    st.w.mine(1)?;
    st.w.await_mempool(Duration::from_secs(2))?;
    st.w.mine(15)?;
    let mut blocks = 16;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last_block = Instant::now();
    while st.w.value_at(&s_to_node_a)? == 0 {
        if Instant::now() > deadline {
            return Err(st.failure("S never published the settlement"));
        }
        // A block as soon as S has published, or (if S waits for more depth) every second.
        if !st.w.ledger.mempool().map_err(fail)?.is_empty()
            || last_block.elapsed() > Duration::from_secs(1)
        {
            st.w.mine(1)?;
            blocks += 1;
            last_block = Instant::now();
        } else {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let a_to_node = st.w.to_node("a", 0)?;
    st.note(format!(
        "exit status 5: the old update is published, its settlement must wait; S's watcher published state 5 over it, then state 5's settlement after shared_delay ({blocks} blocks mined)"
    ));
    let got = st.w.value_at(&a_to_node)?;
    st.onchain("A's settlement output (state 5)", got, 339_990)?;
    let got = st.w.value_at(&s_to_node_a)?;
    st.onchain("S's settlement output (state 5)", got, 60_010)?;
    st.client_view("b", &ids.b, (2, 10_000, 290_000), Some("still open".into()))?;
    st.end();
    drop(server);
    Ok(url)
}
