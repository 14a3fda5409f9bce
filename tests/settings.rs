//! Issue 12, items 1, 2 and 11, through the real binary: a wallet remembers its network and
//! chain source (and a config file holds defaults), reading never waits for a writer (the
//! lock's holder is named, a stale record names nobody, the REPL holds the wallet only while
//! a command runs), `pay --wait` waits for the payment, and `-q` prints only the result.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::procs::{command, copy_dir, fund, Env, Server, Wallet};
use common::story::{server_init, Story};
use serde_json::Value;

/// `asyncpay` as wallet `w` *without* `--chain`: what the wallet remembers decides.
fn plain(w: &Wallet, args: &[&str]) -> Command {
    let mut c = command();
    c.arg("--datadir")
        .arg(&w.dir)
        .arg("--passphrase-file")
        .arg(&w.pass)
        .args(args);
    c
}

/// Runs: (exit code, stdout, stderr).
fn run(mut c: Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_ok(c: Command) -> Value {
    let (code, stdout, stderr) = run(c);
    assert_eq!(code, 0, "{stdout}{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

fn balance_sat(w: &Wallet) -> u64 {
    json_ok(plain(w, &["--json", "wallet", "balance"]))["confirmed_sat"]
        .as_u64()
        .unwrap()
}

#[test]
fn a_wallet_remembers_its_chain_and_network_and_refuses_contradictions() {
    let env = Env::new();
    let a = env.wallet("a"); // made with --chain regtest:<env>/chain
    let settings = std::fs::read_to_string(a.dir.join("settings.toml")).unwrap();
    assert!(
        settings.contains(&format!("regtest:{}", env.chain().display())),
        "{settings}"
    );

    // No --chain from now on: the regtest commands and the wallet use the remembered ledger.
    let addr = json_ok(plain(&a, &["--json", "wallet", "address"]))["address"]
        .as_str()
        .unwrap()
        .to_owned();
    let (code, out, err) = run(plain(&a, &["-q", "regtest", "fund", &addr, "0.5btc"]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(balance_sat(&a), 50_000_000);
    let info = json_ok(plain(&a, &["--json", "wallet", "info"]));
    assert_eq!(
        info["chain"],
        format!("regtest:{}", env.chain().display()),
        "{info}"
    );
    // The same ledger, given again (even relative to another working dir), is no contradiction.
    let mut same = plain(&a, &["--json", "wallet", "balance"]);
    same.current_dir(env.root.path())
        .args(["--chain", "regtest:chain"]);
    json_ok(same);

    // --network of another network: the true story, exit 2, nothing changed.
    let (code, _, err) = run(plain(&a, &["--network", "signet", "wallet", "balance"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("holds a regtest wallet, not a signet one")
            && err.contains("drop --network")
            && err.contains("--datadir of a signet wallet"),
        "{err}"
    );
    // The same through ASYNCPAY_NETWORK.
    let mut c = plain(&a, &["wallet", "balance"]);
    c.env("ASYNCPAY_NETWORK", "signet");
    let (code, _, err) = run(c);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("holds a regtest wallet"), "{err}");

    // --chain of another ledger: which one the wallet uses, and how to switch deliberately.
    let other = env.root.path().join("other");
    let (code, _, err) = run(plain(
        &a,
        &[
            "--chain",
            &format!("regtest:{}", other.display()),
            "wallet",
            "balance",
        ],
    ));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "uses the chain source regtest:{}",
            env.chain().display()
        )) && err.contains("wallet set-chain"),
        "{err}"
    );
    let mut c = plain(&a, &["wallet", "balance"]);
    c.env("ASYNCPAY_CHAIN", format!("regtest:{}", other.display()));
    assert_eq!(run(c).0, 2);
    assert!(!other.exists(), "a refused chain source is not even opened");

    // set-chain to a directory without a ledger is refused; to a copy of the ledger it works,
    // and later commands use the copy.
    let (code, _, err) = run(plain(
        &a,
        &[
            "wallet",
            "set-chain",
            &format!("regtest:{}", other.display()),
        ],
    ));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no regtest ledger"), "{err}");
    let copy = env.root.path().join("copy");
    copy_dir(&env.chain(), &copy);
    let set = json_ok(plain(
        &a,
        &[
            "--json",
            "wallet",
            "set-chain",
            &format!("regtest:{}", copy.display()),
        ],
    ));
    assert_eq!(set["chain"], format!("regtest:{}", copy.display()), "{set}");
    env.mine(1); // only on the original ledger
    let tip = |w: &Wallet| {
        json_ok(plain(w, &["--json", "wallet", "balance"]))["tip_height"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(tip(&a), 101, "the wallet follows the copy now");
    assert_eq!(balance_sat(&a), 50_000_000);
}

/// A swapped or edited `settings.toml` cannot redirect the wallet: the sealed settings
/// decide, and the file is written again from them.
#[test]
fn a_tampered_settings_file_does_not_redirect_the_wallet() {
    let env = Env::new();
    let a = env.wallet("a");
    fund(&a, &env, 70_000);
    let path = a.dir.join("settings.toml");
    let original = std::fs::read_to_string(&path).unwrap();
    let evil = env.root.path().join("evil");
    std::fs::write(
        &path,
        format!(
            "version = 1\nnetwork = \"signet\"\nchain = \"regtest:{}\"\n",
            evil.display()
        ),
    )
    .unwrap();
    let (code, out, err) = run(plain(&a, &["wallet", "balance"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("70,000 sat"), "{out}");
    assert!(
        err.contains("did not match the wallet's sealed settings"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
    assert!(!evil.exists());

    // Junk in the file: exit 7 with what to do, until it is removed (then written again).
    std::fs::write(&path, "version = 99\nnetwork = \"regtest\"\n").unwrap();
    let (code, _, err) = run(plain(&a, &["wallet", "balance"]));
    assert_eq!(code, 7, "{err}");
    assert!(
        err.contains("settings.toml") && err.contains("remove it"),
        "{err}"
    );
    std::fs::remove_file(&path).unwrap();
    assert_eq!(balance_sat(&a), 70_000);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
}

/// Precedence: flag > environment > the wallet's remembered settings > config file; a bad
/// config file is refused naming the key.
#[test]
fn the_config_file_gives_defaults_below_flags_and_remembered_settings() {
    let env = Env::new();
    let root = env.root.path();
    let config = root.join("config.toml");
    let ledger = |name: &str| format!("regtest:{}", root.join(name).display());
    std::fs::write(
        &config,
        format!(
            "# defaults\nnetwork = \"regtest\"\ndatadir = \"{}\"\nchain = \"{}\"\n",
            root.join("from-config").display(),
            ledger("chain-config")
        ),
    )
    .unwrap();
    let pass = root.join("pw");
    std::fs::write(&pass, "pw\n").unwrap();
    let init = |extra: &[&str], env_chain: Option<String>| {
        let mut c = command();
        c.env("ASYNCPAY_CONFIG", &config)
            .arg("--passphrase-file")
            .arg(&pass)
            .args(extra)
            .args(["--json", "init"]);
        if let Some(chain) = env_chain {
            c.env("ASYNCPAY_CHAIN", chain);
        }
        json_ok(c)
    };
    // Config only: its data dir and chain.
    let made = init(&[], None);
    assert_eq!(
        made["datadir"],
        root.join("from-config").display().to_string()
    );
    assert_eq!(made["chain"], ledger("chain-config"));
    // The environment beats the config file; a flag beats both.
    let dir_b = root.join("b");
    let made = init(
        &["--datadir", dir_b.to_str().unwrap()],
        Some(ledger("chain-env")),
    );
    assert_eq!(made["chain"], ledger("chain-env"), "{made}");
    let dir_c = root.join("c");
    let made = init(
        &[
            "--datadir",
            dir_c.to_str().unwrap(),
            "--chain",
            &ledger("chain-flag"),
        ],
        Some(ledger("chain-env")),
    );
    assert_eq!(made["chain"], ledger("chain-flag"), "{made}");
    // What a wallet remembers beats the config file.
    let mut c = command();
    c.env("ASYNCPAY_CONFIG", &config)
        .args(["--datadir", dir_b.to_str().unwrap()])
        .arg("--passphrase-file")
        .arg(&pass)
        .args(["--json", "wallet", "info"]);
    assert_eq!(json_ok(c)["chain"], ledger("chain-env"));

    // Bad config files: exit 2, naming the file and the key.
    let bad = |text: &str, needle: &str| {
        std::fs::write(&config, text).unwrap();
        let mut c = command();
        c.env("ASYNCPAY_CONFIG", &config).args(["regtest", "info"]);
        let (code, _, err) = run(c);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains(&config.display().to_string()) && err.contains(needle),
            "{needle}: {err}"
        );
    };
    bad("chian = \"regtest:/tmp/x\"\n", "chian");
    bad("network = \"mainnet\"\n", "mainnet");
    bad("chain = \"ftp://x\"\n", "chain");
    bad("network = [\n", "config file");
    let mut c = command();
    c.args(["--config", root.join("missing.toml").to_str().unwrap()])
        .args(["regtest", "info"]);
    let (code, _, err) = run(c);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("missing.toml"), "{err}");
}

/// A data dir of an older release (no settings) adopts those of its first command.
#[test]
fn an_old_data_dir_adopts_the_settings_of_its_first_command() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/files-v1"),
        root,
    );
    let a = Wallet {
        dir: root.join("a"),
        chain: root.join("chain"),
        pass: root.join("pw"),
    };
    assert!(!a.dir.join("settings.toml").exists());
    a.ok(&["wallet", "upgrade"]); // with --chain, as every command needed before
    let info = json_ok(plain(&a, &["--json", "wallet", "info"]));
    assert_eq!(
        info["chain"],
        format!("regtest:{}", root.join("chain").display()),
        "{info}"
    );
    assert_eq!(info["network"], "regtest");
    json_ok(plain(&a, &["--json", "wallet", "balance"]));
}

/// `server run` holds S's wallet: reading commands work, with a note naming it; a writing
/// one fails with exit 6 naming the holder's command and pid; --wait-lock waits for it.
#[test]
fn reads_work_while_server_run_holds_the_wallet_and_the_holder_is_named() {
    let env = Env::new();
    let s = env.wallet("s");
    server_init(&s, None);
    fund(&s, &env, 123_456);
    let server = Server::start(&s);
    let pid = server.child.id();
    let holder = format!("`asyncpay server run` (pid {pid})");

    for args in [
        &["wallet", "balance"][..],
        &["server", "info"],
        &["status"],
        &["channel", "list"],
        &["payments", "list"],
        &["wallet", "info"],
    ] {
        let (code, out, err) = s.human(args);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        assert!(
            err.contains(&holder) && err.contains("nothing is saved"),
            "{args:?}: {err}"
        );
    }
    assert!(s.human(&["wallet", "balance"]).1.contains("123,456 sat"));
    // -q: only the result, no note.
    let (code, _, err) = s.human(&["-q", "wallet", "balance"]);
    assert_eq!((code, err.as_str()), (0, ""));

    // A command that writes: exit 6, naming the holder.
    let (code, _, err) = s.human(&["wallet", "address"]);
    assert_eq!(code, 6, "{err}");
    assert!(
        err.contains(&holder) && err.contains("--wait-lock"),
        "{err}"
    );
    let out = s.cmd(&["wallet", "address"]).output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "in_use", "{doc}");

    // --wait-lock waits until the server is gone.
    let waiter = std::thread::spawn({
        let mut c = s.cmd(&["--wait-lock", "wallet", "address"]);
        move || c.output().unwrap()
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(!waiter.is_finished(), "--wait-lock returned while S ran");
    drop(server);
    let out = waiter.join().unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// A record in the lock file whose process is gone (or whose pid now names another
/// process) names nobody; junk in it is not shown.
#[test]
fn a_stale_or_forged_holder_record_names_nobody() {
    let env = Env::new();
    let a = env.wallet("a");
    let lock = a.dir.join("lock");
    // This test process holds the lock (as a library user: it names no command).
    let held = asyncpay::store::DataDir::open(&a.dir, asyncpay::store::LockWait::Fail).unwrap();
    let (code, _, err) = a.human(&["wallet", "address"]);
    assert_eq!(code, 6);
    assert!(
        err.contains(&format!(
            "another asyncpay process (pid {})",
            std::process::id()
        )),
        "{err}"
    );

    // A dead process's record: a child that has exited and was reaped.
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let records = [
        format!("asyncpay-lock 1\npid {dead}\ncommand server run\n"),
        // Our own live pid, but another start time: a reused pid.
        format!(
            "asyncpay-lock 1\npid {}\nstart 1\ncommand server run\n",
            std::process::id()
        ),
        "asyncpay-lock 1\npid 0\ncommand server run\n".to_owned(),
        "garbage\n".to_owned(),
    ];
    for record in records {
        std::fs::write(&lock, &record).unwrap();
        let (code, _, err) = a.human(&["wallet", "address"]);
        assert_eq!(code, 6, "{err}");
        assert!(
            err.contains("in use by another asyncpay process;") && !err.contains("server run"),
            "{record:?}: {err}"
        );
    }
    // Control characters in a live record are not printed.
    std::fs::write(
        &lock,
        format!(
            "asyncpay-lock 1\npid {}\ncommand pay\u{1b}[31m\n",
            std::process::id()
        ),
    )
    .unwrap();
    let (_, _, err) = a.human(&["wallet", "address"]);
    assert!(
        !err.contains('\u{1b}') && err.contains("`asyncpay pay"),
        "{err}"
    );
    drop(held);
    a.ok(&["wallet", "address"]);

    // A link in place of the lock file is refused: the holder record is never written
    // through it.
    let target = env.root.path().join("precious.txt");
    std::fs::write(&target, "keep me").unwrap();
    std::fs::remove_file(&lock).unwrap();
    std::os::unix::fs::symlink(&target, &lock).unwrap();
    let (code, _, err) = a.human(&["wallet", "address"]);
    assert_ne!(code, 0);
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
}

/// With no --datadir, the default data dir is per network: a signet wallet is found with
/// --network signet, or the config file's network; the error says so.
#[test]
fn the_default_data_dir_follows_the_network_and_the_error_says_so() {
    let env = Env::new();
    let home = env.root.path();
    let pass = home.join("pw");
    std::fs::write(&pass, "pw\n").unwrap();
    let cmd = |args: &[&str]| {
        let mut c = command();
        c.env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("HOME", home)
            .arg("--passphrase-file")
            .arg(&pass)
            .args(args);
        c
    };
    let chain = format!("regtest:{}", env.chain().display());
    let made = json_ok(cmd(&[
        "--json",
        "--network",
        "signet",
        "--chain",
        &chain,
        "init",
    ]));
    let signet_dir = home.join("data/asyncpay/signet");
    assert_eq!(made["datadir"], signet_dir.display().to_string());
    let (code, _, err) = run(cmd(&["wallet", "info"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no wallet in")
            && err.contains("you have a signet wallet: pass --network signet"),
        "{err}"
    );
    assert_eq!(
        json_ok(cmd(&["--json", "--network", "signet", "wallet", "info"]))["network"],
        "signet"
    );
    // The default config file (in the platform config dir) sets the network.
    std::fs::create_dir_all(home.join("config/asyncpay")).unwrap();
    std::fs::write(
        home.join("config/asyncpay/config.toml"),
        "network = \"signet\"\n",
    )
    .unwrap();
    let info = json_ok(cmd(&["--json", "wallet", "info"]));
    assert_eq!(info["network"], "signet");
    assert_eq!(info["datadir"], signet_dir.display().to_string());
}

/// The REPL takes the wallet per command: between two lines another process uses it, and
/// the REPL goes on without asking for the passphrase again.
#[test]
fn the_repl_does_not_block_other_commands_between_lines() {
    let env = Env::new();
    let a = env.wallet("a");
    let mut repl = a
        .command_with(command(), false, &["repl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = repl.stdin.take().unwrap();
    let mut lines = BufReader::new(repl.stdout.take().unwrap()).lines();
    let mut address = |stdin: &mut std::process::ChildStdin| {
        stdin.write_all(b"wallet address\n").unwrap();
        stdin.flush().unwrap();
        lines.next().unwrap().unwrap()
    };
    let first = address(&mut stdin);
    assert!(first.starts_with("bcrt1"), "{first}");
    // The REPL is idle: another process writes to the wallet at once.
    let started = Instant::now();
    let other = a.ok(&["wallet", "address"]);
    assert!(started.elapsed() < Duration::from_secs(20));
    let second = address(&mut stdin);
    assert!(second.starts_with("bcrt1"), "{second}");
    let mut seen = [first, other["address"].as_str().unwrap().to_owned(), second];
    seen.sort();
    assert!(seen.windows(2).all(|w| w[0] != w[1]), "{seen:?}");
    drop(stdin);
    assert!(repl.wait().unwrap().success());
}

/// `pay --wait` returns once the payee collected the payment (the payer's wallet is free
/// meanwhile); with a short --wait it ends with exit 5; -q prints the payment id alone.
#[test]
fn pay_wait_waits_until_paid_and_times_out_with_exit_5() {
    let st = Story::new(&[]);
    let (a, b) = (&st.a, &st.b);
    // The first channel's server became each client's default server.
    assert_eq!(a.ok(&["wallet", "info"])["server"], st.server.url.as_str());
    assert_eq!(b.ok(&["wallet", "info"])["server"], st.server.url.as_str());
    let payer = std::thread::spawn({
        let mut c = a.cmd(&["pay", &st.address, "10000", "--wait=60s"]);
        move || c.output().unwrap()
    });
    // While A waits, its wallet is not held: other commands of A run.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        !payer.is_finished(),
        "pay --wait returned before B collected"
    );
    a.ok(&["payments", "list"]);
    // (--wait-lock: a poll of the waiting `pay` may hold the wallet for a moment.)
    a.ok(&["--wait-lock", "wallet", "address"]);
    b.ok(&["receive"]);
    let out = payer.join().unwrap();
    assert!(out.status.success(), "{out:?}");
    let paid: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(paid["status"], "paid", "{paid}");

    // Nobody collects: exit 5 after the wait, naming the payment.
    let started = Instant::now();
    let out = a
        .cmd(&["pay", &st.address, "1000", "--wait=2s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    assert!(started.elapsed() < Duration::from_secs(30));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is still pending"),
        "{doc}"
    );
    b.ok(&["receive"]);
    a.ok(&["sync"]);

    // -q: the payment id and nothing else, on stdout; nothing on stderr.
    let (code, out, err) = a.human(&["-q", "pay", &st.address, "1000"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err, "");
    let id = out.trim_end();
    assert_eq!(out.lines().count(), 1, "{out}");
    assert_eq!(a.ok(&["payments", "show", id])["payment_id"], id);

    b.ok(&["receive"]);
    a.ok(&["sync"]);

    // F5: a payment cancelled while `pay --wait` waits is no success: exit 1, and with -q
    // nothing on stdout (`id=$(asyncpay -q pay --wait ...) && mark_paid` does not mark it).
    let before: Vec<Value> = a.ok(&["payments", "list"])["payments"]
        .as_array()
        .unwrap()
        .clone();
    let payer = std::thread::spawn({
        let mut c = a.command_with(
            command(),
            false,
            &["-q", "pay", &st.address, "3000", "--wait=60s"],
        );
        move || c.output().unwrap()
    });
    let mut pending = None;
    common::procs::eventually("the payment to be recorded", || {
        if payer.is_finished() {
            return true;
        }
        let list = a.ok(&["payments", "list"]);
        pending = list["payments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| !before.contains(p) && p["amount_sat"] == 3000)
            .map(|p| p["payment_id"].as_str().unwrap().to_owned());
        pending.is_some()
    });
    let Some(id) = pending else {
        panic!("pay --wait returned early: {:?}", payer.join().unwrap());
    };
    a.ok(&["--wait-lock", "payments", "cancel", &id]);
    let out = payer.join().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&id) && err.contains("cancelled"), "{err}");
}

/// F4: `address` names the server of the wallet's channel, not a default server it has
/// no channel with (one a config file gave at `init`); with no channel it says so.
#[test]
fn address_names_the_server_of_the_channel() {
    let st = Story::new(&[]);
    let root = st.env.root.path();
    let config = root.join("evil.toml");
    std::fs::write(&config, "server = \"http://evil.example:9737\"\n").unwrap();
    let pass = root.join("c.pass");
    std::fs::write(&pass, "pw\n").unwrap();
    let c = Wallet {
        dir: root.join("c"),
        chain: st.env.chain(),
        pass,
    };
    let mut init = c.cmd(&["init"]);
    init.arg("--config").arg(&config);
    json_ok(init);
    std::fs::remove_file(&config).unwrap();
    // No channel: the default server, with a note saying payments need a channel.
    let (code, _, err) = c.human(&["address"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("no channel yet") && err.contains("evil.example"),
        "{err}"
    );
    // A channel with the real server: the address names it, and the note says why.
    c.ok(&["channel", "request-inbound", &st.server.url, "100000"]);
    let out = c.cmd(&["address"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["server_url"], st.server.url.as_str(), "{doc}");
    let (_, _, err) = c.human(&["address"]);
    assert!(
        err.contains("the server of your channel") && err.contains("evil.example"),
        "{err}"
    );
}

/// `-q` prints only the result: `init` its node id, `regtest mine` the block hashes.
#[test]
fn quiet_prints_only_the_result() {
    let env = Env::new();
    let pass = env.root.path().join("q.pass");
    std::fs::write(&pass, "pw\n").unwrap();
    let w = Wallet {
        dir: env.root.path().join("q"),
        chain: env.chain(),
        pass,
    };
    let (code, out, err) = w.human(&["-q", "init"]);
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    let node_id = out.trim_end();
    assert_eq!(node_id.len(), 66, "{out}");
    assert_eq!(w.ok(&["wallet", "info"])["node_id"], node_id);
    let (code, out, err) = run(plain(&w, &["-q", "regtest", "mine", "2"]));
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    let hashes: Vec<&str> = out.lines().collect();
    assert_eq!(hashes.len(), 2, "{out}");
    assert!(hashes
        .iter()
        .all(|h| h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit())));
}

// ----- The attacker's review of the settings feature: each attack, refused -----

/// Runs `c`, failing the test if it has not ended within `secs` (a hang is the bug).
fn run_within(mut c: Command, secs: u64) -> (i32, String, String) {
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{c:?} still ran after {secs}s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// F1, F9: `server run` uses the chain source sealed in S's wallet, whatever a swapped
/// `settings.toml`, a config file or `--chain` say; and a wallet's network is the sealed
/// one even when `settings.toml` is gone.
#[test]
fn server_run_uses_the_sealed_chain_and_the_sealed_network() {
    let env = Env::new();
    let root = env.root.path();
    let s = env.wallet("s");
    server_init(&s, None);
    let evil = root.join("ledger-b");
    let evil_spec = format!("regtest:{}", evil.display());
    let settings = s.dir.join("settings.toml");
    let original = std::fs::read_to_string(&settings).unwrap();
    let start = |c: &mut Command| -> Value {
        c.args(["--json", "server", "run", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = c.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let _ = child.kill();
        let _ = child.wait();
        serde_json::from_str(&line).unwrap_or_else(|_| panic!("no listening line: {line:?}"))
    };

    // A swapped settings.toml: the server runs on the sealed ledger, the file is rewritten.
    std::fs::write(
        &settings,
        format!("version = 1\nnetwork = \"regtest\"\nchain = \"{evil_spec}\"\n"),
    )
    .unwrap();
    start(&mut plain(&s, &[]));
    assert!(
        !evil.exists(),
        "the swapped settings.toml's ledger was opened"
    );
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), original);

    // A config file naming another ledger: the sealed one still wins.
    let config = root.join("config.toml");
    std::fs::write(&config, format!("chain = \"{evil_spec}\"\n")).unwrap();
    let mut c = plain(&s, &[]);
    c.arg("--config").arg(&config);
    start(&mut c);
    assert!(!evil.exists(), "the config file's ledger was opened");

    // --chain of another ledger: refused as for every other command.
    let (code, _, err) = run_within(plain(&s, &["--chain", &evil_spec, "server", "run"]), 60);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("uses the chain source"), "{err}");
    assert!(!evil.exists());

    // F9: a signet wallet whose settings.toml was removed (as an error's hint says): the
    // first command already knows it is signet, without --network.
    let pass = root.join("sig.pass");
    std::fs::write(&pass, "pw\n").unwrap();
    let sig = Wallet {
        dir: root.join("sig"),
        chain: env.chain(),
        pass,
    };
    let mut c = plain(&sig, &["--json", "--network", "signet", "init"]);
    c.args(["--chain", &format!("regtest:{}", env.chain().display())]);
    json_ok(c);
    std::fs::remove_file(sig.dir.join("settings.toml")).unwrap();
    let (code, out, err) = run(plain(&sig, &["payments", "list"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(sig.dir.join("settings.toml").exists());
}

/// F3, F8: a link, a hard link, a FIFO or a directory in place of the lock file is
/// refused (exit 7, saying what to do); nothing is written through it and nothing hangs.
#[test]
fn a_lock_file_that_is_not_ours_is_refused_and_never_written() {
    let env = Env::new();
    let a = env.wallet("a");
    let b = env.wallet("b");
    let lock = a.dir.join("lock");
    // A symbolic link to another wallet's database, for a reading command.
    let victim = b.dir.join("records.sqlite");
    let before = std::fs::read(&victim).unwrap();
    std::fs::remove_file(&lock).unwrap();
    std::os::unix::fs::symlink(&victim, &lock).unwrap();
    let (code, _, err) = run_within(plain(&a, &["payments", "list"]), 60);
    assert_eq!(code, 7, "{err}");
    assert!(
        err.contains("symbolic link") && err.contains("Remove it"),
        "{err}"
    );
    assert_eq!(std::fs::read(&victim).unwrap(), before);
    b.ok(&["wallet", "balance"]);

    // A hard link to a file of the user.
    let precious = env.root.path().join("precious.txt");
    std::fs::write(&precious, "keep me").unwrap();
    std::fs::remove_file(&lock).unwrap();
    std::fs::hard_link(&precious, &lock).unwrap();
    let (code, _, err) = run_within(plain(&a, &["wallet", "address"]), 60);
    assert_eq!(code, 7, "{err}");
    assert!(err.contains("hard links"), "{err}");
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");

    // A FIFO (nobody writes to it): refused at once, for a reading and a writing command.
    std::fs::remove_file(&lock).unwrap();
    let made = Command::new("mkfifo").arg(&lock).status().unwrap();
    assert!(made.success());
    for args in [&["payments", "list"][..], &["wallet", "address"]] {
        let (code, _, err) = run_within(plain(&a, args), 30);
        assert_eq!(code, 7, "{args:?}: {err}");
        assert!(err.contains("not a regular file"), "{err}");
    }

    // A directory.
    std::fs::remove_file(&lock).unwrap();
    std::fs::create_dir(&lock).unwrap();
    let (code, _, err) = run_within(plain(&a, &["wallet", "balance"]), 30);
    assert_eq!(code, 7, "{err}");
    std::fs::remove_dir(&lock).unwrap();
    // Removed, as the message says: the wallet works again.
    json_ok(plain(&a, &["--json", "wallet", "balance"]));
}

/// F7: a record naming a process that does not hold the lock (pid 1, a live unrelated
/// process) names nobody: the message never invites killing it.
#[test]
fn a_forged_holder_record_does_not_name_another_process() {
    let env = Env::new();
    let a = env.wallet("a");
    let lock = a.dir.join("lock");
    let held = asyncpay::store::DataDir::open(&a.dir, asyncpay::store::LockWait::Fail).unwrap();
    let mut sleeper = Command::new("sleep").arg("60").spawn().unwrap();
    let start = std::fs::read_to_string(format!("/proc/{}/stat", sleeper.id()))
        .ok()
        .and_then(|stat| {
            let rest = &stat[stat.rfind(')')? + 1..];
            rest.split_whitespace().nth(19).map(str::to_owned)
        })
        .unwrap_or_default();
    for record in [
        "asyncpay-lock 1\npid 1\ncommand server run\n".to_owned(),
        format!(
            "asyncpay-lock 1\npid {}\nstart {start}\ncommand server run\n",
            sleeper.id()
        ),
    ] {
        std::fs::write(&lock, &record).unwrap();
        let (code, _, err) = a.human(&["wallet", "address"]);
        assert_eq!(code, 6, "{err}");
        assert!(
            err.contains("in use by another asyncpay process;")
                && !err.contains("pid")
                && !err.contains("server run"),
            "{record:?}: {err}"
        );
    }
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    drop(held);
}

/// F10: `--wait-lock` does not make a reading command wait: it reads beside the holder.
#[test]
fn wait_lock_does_not_make_reading_wait() {
    let env = Env::new();
    let a = env.wallet("a");
    let held = asyncpay::store::DataDir::open(&a.dir, asyncpay::store::LockWait::Fail).unwrap();
    let (code, out, err) = run_within(plain(&a, &["--wait-lock", "payments", "list"]), 30);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("nothing is saved"), "{err}");
    drop(held);
}

/// F6: escape sequences in settings.toml, a config file or a path reach the terminal
/// escaped; a server that is not a URL is refused when the file is read.
#[test]
fn escape_sequences_from_files_never_reach_the_terminal() {
    let env = Env::new();
    let root = env.root.path();
    let a = env.wallet("a");
    let settings = a.dir.join("settings.toml");
    let raw = |s: &str| s.contains('\u{1b}') || s.contains('\u{7}');
    std::fs::write(
        &settings,
        "version = 1\nnetwork = \"\\u001b]0;PWNED\\u0007\\u001b[2J\"\n",
    )
    .unwrap();
    let (code, out, err) = run(plain(&a, &["wallet", "info"]));
    assert_eq!(code, 7, "{err}");
    assert!(!raw(&out) && !raw(&err), "{err:?}");
    assert!(err.contains("\\u{1b}"), "{err}");
    std::fs::write(
        &settings,
        "version = 1\nnetwork = \"regtest\"\nserver = \"http://x.example\\u001b[2J\"\n",
    )
    .unwrap();
    let (code, _, err) = run(plain(&a, &["wallet", "info"]));
    assert_eq!(code, 7, "{err}");
    assert!(!raw(&err) && err.contains("server"), "{err:?}");
    std::fs::remove_file(&settings).unwrap();

    let config = root.join("config.toml");
    for text in [
        "server = \"http://x.example\\u001b]0;PWNED\\u0007\"\n",
        "server = \"not a url\"\n",
        "network = \"\\u001b[2J\"\n",
    ] {
        std::fs::write(&config, text).unwrap();
        let mut c = plain(&a, &["wallet", "info"]);
        c.arg("--config").arg(&config);
        let (code, _, err) = run(c);
        assert_eq!(code, 2, "{text}: {err}");
        assert!(!raw(&err), "{err:?}");
    }

    // A path with an escape sequence in an error message.
    let mut c = command();
    c.arg("--datadir")
        .arg(root.join("x\u{1b}[2Jy"))
        .args(["--passphrase-file"])
        .arg(&a.pass)
        .args(["wallet", "info"]);
    let (code, _, err) = run(c);
    assert_ne!(code, 0);
    assert!(!raw(&err) && err.contains("\\u{1b}[2Jy"), "{err:?}");
}

/// Relative paths in a config file are relative to the file's directory; a chain source
/// that differs only in its password says so (both would show as `***`).
#[test]
fn config_paths_are_relative_to_the_file_and_credential_changes_are_named() {
    let env = Env::new();
    let root = env.root.path();
    let conf = root.join("conf");
    std::fs::create_dir(&conf).unwrap();
    std::fs::write(
        conf.join("config.toml"),
        "datadir = \"w\"\nchain = \"regtest:../ledger\"\n",
    )
    .unwrap();
    let pass = root.join("pw");
    std::fs::write(&pass, "pw\n").unwrap();
    let elsewhere = root.join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let mut c = command();
    c.current_dir(&elsewhere)
        .args(["--config", "../conf/config.toml", "--json", "init"])
        .arg("--passphrase-file")
        .arg(&pass);
    let made = json_ok(c);
    assert_eq!(made["datadir"], conf.join("w").display().to_string());
    assert_eq!(
        made["chain"],
        format!("regtest:{}", conf.join("../ledger").display())
    );

    let mut c = command();
    c.args(["--datadir", root.join("btc").to_str().unwrap()])
        .args([
            "--chain",
            "bitcoind:http://u:one@127.0.0.1:9",
            "--json",
            "init",
        ])
        .arg("--passphrase-file")
        .arg(&pass);
    json_ok(c);
    let mut c = command();
    c.args(["--datadir", root.join("btc").to_str().unwrap()])
        .args([
            "--chain",
            "bitcoind:http://u:two@127.0.0.1:9",
            "wallet",
            "balance",
        ])
        .arg("--passphrase-file")
        .arg(&pass);
    let (code, _, err) = run(c);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the credentials differ"), "{err}");
}
