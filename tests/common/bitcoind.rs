//! A real bitcoind (Bitcoin Inquisition, for ANYPREVOUT) on 127.0.0.1 for the tests that
//! run against a node: started from `BITCOIND_EXE` (the variable the `bitcoind` and
//! `corepc-node` crates use) in regtest, in a temporary data dir, killed and reaped on drop.
//! Without `BITCOIND_EXE` the tests print a notice and pass without running.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use bdk_bitcoind_rpc::bitcoincore_rpc::{self, RpcApi};
use serde_json::{json, Value};

use super::procs::free_port;

/// A running bitcoind in regtest.
pub struct Bitcoind {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    rpc: bitcoincore_rpc::Client,
}

const USER: &str = "asyncpay";
const PASSWORD: &str = "test";

impl Bitcoind {
    /// The node, or `None` (with a notice on stderr) when `BITCOIND_EXE` is not set.
    /// `extra` are more `bitcoind` arguments.
    pub fn start(test: &str, extra: &[&str]) -> Option<Bitcoind> {
        let Some(exe) = std::env::var_os("BITCOIND_EXE").map(PathBuf::from) else {
            eprintln!(
                "notice: {test} skipped: set BITCOIND_EXE to a Bitcoin Inquisition bitcoind \
                 to run it against a real node"
            );
            return None;
        };
        let mut dir = tempfile::tempdir().unwrap();
        for _ in 0..5 {
            let port = free_port();
            let child = spawn(&exe, dir.path(), port, extra);
            let rpc = bitcoincore_rpc::Client::new(
                &format!("http://127.0.0.1:{port}"),
                bitcoincore_rpc::Auth::UserPass(USER.into(), PASSWORD.into()),
            )
            .unwrap();
            let mut node = Bitcoind {
                child,
                dir,
                port,
                rpc,
            };
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if node.rpc.get_block_count().is_ok() {
                    return Some(node);
                }
                if let Ok(Some(_)) = node.child.try_wait() {
                    break; // the port was taken: try others
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = node.child.kill();
            let _ = node.child.wait();
            dir = std::mem::replace(&mut node.dir, tempfile::tempdir().unwrap());
        }
        panic!("bitcoind did not start")
    }

    /// Stops the node and starts it again on the same data dir and port with `extra`
    /// arguments (`-persistmempool=0`: it comes back with an empty mempool, as a node
    /// that lost what it held).
    pub fn restart(&mut self, extra: &[&str]) {
        self.call("stop", &[]);
        self.child.wait().unwrap();
        let exe = PathBuf::from(std::env::var_os("BITCOIND_EXE").unwrap());
        self.child = spawn(&exe, self.dir.path(), self.port, extra);
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.rpc.get_block_count().is_err() {
            assert!(Instant::now() < deadline, "bitcoind did not start again");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The `--chain` of a wallet on this node.
    pub fn spec(&self) -> String {
        format!("bitcoind:http://{USER}:{PASSWORD}@127.0.0.1:{}", self.port)
    }

    /// A JSON-RPC call the node may refuse: its error message.
    pub fn try_call(&self, method: &str, args: &[Value]) -> Result<Value, String> {
        use bitcoincore_rpc::jsonrpc::Error::Rpc;
        self.rpc.call(method, args).map_err(|e| match e {
            bitcoincore_rpc::Error::JsonRpc(Rpc(r)) => r.message,
            other => panic!("{method}: {other}"),
        })
    }

    /// A JSON-RPC call.
    pub fn call(&self, method: &str, args: &[Value]) -> Value {
        self.rpc
            .call(method, args)
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// Mines `n` blocks paying `address`.
    pub fn mine_to(&self, n: u32, address: &str) {
        self.call("generatetoaddress", &[json!(n), json!(address)]);
    }

    /// Mines `n` blocks paying nobody of the test (an anyone-can-spend P2WSH).
    pub fn mine(&self, n: u32) {
        self.mine_to(n, &burn_address());
    }

    /// Mines a block without any of the mempool's transactions (as a full block would).
    pub fn mine_empty(&self) {
        self.call("generateblock", &[json!(burn_address()), json!([])]);
    }

    /// A transaction in the mempool, decoded (`getrawtransaction` verbose) with its fee.
    pub fn mempool_tx(&self, txid: &str) -> Value {
        let mut tx = self.call("getrawtransaction", &[json!(txid), json!(true)]);
        tx["fee_sat"] = json!(
            (self.call("getmempoolentry", &[json!(txid)])["fees"]["base"]
                .as_f64()
                .unwrap()
                * 1e8)
                .round() as u64
        );
        tx
    }

    pub fn height(&self) -> u64 {
        self.rpc.get_block_count().unwrap()
    }

    pub fn mempool(&self) -> Vec<String> {
        serde_json::from_value(self.call("getrawmempool", &[])).unwrap()
    }
}

impl Drop for Bitcoind {
    fn drop(&mut self) {
        let _ = self.rpc.stop();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `bitcoind` in regtest on `dir`, its RPC on 127.0.0.1:`port`, with `extra` arguments.
fn spawn(exe: &std::path::Path, dir: &std::path::Path, port: u16, extra: &[&str]) -> Child {
    Command::new(exe)
        .arg("-regtest")
        .arg(format!("-datadir={}", dir.display()))
        .arg(format!("-rpcport={port}"))
        .args([
            "-server",
            "-listen=0",
            "-rpcbind=127.0.0.1",
            "-rpcallowip=127.0.0.1",
            "-dnsseed=0",
            "-fixedseeds=0",
            "-discover=0",
            "-printtoconsole=0",
            "-rpcthreads=8",
            &format!("-rpcuser={USER}"),
            &format!("-rpcpassword={PASSWORD}"),
        ])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()))
}

/// An anyone-can-spend P2WSH address: coinbases paid there belong to nobody of the test.
pub fn burn_address() -> String {
    let script = bitcoin::ScriptBuf::from(vec![0x51]);
    bitcoin::Address::p2wsh(&script, bitcoin::Network::Regtest).to_string()
}

impl Bitcoind {
    /// A mature coin nobody of the test owns: the coinbase of block `height`, paid to
    /// [`burn_address`], which anyone spends with the witness `[OP_TRUE]`.
    pub fn burn_coin(&self, height: u64) -> (bitcoin::OutPoint, bitcoin::Amount) {
        let hash = self.call("getblockhash", &[json!(height)]);
        let block = self.call("getblock", &[hash, json!(2)]);
        let coinbase = &block["tx"][0];
        let value = coinbase["vout"][0]["value"].as_f64().unwrap();
        (
            bitcoin::OutPoint::new(coinbase["txid"].as_str().unwrap().parse().unwrap(), 0),
            bitcoin::Amount::from_btc(value).unwrap(),
        )
    }

    /// Sends a transaction spending `inputs` (each with its witness) to [`burn_address`],
    /// paying `fee`; panics if the node refuses it.
    pub fn send_burn(
        &self,
        version: i32,
        inputs: &[(bitcoin::OutPoint, Vec<Vec<u8>>)],
        value_in: bitcoin::Amount,
        fee: bitcoin::Amount,
    ) -> String {
        let tx = bitcoin::Transaction {
            version: bitcoin::transaction::Version(version),
            lock_time: bitcoin::absolute::LockTime::ZERO,
            input: inputs
                .iter()
                .map(|(outpoint, witness)| bitcoin::TxIn {
                    previous_output: *outpoint,
                    script_sig: bitcoin::ScriptBuf::new(),
                    sequence: bitcoin::Sequence::ENABLE_RBF_NO_LOCKTIME,
                    witness: bitcoin::Witness::from_slice(witness),
                })
                .collect(),
            output: vec![bitcoin::TxOut {
                value: value_in - fee,
                script_pubkey: bitcoin::Address::from_str(&burn_address())
                    .unwrap()
                    .assume_checked()
                    .script_pubkey(),
            }],
        };
        let hex = bitcoin::consensus::encode::serialize_hex(&tx);
        self.call("sendrawtransaction", &[json!(hex)])
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// The witness that spends a [`burn_address`] coin: the script `OP_TRUE` itself.
pub fn burn_witness() -> Vec<Vec<u8>> {
    vec![vec![0x51]]
}
