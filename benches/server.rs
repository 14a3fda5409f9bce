//! State updates per second between clients and S over HTTP on 127.0.0.1: one client, then
//! several clients at once. S is the real server (its core and HTTP API, every state write
//! durable: encrypted, fsync'd, atomically replaced); clients speak the real protocol with
//! signed requests and keep their channels in memory. `cargo bench --bench server`.
//!
//! Also reports S's CPU time per update as a ratio to one BIP340 verification.

mod common;

use std::sync::Arc;
use std::time::Instant;

use asyncpay::chain::source::RegtestSource;
use asyncpay::chain::Ledger;
use asyncpay::eltoo::Party;
use asyncpay::keys::Seed;
use asyncpay::net::client::Client;
use asyncpay::net::server::{AuthState, ServerConfig};
use asyncpay::protocol::{Channel, ChannelId, Message, OpenChannel, WireKeys};
use asyncpay::server::{Replies, ServerCore, ServerSettings};
use asyncpay::store::{DataDir, LockWait, SeedFile};
use bitcoin::{Amount, Network};

const UPDATES: u32 = 200;

fn rand32() -> [u8; 32] {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).unwrap();
    b
}

fn send(client: &Client, m: Message) -> Vec<Message> {
    let body: serde_json::Value = serde_json::from_slice(&m.encode()).unwrap();
    let r: Replies = client.post("/v1/channel-messages", &body).unwrap();
    r.messages
        .iter()
        .map(|v| Message::decode(&serde_json::to_vec(v).unwrap()).unwrap())
        .collect()
}

/// One client with an open, funded channel to S.
struct Peer {
    client: Client,
    channel: Channel,
    funding: secp::Scalar,
}

impl Peer {
    fn open(url: &str, ledger: &Ledger, seed: u8) -> Peer {
        let keys = Seed::generate(&[seed; 32]).keys(Network::Regtest);
        let client = Client::new(url, keys.node_secret(), None).unwrap();
        let secrets = keys.channel(0);
        let open = OpenChannel {
            channel_id: ChannelId(rand32()),
            client_keys: WireKeys::from(&secrets.party_keys()),
            capacity_sat: 1_000_000,
            funder: Party::Client,
            push_sat: 0,
            shared_delay: None,
        };
        let Message::AcceptChannel(accept) = send(&client, Message::OpenChannel(open.clone()))
            .pop()
            .unwrap()
        else {
            panic!("accept")
        };
        let mut peer = Peer {
            client,
            channel: Channel::on_accept_channel(&open, &accept).unwrap(),
            funding: secrets.funding_scalar(),
        };
        peer.update(peer.channel.initial_state());
        let out = peer.channel.params().funding_output().unwrap();
        let outpoint = ledger.fund(&out.script_pubkey, out.value).unwrap();
        let (c, published) = peer.channel.funding_published(outpoint).unwrap();
        peer.channel = c;
        send(&peer.client, Message::FundingPublished(published));
        peer
    }

    fn update(&mut self, next: asyncpay::eltoo::ChannelState) {
        let (c, proposal) = self.channel.propose(next, rand32()).unwrap();
        let Message::UpdateAccept(accept) = send(&self.client, Message::UpdateProposal(proposal))
            .pop()
            .unwrap()
        else {
            panic!("update accept")
        };
        let c = c.on_accept(&accept).unwrap();
        let (c, _) = c.sign(self.funding).unwrap();
        let ours = c.update_signature().unwrap();
        let replies = send(&self.client, Message::UpdateSignature(ours));
        let Some(Message::UpdateSignature(theirs)) = replies.first() else {
            panic!("countersignature")
        };
        self.channel = c.on_signature(theirs).unwrap();
    }

    fn pay(&mut self, sat: u64) {
        let latest = self.channel.latest().unwrap().state.clone();
        self.update(latest.pay(Party::Client, Amount::from_sat(sat)).unwrap());
    }
}

fn cpu_seconds() -> f64 {
    common::cpu_seconds("/proc/self/stat")
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path().join("chain")).unwrap();
    let id_file = dir.path().join("s.identity");
    common::write_identity(&id_file);
    let data = DataDir::open(&dir.path().join("s"), LockWait::Fail).unwrap();
    let store = data.create_with_identity_file(&id_file).unwrap();
    let seed = Seed::generate(&[200; 32]);
    store
        .save(&SeedFile {
            mnemonic: seed.phrase().to_string(),
            network: "regtest".into(),
            created_at: 0,
            bip39_seed: None,
        })
        .unwrap();
    store
        .save(&ServerSettings {
            policy: asyncpay::server::ChannelPolicy {
                minimum_depth: 1,
                ..Default::default()
            },
            ..ServerSettings::default()
        })
        .unwrap();
    let source = RegtestSource::open(dir.path().join("chain")).unwrap();
    let core = Arc::new(
        ServerCore::open(
            store,
            seed.keys(Network::Regtest),
            Network::Regtest,
            Box::new(source),
        )
        .unwrap(),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = runtime.block_on(async {
        let config = ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..ServerConfig::default()
        };
        asyncpay::net::server::serve(
            asyncpay::server::api::router(core.clone(), &AuthState::new(&core.node_secret())),
            &config,
            async {
                let _ = stopped.await;
            },
        )
        .await
        .unwrap()
    });
    let url = handle.url();

    // BIP340 verification baseline, measured in this process.
    let sk = secp::Scalar::try_from([9u8; 32]).unwrap();
    let sig: musig2::LiftedSignature = musig2::sign_solo(sk, [1u8; 32], [2u8; 32]);
    let n = 2_000;
    let t = Instant::now();
    for _ in 0..n {
        musig2::verify_single(sk.base_point_mul(), sig, [1u8; 32]).unwrap();
    }
    let verify_s = t.elapsed().as_secs_f64() / f64::from(n);

    for clients in [1u8, 4, 8] {
        let mut peers: Vec<Peer> = (0..clients)
            .map(|i| Peer::open(&url, &ledger, i + 1))
            .collect();
        ledger.mine(1, None).unwrap();
        for p in &mut peers {
            p.channel = p.channel.on_funding_confirmed(1).unwrap();
            p.pay(1); // S sees the funding confirmed and opens the channel
        }
        let cpu0 = cpu_seconds();
        let t = Instant::now();
        std::thread::scope(|scope| {
            for p in &mut peers {
                scope.spawn(move || {
                    for _ in 0..UPDATES {
                        p.pay(1);
                    }
                });
            }
        });
        let secs = t.elapsed().as_secs_f64();
        let total = u32::from(clients) * UPDATES;
        let cpu = (cpu_seconds() - cpu0) / f64::from(total);
        println!(
            "{clients} client(s): {total} updates in {secs:.2} s = {:.0} updates/s; CPU (S and clients, one process) {:.2} ms per update = {:.0} x BIP340 verify ({:.1} µs)",
            f64::from(total) / secs,
            cpu * 1e3,
            cpu / verify_s,
            verify_s * 1e6
        );
    }
    let _ = stop.send(());
    runtime.block_on(handle.wait()).unwrap();
}
