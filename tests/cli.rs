//! The wallet through the real binary: a JSON walkthrough on the regtest ledger, the REPL
//! over piped stdin, user errors with their exact messages and exit codes, snapshots of
//! `--help`, a scan of the data dir for secrets, the data-dir lock between processes, and
//! SIGKILL while state is being written.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

/// One wallet: its data dir and passphrase file, on a shared ledger.
struct Wallet {
    dir: PathBuf,
    chain: PathBuf,
    pass: PathBuf,
}

struct Env {
    root: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            root: tempfile::tempdir().unwrap(),
        }
    }

    fn chain(&self) -> PathBuf {
        self.root.path().join("chain")
    }

    /// A wallet named `name`, created with `init`.
    fn wallet(&self, name: &str) -> Wallet {
        let w = self.uninit(name);
        let out = w.json(&["init"]);
        assert_eq!(out["network"], "regtest");
        w
    }

    fn uninit(&self, name: &str) -> Wallet {
        let pass = self.root.path().join(format!("{name}.pass"));
        std::fs::write(&pass, format!("passphrase of {name}\n")).unwrap();
        Wallet {
            dir: self.root.path().join(name),
            chain: self.chain(),
            pass,
        }
    }

    /// A command without a wallet (regtest commands).
    fn bare(&self) -> Command {
        let mut c = base();
        c.arg("--chain")
            .arg(format!("regtest:{}", self.chain().display()));
        c
    }
}

fn base() -> Command {
    let mut c = Command::cargo_bin("asyncpay").unwrap();
    for (k, _) in std::env::vars() {
        if k.starts_with("ASYNCPAY_") {
            c.env_remove(k);
        }
    }
    c.env("ASYNCPAY_SCRYPT_WORK_FACTOR", "10");
    c.timeout(Duration::from_secs(60));
    c
}

impl Wallet {
    fn cmd(&self) -> Command {
        let mut c = base();
        c.arg("--datadir")
            .arg(&self.dir)
            .arg("--chain")
            .arg(format!("regtest:{}", self.chain.display()))
            .arg("--passphrase-file")
            .arg(&self.pass);
        c
    }

    /// Runs with `--json`, expects success, returns the document.
    fn json(&self, args: &[&str]) -> Value {
        let out = self.cmd().arg("--json").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "asyncpay {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("one JSON document on stdout")
    }

