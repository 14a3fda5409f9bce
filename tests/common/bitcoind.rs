//! A real bitcoind (Bitcoin Inquisition, for ANYPREVOUT) on 127.0.0.1 for the tests that
//! run against a node: started from `BITCOIND_EXE` (the variable the `bitcoind` and
//! `corepc-node` crates use) in regtest, in a temporary data dir, killed and reaped on drop.
//! Without `BITCOIND_EXE` the tests print a notice and pass without running.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
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
            let child = Command::new(&exe)
                .arg("-regtest")
                .arg(format!("-datadir={}", dir.path().display()))
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
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
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

    /// The `--chain` of a wallet on this node.
    pub fn spec(&self) -> String {
        format!("bitcoind:http://{USER}:{PASSWORD}@127.0.0.1:{}", self.port)
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
        let script = bitcoin::ScriptBuf::from(vec![0x51]);
        let burn = bitcoin::Address::p2wsh(&script, bitcoin::Network::Regtest);
        self.mine_to(n, &burn.to_string());
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
