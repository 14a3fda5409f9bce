//! The payment story's setup, shared by the payment, sales and kill tests: S (fee 1000
//! ppm, `shared_delay` 15 for A–S and 6 for B–S, one confirmation) funded on a fresh regtest ledger and running, A
//! with a 200 000 sat channel it funded, B with 300 000 sat of inbound capacity S funded,
//! both channels confirmed, and B's payment address.

use bitcoin::ScriptBuf;
use serde_json::Value;

use super::procs::{channel_id, fund, to_node, value_at, Env, Server, Wallet};

/// What B holds on chain besides its channel: fees for its force close and claims, which
/// pay their relay through their anchors.
pub const B_FEE_RESERVE: u64 = 100_000;

/// S (fee 1000 ppm), A with a 200 000 sat channel it funded, B with 300 000 sat of
/// inbound capacity S funded; both channels confirmed.
pub struct Story {
    pub env: Env,
    pub s: Wallet,
    pub server: Server,
    pub a: Wallet,
    pub b: Wallet,
    pub a_channel: String,
    pub b_channel: String,
    pub address: String,
    /// S's `to_node` scripts of its channels with A (0) and B (1).
    pub s_to_node: Vec<ScriptBuf>,
    /// An address of S's wallet, taken before `server run` held its data dir.
    s_spare: String,
}

impl Story {
    pub fn new(server_args: &[&str]) -> Story {
        Story::with(None, server_args, false)
    }

    /// The story with S's `server init --listen 127.0.0.1:PORT` (`None`: a free port at
    /// run time), `server run` arguments, and (with `nonce_log`) every process of the story
    /// logging its nonce use to [`Story::nonce_log`].
    pub fn with(listen_port: Option<u16>, server_args: &[&str], nonce_log: bool) -> Story {
        Story::build(listen_port, server_args, nonce_log, false)
    }

    /// The story with each `(flag, value)` of `changes` in S's `server init`
    /// ([`server_init_with`]).
    pub fn with_init(changes: &[(&str, &str)]) -> Story {
        Story::build_with(None, &[], (false, false), changes)
    }

    /// The story with S's stderr (its request log) kept in [`Story::server_log`].
    pub fn logged(server_args: &[&str]) -> Story {
        Story::build(None, server_args, false, true)
    }

    /// Where S's stderr goes with [`Story::logged`].
    pub fn server_log(&self) -> std::path::PathBuf {
        self.env.root.path().join("server.log")
    }

    fn build(listen_port: Option<u16>, server_args: &[&str], nonce_log: bool, log: bool) -> Story {
        Story::build_with(listen_port, server_args, (nonce_log, log), &[])
    }

    fn build_with(
        listen_port: Option<u16>,
        server_args: &[&str],
        (nonce_log, log): (bool, bool),
        init: &[(&str, &str)],
    ) -> Story {
        let env = Env::new();
        let s = env.wallet("s");
        let listen = listen_port.map(|p| format!("127.0.0.1:{p}"));
        let mut init = init.to_vec();
        init.extend(listen.as_deref().map(|l| ("--listen", l)));
        server_init_with(&s, &init);
        fund(&s, &env, 1_000_000);
        let s_spare = s.ok(&["wallet", "address"])["address"]
            .as_str()
            .unwrap()
            .to_owned();
        let port = listen_port.map_or("0".to_owned(), |p| p.to_string());
        let nonce_log = nonce_log.then(|| env.root.path().join("nonce-use.log"));
        let server_log = log.then(|| env.root.path().join("server.log"));
        let server = Server::start_logged(
            &s,
            &port,
            server_args,
            nonce_log.as_deref(),
            server_log.as_deref(),
        );
        let url = server.url.clone();
        let a = env.wallet("a");
        fund(&a, &env, 500_000);
        let a_channel = channel_id(&a.ok(&["channel", "open", &url, "200000"]));
        let b = env.wallet("b");
        // B's fee reserve: its force close and claims pay their relay through their anchors.
        fund(&b, &env, B_FEE_RESERVE);
        let b_channel = channel_id(&b.ok(&["channel", "request-inbound", &url, "300000"]));
        env.mine(1);
        // S's payout scripts of its channels with A (0) and B (1), from its channel files.
        let s_to_node = (0..2).map(|i| to_node(&s, i)).collect();
        let address = b.ok(&["address"])["address"].as_str().unwrap().to_owned();
        Story {
            env,
            s,
            server,
            a,
            b,
            a_channel,
            b_channel,
            address,
            s_to_node,
            s_spare,
        }
    }

    /// Pays S one more confirmed coin (a block mined): S sells one payment at a time per
    /// confirmed coin (`fee_capacity`), and has one (its change) after the story's opens.
    pub fn s_fee_coin(&self) {
        super::procs::fund_address(&self.env, &self.s_spare, 100_000);
    }

