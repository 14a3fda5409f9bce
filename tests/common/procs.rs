//! Real asyncpay processes for integration tests: wallets (a data dir and a passphrase file
//! on a shared regtest ledger) driven through the binary, and a running `server run` that is
//! killed and reaped when dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use asyncpay::chain::Ledger;
use bitcoin::ScriptBuf;
use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_asyncpay");

/// `asyncpay` with no inherited `ASYNCPAY_*` settings and a cheap scrypt work factor. With
/// `ASYNCPAY_TEST_DATABASE` set (a PostgreSQL URL: `.ci/run`'s second pass), every wallet
/// `init` makes keeps its records there (`ASYNCPAY_DATABASE`).
pub fn command() -> Command {
    command_of(Path::new(BIN))
}

/// [`command`] for another asyncpay binary `bin` (an older release, say).
pub fn command_of(bin: &Path) -> Command {
    let mut c = Command::new(bin);
    for (k, _) in std::env::vars() {
        if k.starts_with("ASYNCPAY_") {
            c.env_remove(k);
        }
    }
    c.env("ASYNCPAY_SCRYPT_WORK_FACTOR", "10");
    if let Ok(url) = std::env::var("ASYNCPAY_TEST_DATABASE") {
        c.env("ASYNCPAY_DATABASE", url);
    }
    c
}

/// One wallet: its data dir and passphrase file, on the ledger at `chain`.
#[derive(Clone)]
pub struct Wallet {
    pub dir: PathBuf,
    pub chain: PathBuf,
    pub pass: PathBuf,
}

impl Wallet {
    /// Creates wallet `name` under `root` (with `init`) on the ledger at `chain`.
    pub fn create(root: &Path, name: &str, chain: &Path) -> Wallet {
        let pass = root.join(format!("{name}.pass"));
        std::fs::write(&pass, "pw\n").unwrap();
        let w = Wallet {
            dir: root.join(name),
            chain: chain.to_path_buf(),
            pass,
        };
        w.ok(&["init"]);
        w
    }

    /// Its `--chain`: the regtest ledger at [`Wallet::chain`], or, for a wallet on a node
    /// (`tests/common/bitcoind.rs`), the `bitcoind:URL` spec kept there.
    pub fn chain_spec(&self) -> String {
        let chain = self.chain.display().to_string();
        if chain.starts_with("bitcoind:") {
            chain
        } else {
            format!("regtest:{chain}")
        }
    }

    /// `asyncpay --json` as this wallet, with `args`.
    pub fn cmd(&self, args: &[&str]) -> Command {
        self.command_with(command(), true, args)
    }

    /// `base` (an asyncpay [`command`]) as this wallet (data dir, ledger, passphrase file),
    /// with `--json` when `json`, then `args`.
    pub fn command_with(&self, mut base: Command, json: bool, args: &[&str]) -> Command {
        if json {
            base.arg("--json");
        }
        base.arg("--datadir")
            .arg(&self.dir)
            .arg("--chain")
            .arg(self.chain_spec())
            .arg("--passphrase-file")
            .arg(&self.pass)
            .args(args);
        base
    }

