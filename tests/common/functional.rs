//! A network in one process, after rust-lightning's functional test harness:
//! [`create_network`]`(payers, payees, servers)` on one fresh regtest ledger. Each server S is
//! an [`InProcessServer`] (the core, HTTP API and durable store of `server run`) on
//! 127.0.0.1; each payer and payee is a client wallet driven through the client engine
//! ([`asyncpay::client::Engine`]) over real HTTP. Wallets are made the way a user makes them
//! (`init`, `server init` through the command handlers); everything after that goes through
//! the engines.
//!
//! Topology: every payer has a channel it funded with every server; payee `j` has inbound
//! capacity from server `j % servers`, and its payment address names that server.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use age::secrecy::SecretString;
use asyncpay::chain::source::RegtestSource;
use asyncpay::chain::Ledger;
use asyncpay::cli::args::Cli;
use asyncpay::cli::commands;
use asyncpay::cli::context::Context;
use asyncpay::cli::server::InProcessServer;
use asyncpay::client::{ClientPayment, Engine, LocalStatus};
use asyncpay::eltoo::Party;
use asyncpay::store::{DataDir, LockWait, Store, Unlock};
use bitcoin::{Amount, FeeRate, Network};
use clap::Parser;

/// Capacity of each payer's channel with each server.
pub const PAYER_CAPACITY: u64 = 2_000_000;
/// Inbound capacity each payee gets from its server.
pub const PAYEE_CAPACITY: u64 = 2_000_000;
/// A payment's expiry.
pub const EXPIRY: Duration = Duration::from_secs(3600);

/// The command-line context of a wallet at `dir` on `chain` (identity file: no scrypt).
fn context(dir: &Path, chain: &Path, pass: &Path) -> Context {
    let chain = format!("regtest:{}", chain.display());
    let argv = [
        "asyncpay",
        "--json",
        "--quiet",
        "--datadir",
        dir.to_str().unwrap(),
        "--chain",
        &chain,
        "--passphrase-file",
        pass.to_str().unwrap(),
    ];
    Context::new(Cli::try_parse_from(argv).unwrap().global).unwrap()
}

/// Runs one command line in `ctx`, as the REPL would.
fn run(ctx: &mut Context, line: &str) {
    let asyncpay::cli::repl::Line::Command(cli) = asyncpay::cli::repl::parse_line(line).unwrap()
    else {
        panic!("not a command: {line}");
    };
    let (done, _) = asyncpay::cli::output::capture(|| commands::run(ctx, cli.command.unwrap()));
    done.unwrap_or_else(|e| panic!("`{line}` failed: {e:?}"));
}

/// One client wallet (payer or payee), unlocked for the whole test.
pub struct Node {
    pub name: String,
    pub dir: PathBuf,
    /// The ledger this wallet keeps for its life, as a long-running process (or the REPL)
    /// does: checked again only when it changed ([`Ledger::check_recent`]).
    ledger: Ledger,
    store: Store,
    _dir: DataDir,
}

impl Node {
    pub fn create(root: &Path, name: &str, chain: &Path) -> Node {
        let dir = root.join(name);
        let pass = root.join("pass");
        run(&mut context(&dir, chain, &pass), "init");
        Node::open(name, dir, chain)
    }

    /// The wallet in `dir`, made before (a copy of another's data dir: a restored backup).
    pub fn open(name: &str, dir: PathBuf, chain: &Path) -> Node {
        let data_dir = DataDir::open(&dir, LockWait::Fail).unwrap();
        let store = data_dir
            .unlock(&Unlock::Passphrase(SecretString::from("pw".to_owned())))
            .unwrap();
        Node {
            name: name.to_owned(),
            dir,
            ledger: Ledger::open(chain).unwrap(),
            store,
            _dir: data_dir,
        }
    }

