//! `asyncpay demo`: the walkthrough on embedded defaults, told step by step. It runs the real
//! commands as separate processes — three wallets (A, B and the server S) on a fresh local
//! regtest ledger, S's `server run` on 127.0.0.1 — exactly as a person would in three
//! terminals, checks every balance to the satoshi and fails (exit 1) if a check fails.
//! The asynchronous payment joins the story with the payment commands.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bitcoin::{Network, ScriptBuf};
use serde::Serialize;
use serde_json::Value;

use super::error::{CliError, CliResult};
use super::output::{Output, Render};
use crate::chain::Ledger;
use crate::keys::Seed;
use crate::store::write_atomic;

/// One step of the story.
#[derive(Debug, Serialize)]
pub struct Step {
    step: String,
    balances_sat: Vec<(String, u64)>,
}

/// The whole story, for `--json`.
#[derive(Debug, Serialize)]
pub struct DemoReport {
    directory: String,
    kept: bool,
    steps: Vec<Step>,
    coming: &'static str,
}

impl Render for DemoReport {
    fn human(&self) -> String {
        let mut s = String::new();
        for (i, step) in self.steps.iter().enumerate() {
            s.push_str(&format!("{}. {}\n", i + 1, step.step));
            for (who, sat) in &step.balances_sat {
                s.push_str(&format!("     {who:<24} {sat:>12} sat\n"));
            }
        }
        if self.kept {
            s.push_str(&format!(
                "\nThe wallets are kept in {}; explore them, e.g.:\n  asyncpay --datadir {0}/a --identity {0}/a.identity --chain regtest:{0}/chain channel list\n",
                self.directory
            ));
        }
        s.push_str(&format!("\nComing next: {}", self.coming));
        s
    }
}

fn fail(what: impl std::fmt::Display) -> CliError {
    CliError::failed(format!("demo: {what}"))
}