    /// `asyncpay` as this wallet with `args`, without `--json` (the output for a person):
    /// (exit code, stdout, stderr).
    pub fn human(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.command_with(command(), false, args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs, expects success, returns the JSON result.
    pub fn ok(&self, args: &[&str]) -> Value {
        let out = self.cmd(args).output().unwrap();
        assert!(
            out.status.success(),
            "asyncpay {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

/// A running `server run`, killed and reaped on drop.
pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Server {
    /// `server run` of wallet `s` on a free port.
    pub fn start(s: &Wallet) -> Server {
        Server::start_with(s, "0", &[], None)
    }

    /// `server run` on 127.0.0.1:`port` (0: a free port) with extra arguments, logging nonce
    /// use to `nonce_log` if given; returns once it printed its URL.
    pub fn start_with(s: &Wallet, port: &str, extra: &[&str], nonce_log: Option<&Path>) -> Server {
        Server::start_logged(s, port, extra, nonce_log, None)
    }

    /// [`Server::start_with`], writing its stderr (the request log) to `log` if given
    /// (otherwise it is discarded).
    pub fn start_logged(
        s: &Wallet,
        port: &str,
        extra: &[&str],
        nonce_log: Option<&Path>,
        log: Option<&Path>,
    ) -> Server {
        // `--watch-interval-ms MS` in `extra` replaces the default of 100.
        let at = extra.iter().position(|a| *a == "--watch-interval-ms");
        let interval = at.map_or("100", |i| extra[i + 1]);
        let extra: Vec<&str> = extra
            .iter()
            .enumerate()
            .filter(|(i, _)| at.is_none_or(|at| *i != at && *i != at + 1))
            .map(|(_, a)| *a)
            .collect();
        let mut c = Server::command_watching(s, port, log, interval);
        c.args(extra);
        if let Some(log) = nonce_log {
            c.env("ASYNCPAY_TEST_NONCE_LOG", log);
        }
        Server::spawn(c)
    }

    /// `server run` of wallet `s` on 127.0.0.1:`port`, its stderr to `log` (or discarded),
    /// to be given more and spawned ([`Server::spawn`]).
    pub fn command(s: &Wallet, port: &str, log: Option<&Path>) -> Command {
        Server::command_watching(s, port, log, "100")
    }

    /// [`Server::command`], its watcher passing every `interval_ms`.
    pub fn command_watching(
        s: &Wallet,
        port: &str,
        log: Option<&Path>,
        interval_ms: &str,
    ) -> Command {
        let listen = format!("127.0.0.1:{port}");
        let mut c = s.cmd(&[
            "server",
            "run",
            "--listen",
            &listen,
            "--watch-interval-ms",
            interval_ms,
        ]);
        let stderr = match log {
            Some(log) => Stdio::from(std::fs::File::create(log).unwrap()),
            None => Stdio::null(),
        };
        c.stdout(Stdio::piped()).stderr(stderr);
        c
    }

    /// Spawns `server run` ([`Server::command`]); returns once it printed its URL.
    pub fn spawn(mut c: Command) -> Server {
        let mut child = c.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let doc: Value = serde_json::from_str(&line).expect("the listening line");
        Server {
            child,
            url: doc["url"].as_str().unwrap().to_owned(),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> String {
        self.url.rsplit(':').next().unwrap().to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A temporary directory with a regtest ledger (`chain`) and wallets.
pub struct Env {
    pub root: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            root: tempfile::tempdir().unwrap(),
        }
    }

    pub fn chain(&self) -> PathBuf {
        self.root.path().join("chain")
    }

    pub fn wallet(&self, name: &str) -> Wallet {
        Wallet::create(self.root.path(), name, &self.chain())
    }

    pub fn ledger(&self) -> Ledger {
        Ledger::open(self.chain()).unwrap()
    }

    pub fn mine(&self, n: u32) {
        self.ledger().mine(n, None).unwrap();
    }
}

/// Funds `w`'s on-chain wallet from the ledger's faucet.
pub fn fund(w: &Wallet, env: &Env, sat: u64) {
    fund_on(w, &mut env.ledger(), sat);
}

/// Funds `w`'s on-chain wallet from the faucet of `ledger` (a block is mined).
pub fn fund_on(w: &Wallet, ledger: &mut Ledger, sat: u64) {
    let addr = w.ok(&["wallet", "address"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    pay_address(ledger, &addr, sat);
}

/// Pays `sat` to `address` from the faucet of `env`'s ledger (a block is mined).
pub fn fund_address(env: &Env, address: &str, sat: u64) {
    pay_address(&env.ledger(), address, sat);
}

fn pay_address(ledger: &Ledger, address: &str, sat: u64) {
    let script = bitcoin::Address::from_str(address)
        .unwrap()
        .assume_checked()
        .script_pubkey();
    ledger
        .fund(&script, bitcoin::Amount::from_sat(sat))
        .unwrap();
}

/// Every stored record of the keyed type `T` in `w`'s data dir, by key ([`read_store`]).
pub fn records<T: asyncpay::store::StateFile>(w: &Wallet) -> Vec<T> {
    let store = read_store(w);
    store
        .keys_of::<T>()
        .unwrap()
        .into_iter()
        .map(|k| store.load_keyed(&k).unwrap().unwrap())
        .collect()
}

/// `w`'s store, read without the data dir's lock (works while `server run` holds it).
pub fn read_store(w: &Wallet) -> asyncpay::store::ReadOnlyStore {
    let pass = std::fs::read_to_string(&w.pass).unwrap();
    asyncpay::store::ReadOnlyDir::open(&w.dir)
        .unwrap()
        .unlock(&asyncpay::store::Unlock::Passphrase(
            age::secrecy::SecretString::from(pass.trim_end().to_owned()),
        ))
        .unwrap()
}

/// Writes `value` as `w`'s record `key`, as a hostile peer, an earlier run or a newer
/// release would have left it (nothing may hold `w`'s data dir).
pub fn plant<T: asyncpay::store::StateFile>(w: &Wallet, key: &str, value: &T) {
    let pass = std::fs::read_to_string(&w.pass).unwrap();
    asyncpay::store::DataDir::open(&w.dir, asyncpay::store::LockWait::Fail)
        .unwrap()
        .unlock(&asyncpay::store::Unlock::Passphrase(
            age::secrecy::SecretString::from(pass.trim_end().to_owned()),
        ))
        .unwrap()
        .save_keyed(key, value)
        .unwrap();
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `to_node` script of this wallet's channel with key index `index` (a client's or a
/// server's channel): where the channel pays this wallet when it ends, an address of the
/// wallet's own change chain revealed when the channel was opened. Read from the channel's
/// stored parameters without the data dir's lock (works while `server run` holds it).
pub fn to_node(w: &Wallet, index: u32) -> ScriptBuf {
    use asyncpay::client::ClientChannel;
    use asyncpay::eltoo::Party;
    use asyncpay::server::ServerChannel;
    let store = read_store(w);
    for key in store.keys_of::<ClientChannel>().unwrap() {
        let ch: ClientChannel = store.load_keyed(&key).unwrap().unwrap();
        if ch.key_index == index {
            return ch.channel.params().to_node_script(Party::Client);
        }
    }
    for key in store.keys_of::<ServerChannel>().unwrap() {
        let ch: ServerChannel = store.load_keyed(&key).unwrap().unwrap();
        if ch.key_index == index {
            return ch.channel.params().to_node_script(Party::Server);
        }
    }
    panic!("{} has no channel with key index {index}", w.dir.display());
}

pub fn value_at(env: &Env, script: &ScriptBuf) -> u64 {
    env.ledger().value_at(script).unwrap().to_sat()
}

/// Waits (mining nothing) until `f` holds, or panics after 20 s.
pub fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn channel_id(v: &Value) -> String {
    v["channel_id"].as_str().unwrap().to_owned()
}

/// Copies a data dir (or a ledger dir) as a backup, or restores one: `to` is replaced, the
/// lock file is left behind, the directory modes are kept.
pub fn copy_dir(from: &Path, to: &Path) {
    if to.exists() {
        std::fs::remove_dir_all(to).unwrap();
    }
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else if entry.file_name() != "lock" {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(from).unwrap().permissions().mode();
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(mode)).unwrap();
}
