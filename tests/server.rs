//! The server S and channels with real processes: `server run` on 127.0.0.1 with a random
//! port, client wallets in their own data dirs, the shared regtest ledger. Channels opened
//! both ways, states advanced, a cooperative close, a force close, and a force close from an
//! old backup that S's watcher defeats with the latest state — final on-chain balances
//! checked to the satoshi. Hostile requests get clear errors and change nothing.

use std::process::Stdio;
use std::time::Duration;

use asyncpay::keys::Seed;
use bitcoin::Network;
use serde_json::Value;

mod common;

use common::procs::{
    channel_id, copy_dir, eventually, fund, to_node, value_at, Env, Server, Wallet,
};
use common::story::{server_init, Story, B_FEE_RESERVE};

#[test]
fn channels_with_a_real_server_to_the_satoshi() {
    let env = Env::new();
    let s = env.wallet("s");
    server_init(&s, None);
    fund(&s, &env, 1_000_000);
    // S's to_node script of its channel i (read from S's channel files while it runs).
    let s_to_node = |i: u32| to_node(&s, i);
    let server = Server::start(&s);
    let url = server.url.as_str();
    let info: Value = serde_json::from_str(
        &ureq::get(format!("{url}/v1/info"))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(info["shared_delay"], 15);
    assert_eq!(info["inbound_shared_delay"], 6);
    assert_eq!(info["confirmation_budget"], 1);

    // A funds a channel to S; state 0 is signed before the funding is published.
    let a = env.wallet("a");
    fund(&a, &env, 500_000);
    let opened = a.ok(&["channel", "open", url, "200000"]);
    assert_eq!(opened["status"], "awaiting_funding");
    let a1 = channel_id(&opened);
    env.mine(1);
    let listed = a.ok(&["channel", "list"])["channels"].clone();
    assert_eq!(listed[0]["status"], "open");

    // States advance; a backup is taken at state 1.
    let s1 = a.ok(&["channel", "push", &a1, "10000"]);
    assert_eq!(
        (s1["state"].as_u64(), s1["client_sat"].as_u64()),
        (Some(1), Some(190_000))
    );
    let backup = env.root.path().join("a-backup");
    copy_dir(&a.dir, &backup);
    let s2 = a.ok(&["channel", "push", &a1, "20000"]);
    assert_eq!(
        (s2["state"].as_u64(), s2["server_sat"].as_u64()),
        (Some(2), Some(30_000))
    );

    // B asks S for inbound capacity: S funds it from its wallet.
    let b = env.wallet("b");
    fund(&b, &env, B_FEE_RESERVE);
    let inbound = b.ok(&["channel", "request-inbound", url, "300000"]);
    assert_eq!(inbound["server_sat"], 300_000);
    env.mine(1);
    let b1 = channel_id(&b.ok(&["channel", "list"])["channels"].clone()[0]);

    // A second A channel, closed cooperatively (A pays the 500 sat fee).
    let a2 = channel_id(&a.ok(&["channel", "open", url, "100000"]));
    env.mine(1);
    a.ok(&["channel", "push", &a2, "5000"]);
    a.ok(&["channel", "close", &a2, "--fee", "500"]);
    env.mine(1);
    assert_eq!(value_at(&env, &to_node(&a, 1)), 94_500);
    assert_eq!(value_at(&env, &s_to_node(2)), 5_000);

    // A, restored from the old backup, force-closes with state 1. S's watcher rebinds the
    // latest state 2 over it and settles it after the delay.
    let old = Wallet {
        dir: backup,
        ..a.clone()
    };
    let out = old
        .cmd(&["channel", "close", &a1, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // S rebinds state 2 over the old update (whether it sees it in the mempool or
    // confirmed) and publishes state 2's settlement after shared_delay blocks.
    eventually("S to settle state 2", || {
        env.mine(1);
        std::thread::sleep(Duration::from_millis(100));
        value_at(&env, &s_to_node(0)) > 0
    });
    assert_eq!(value_at(&env, &to_node(&a, 0)), 170_000);
    assert_eq!(value_at(&env, &s_to_node(0)), 30_000);
    let shown = a.ok(&["channel", "show", &a1]);
    assert_eq!(shown["status"], "closed");

    // B force-closes its channel alone: the latest update, the delay, the settlement.
    let out = b
        .cmd(&["channel", "close", &b1, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    for _ in 0..7 {
        env.mine(1);
    }
    let closed = b.ok(&["channel", "close", &b1, "--force", "--no-wait"]);
    assert_eq!(closed["state"], 0);
    env.mine(1);
    assert_eq!(value_at(&env, &s_to_node(1)), 300_000);
    drop(server);
}

#[test]
fn hostile_requests_get_clear_errors_and_change_nothing() {
    let env = Env::new();
    let s = env.wallet("s");
    s.ok(&["server", "init", "--min-confirmations", "1"]);
    let server = Server::start(&s);
    let url = server.url.clone();
    let a = env.wallet("a");
    fund(&a, &env, 300_000);
    let a1 = channel_id(&a.ok(&["channel", "open", &url, "100000"]));
    env.mine(1);

    // Another node tries to act on A's channel.
    let mallory = bitcoin::secp256k1::SecretKey::from_slice(&[7u8; 32]).unwrap();
    let client = asyncpay::net::client::Client::new(&url, mallory, None).unwrap();
    let proposal = serde_json::json!({
        "version": 1, "type": "funding_published",
        "body": {"channel_id": a1, "funding_outpoint": format!("{}:0", "00".repeat(32))}
    });
    let err = client
        .post::<_, Value>("/v1/channel-messages", &proposal)
        .unwrap_err();
    assert!(err.to_string().contains("unknown_channel"), "{err}");
    let mine: Vec<Value> = client.get("/v1/channels").unwrap();
    assert!(mine.is_empty(), "a stranger sees no channel");

    // Malformed and unknown-version messages.
    for (body, code) in [
        (serde_json::json!({"hello": 1}), "invalid_message"),
        (
            serde_json::json!({"version": 9, "type": "x", "body": {}}),
            "invalid_message",
        ),
    ] {
        let err = client
            .post::<_, Value>("/v1/channel-messages", &body)
            .unwrap_err();
        assert!(err.to_string().contains(code), "{err}");
    }
    // Oversized body.
    let big = serde_json::json!({ "pad": "x".repeat(100_000) });
    let err = client
        .post::<_, Value>("/v1/channel-messages", &big)
        .unwrap_err();
    assert!(err.to_string().contains("body_too_large"), "{err}");
    // Unsigned request.
    let status = ureq::post(format!("{url}/v1/channel-messages"))
        .header("content-type", "application/json")
        .send(proposal.to_string().as_bytes())
        .map(|r| r.status().as_u16())
        .unwrap_or_else(|e| match e {
            ureq::Error::StatusCode(c) => c,
            other => panic!("{other}"),
        });
    assert_eq!(status, 401);

    // A's channel is intact and usable.
    let pushed = a.ok(&["channel", "push", &a1, "1000"]);
    assert_eq!(pushed["state"], 1);
}

/// S is killed with SIGKILL at random points while a client advances states, and restarted,
/// many times. Afterwards the client and S agree on the latest state, the channel still
/// works and force-closes to the satoshi, and the nonce-use log shows no secret nonce that
/// signed two different messages (client and S both log to it).
#[test]
fn sigkill_of_s_during_updates_loses_nothing() {
    let env = Env::new();
    let log = env.root.path().join("nonce-use.log");
    let s = env.wallet("s");
    server_init(&s, None);
    let a = env.wallet("a");
    fund(&a, &env, 400_000);
    let mut server = Server::start_with(&s, "0", &[], Some(&log));
    let id = channel_id(&a.ok(&["channel", "open", &server.url, "200000"]));
    env.mine(1);
    let s_to_node = to_node(&s, 0);
    let phrase = a.ok(&["wallet", "backup", "--force"])["mnemonic"]
        .as_str()
        .unwrap()
        .to_owned();
    let a_keys = Seed::from_phrase(&phrase).unwrap().keys(Network::Regtest);

    let push = |_url: &str| {
        let mut c = a.cmd(&["channel", "push", &id, "1000"]);
        c.env("ASYNCPAY_TEST_NONCE_LOG", &log)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };
    for i in 0..20u64 {
        // A push races with the kill at a different point each round; S restarts on the
        // same port (the client keeps the URL it opened the channel with).
        let port = server.port();
        let mut client = push(&server.url).spawn().unwrap();
        std::thread::sleep(Duration::from_micros((i * 7_919) % 60_000));
        let _ = server.child.kill();
        let _ = server.child.wait();
        let _ = client.wait();
        // Restart S on the same port (the client stored this URL).
        server = Server::start_with(&s, &port, &[], Some(&log));
        // The next push completes (recovering an interrupted update first).
        let mut c = a.cmd(&["channel", "push", &id, "1000"]);
        c.env("ASYNCPAY_TEST_NONCE_LOG", &log);
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "round {i}: push after restart failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }

    // Client and S agree on the latest state.
    let mine = a.ok(&["channel", "show", &id]);
    let client =
        asyncpay::net::client::Client::new(&server.url, a_keys.node_secret(), None).unwrap();
    let theirs: Vec<Value> = client.get("/v1/channels").unwrap();
    assert_eq!(theirs[0]["state"], mine["state"]);
    assert_eq!(theirs[0]["client_sat"], mine["client_sat"]);
    let pushes = 200_000 - mine["client_sat"].as_u64().unwrap();
    assert!(pushes >= 20_000 && pushes % 1_000 == 0, "{pushes}");

    // No secret nonce signed two different messages.
    let text = std::fs::read_to_string(&log).unwrap();
    let mut seen = std::collections::HashMap::new();
    for line in text.lines() {
        let (nonce, msg) = line.split_once(' ').unwrap();
        let first = seen
            .entry(nonce.to_owned())
            .or_insert_with(|| msg.to_owned());
        assert_eq!(first, msg, "nonce {nonce} signed two messages");
    }
    assert!(seen.len() >= 40, "both sides logged: {}", seen.len());

    // The channel force-closes to the satoshi with the agreed state.
    drop(server);
    let out = a
        .cmd(&["channel", "close", &id, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    env.mine(16); // A funded the channel: the 15-block delay of client-funded channels
    a.ok(&["channel", "close", &id, "--force", "--no-wait"]);
    env.mine(1);
    assert_eq!(value_at(&env, &to_node(&a, 0)), 200_000 - pushes);
    assert_eq!(value_at(&env, &s_to_node), pushes);
}

/// `server run` over HTTPS with a self-signed certificate: a client that trusts it with
/// `--server-ca` opens a channel; one that does not gets a TLS error.
#[test]
fn https_server_with_a_self_signed_certificate() {
    let env = Env::new();
    let s = env.wallet("s");
    s.ok(&["server", "init", "--min-confirmations", "1"]);
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let cert_pem = env.root.path().join("cert.pem");
    let key_pem = env.root.path().join("key.pem");
    std::fs::write(&cert_pem, cert.pem()).unwrap();
    std::fs::write(&key_pem, signing_key.serialize_pem()).unwrap();
    let cert = cert_pem.to_str().unwrap();
    let key = key_pem.to_str().unwrap();
    let server = Server::start_with(&s, "0", &["--tls-cert", cert, "--tls-key", key], None);
    assert!(server.url.starts_with("https://"));
    let a = env.wallet("a");
    fund(&a, &env, 300_000);
    let out = a
        .cmd(&["channel", "open", &server.url, "100000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("certificate"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let opened = a.ok(&[
        "--server-ca",
        cert_pem.to_str().unwrap(),
        "channel",
        "open",
        &server.url,
        "100000",
    ]);
    assert_eq!(opened["status"], "awaiting_funding");

    // The operator's `server status` trusts the config file's server_ca too.
    let status = |config: Option<&std::path::Path>| {
        let mut c = s.cmd(&["server", "status", "--server", &server.url]);
        if let Some(config) = config {
            c.arg("--config").arg(config);
        }
        c.output().unwrap()
    };
    assert!(!status(None).status.success());
    let config = env.root.path().join("config.toml");
    std::fs::write(&config, format!("server_ca = \"{}\"\n", cert_pem.display())).unwrap();
    let out = status(Some(&config));
    assert!(out.status.success(), "{out:?}");
}

/// S is killed at random points while clients open channels, and restarted, many times.
/// Afterwards every funded channel is usable (the client tells S its funding again), every
/// unfunded one is abandoned with nothing on chain, and the client's coins add up: wallet
/// balance + funded capacities + fees = what the faucet paid.
#[test]
fn sigkill_of_s_during_channel_open_loses_nothing() {
    let env = Env::new();
    let s = env.wallet("s");
    s.ok(&[
        "server",
        "init",
        "--min-confirmations",
        "1",
        "--min-shared-delay",
        "2",
    ]);
    let a = env.wallet("a");
    fund(&a, &env, 2_000_000);
    let mut server = Server::start(&s);
    let url = server.url.clone();
    let port = server.port();
    for i in 0..10u64 {
        let mut client = a
            .cmd(&["channel", "open", &url, "50000"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros((i * 6_151) % 45_000));
        let _ = server.child.kill();
        let _ = server.child.wait();
        let _ = client.wait();
        server = Server::start_with(&s, &port, &[], None);
    }
    env.mine(1);
    let channels = a.ok(&["channel", "list"])["channels"].clone();
    let mut funded = 0u64;
    for ch in channels.as_array().unwrap() {
        let id = channel_id(ch);
        if ch["funding_outpoint"].is_null() {
            let closed = a.ok(&["channel", "close", &id]);
            assert_eq!(closed["status"], "abandoned");
        } else {
            funded += ch["capacity_sat"].as_u64().unwrap();
            let pushed = a.ok(&["channel", "push", &id, "1000"]);
            assert_eq!(pushed["state"], 1, "funded channel {id} is usable");
        }
    }
    let fees: u64 = a.ok(&["wallet", "transactions"])["transactions"]
        .clone()
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["fee_sat"].as_u64())
        .sum();
    let balance = a.ok(&["wallet", "balance"])["total_sat"].as_u64().unwrap();
    eprintln!(
        "{} channels after the kills, {} sat funded",
        channels.as_array().unwrap().len(),
        funded
    );
    assert_eq!(balance + funded + fees, 2_000_000);
    // And a new channel opens normally.
    a.ok(&["channel", "open", &url, "50000"]);
    drop(server);
}

/// `server run` logs one line per request on stderr (method, path, status, the signing
/// node) and never a secret of the run: not the payee's claim scalar, not a mnemonic or a
/// node key, not a request body. Its stdout stays the one listening line.
#[test]
fn the_request_log_has_one_line_per_request_and_no_secrets() {
    let st = Story::logged(&[]);
    let pid = st.pay(10_000);
    let received = st.b.ok(&["receive"]);
    assert_eq!(received["payments"][0]["status"], "paid", "{received}");
    st.a.ok(&["sync"]);

    // Stop S so that its log is complete (and its wallet can be backed up).
    let Story { mut server, .. } = st;
    let _ = server.child.kill();
    let _ = server.child.wait();

    // The secrets of the run: the claim scalar s_A B revealed to S (in a request body) and
    // S's signatures, from S's record of the payment; what B's `payments show` has under a
    // secret-sounding name; the mnemonics and node keys of A, B and S.
    let pass = std::fs::read_to_string(&st.s.pass).unwrap();
    let record: asyncpay::server::payments::ServerPayment =
        asyncpay::store::ReadOnlyDir::open(&st.s.dir)
            .unwrap()
            .unlock(&asyncpay::store::Unlock::Passphrase(
                age::secrecy::SecretString::from(pass.trim_end().to_owned()),
            ))
            .unwrap()
            .load_keyed(&pid)
            .unwrap()
            .unwrap();
    let scalar = record.scalar.clone().expect("B claimed: S knows s_A");
    let mut secrets = vec![scalar];
    secrets.extend(record.adaptor_signature.clone());
    secrets.extend(record.server_partial.clone());
    collect_secrets(&st.b.ok(&["payments", "show", &pid]), &mut secrets);
    for w in [&st.a, &st.b, &st.s] {
        let phrase = w.ok(&["wallet", "backup", "--force"])["mnemonic"]
            .as_str()
            .unwrap()
            .to_owned();
        let keys = Seed::from_phrase(&phrase).unwrap().keys(Network::Regtest);
        secrets.push(hex_of(&keys.node_secret().secret_bytes()));
        secrets.push(phrase);
    }

    let log = std::fs::read_to_string(st.env.root.path().join("server.log")).unwrap();
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "the log has a secret: {log}"
        );
    }
    let requests: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" /v1/") && l.contains(" node="))
        .collect();
    // A's open, B's inbound request, A's payment, B's receive, A's sync: many requests.
    assert!(requests.len() >= 5, "{log}");
    for line in &requests {
        assert!(line.contains(" INFO ") || line.contains(" WARN "), "{line}");
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = words
            .iter()
            .position(|w| ["GET", "POST", "PUT", "DELETE"].contains(w))
            .unwrap_or_else(|| panic!("no method: {line}"));
        assert!(words[at + 1].starts_with("/v1/"), "{line}");
        let status: u16 = words[at + 2].parse().unwrap();
        assert!((200..600).contains(&status), "{line}");
        assert!(line.ends_with("ms"), "{line}");
    }
    // B's sale and claim, one line each (their bodies carried the scalar and signatures).
    for route in [
        "POST /v1/payments/sell 200 ",
        "POST /v1/payments/claim 200 ",
    ] {
        let n = requests.iter().filter(|l| l.contains(route)).count();
        assert_eq!(n, 1, "{route}: {log}");
    }
    // The signed requests name their node, abbreviated.
    assert!(
        requests
            .iter()
            .any(|l| l.contains(" POST ") && !l.contains("node=-")),
        "{log}"
    );
}

/// Every string under a key that names a secret (scalar, secret, nonce, signature).
fn collect_secrets(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let secret = ["scalar", "secret", "nonce", "signature"]
                    .iter()
                    .any(|s| k.contains(s));
                match v {
                    Value::String(s) if secret && s.len() >= 16 => out.push(s.clone()),
                    _ => collect_secrets(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_secrets(v, out)),
        _ => {}
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A running `server run --standby` of `w` on 127.0.0.1:`port`, its stderr to `log`, and
/// the lines it prints (sent as they come: the first once it serves, or its error).
fn standby(
    w: &Wallet,
    port: u16,
    log: &std::path::Path,
) -> (Server, std::sync::mpsc::Receiver<String>) {
    use std::io::BufRead;
    let mut c = Server::command(w, &port.to_string(), Some(log));
    c.arg("--standby");
    let mut child = c.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let url = format!("http://127.0.0.1:{port}");
    (Server { child, url }, rx)
}

/// Raw request bytes sent again on a fresh connection; the whole answer.
fn send_again(url: &str, request: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(url.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let text =
        String::from_utf8_lossy(request).replacen("\r\n\r\n", "\r\nConnection: close\r\n\r\n", 1);
    stream.write_all(text.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

/// Several copies of S on machines of their own, one PostgreSQL schema (ADR 0018): S1
/// serves, copies S2 and S3 of its data dir stand by. A payment starts through S1; S1 dies;
/// S2 takes over, serves only once every request S1 could have accepted is stamped too
/// early to pass (S1's replay journal is on S1's machine: a request captured on its way to
/// S1 is refused by S2), and the payment completes through it to the satoshi. S1 started
/// again without `--standby` is refused. Then S2 loses its session and someone else holds
/// the schema's lock before S2 can take it again: S2 stops writing and ends instead of
/// acting on what it holds in memory; S3 stands by while the lock is held, takes over
/// when it is let go, and the next payment goes through it.
/// Runs in `.ci/run`'s second pass, where every wallet's records are in PostgreSQL.
#[test]
fn standby_copies_of_s_take_over_one_after_another_and_nothing_is_lost() {
    let Ok(db_url) = std::env::var("ASYNCPAY_TEST_DATABASE") else {
        eprintln!("skipped: needs S's records in PostgreSQL (ASYNCPAY_TEST_DATABASE)");
        return;
    };
    let port = common::procs::free_port();
    let mut st = Story::with(Some(port), &[], false);
    let root = st.env.root.path().to_path_buf();
    let copy = |name: &str| {
        let dir = root.join(name);
        copy_dir(&st.s.dir, &dir);
        Wallet {
            dir,
            ..st.s.clone()
        }
    };
    let (s2, s3) = (copy("s2"), copy("s3"));

    // A copy started plainly while S1 writes is refused, and told about --standby.
    let out = s2
        .cmd(&["server", "run", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("--standby"), "{text}");

    let log2 = root.join("s2.log");
    let (mut server2, serving2) = standby(&s2, port, &log2);
    eventually("S2 standing by", || {
        std::fs::read_to_string(&log2).is_ok_and(|l| l.contains("standing by"))
    });

    // A pays while B is offline, through S1. A stranger's request on its way to S1 is
    // captured.
    let pid = st.pay(10_000);
    let recorded = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let proxy = {
        let (recorded, upstream) = (recorded.clone(), st.server.url.clone());
        common::hostile::serve(move |request| {
            recorded.lock().unwrap().push(request.raw());
            common::hostile::forward(&upstream, request)
        })
    };
    let stranger =
        asyncpay::net::client::Client::new(&proxy, common::hostile::secret(0x5b, 1), None).unwrap();
    let refused = stranger.post::<_, Value>("/v1/payments/cancel", &serde_json::json!({}));
    assert!(refused.is_err(), "{refused:?}");
    let captured = recorded
        .lock()
        .unwrap()
        .iter()
        .find(|r| r.starts_with(b"POST /v1/payments/cancel "))
        .cloned()
        .expect("the stranger's request went through the recorder");
    assert!(serving2.try_recv().is_err(), "S2 serves while S1 writes");

    // S1 dies. S2 takes over, and serves once S1's requests are stamped too early.
    let _ = st.server.child.kill();
    let _ = st.server.child.wait();
    let listening: Value = serde_json::from_str(
        &serving2
            .recv_timeout(Duration::from_secs(120))
            .expect("S2 serves"),
    )
    .unwrap();
    assert_eq!(listening["url"], st.server.url.as_str());
    let log = std::fs::read_to_string(&log2).unwrap();
    assert!(log.contains("took over the records"), "{log}");
    let answer = send_again(&server2.url, &captured);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("auth_before_takeover"), "{answer}");

    // The payment completes through S2.
    let received = st.b.ok(&["receive"]);
    assert_eq!(received["payments"][0]["payment_id"], pid.as_str());
    assert_eq!(received["payments"][0]["status"], "paid", "{received}");
    let synced = st.a.ok(&["sync"]);
    assert_eq!(synced["payments"][0]["status"], "paid", "{synced}");
    assert_eq!(st.a_balances(), (189_990, 10_010));
    assert_eq!(st.b_balances(), (10_000, 290_000));

    // S1 started again beside S2 is refused.
    let out =
        st.s.cmd(&["server", "run", "--listen", "127.0.0.1:0"])
            .output()
            .unwrap();
    assert_eq!(out.status.code(), Some(6), "{out:?}");

    // S2's session ends (a network cut, say) and another session holds the schema's lock
    // before S2 can take it again: S2 stops.
    let schema = std::fs::read_to_string(s2.dir.join(asyncpay::store::DATABASE_FILE))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("schema "))
        .unwrap()
        .to_owned();
    let mut admin = postgres::Client::connect(&db_url, postgres::NoTls).unwrap();
    let key = "pg_catalog.hashtextextended($1::text, 7::int8)";
    // S2 may make its session again before ours takes the lock: its new one is ended too.
    let locked = (0..100).any(|_| {
        admin
            .query(
                &format!(
                    "SELECT pg_catalog.pg_terminate_backend(pid, 5000) FROM pg_catalog.pg_locks \
                     WHERE locktype = 'advisory' AND granted AND objsubid = 1 \
                     AND classid = (({key} >> 32) & 4294967295)::oid \
                     AND objid = ({key} & 4294967295)::oid"
                ),
                &[&schema],
            )
            .unwrap();
        admin
            .query_one(
                &format!("SELECT pg_catalog.pg_try_advisory_lock({key})"),
                &[&schema],
            )
            .unwrap()
            .get(0)
    });
    assert!(locked, "the test never held the schema's lock");
    let ended = (0..300).find_map(|_| {
        std::thread::sleep(Duration::from_millis(100));
        server2.child.try_wait().unwrap()
    });
    let ended = ended.expect("S2 stops once another holds its records");
    assert!(!ended.success());
    let log = std::fs::read_to_string(&log2).unwrap();
    assert!(log.contains("took over the records database"), "{log}");

    // S3 stands by while the lock is held; let go, S3 takes over, and the next payment goes
    // through it.
    let log3 = root.join("s3.log");
    let (server3, serving3) = standby(&s3, port, &log3);
    eventually("S3 standing by", || {
        std::fs::read_to_string(&log3).is_ok_and(|l| l.contains("standing by"))
    });
    assert!(
        serving3.try_recv().is_err(),
        "S3 serves while the lock is held"
    );
    drop(admin);
    serving3
        .recv_timeout(Duration::from_secs(120))
        .expect("S3 serves");
    let pid = st.pay(5_000);
    let received = st.b.ok(&["receive"]);
    assert_eq!(received["payments"][0]["payment_id"], pid.as_str());
    assert_eq!(received["payments"][0]["status"], "paid", "{received}");
    assert_eq!(st.a.ok(&["sync"])["payments"][0]["status"], "paid");
    assert_eq!(st.a_balances(), (184_985, 15_015));
    assert_eq!(st.b_balances(), (15_000, 285_000));

    // S3 dies; S1, started plainly, finds that another copy wrote since it did, and waits
    // out S3's requests as a standby does: one captured on its way to S3 is refused.
    stranger
        .post::<_, Value>("/v1/payments/cancel", &serde_json::json!({}))
        .unwrap_err();
    let captured = recorded
        .lock()
        .unwrap()
        .iter()
        .rfind(|r| r.starts_with(b"POST /v1/payments/cancel "))
        .cloned()
        .unwrap();
    drop(server3);
    let log1 = root.join("s1.log");
    let port = port.to_string();
    st.server = Server::start_logged(&st.s, &port, &[], None, Some(&log1));
    let log = std::fs::read_to_string(&log1).unwrap();
    assert!(log.contains("another copy of this data dir wrote"), "{log}");
    let answer = send_again(&st.server.url, &captured);
    assert!(answer.contains("auth_before_takeover"), "{answer}");
    // Started again, S1 was the last to write: it serves at once.
    let _ = st.server.child.kill();
    let _ = st.server.child.wait();
    st.server = Server::start_logged(&st.s, &port, &[], None, Some(&log1));
    let log = std::fs::read_to_string(&log1).unwrap();
    assert!(
        !log.contains("another copy") && !log.contains("serving in"),
        "{log}"
    );
    st.a.ok(&["sync"]);
    assert_eq!(st.a_balances(), (184_985, 15_015));
}

/// A standby follows the records forward while it waits (ADR 0018): someone who can write
/// the database puts back an older copy of the schema once the writer is gone, so that S
/// would sign from older states. The standby refuses it and ends, instead of taking it over.
/// Runs in `.ci/run`'s second pass, where every wallet's records are in PostgreSQL.
#[test]
fn a_standby_refuses_records_older_than_it_saw() {
    let Ok(db_url) = std::env::var("ASYNCPAY_TEST_DATABASE") else {
        eprintln!("skipped: needs S's records in PostgreSQL (ASYNCPAY_TEST_DATABASE)");
        return;
    };
    let port = common::procs::free_port();
    let mut st = Story::with(Some(port), &[], false);
    let root = st.env.root.path().to_path_buf();
    let s2 = Wallet {
        dir: root.join("s2"),
        ..st.s.clone()
    };
    copy_dir(&st.s.dir, &s2.dir);
    let schema = std::fs::read_to_string(s2.dir.join(asyncpay::store::DATABASE_FILE))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("schema "))
        .unwrap()
        .to_owned();
    let mut admin = postgres::Client::connect(&db_url, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!(
            "CREATE TEMP TABLE old_records AS SELECT * FROM {schema}.records; \
             CREATE TEMP TABLE old_meta AS SELECT * FROM {schema}.meta;"
        ))
        .unwrap();
    let log2 = root.join("s2.log");
    let (mut server2, serving2) = standby(&s2, port, &log2);
    eventually("S2 standing by", || {
        std::fs::read_to_string(&log2).is_ok_and(|l| l.contains("standing by"))
    });
    st.pay(10_000);
    // S2 reads the records again between two tries (about every 4 s). Then the old copy is
    // put back under S1 (which refuses it and keeps its lock), and S1 is killed.
    std::thread::sleep(Duration::from_secs(10));
    admin
        .batch_execute(&format!(
            "BEGIN; DELETE FROM {schema}.records; \
             INSERT INTO {schema}.records SELECT * FROM old_records; \
             DELETE FROM {schema}.meta; INSERT INTO {schema}.meta SELECT * FROM old_meta; COMMIT;"
        ))
        .unwrap();
    let _ = st.server.child.kill();
    let _ = st.server.child.wait();
    let ended = (0..300).find_map(|_| {
        std::thread::sleep(Duration::from_millis(100));
        server2.child.try_wait().unwrap()
    });
    let ended = ended.expect("S2 took the old records over");
    assert!(!ended.success());
    std::thread::sleep(Duration::from_millis(200));
    let out: String = serving2.try_iter().collect();
    assert!(!out.contains("\"url\""), "S2 served: {out}");
    assert!(out.contains("tampered"), "{out}");
}