    fn address(&self) -> String {
        self.json(&["wallet", "address"])["address"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn balance(&self) -> Value {
        self.json(&["wallet", "balance"])
    }
}

fn sat(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

#[test]
fn json_walkthrough_init_fund_mine_send_balances() {
    let env = Env::new();
    let a = env.wallet("a");
    let b = env.wallet("b");
    let addr = a.address();
    let out = env
        .bare()
        .args(["--json", "regtest", "fund", &addr, "0.5btc"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let funded: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(funded["height"], 101);

    let bal = a.balance();
    assert_eq!(sat(&bal["confirmed_sat"]), 50_000_000);
    assert_eq!(sat(&bal["spendable_sat"]), 50_000_000);

    let sent = a.json(&[
        "wallet",
        "send",
        &b.address(),
        "10000000",
        "--fee-rate",
        "3",
    ]);
    let fee = sat(&sent["fee_sat"]);
    assert!(fee > 0 && fee < 2_000, "fee {fee}");
    // Before mining: pending on both sides.
    assert_eq!(sat(&b.balance()["untrusted_pending_sat"]), 10_000_000);
    assert_eq!(sat(&a.balance()["trusted_pending_sat"]), 40_000_000 - fee);

    let mined: Value = serde_json::from_slice(
        &env.bare()
            .args(["--json", "regtest", "mine", "1"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(mined["height"], 102);
    assert_eq!(sat(&a.balance()["confirmed_sat"]), 40_000_000 - fee);
    assert_eq!(sat(&b.balance()["confirmed_sat"]), 10_000_000);

    let txs = a.json(&["wallet", "transactions"]);
    assert_eq!(txs["transactions"].as_array().unwrap().len(), 2);
    let utxos = b.json(&["wallet", "utxos"]);
    assert_eq!(sat(&utxos["utxos"][0]["amount_sat"]), 10_000_000);

    let verified: Value = serde_json::from_slice(
        &env.bare()
            .args(["--json", "regtest", "verify"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(verified["verified"]["whole_chain"], true, "{verified}");
    assert_eq!(verified["verified"]["to_height"], 102);
    // 102 coinbases, the faucet's payment and the send.
    assert_eq!(verified["verified"]["transactions"], 104);
}

#[test]
fn repl_over_piped_stdin() {
    let env = Env::new();
    let a = env.wallet("a");
    let out = a
        .cmd()
        .arg("repl")
        .write_stdin(
            "wallet info\nwallet fly\n--json wallet address\nwallet info --datadir /x\n# a comment\n\nexit\nwallet balance\n",
        )
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stdout.contains("node id:"), "{stdout}");
    assert!(stdout.contains("\"address\": \"bcrt1p"), "{stdout}");
    // The error printed and the loop went on; nothing after `exit` ran.
    assert!(
        stderr.contains("error: unrecognized subcommand 'fly'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--datadir is set when the REPL starts"),
        "{stderr}"
    );
    assert!(!stdout.contains("confirmed:"), "{stdout}");
    // History is kept in the data dir.
    let history = std::fs::read_to_string(a.dir.join("history.txt")).unwrap();
    assert!(history.contains("--json wallet address"));
    // Ctrl-D (end of input) leaves too.
    a.cmd()
        .arg("repl")
        .write_stdin("wallet info\n")
        .assert()
        .success();
}

/// Runs and returns (exit code, stdout, stderr).
fn run(mut c: Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Compares with `tests/snapshots/NAME.txt`; `ASYNCPAY_UPDATE_SNAPSHOTS=1` rewrites it.
fn snapshot(name: &str, got: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    if std::env::var_os("ASYNCPAY_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!("missing snapshot {name}; run with ASYNCPAY_UPDATE_SNAPSHOTS=1")
    });
    assert_eq!(
        got, want,
        "snapshot {name} differs (ASYNCPAY_UPDATE_SNAPSHOTS=1 to accept)"
    );
}

#[test]
fn help_snapshots() {
    for args in [
        vec!["--help"],
        vec!["wallet", "--help"],
        vec!["wallet", "send", "--help"],
        vec!["regtest", "--help"],
        vec!["init", "--help"],
    ] {
        let mut c = base();
        c.args(&args).env("COLUMNS", "100");
        let (code, stdout, stderr) = run(c);
        assert_eq!(code, 0);
        assert!(stderr.is_empty());
        snapshot(
            &format!("help-{}", args.join("-").trim_start_matches("--")),
            &stdout,
        );
    }
}

/// Each user error: its exact message (with the temp dir replaced by `$DIR`) and exit code.
#[test]
fn user_errors_have_exact_messages_and_exit_codes() {
    let env = Env::new();
    let a = env.wallet("a");
    let fresh = env.uninit("fresh");
    let root = env.root.path().display().to_string();
    let wrong = env.root.path().join("wrong.pass");
    std::fs::write(&wrong, "not it\n").unwrap();

    let mut cases: Vec<(&str, Command)> = Vec::new();
    let mut c = fresh.cmd();
    c.args(["wallet", "balance"]);
    cases.push(("not-initialized", c));
    let mut c = a.cmd();
    c.arg("init");
    cases.push(("init-twice", c));
    let mut c = base();
    c.args(["--datadir", a.dir.to_str().unwrap()]);
    c.args([
        "--passphrase-file",
        wrong.to_str().unwrap(),
        "wallet",
        "balance",
    ]);
    cases.push(("wrong-passphrase", c));
    let mut c = base();
    c.args(["--datadir", a.dir.to_str().unwrap(), "wallet", "balance"]);
    c.write_stdin("");
    cases.push(("no-passphrase", c));
    let mut c = a.cmd();
    c.args(["wallet", "send", "bcrt1qnotanaddress", "1000"]);
    cases.push(("bad-address", c));
    let mut c = a.cmd();
    c.args([
        "wallet",
        "send",
        "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr",
        "1000",
    ]);
    cases.push(("wrong-network-address", c));
    let mut c = a.cmd();
    c.args([
        "wallet",
        "send",
        "bcrt1p47ge6wdqs37w3rc9z3nmgajl7eacq3uv2fljav0y0g0auzq7h4tqxewgyg",
        "0",
    ]);
    cases.push(("zero-amount", c));
    let mut c = a.cmd();
    c.args([
        "wallet",
        "send",
        "bcrt1p47ge6wdqs37w3rc9z3nmgajl7eacq3uv2fljav0y0g0auzq7h4tqxewgyg",
        "2btc",
    ]);
    cases.push(("insufficient-funds", c));
    let mut c = a.cmd();
    c.args(["wallet", "backup"]);
    cases.push(("backup-not-a-terminal", c));
    let mut c = base();
    c.args(["--datadir", a.dir.to_str().unwrap()]);
    c.args(["--passphrase-file", a.pass.to_str().unwrap()]);
    c.args(["--chain", "carrier-pigeon:x", "wallet", "balance"]);
    cases.push(("bad-chain", c));
    // Wallets made with another network or chain source remember them: later commands
    // name neither.
    let made_with = |name: &str, made: &[&str]| {
        let dir = env.root.path().join(name);
        base()
            .args(["--datadir", dir.to_str().unwrap()])
            .args(["--passphrase-file", a.pass.to_str().unwrap()])
            .args(made)
            .arg("init")
            .assert()
            .success();
        let mut c = base();
        c.args(["--datadir", dir.to_str().unwrap()]);
        c.args(["--passphrase-file", a.pass.to_str().unwrap()]);
        c.args(["wallet", "balance"]);
        c
    };
    let chain = format!("regtest:{}", env.chain().display());
    cases.push((
        "bitcoind-unreachable",
        made_with("u", &["--chain", "bitcoind:http://127.0.0.1:9"]),
    ));
    let mut c = base();
    c.args(["--datadir", a.dir.to_str().unwrap()]);
    c.args(["--passphrase-file", a.pass.to_str().unwrap()]);
    c.args([
        "--chain",
        "bitcoind:http://127.0.0.1:9",
        "wallet",
        "balance",
    ]);
    cases.push(("chain-not-the-wallets", c));
    let mut c = env.bare();
    c.args(["regtest", "mine", "0"]);
    cases.push(("mine-zero", c));
    let mut c = env.bare();
    c.args(["wallet", "fly"]);
    cases.push(("unknown-command", c));
    let mut c = env.bare();
    c.args(["--network", "signet", "regtest", "info"]);
    cases.push(("regtest-on-signet", c));

    let mut c = base();
    c.write_stdin("");
    cases.push(("no-command", c));
    let mut c = a.cmd();
    c.args(["--network", "signet", "wallet", "balance"]);
    cases.push(("network-not-the-wallets", c));
    cases.push((
        "chain-of-another-network",
        made_with("sig", &["--network", "signet", "--chain", &chain]),
    ));
    cases.push((
        "signet-without-chain",
        made_with("sig2", &["--network", "signet"]),
    ));

    let mut c = a.cmd();
    c.arg("address");
    cases.push(("address-without-server", c));
    let mut c = base();
    c.args(["decode", "rasp1qqqqqq"]);
    cases.push(("decode-bad-checksum", c));
    let mut c = base();
    c.args(["decode", "hello"]);
    cases.push(("decode-unknown", c));

    let mut all = String::new();
    for (name, c) in cases {
        let (code, stdout, stderr) = run(c);
        assert!(stdout.is_empty(), "{name}: nothing on stdout, got {stdout}");
        all.push_str(&format!(
            "## {name} (exit {code})\n{}\n",
            stderr.replace(&root, "$DIR").trim_end()
        ));
    }
    snapshot("user-errors", &all);

    // --json puts the error document on stdout.
    let mut c = fresh.cmd();
    c.args(["--json", "wallet", "balance"]);
    let (code, stdout, _) = run(c);
    assert_eq!(code, 2);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "usage");
    assert_eq!(doc["error"]["code"], 2);
    // ... and so does a usage error found by the argument parser.
    let mut c = fresh.cmd();
    c.args(["--json", "wallet", "send", "x", "0"]);
    let (code, stdout, _) = run(c);
    assert_eq!(code, 2);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert!(doc["error"]["message"]
        .as_str()
        .unwrap()
        .contains("must be more than zero"));
}

/// After init, funding and a send, no file of the data dir (or the chain) holds the
/// mnemonic, an extended private key, a private key or the storage identity in plain form.
#[test]
fn data_dir_holds_no_plain_secret() {
    let env = Env::new();
    let a = env.wallet("a");
    let b = env.wallet("b");
    env.bare()
        .args(["regtest", "fund", &a.address(), "1btc"])
        .assert()
        .success();
    a.json(&["wallet", "send", &b.address(), "0.2btc"]);
    env.bare().args(["regtest", "mine", "1"]).assert().success();
    b.json(&["wallet", "balance"]);

    let mnemonic = a.json(&["wallet", "backup", "--force"])["mnemonic"]
        .as_str()
        .unwrap()
        .to_owned();
    let words: Vec<&str> = mnemonic.split(' ').collect();
    assert_eq!(words.len(), 24);
    let seed = asyncpay::keys::Seed::from_phrase(&mnemonic).unwrap();
    let keys = seed.keys(bitcoin::Network::Regtest);
    let mut needles: Vec<(String, Vec<u8>)> = vec![
        ("mnemonic".into(), mnemonic.as_bytes().to_vec()),
        ("tprv".into(), b"tprv".to_vec()),
        ("xprv".into(), b"xprv".to_vec()),
        ("age secret key".into(), b"AGE-SECRET-KEY".to_vec()),
    ];
    for pair in words.windows(2) {
        needles.push(("two mnemonic words".into(), pair.join(" ").into_bytes()));
    }
    let mut secrets = vec![("node key", keys.node_secret().secret_bytes())];
    let c = keys.channel(0);
    secrets.push(("channel funding key", c.funding.secret_bytes()));
    for (what, key) in secrets {
        needles.push((format!("{what} (raw)"), key.to_vec()));
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        needles.push((format!("{what} (hex)"), hex.into_bytes()));
    }

    let mut scanned = 0;
    for dir in [&a.dir, &b.dir, &env.chain()] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            scanned += 1;
            for (what, needle) in &needles {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                    "{} contains the {what} in plain form",
                    path.display()
                );
            }
        }
    }
    assert!(scanned >= 9, "scanned {scanned} files");
}

/// A child process killed and reaped when dropped (also when a test fails).
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `server run` of `w` (after `server init`), holding the wallet until killed.
fn spawn_server(w: &Wallet) -> Reaped {
    w.json(&["server", "init", "--listen", "127.0.0.1:0"]);
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("asyncpay"));
    c.env("ASYNCPAY_SCRYPT_WORK_FACTOR", "10")
        .arg("--datadir")
        .arg(&w.dir)
        .arg("--passphrase-file")
        .arg(&w.pass)
        .args(["server", "run"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    Reaped(c.spawn().unwrap())
}

/// While `server run` holds the wallet, another process that writes gets the lock error
/// (exit 6, naming the holder) and changes nothing; one that only reads works; with
/// --wait-lock the writer proceeds once the server stops. (A REPL no longer holds the
/// wallet between commands: see tests/settings.rs.)
#[test]
fn second_process_gets_the_lock_error_or_waits() {
    let env = Env::new();
    let a = env.wallet("a");
    let before = a.address();
    let server = spawn_server(&a);
    // The server records itself in the lock file once it holds the lock.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(a.dir.join("lock"))
        .unwrap_or_default()
        .contains("command server run")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the server never took the lock"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (code, _, stderr) = run({
        let mut c = a.cmd();
        c.args(["wallet", "address"]);
        c
    });
    assert_eq!(code, 6, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "is in use by `asyncpay server run` (pid {})",
            server.0.id()
        )),
        "{stderr}"
    );
    a.json(&["wallet", "balance"]);
    // --wait-lock blocks until the server exits.
    let waiter = std::thread::spawn({
        let mut c = a.cmd();
        c.args(["--wait-lock", "--json", "wallet", "address"]);
        move || c.output().unwrap()
    });
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !waiter.is_finished(),
        "--wait-lock returned while the wallet was in use"
    );
    drop(server);
    let out = waiter.join().unwrap();
    assert!(out.status.success());
    // Nothing was corrupted: the next address follows the ones handed out.
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_ne!(doc["address"].as_str().unwrap(), before);
    a.json(&["wallet", "balance"]);
}

/// SIGKILL at random points while `wallet address` writes state, many times: the data dir
/// always opens, with the old or the new state.
#[test]
fn sigkill_while_writing_state_leaves_a_usable_wallet() {
    let env = Env::new();
    let a = env.wallet("a");
    env.bare()
        .args(["regtest", "fund", &a.address(), "1btc"])
        .assert()
        .success();
    let mut seen_indexes = Vec::new();
    for i in 0..30u64 {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("asyncpay"))
            .env("ASYNCPAY_SCRYPT_WORK_FACTOR", "10")
            .args(["--datadir", a.dir.to_str().unwrap()])
            .args(["--chain", &format!("regtest:{}", a.chain.display())])
            .args(["--passphrase-file", a.pass.to_str().unwrap()])
            .args(["wallet", "address"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Spread the kill over the command's life (a few ms to tens of ms).
        std::thread::sleep(Duration::from_micros((i * 7919) % 40_000));
        let _ = child.kill();
        child.wait().unwrap();
        let doc = a.json(&["wallet", "address"]);
        seen_indexes.push(doc["index"].as_u64().unwrap());
        assert_eq!(sat(&a.balance()["confirmed_sat"]), 100_000_000);
    }
    // Indexes only move forward: no state went back to an older file.
    assert!(
        seen_indexes.windows(2).all(|w| w[0] < w[1]),
        "{seen_indexes:?}"
    );
}

/// The README's main command: it tells the whole story (channels, the asynchronous payment
/// while the payee is offline, a cancelled one, a force close from an old backup), checks
/// it, logs it as JSON, and with --keep leaves wallets that the CLI opens.
#[test]
fn demo_runs_and_keeps_explorable_wallets() {
    let root = tempfile::tempdir().unwrap();
    let keep = root.path().join("demo");
    let out = base()
        .args(["--json", "demo", "--keep", keep.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = doc["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 12);
    assert_eq!(doc["kept"], true);
    assert!(doc["checks_passed"].as_u64().unwrap() >= 70, "{doc}");
    // The story runs the real commands, each as its own process, in this order.
    let ran: Vec<(String, String, i64)> = steps
        .iter()
        .flat_map(|s| s["log"].as_array().unwrap())
        .filter_map(|e| e.get("ran"))
        .map(|r| {
            (
                r["by"].as_str().unwrap().to_owned(),
                r["command"].as_str().unwrap().to_owned(),
                r["exit_code"].as_i64().unwrap(),
            )
        })
        .collect();
    // Each command is looked for after the one before it.
    let mut from = 0;
    let mut position = |by: &str, prefix: &str, code: i64| {
        let at = from
            + ran[from..]
                .iter()
                .position(|(b, c, e)| b == by && c.starts_with(prefix) && *e == code)
                .unwrap_or_else(|| {
                    panic!("{by}: {prefix} (exit {code}) not after {from} in {ran:?}")
                });
        from = at + 1;
        at
    };
    let order = [
        position("S", "asyncpay server run", 0),
        position("A", "asyncpay channel open", 0),
        position("B", "asyncpay channel request-inbound", 0),
        position("B", "asyncpay address", 0),
        position("A", "asyncpay pay rasp1", 0),
        position("B", "asyncpay receive", 0),
        position("A", "asyncpay sync", 0),
        position("A", "asyncpay payments cancel", 0),
        // The cancelled payment is not B's failure: its `receive` succeeds.
        position("B", "asyncpay receive", 0),
        position("A-old", "asyncpay channel close", 5),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{ran:?}");
    // Both channels at every step from the channels on; S's records while A is away.
    let channel = |step: usize, seen_by: &str, name: &str| -> (u64, u64, u64) {
        let c = steps[step - 1]["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["seen_by"] == seen_by && c["channel"] == name)
            .unwrap_or_else(|| panic!("step {step}: no {name} of {seen_by}"));
        (
            c["state"].as_u64().unwrap(),
            c["client_sat"].as_u64().unwrap(),
            c["server_sat"].as_u64().unwrap(),
        )
    };
    for step in &steps[3..11] {
        assert!(step["channels"].as_array().unwrap().len() >= 2, "{step}");
    }
    assert_eq!(channel(6, "S", "A–S"), (0, 400_000, 0));
    assert_eq!(channel(7, "S", "A–S"), (1, 389_990, 10_010));
    assert_eq!(channel(7, "A", "A–S"), (0, 400_000, 0));
    assert_eq!(channel(7, "B", "B–S"), (2, 10_000, 290_000));
    assert_eq!(channel(8, "A", "A–S"), (1, 389_990, 10_010));
    assert_eq!(channel(10, "A", "A–S"), (3, 389_990, 10_010));
    assert_eq!(channel(10, "B", "B–S"), (2, 10_000, 290_000));
    let onchain: Vec<u64> = steps[11]["onchain_sat"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["sat"].as_u64().unwrap())
        .collect();
    assert_eq!(onchain, [339_990, 60_010]);
    // The scalar A holds is never printed.
    assert!(!String::from_utf8_lossy(&out.stdout).contains("scalar\""));

    // The kept wallets open with the CLI and tell the same story; they remember their
    // ledger (no --chain).
    let kept = |wallet: &str, args: &[&str]| -> Value {
        let mut c = base();
        c.args(["--json", "--datadir", keep.join(wallet).to_str().unwrap()])
            .args([
                "--identity",
                keep.join(format!("{wallet}.identity")).to_str().unwrap(),
            ])
            .args(args);
        let (code, stdout, stderr) = run(c);
        assert_eq!(code, 0, "{stderr}");
        serde_json::from_str(&stdout).unwrap()
    };
    // B's fee reserve, untouched: B was paid off-chain.
    assert_eq!(
        sat(&kept("b", &["wallet", "balance"])["confirmed_sat"]),
        50_000
    );
    assert_eq!(
        kept("a", &["channel", "list"])["channels"],
        serde_json::json!([])
    );
    assert_eq!(
        kept("a", &["channel", "list", "--all"])["channels"][0]["status"],
        "closed"
    );
    let pid = steps[6 - 1]["facts"]["payment_id"].as_str().unwrap();
    let shown = kept("a", &["payments", "show", pid]);
    assert_eq!(shown["status"], "paid");
    assert_eq!(
        shown["invoice"]["body"]["payee"],
        steps[0]["facts"]["b_node_id"]
    );
    assert_eq!(
        shown["invoice"]["body"]["payment_point"],
        steps[8 - 1]["facts"]["payment_point"]
    );
    // (Payments made within one second are listed in payment id order.)
    let statuses = |wallet: &str| -> Vec<String> {
        let mut all: Vec<String> = kept(wallet, &["payments", "list", "--all"])["payments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["status"].as_str().unwrap().to_owned())
            .collect();
        all.sort();
        all
    };
    assert_eq!(statuses("a"), ["cancelled", "paid"]);
    assert_eq!(statuses("b"), ["cancelled", "paid"]);
    // --keep refuses a directory that is not empty.
    let mut c = base();
    c.args(["demo", "--keep", keep.to_str().unwrap()]);
    assert_eq!(run(c).0, 2);
}

/// The payee's address names its node, mailbox key and server; `decode` explains it, and a
/// changed character is caught.
#[test]
fn address_and_decode() {
    let env = Env::new();
    let b = env.wallet("b");
    let addr = b.json(&["address", "--server", "https://s.example:9737"]);
    let text = addr["address"].as_str().unwrap().to_owned();
    assert!(text.starts_with("rasp1"), "{text}");
    let info = b.json(&["wallet", "info"]);
    let out = base().args(["--json", "decode", &text]).output().unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["kind"], "payment_address");
    assert_eq!(doc["node_id"], info["node_id"]);
    assert_eq!(doc["mailbox_recipient"], info["mailbox_recipient"]);
    assert_eq!(doc["server_url"], "https://s.example:9737");
    let mut tampered = text.clone().into_bytes();
    let i = tampered.len() - 10;
    tampered[i] = if tampered[i] == b'q' { b'p' } else { b'q' };
    let out = base()
        .args(["decode", std::str::from_utf8(&tampered).unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("checksum"));
    let out = base()
        .args(["--json", "decode", info["node_id"].as_str().unwrap()])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["kind"], "node_id");
}

/// `wallet send ADDRESS --all` sweeps every confirmed coin: the sender ends at 0, the
/// receiver gets the total less the fee; unconfirmed coins stay; with nothing confirmed, or
/// only dust after the fee, it refuses and broadcasts nothing; an amount with --all is a
/// usage error.
#[test]
fn wallet_send_all_sweeps_every_confirmed_coin() {
    let env = Env::new();
    let a = env.wallet("a");
    let b = env.wallet("b");
    let fund = |w: &Wallet, amount: &str| {
        let out = env
            .bare()
            .args(["--json", "regtest", "fund", &w.address(), amount])
            .output()
            .unwrap();
        assert!(out.status.success());
    };
    // Nothing at all: refused, exit 1.
    let mut c = a.cmd();
    c.args(["wallet", "send", &b.address(), "--all"]);
    let (code, _, stderr) = run(c);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("error: nothing to send"), "{stderr}");
    // An amount and --all: usage error.
    let mut c = a.cmd();
    c.args(["wallet", "send", &b.address(), "1000", "--all"]);
    let (code, _, stderr) = run(c);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot be used with"), "{stderr}");
    // Neither: usage error naming what is missing.
    let mut c = a.cmd();
    c.args(["wallet", "send", &b.address()]);
    let (code, _, stderr) = run(c);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("<AMOUNT>"), "{stderr}");

    // Three confirmed coins, then one unconfirmed (sent by b, not mined).
    fund(&a, "0.1btc");
    fund(&a, "20000");
    fund(&a, "0.05btc");
    fund(&b, "0.01btc");
    let total = 10_000_000 + 20_000 + 5_000_000;
    assert_eq!(sat(&a.balance()["confirmed_sat"]), total);
    let pending = b.json(&["wallet", "send", &a.address(), "300000"]);
    assert!(pending["txid"].is_string());
    assert_eq!(sat(&a.balance()["untrusted_pending_sat"]), 300_000);

    let c_wallet = env.wallet("c");
    let dest = c_wallet.address();
    let sent = a.json(&["wallet", "send", &dest, "--all", "--fee-rate", "3"]);
    let fee = sat(&sent["fee_sat"]);
    assert!(fee > 0 && fee < 3_000, "fee {fee}");
    assert_eq!(sat(&sent["amount_sat"]), total - fee);
    env.bare().args(["regtest", "mine", "1"]).assert().success();
    let after = a.balance();
    // The swept coins are gone; the coin that was unconfirmed at the sweep stayed (and
    // confirmed with the block).
    assert_eq!(sat(&after["confirmed_sat"]), 300_000, "{after}");
    assert_eq!(sat(&after["total_sat"]), 300_000, "{after}");
    assert_eq!(sat(&c_wallet.balance()["confirmed_sat"]), total - fee);
    // Sweep the rest: a at 0.
    let sent = a.json(&["wallet", "send", &dest, "--all"]);
    let fee2 = sat(&sent["fee_sat"]);
    env.bare().args(["regtest", "mine", "1"]).assert().success();
    assert_eq!(sat(&a.balance()["total_sat"]), 0);
    assert_eq!(
        sat(&c_wallet.balance()["confirmed_sat"]),
        total - fee + 300_000 - fee2
    );

    // Dust: a coin smaller than the fee of spending it is refused, nothing broadcast.
    fund(&a, "400");
    let mempool_before = env
        .bare()
        .args(["--json", "regtest", "info"])
        .output()
        .unwrap();
    let mut c = a.cmd();
    c.args(["wallet", "send", &dest, "--all", "--fee-rate", "50"]);
    let (code, _, stderr) = run(c);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("nothing to send"), "{stderr}");
    let mempool_after = env
        .bare()
        .args(["--json", "regtest", "info"])
        .output()
        .unwrap();
    assert_eq!(mempool_before.stdout, mempool_after.stdout);
    assert_eq!(sat(&a.balance()["confirmed_sat"]), 400);
}

/// Without a terminal `init` stays non-interactive: no mnemonic shown (it says how to see
/// it), a weak passphrase from a file gets a warning on stderr (none with --json, whose
/// stdout stays one document); `init --restore` counts word positions from 1 and names no
/// word; a failed restore creates no wallet.
#[test]
fn init_without_a_terminal_warns_of_a_weak_passphrase_and_restore_counts_from_one() {
    let env = Env::new();
    let w = env.uninit("weak");
    std::fs::write(&w.pass, "abc\n").unwrap();
    let mut c = w.cmd();
    c.arg("init");
    let (code, stdout, stderr) = run(c);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning: the passphrase is weak: it has 3 characters (fewer than 8)"),
        "{stderr}"
    );
    assert!(stdout.contains("asyncpay wallet backup"), "{stdout}");
    let mnemonic = w.json(&["wallet", "backup", "--force"])["mnemonic"]
        .as_str()
        .unwrap()
        .to_owned();
    // The mnemonic is not shown: no two of its words in a row, and no more than a few of
    // them at all (the output's own English may contain a BIP39 word, such as "copy").
    let words: Vec<&str> = mnemonic.split(' ').collect();
    let shown: Vec<&str> = stdout
        .split_whitespace()
        .chain(stderr.split_whitespace())
        .collect();
    let found = words.iter().filter(|w| shown.contains(w)).count();
    assert!(
        found <= 3,
        "{found} mnemonic words shown without a terminal"
    );
    for pair in words.windows(2) {
        assert!(
            !shown.windows(2).any(|s| s == pair),
            "{pair:?} shown without a terminal"
        );
    }
    let json = env.uninit("weak-json");
    std::fs::write(&json.pass, "aaaaaaaaaaaa\n").unwrap();
    let out = json.cmd().args(["--json", "init"]).output().unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["mnemonic_confirmed"], false);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Restore: the first word misspelt is word 1; a swapped pair fails the checksum.
    let mut words: Vec<String> = mnemonic.split(' ').map(str::to_owned).collect();
    let first = words[0].clone();
    words[0] = format!("{first}x");
    let r = env.uninit("restored");
    let mut c = r.cmd();
    c.args(["init", "--restore"]).write_stdin(words.join(" "));
    let (code, _, stderr) = run(c);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("word 1 is not in the BIP39 English word list"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(&words[0]),
        "the word is not repeated: {stderr}"
    );
    assert!(!r.dir.join("identity.age").exists());
    words[0] = first;
    // Twelve times "abandon": every word known, the checksum wrong.
    let mut c = r.cmd();
    c.args(["init", "--restore"])
        .write_stdin(["abandon"; 12].join(" "));
    let (code, _, stderr) = run(c);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("checksum does not match"), "{stderr}");
    assert!(!r.dir.join("identity.age").exists());
    let mut c = r.cmd();
    c.args(["--json", "init", "--restore"])
        .write_stdin(words.join(" "));
    let (code, stdout, stderr) = run(c);
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["restored"], true);
}