    /// This wallet's client engine, on the shared ledger.
    pub fn engine(&self) -> Engine<'_> {
        self.engine_on(|source| Box::new(source))
    }

    /// [`Node::engine`] on what `source` makes of the chain source on the shared ledger.
    pub fn engine_on(
        &self,
        source: impl FnOnce(RegtestSource) -> Box<dyn asyncpay::chain::source::ChainSource>,
    ) -> Engine<'_> {
        Engine::new(&self.store, Network::Regtest)
            .unwrap()
            .with_chain(source(self.chain_source()))
    }

    /// The chain source on the kept ledger.
    fn chain_source(&self) -> RegtestSource {
        self.ledger.check_recent().unwrap();
        RegtestSource::new(self.ledger.clone())
    }

    /// Pays `sat` to this wallet's on-chain wallet from the ledger's faucet (confirmed).
    pub fn fund(&self, sat: u64) {
        let engine = self.engine();
        let (mut wallet, state) = engine.onchain().unwrap();
        let address = wallet.next_address().address;
        engine.save_onchain(&mut wallet, state).unwrap();
        self.ledger
            .fund_address(&address, Amount::from_sat(sat))
            .unwrap();
    }

    /// This wallet's payments.
    pub fn payments(&self) -> Vec<ClientPayment> {
        self.engine().payments().unwrap().0
    }

    /// Where payment `id` is, as this node records it.
    pub fn status_of(&self, id: asyncpay::payment::PaymentId) -> LocalStatus {
        let payments = self.payments();
        payments
            .into_iter()
            .find(|p| p.payment_id == id)
            .expect("the node records the payment")
            .status
    }
}

/// One server S.
pub struct Server {
    pub dir: PathBuf,
    /// The ledger's directory as S names it: a symbolic link to the shared one, which
    /// [`Server::cut_chain`] points elsewhere.
    chain: PathBuf,
    ctx: Context,
    s: Option<InProcessServer>,
    listen: SocketAddr,
}

impl Server {
    pub fn url(&self) -> &str {
        self.s.as_ref().expect("running").url()
    }

    /// The running S.
    pub fn running(&self) -> &InProcessServer {
        self.s.as_ref().expect("running")
    }

    /// S can no longer read the chain (`true`: its ledger's directory name leads nowhere;
    /// the clients still read it), or can again (`false`).
    pub fn cut_chain(&self, cut: bool) {
        let shared = self.chain.with_file_name("chain");
        std::fs::remove_file(&self.chain).unwrap();
        let target = if cut {
            self.chain.with_file_name("nowhere")
        } else {
            shared
        };
        std::os::unix::fs::symlink(target, &self.chain).unwrap();
    }

    /// S's process ends and starts again on the same address: everything it did not write
    /// is gone.
    pub fn restart(&mut self) {
        self.restart_with(|_| {});
    }

    /// [`Server::restart`], with `meddle` acting on S's data dir while S is down (an
    /// attacker who can write it, a restore from a backup).
    pub fn restart_with(&mut self, meddle: impl FnOnce(&Path)) {
        self.try_restart_with(meddle).unwrap();
    }

    /// [`Server::restart_with`], returning S's refusal to start (the error's message).
    pub fn try_restart_with(&mut self, meddle: impl FnOnce(&Path)) -> Result<(), String> {
        drop(self.s.take());
        self.ctx.forget_store();
        meddle(&self.dir);
        let s = InProcessServer::start(&mut self.ctx, self.listen).map_err(|e| e.to_string())?;
        self.s = Some(s);
        Ok(())
    }

    /// S stops, runs the command `line` (say, `server init` with another policy) and
    /// starts again on the same address.
    pub fn rerun_with(&mut self, line: &str) {
        drop(self.s.take());
        run(&mut self.ctx, line);
        self.s = Some(InProcessServer::start(&mut self.ctx, self.listen).unwrap());
    }

    /// The keys of S's records of one kind (read without the lock, as `server sales` does).
    pub fn records<T: asyncpay::store::StateFile>(&self) -> Vec<String> {
        asyncpay::store::ReadOnlyDir::open(&self.dir)
            .unwrap()
            .unlock(&Unlock::Passphrase(SecretString::from("pw".to_owned())))
            .unwrap()
            .keys_of::<T>()
            .unwrap()
    }
}