    /// A and B force-close their channels alone; after the delay the settlements pay
    /// exactly `(a, s_with_a, b, s_with_b)` on chain.
    pub fn force_close_and_check(&self, expected: (u64, u64, u64, u64)) {
        for (w, id) in [(&self.a, &self.a_channel), (&self.b, &self.b_channel)] {
            let out = w
                .cmd(&["channel", "close", id, "--force", "--no-wait"])
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(5),
                "{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        self.env.mine(7);
        for (w, id) in [(&self.a, &self.a_channel), (&self.b, &self.b_channel)] {
            let mut closed = w
                .cmd(&["channel", "close", id, "--force", "--no-wait"])
                .output()
                .unwrap();
            // A–S waits 15 blocks, B–S 6: mine until each settlement may go out.
            for _ in 0..12 {
                if closed.status.success() {
                    break;
                }
                self.env.mine(1);
                closed = w
                    .cmd(&["channel", "close", id, "--force", "--no-wait"])
                    .output()
                    .unwrap();
            }
            assert!(
                closed.status.success(),
                "{}",
                String::from_utf8_lossy(&closed.stdout)
            );
        }
        self.env.mine(1);
        let got = (
            value_at(&self.env, &to_node(&self.a, 0)),
            value_at(&self.env, &self.s_to_node[0]),
            value_at(&self.env, &to_node(&self.b, 0)),
            value_at(&self.env, &self.s_to_node[1]),
        );
        assert_eq!(got, expected, "on-chain balances after the force closes");
    }

    /// (client, server) balances of a channel as its client sees it.
    /// Where the processes log their nonce use (with `nonce_log`).
    /// A pays B's address `amount` sat; returns the payment id.
    pub fn pay(&self, amount: u64) -> String {
        let v = self.a.ok(&["pay", &self.address, &amount.to_string()]);
        v["payment_id"].as_str().unwrap().to_owned()
    }

    /// B runs `claim` again, a block mined before each run, until payment `id` is paid (at
    /// most 20 blocks: a claim waiting on chain for its settlement).
    pub fn b_claims_until_paid(&self, id: &str) {
        for _ in 0..20 {
            if status(&self.b, id) == "paid" {
                return;
            }
            self.env.mine(1);
            let _ = self.b.cmd(&["claim"]).output().unwrap();
        }
        assert_eq!(status(&self.b, id), "paid");
    }

    pub fn nonce_log(&self) -> std::path::PathBuf {
        self.env.root.path().join("nonce-use.log")
    }

    pub fn balances(w: &Wallet, id: &str) -> (u64, u64) {
        let v = w.ok(&["channel", "show", id]);
        (
            v["client_sat"].as_u64().unwrap(),
            v["server_sat"].as_u64().unwrap(),
        )
    }

    pub fn a_balances(&self) -> (u64, u64) {
        Self::balances(&self.a, &self.a_channel)
    }

    pub fn b_balances(&self) -> (u64, u64) {
        Self::balances(&self.b, &self.b_channel)
    }
}

/// Runs `w` with `args`, expects failure with exit code `code`, returns the JSON error.
/// The status of payment `id` in `w`'s `payments show`.
pub fn status(w: &Wallet, id: &str) -> String {
    w.ok(&["payments", "show", id])["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub fn fails(w: &Wallet, args: &[&str], code: i32) -> Value {
    let out = w.cmd(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "asyncpay {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

/// This wallet's keys, from its mnemonic (its data dir is not locked between commands).
pub fn keys_of(w: &Wallet) -> asyncpay::keys::WalletKeys {
    let phrase = w.ok(&["wallet", "backup", "--force"])["mnemonic"]
        .as_str()
        .unwrap()
        .to_owned();
    asyncpay::keys::Seed::from_phrase(&phrase)
        .unwrap()
        .keys(bitcoin::Network::Regtest)
}

/// `server init` of `s` as in the story: `shared_delay` 15 for channels clients fund, 6 for
/// channels S funds, a confirmation budget of 1 block (regtest; PROTOCOL.md §4.1: 15 is the
/// least A–S delay that lets S sell into a 6-block B–S channel), one confirmation,
/// listening on 127.0.0.1:`listen_port` when given.
pub fn server_init(s: &Wallet, listen_port: Option<u16>) {
    let init = server_init_args(listen_port);
    s.ok(&init.iter().map(String::as_str).collect::<Vec<_>>());
}

/// [`server_init`] with each `(flag, value)` of `changes` set (its value replaced, or the
/// pair added).
pub fn server_init_with(s: &Wallet, changes: &[(&str, &str)]) {
    let init = server_init_args_with(changes);
    s.ok(&init.iter().map(String::as_str).collect::<Vec<_>>());
}

/// The arguments of [`server_init_with`].
pub fn server_init_args_with(changes: &[(&str, &str)]) -> Vec<String> {
    let mut init = server_init_args(None);
    for (flag, value) in changes {
        match init.iter().position(|a| a == flag) {
            Some(at) => init[at + 1] = (*value).to_owned(),
            None => init.extend([(*flag).to_owned(), (*value).to_owned()]),
        }
    }
    init
}

/// The arguments of [`server_init`] (for a binary other than the one under test too).
pub fn server_init_args(listen_port: Option<u16>) -> Vec<String> {
    let mut init = vec![
        "server".to_owned(),
        "init".to_owned(),
        "--shared-delay".to_owned(),
        "15".to_owned(),
        "--min-shared-delay".to_owned(),
        "2".to_owned(),
        "--inbound-shared-delay".to_owned(),
        "6".to_owned(),
        "--confirmation-budget".to_owned(),
        "1".to_owned(),
        "--min-confirmations".to_owned(),
        "1".to_owned(),
        // B asks for inbound capacity without a channel of its own (regtest only).
        "--inbound".to_owned(),
        "anyone".to_owned(),
    ];
    if let Some(port) = listen_port {
        init.extend(["--listen".to_owned(), format!("127.0.0.1:{port}")]);
    }
    init
}