/// The demo's three wallets and ledger in one directory.
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
    fn command(&self, wallet: &str, args: &[&str]) -> Command {
        let mut c = Command::new(&self.exe);
        c.arg("--json")
            .arg("--chain")
            .arg(format!("regtest:{}", self.root.join("chain").display()));
        if !wallet.is_empty() {
            let dir = self.root.join(wallet);
            c.arg("--datadir")
                .arg(&dir)
                .arg("--identity")
                .arg(self.identity(wallet));
        }
        c.args(args).stdin(Stdio::null());
        c
    }

    fn identity(&self, wallet: &str) -> PathBuf {
        self.root.join(format!("{wallet}.identity"))
    }

    /// Runs `asyncpay` as `wallet` (or without a wallet when empty) and returns its JSON.
    fn run(&self, wallet: &str, args: &[&str]) -> CliResult<Value> {
        let out = self
            .command(wallet, args)
            .output()
            .map_err(|e| fail(format!("cannot run asyncpay: {e}")))?;
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        if !out.status.success() {
            return Err(fail(format!(
                "`asyncpay {}` failed: {}",
                args.join(" "),
                doc["error"]["message"].as_str().unwrap_or("no message")
            )));
        }
        Ok(doc)
    }

    fn wallet(&self, name: &str) -> CliResult<()> {
        let identity = age::x25519::Identity::generate();
        let text = format!(
            "# demo identity of wallet {name}\n{}\n",
            age::secrecy::ExposeSecret::expose_secret(&identity.to_string())
        );
        write_atomic(&self.identity(name), text.as_bytes()).map_err(fail)?;
        self.run(name, &["init"]).map(drop)
    }

    fn fund(&self, wallet: &str, sat: u64) -> CliResult<()> {
        let address = self.run(wallet, &["wallet", "address"])?["address"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.run("", &["regtest", "fund", &address, &sat.to_string()])
            .map(drop)
    }

    fn mine(&self, n: u32) -> CliResult<()> {
        self.ledger.mine(n, None).map(drop).map_err(fail)
    }

    fn onchain(&self, wallet: &str) -> CliResult<u64> {
        Ok(self.run(wallet, &["wallet", "balance"])?["total_sat"]
            .as_u64()
            .unwrap_or(0))
    }

    /// The `to_node` script of `wallet`'s channel key `index` (where its channel balance
    /// lands on chain).
    fn to_node(&self, wallet: &str, index: u32) -> CliResult<ScriptBuf> {
        let phrase = self.run(wallet, &["wallet", "backup", "--force"])?["mnemonic"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let keys = Seed::from_phrase(&phrase)
            .map_err(fail)?
            .keys(Network::Regtest);
        let key = keys.channel(index).party_keys().settlement;
        Ok(ScriptBuf::new_p2tr(
            &bitcoin::key::Secp256k1::verification_only(),
            key,
            None,
        ))
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
            .command(
                "s",
                &[
                    "server",
                    "run",
                    "--listen",
                    "127.0.0.1:0",
                    "--watch-interval-ms",
                    "100",
                ],
            )
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
    fn await_mempool(&self, what: &str) -> CliResult<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.ledger.mempool().map_err(fail)?.is_empty() {
            if Instant::now() > deadline {
                return Err(fail(format!("timed out waiting for {what}")));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }
}

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

struct Story {
    out: Output,
    steps: Vec<Step>,
}

impl Story {
    /// Records a step after checking each balance against what the story says.
    fn step(&mut self, text: impl Into<String>, checks: Vec<(&str, u64, u64)>) -> CliResult<()> {
        let text = text.into();
        let mut balances = Vec::new();
        for (who, got, want) in checks {
            if got != want {
                return Err(fail(format!(
                    "check failed after '{text}': {who} is {got} sat, expected {want}"
                )));
            }
            balances.push((who.to_owned(), got));
        }
        self.out.note(&format!("✓ {text}"));
        self.steps.push(Step {
            step: text,
            balances_sat: balances,
        });
        Ok(())
    }
}

/// Runs the demo in `keep` (kept afterwards) or in a temporary directory.
pub fn run(out: Output, keep: Option<PathBuf>) -> CliResult<DemoReport> {
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
        out,
        steps: Vec::new(),
    };
    let w = &world;

    for name in ["a", "b", "s"] {
        w.wallet(name)?;
    }
    story.step(
        "Three wallets — A (payer), B (payee), S (server) — each with an encrypted data dir, on a fresh local regtest ledger",
        vec![],
    )?;

    w.fund("a", 1_000_000)?;
    w.fund("s", 5_000_000)?;
    story.step(
        "The ledger's faucet pays A and S on chain",
        vec![
            ("A on chain", w.onchain("a")?, 1_000_000),
            ("S on chain", w.onchain("s")?, 5_000_000),
        ],
    )?;

    w.run(
        "s",
        &[
            "server",
            "init",
            "--shared-delay",
            "6",
            "--min-shared-delay",
            "2",
            "--min-confirmations",
            "1",
        ],
    )?;
    let s_to_node_a = w.to_node("s", 0)?;
    let (server, url) = w.start_server()?;
    story.step(format!("S runs its server at {url}"), vec![])?;

    let a_channel = w.run("a", &["channel", "open", &url, "400000"])?;
    let a_id = a_channel["channel_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    w.run("b", &["channel", "request-inbound", &url, "300000"])?;
    w.mine(1)?;
    let a_list = w.run("a", &["channel", "list"])?;
    let b_list = w.run("b", &["channel", "list"])?;
    story.step(
        "A opens a 400,000 sat channel to S (A funds it; update 0 signed before the funding is published); B asks S for 300,000 sat of inbound capacity (S funds it); one block confirms both",
        vec![
            ("A's balance in A–S", a_list[0]["client_sat"].as_u64().unwrap_or(0), 400_000),
            ("S's balance in B–S", b_list[0]["server_sat"].as_u64().unwrap_or(0), 300_000),
        ],
    )?;

    w.run("a", &["channel", "push", &a_id, "25000"])?;
    let backup = root.join("a-backup");
    copy_dir(&root.join("a"), &backup).map_err(fail)?;
    std::fs::copy(w.identity("a"), w.identity("a-backup")).map_err(fail)?;
    let state2 = w.run("a", &["channel", "push", &a_id, "25000"])?;
    story.step(
        "A pays S 25,000 sat twice inside the channel (states 1 and 2); A keeps a backup taken at state 1",
        vec![
            ("A in state 2", state2["client_sat"].as_u64().unwrap_or(0), 350_000),
            ("S in state 2", state2["server_sat"].as_u64().unwrap_or(0), 50_000),
        ],
    )?;

    // A, restored from its old backup, tries to close with state 1 (25,000 sat better for
    // A). S's watcher rebinds state 2 over it; after shared_delay S settles state 2.
    let mut cheat = w.command(
        "a-backup",
        &["channel", "close", &a_id, "--force", "--no-wait"],
    );
    let status = cheat.output().map_err(fail)?.status;
    if status.code() != Some(5) {
        return Err(fail("the old backup's force close did not start"));
    }
    w.mine(1)?;
    w.await_mempool("S's rebinding update")?;
    let a_to_node = w.to_node("a", 0)?;
    // Blocks come one at a time; S publishes the settlement once its update is deep enough.
    let mut blocks = 0;
    while w.value_at(&s_to_node_a)? == 0 {
        if blocks == 30 {
            return Err(fail("S never published the settlement"));
        }
        w.mine(1)?;
        blocks += 1;
        std::thread::sleep(Duration::from_millis(150));
    }
    story.step(
        "A's old backup publishes state 1 on chain; S's watcher answers with state 2 within shared_delay (6 blocks) and settles it: the old state loses",
        vec![
            ("A's settlement output", w.value_at(&a_to_node)?, 350_000),
            ("S's settlement output", w.value_at(&s_to_node_a)?, 50_000),
        ],
    )?;
    drop(server);

    Ok(DemoReport {
        directory: root.display().to_string(),
        kept: keep.is_some(),
        steps: story.steps,
        coming: "the asynchronous payment: A pays B while B is offline, B sells A's signature \
                 to S when it comes online and is paid over a PTLC, A collects the invoice and \
                 the scalar; then a cancelled payment.",
    })
}