/// See the module documentation.
pub struct Net {
    root: tempfile::TempDir,
    pub chain: PathBuf,
    pub servers: Vec<Server>,
    pub payers: Vec<Node>,
    pub payees: Vec<Node>,
    /// Payee `j`'s payment address.
    pub addresses: Vec<String>,
}

/// See the module documentation.
/// The confirmed coins each payee gets for the fees of a force close and a claim.
const PAYEE_FEE_RESERVE: u64 = 50_000;

/// Confirmed coins each S gets for its fee children besides one for each channel it funds,
/// and what each holds beyond a channel's capacity.
const S_FEE_COINS: usize = 8;
const S_FEE_COIN: u64 = 100_000;

/// Every S's `server init` in [`create_network`].
pub const SERVER_INIT: &str = "server init --shared-delay 15 --min-shared-delay 2 \
     --inbound-shared-delay 6 --confirmation-budget 1 --min-confirmations 1 --inbound anyone";

pub fn create_network(payers: usize, payees: usize, servers: usize) -> Net {
    assert!(servers > 0);
    std::env::set_var("ASYNCPAY_SCRYPT_WORK_FACTOR", "10");
    std::env::set_var("ASYNCPAY_INSECURE_TEST_WORK_FACTOR", "1");
    // `.ci/run`'s second pass: every wallet's records in PostgreSQL (see `procs::command`).
    if let Ok(url) = std::env::var("ASYNCPAY_TEST_DATABASE") {
        std::env::set_var("ASYNCPAY_DATABASE", url);
    }
    let root = tempfile::tempdir().unwrap();
    let chain = root.path().join("chain");
    let pass = root.path().join("pass");
    std::fs::write(&pass, "pw\n").unwrap();
    let ledger = Ledger::open(&chain).unwrap();

    let servers: Vec<Server> = (0..servers)
        .map(|i| {
            let dir = root.path().join(format!("s{i}"));
            let s_chain = root.path().join(format!("s{i}-chain"));
            std::os::unix::fs::symlink(&chain, &s_chain).unwrap();
            let mut ctx = context(&dir, &s_chain, &pass);
            run(&mut ctx, "init");
            run(&mut ctx, SERVER_INIT);
            let address = {
                let store = ctx.store().unwrap();
                let engine = Engine::new(store, Network::Regtest)
                    .unwrap()
                    .with_chain(Box::new(RegtestSource::open(&chain).unwrap()));
                let (mut wallet, state) = engine.onchain().unwrap();
                let address = wallet.next_address().address;
                engine.save_onchain(&mut wallet, state).unwrap();
                address
            };
            // A coin for each inbound channel S funds (one coin covers a channel, so each
            // funding spends one) and S_FEE_COINS more for fee children: S sells one
            // payment at a time per confirmed coin (`fee_capacity`), and the benchmarks run
            // eight pairs at once. Paid before the channels, their blocks count no
            // confirmations of a channel.
            for _ in 0..payees + S_FEE_COINS {
                ledger
                    .fund_address(&address, Amount::from_sat(PAYEE_CAPACITY + S_FEE_COIN))
                    .unwrap();
            }
            let s = InProcessServer::start(&mut ctx, "127.0.0.1:0".parse().unwrap()).unwrap();
            let listen = s.url().trim_start_matches("http://").parse().unwrap();
            Server {
                dir,
                chain: s_chain,
                ctx,
                s: Some(s),
                listen,
            }
        })
        .collect();

    let payers: Vec<Node> = (0..payers)
        .map(|i| {
            let node = Node::create(root.path(), &format!("payer{i}"), &chain);
            node.fund((PAYER_CAPACITY + 100_000) * servers.len() as u64);
            for s in &servers {
                node.engine()
                    .open_channel(
                        s.url(),
                        Amount::from_sat(PAYER_CAPACITY),
                        Party::Client,
                        FeeRate::from_sat_per_vb_u32(2),
                    )
                    .unwrap();
            }
            node
        })
        .collect();
    let payees: Vec<Node> = (0..payees)
        .map(|j| {
            let node = Node::create(root.path(), &format!("payee{j}"), &chain);
            // Its fee reserve: a payee claims only while it could enforce the claim on chain.
            node.fund(PAYEE_FEE_RESERVE);
            node.engine()
                .open_channel(
                    servers[j % servers.len()].url(),
                    Amount::from_sat(PAYEE_CAPACITY),
                    Party::Server,
                    FeeRate::BROADCAST_MIN,
                )
                .unwrap();
            node
        })
        .collect();
    ledger.mine(1, None).unwrap();
    let addresses = payees
        .iter()
        .map(|n| n.engine().payment_address(None).unwrap().to_string())
        .collect();
    Net {
        root,
        chain,
        servers,
        payers,
        payees,
        addresses,
    }
}

impl Net {
    /// The shared ledger.
    pub fn ledger(&self) -> Ledger {
        Ledger::open(&self.chain).unwrap()
    }

    /// Payer `i` pays `sat` to payee `j` (who is offline); returns the payment.
    pub fn pay(&self, i: usize, j: usize, sat: u64) -> ClientPayment {
        self.try_pay(i, j, sat, None).unwrap()
    }

    /// [`Net::pay`], with at most `max_fee` for S (`None`: the default cap), as it ends.
    pub fn try_pay(
        &self,
        i: usize,
        j: usize,
        sat: u64,
        max_fee: Option<u64>,
    ) -> asyncpay::client::ClientResult<ClientPayment> {
        let payee_server = self.servers[j % self.servers.len()].url().to_owned();
        let engine = self.payers[i].engine();
        let channel = engine
            .channels()
            .unwrap()
            .into_iter()
            .find(|c| c.server_url == payee_server)
            .expect("every payer has a channel with every server");
        engine.pay(
            &self.addresses[j],
            Amount::from_sat(sat),
            asyncpay::client::PayOptions {
                expiry: EXPIRY,
                channel: Some(channel.channel.id().to_string()),
                max_fee: max_fee.map(Amount::from_sat),
                ..Default::default()
            },
        )
    }

    /// Payee `j` comes online: receives, sells and claims whatever waits for it.
    pub fn receive(&self, j: usize) -> Vec<ClientPayment> {
        let progress = self.payees[j].engine().receive(None, false).unwrap();
        assert!(progress.problems.is_empty(), "{:?}", progress.problems);
        progress.payments
    }

    /// Payer `i` syncs: collects invoice and scalar of what was paid.
    pub fn sync(&self, i: usize) -> Vec<ClientPayment> {
        let progress = self.payers[i].engine().sync().unwrap();
        assert!(progress.problems.is_empty(), "{:?}", progress.problems);
        progress.payments
    }

    /// One whole payment: pay, receive, sync; asserts both sides end `paid`.
    pub fn pay_and_settle(&self, i: usize, j: usize, sat: u64) -> ClientPayment {
        let p = self.pay(i, j, sat);
        let got = self.receive(j);
        assert!(
            got.iter()
                .any(|q| q.payment_id == p.payment_id && q.status == LocalStatus::Paid),
            "payee {j} not paid: {got:?}"
        );
        let synced = self.sync(i);
        let done = synced
            .into_iter()
            .find(|q| q.payment_id == p.payment_id)
            .expect("sync reports the payment");
        assert_eq!(done.status, LocalStatus::Paid, "{done:?}");
        done
    }

    /// A payee's balance in its channel with its server, as its latest state says.
    pub fn payee_balance(&self, j: usize) -> u64 {
        self.payees[j]
            .engine()
            .channels()
            .unwrap()
            .iter()
            .filter_map(|c| c.channel.latest().map(|l| l.state.balance(Party::Client)))
            .map(Amount::to_sat)
            .sum()
    }

    /// The root of every data dir.
    pub fn root(&self) -> &Path {
        self.root.path()
    }
}

/// A payment id from the hex a report shows.
pub fn payment_id(hex: &str) -> asyncpay::payment::PaymentId {
    asyncpay::payment::PaymentId::from_str(hex).unwrap()
}
