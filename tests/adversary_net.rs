//! The network layer under attack (issue 9, items 7, 14, 15, 16a/b), each through the real
//! interfaces: the real S (`server run`) or the real net server on 127.0.0.1, signed HTTP,
//! raw TCP for what no honest client sends. Loads are bounded in count and time.
//!
//! - junk from fresh node ids fills B's mailbox, A's real `pay` still goes through and B is
//!   paid to the satoshi;
//! - 300 idle TCP connections to S under `ulimit -n 256`: S keeps answering, connections over
//!   its cap are closed, idle ones time out;
//! - a flood from one fresh key stamped ahead, and a flood of many fresh keys, lock out
//!   neither the operator nor a channel peer (nor, for the one-key flood, other strangers);
//! - a signed request captured on its way to one server is refused by another;
//! - error text with terminal escape sequences from a hostile server reaches the user
//!   stripped;
//! - a closed channel's server replaced at its URL (another node id) is a warning of
//!   `receive`, which still fetches B's other mailboxes and gets B paid.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asyncpay::keys::NodeId;
use asyncpay::net::auth::{AuthHeader, ReplayLimits};
use asyncpay::net::client::Client;
use asyncpay::net::{serve, AuthState, Authenticated, NetError, ServerConfig, ServerHandle};
use asyncpay::server::mailbox::{
    ItemMeta, Posted, MAX_ITEMS_PER_STRANGER, MAX_STRANGER_ITEMS_PER_RECIPIENT,
};
use axum::routing::{get, post};
use axum::{Json, Router};
use bitcoin::secp256k1::SecretKey;
use serde_json::{json, Value};

mod common;

use common::hostile::{self, agent, forward, node_of, now, secret, server_id, Response};
use common::procs::{command, fund, Env, Server, Wallet, BIN};
use common::story::{keys_of, server_init, Story};

fn signed_get(
    agent: &ureq::Agent,
    base: &str,
    key: &SecretKey,
    server: &NodeId,
    target: &str,
    ts: u64,
) -> (u16, Value) {
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).unwrap();
    let auth = AuthHeader::sign(
        &asyncpay::net::auth::keypair(key),
        server,
        "GET",
        target,
        b"",
        ts,
        nonce,
    )
    .to_string();
    let mut response = agent
        .get(&format!("{base}{target}"))
        .header("authorization", &auth)
        .call()
        .unwrap();
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_vec().unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn api_code(result: Result<Value, NetError>) -> (u16, String, String) {
    match result {
        Err(NetError::Api {
            status,
            code,
            message,
        }) => (status, code, message),
        other => panic!("expected an API error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Item 7: strangers cannot block a real payment by filling B's mailbox.
// ---------------------------------------------------------------------------------------

#[test]
fn junk_from_fresh_keys_does_not_stop_a_real_payment() {
    let st = Story::new(&[]);
    let (a, b) = (&st.a, &st.b);
    let url = st.server.url.clone();
    let b_node: NodeId = b.ok(&["address"])["node_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let junk_target = format!("/v1/mailbox/{b_node}");

    // Twelve fresh node ids (they cost nothing) post as much junk as S lets them.
    let junk = |first: u16, keys: u16| {
        let mut accepted = 0;
        for k in first..first + keys {
            let client = Client::new(&url, secret(0x5a, k), None).unwrap();
            for i in 0..MAX_ITEMS_PER_STRANGER + 2 {
                let posted: Result<Posted, _> =
                    client.post(&junk_target, &json!({"payload": format!("{k:04x}{i:04x}")}));
                match posted {
                    Ok(_) => accepted += 1,
                    Err(NetError::Api { status, code, .. }) if code == "work_required" => {
                        // Once the strangers' share is full, room costs work: junk without
                        // any displaces nothing.
                        assert_eq!(status, 409);
                    }
                    Err(NetError::Api { status, code, .. }) => {
                        // Each stranger only gets a small share.
                        assert_eq!((status, code.as_str()), (409, "sender_limit"));
                        assert!(i >= MAX_ITEMS_PER_STRANGER, "refused after {i}");
                    }
                    Err(e) => panic!("{e}"),
                }
            }
        }
        accepted
    };
    // The share fills; the rest, without work, is refused (work_required).
    assert_eq!(junk(1, 12), MAX_STRANGER_ITEMS_PER_RECIPIENT);
    let b_client = Client::new(&url, keys_of(b).node_secret(), None).unwrap();
    let listed: Vec<ItemMeta> = b_client.get("/v1/mailbox").unwrap();
    // The strangers together never hold more than their share: the rest is kept for senders
    // with something at stake.
    assert_eq!(listed.len(), MAX_STRANGER_ITEMS_PER_RECIPIENT);

    // A (an open channel with S) pays B: the package gets in.
    let paid = a.ok(&["pay", &st.address, "10000"]);
    assert_eq!(paid["status"], "pending");
    let a_node = keys_of(a).node_id();

    // More junk afterwards cannot push A's package out: strangers only displace strangers
    // (and, without work, not even those).
    assert_eq!(junk(100, 12), 0);
    let listed: Vec<ItemMeta> = b_client.get("/v1/mailbox").unwrap();
    assert_eq!(listed.len(), MAX_STRANGER_ITEMS_PER_RECIPIENT + 1);
    assert_eq!(listed.iter().filter(|i| i.sender == a_node).count(), 1);

    // B drops the junk (undecryptable items are another item of issue 9), then receives:
    // sold and claimed, every balance to the satoshi.
    for item in listed.iter().filter(|i| i.sender != a_node) {
        b_client
            .delete(&format!("/v1/mailbox/{}", item.id))
            .unwrap();
    }
    let received = b.ok(&["receive"]);
    assert_eq!(received["payments"][0]["status"], "paid", "{received}");
    assert_eq!(st.b_balances(), (10_000, 290_000));
    a.ok(&["sync"]);
    assert_eq!(st.a_balances(), (189_990, 10_010));
}

// ---------------------------------------------------------------------------------------
// Item 14: idle connections do not starve S.
// ---------------------------------------------------------------------------------------

/// `server run` of `s` under `ulimit -n <nofile>`; killed and reaped on drop.
struct LimitedServer {
    child: Child,
    url: String,
}

impl LimitedServer {
    fn start(s: &Wallet, nofile: u32) -> LimitedServer {
        let mut c = command();
        let chain = format!("regtest:{}", s.chain.display());
        let args = [
            "--json",
            "--datadir",
            s.dir.to_str().unwrap(),
            "--chain",
            &chain,
            "--passphrase-file",
            s.pass.to_str().unwrap(),
            "server",
            "run",
            "--listen",
            "127.0.0.1:0",
            "--watch-interval-ms",
            "100",
        ];
        // Same environment as `command()`, under a shell that lowers the descriptor limit.
        let envs: Vec<_> = c
            .get_envs()
            .map(|(k, v)| (k.to_owned(), v.map(|v| v.to_owned())))
            .collect();
        let mut sh = std::process::Command::new("sh");
        sh.arg("-c")
            .arg(format!("ulimit -n {nofile} && exec \"$0\" \"$@\""))
            .arg(BIN)
            .args(args);
        for (k, v) in envs {
            match v {
                Some(v) => sh.env(k, v),
                None => sh.env_remove(k),
            };
        }
        c = sh;
        c.stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = c.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let doc: Value = serde_json::from_str(&line).expect("the listening line");
        LimitedServer {
            child,
            url: doc["url"].as_str().unwrap().to_owned(),
        }
    }

    fn addr(&self) -> SocketAddr {
        self.url.trim_start_matches("http://").parse().unwrap()
    }
}

impl Drop for LimitedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether the server closed `stream` (EOF or reset) within `wait`.
fn closed_within(stream: &TcpStream, wait: Duration) -> bool {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 64];
    let mut reader = stream;
    match reader.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

#[test]
fn idle_connections_do_not_starve_s() {
    let env = Env::new();
    let s = env.wallet("s");
    server_init(&s, None);
    let a = env.wallet("a");
    let a_keys = keys_of(&a);
    // 256 descriptors, as in the measured attack: S caps connections at 3/4 of it minus 32.
    let server = LimitedServer::start(&s, 256);
    let cap = 256 / 4 * 3 - 32;

    let started = Instant::now();
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(server.addr()).unwrap())
        .collect();
    // S still answers a normal request, open and signed, on a fresh connection.
    let client = Client::new(&server.url, a_keys.node_secret(), None).unwrap();
    let info: Value = client.get("/v1/info").unwrap();
    assert_eq!(info["network"], "regtest");
    let channels: Value = client.get("/v1/channels").unwrap();
    assert_eq!(channels, json!([]));
    // The connections over the cap were closed at once (the oldest idle ones made room).
    let closed = idle
        .iter()
        .filter(|c| closed_within(c, Duration::from_millis(50)))
        .count();
    assert!(closed >= 300 - cap, "{closed} of 300 closed, cap {cap}");
    // The rest time out: an idle connection is closed within the header timeout (10 s).
    for c in &idle {
        let left = Duration::from_secs(14).saturating_sub(started.elapsed());
        assert!(
            closed_within(c, left.max(Duration::from_millis(10))),
            "an idle connection still open after {:?}",
            started.elapsed()
        );
    }
    drop(idle);
    // A slowloris header (bytes trickling in) is cut at the same deadline.
    let mut slow = TcpStream::connect(server.addr()).unwrap();
    let t = Instant::now();
    slow.write_all(b"GET /v1/info HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let mut cut = false;
    for _ in 0..30 {
        std::thread::sleep(Duration::from_millis(500));
        if slow.write_all(b"X-Slow: 1\r\n").is_err() {
            cut = true;
            break;
        }
    }
    assert!(cut || closed_within(&slow, Duration::from_secs(1)));
    assert!(t.elapsed() < Duration::from_secs(14), "{:?}", t.elapsed());
    // And S still serves.
    let info: Value = client.get("/v1/info").unwrap();
    assert_eq!(info["network"], "regtest");
}

// The net server in-process, with short timeouts: body timeouts, and authentication before
// the body is read.

struct NetServer {
    rt: tokio::runtime::Runtime,
    handle: Option<ServerHandle>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl NetServer {
    fn start(config: ServerConfig, auth: AuthState) -> NetServer {
        async fn whoami(Authenticated(node): Authenticated) -> Json<Value> {
            Json(json!({ "node": node }))
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let id = auth.server();
        let router = Router::new()
            .route(
                "/v1/info",
                get(move || async move { Json(json!({ "node_id": id })) }),
            )
            .merge(
                auth.protect(
                    Router::new()
                        .route("/v1/whoami", get(whoami))
                        .route("/v1/echo", post(whoami)),
                ),
            );
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = rt
            .block_on(serve(router, &config, async {
                let _ = rx.await;
            }))
            .unwrap();
        NetServer {
            rt,
            handle: Some(handle),
            stop: Some(tx),
        }
    }

    fn url(&self) -> String {
        self.handle.as_ref().unwrap().url()
    }

    fn addr(&self) -> SocketAddr {
        self.handle.as_ref().unwrap().local_addr()
    }
}

impl Drop for NetServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            let _ = self.rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(15), handle.wait()).await
            });
        }
    }
}

fn ephemeral() -> ServerConfig {
    ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    }
}

fn read_all(stream: &mut TcpStream, wait: Duration) -> String {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn slow_bodies_time_out_and_unauthenticated_bodies_are_never_read() {
    let server_key = secret(0x5a, 900);
    let server_node = node_of(&server_key);
    let net = NetServer::start(
        ServerConfig {
            header_timeout: Duration::from_secs(1),
            body_timeout: Duration::from_secs(1),
            max_connections: 8,
            ..ephemeral()
        },
        AuthState::new(&server_key),
    );
    assert_eq!(net.handle.as_ref().unwrap().max_connections(), 8);

    // A signed request whose body never fully arrives: 408 after the body timeout, closed.
    let body = br#"{"x":1}"#;
    let auth = AuthHeader::sign(
        &asyncpay::net::auth::keypair(&secret(0x5a, 1)),
        &server_node,
        "POST",
        "/v1/echo",
        body,
        now(),
        [1; 16],
    );
    let mut stream = TcpStream::connect(net.addr()).unwrap();
    let t = Instant::now();
    write!(
        stream,
        "POST /v1/echo HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{{\"x\"",
        body.len()
    )
    .unwrap();
    let answer = read_all(&mut stream, Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());

    // An unauthenticated request announcing a large body is refused from its header alone:
    // the 401 comes at once, without the server waiting for (or reading) the body.
    let mut stream = TcpStream::connect(net.addr()).unwrap();
    let t = Instant::now();
    stream
        .write_all(
            b"POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 60000\r\n\r\n",
        )
        .unwrap();
    let answer = read_all(&mut stream, Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("auth_missing"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(
        t.elapsed() < Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );

    // A request signed for another server is refused before its body too.
    let other = AuthHeader::sign(
        &asyncpay::net::auth::keypair(&secret(0x5a, 1)),
        &node_of(&secret(0x5a, 901)),
        "POST",
        "/v1/echo",
        body,
        now(),
        [2; 16],
    );
    let mut stream = TcpStream::connect(net.addr()).unwrap();
    write!(
        stream,
        "POST /v1/echo HTTP/1.1\r\nHost: x\r\nAuthorization: {other}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    let answer = read_all(&mut stream, Duration::from_secs(5));
    assert!(answer.contains("auth_wrong_server"), "{answer}");

    // Eight idle connections fill the cap; a ninth (an honest client) still gets its answer,
    // the oldest idle one is closed for it.
    let idle: Vec<TcpStream> = (0..8)
        .map(|_| TcpStream::connect(net.addr()).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let client = Client::new(&net.url(), secret(0x5a, 2), None).unwrap();
    let me: Value = client.get("/v1/whoami").unwrap();
    assert_eq!(me["node"], node_of(&secret(0x5a, 2)).to_string());
    assert!(closed_within(&idle[0], Duration::from_millis(500)));
    // Idle ones time out after the header timeout.
    for c in &idle {
        assert!(closed_within(c, Duration::from_secs(3)));
    }
}

// ---------------------------------------------------------------------------------------
// Item 15: a request flood does not lock out the operator or channel peers.
// ---------------------------------------------------------------------------------------

#[test]
fn a_flood_from_one_fresh_key_locks_out_no_one_else() {
    let env = Env::new();
    let s = env.wallet("s");
    server_init(&s, None);
    fund(&s, &env, 1_000_000);
    let s_keys = keys_of(&s);
    let server = Server::start(&s);
    let url = server.url.clone();
    let s_node = s_keys.node_id();
    assert_eq!(server_id(&url), s_node);
    // A has a channel with S.
    let a = env.wallet("a");
    fund(&a, &env, 500_000);
    a.ok(&["channel", "open", &url, "200000"]);
    env.mine(1);
    let a_keys = keys_of(&a);

    // The flood: one fresh key, every request stamped as far ahead as S allows (30 s), so
    // that each would stay in the replay cache as long as possible.
    let flood = agent();
    let flooder = secret(0x5a, 7);
    let (mut ok, mut limited) = (0, 0);
    for _ in 0..300 {
        let (status, body) =
            signed_get(&flood, &url, &flooder, &s_node, "/v1/channels", now() + 29);
        match status {
            200 => ok += 1,
            429 => {
                assert_eq!(body["error"]["code"], "rate_limited", "{body}");
                limited += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(
        (ok, limited),
        (100, 200),
        "a stranger's budget is 100 requests"
    );
    // Stamping further ahead is refused outright: the future skew is small.
    let (status, body) = signed_get(&flood, &url, &flooder, &s_node, "/v1/channels", now() + 119);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("auth_stale_timestamp"))
    );

    // Nobody else is locked out: the operator, the channel peer, another stranger, and the
    // operator's CLI.
    let other = agent();
    let (status, body) = signed_get(
        &other,
        &url,
        &s_keys.node_secret(),
        &s_node,
        "/v1/admin/sales",
        now(),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = signed_get(
        &other,
        &url,
        &a_keys.node_secret(),
        &s_node,
        "/v1/channels",
        now(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.as_array().unwrap().len(), 1);
    let (status, body) = signed_get(
        &other,
        &url,
        &secret(0x5a, 8),
        &s_node,
        "/v1/channels",
        now(),
    );
    assert_eq!(status, 200, "{body}");
    let listed = s.ok(&["server", "sales", "list", "--server", &url]);
    assert_eq!(listed["manual"], false, "{listed}");
    // A's real work goes on.
    let shown = a.ok(&["channel", "list"])["channels"].clone();
    assert!(shown.to_string().contains("200000"), "{shown}");
}

#[test]
fn many_fresh_keys_exhaust_only_the_strangers_budget() {
    let server_key = secret(0x5a, 900);
    let server_node = node_of(&server_key);
    let peer = secret(0x5a, 50);
    let peer_node = node_of(&peer);
    let auth = AuthState::new(&server_key)
        .with_limits(ReplayLimits {
            per_node: 1_000,
            per_stranger: 5,
            strangers_total: 60,
        })
        .with_known_nodes(move |n| *n == peer_node);
    let net = NetServer::start(ephemeral(), auth);
    let url = net.url();
    let flood = agent();
    // Twenty fresh keys, five requests each (their own budget), 60 fit the strangers' budget.
    let mut statuses = std::collections::BTreeMap::new();
    for k in 1000..1020u16 {
        for _ in 0..5 {
            let (status, body) = signed_get(
                &flood,
                &url,
                &secret(0x5a, k),
                &server_node,
                "/v1/whoami",
                now() + 29,
            );
            let code = body["error"]["code"].as_str().unwrap_or("ok").to_owned();
            *statuses.entry((status, code)).or_insert(0) += 1;
        }
    }
    assert_eq!(statuses[&(200, "ok".to_owned())], 60, "{statuses:?}");
    assert_eq!(
        statuses[&(429, "server_busy".to_owned())],
        40,
        "{statuses:?}"
    );
    // The operator (the server's own key) and a known peer are not affected.
    let other = agent();
    for key in [&server_key, &peer] {
        for _ in 0..20 {
            let (status, body) = signed_get(&other, &url, key, &server_node, "/v1/whoami", now());
            assert_eq!(status, 200, "{body}");
        }
    }
    // A new stranger waits: 429 server_busy, with Retry-After.
    let mut response = other
        .get(&format!("{url}/v1/whoami"))
        .header(
            "authorization",
            &AuthHeader::sign(
                &asyncpay::net::auth::keypair(&secret(0x5a, 2000)),
                &server_node,
                "GET",
                "/v1/whoami",
                b"",
                now(),
                [3; 16],
            )
            .to_string(),
        )
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = serde_json::from_slice(&response.body_mut().read_to_vec().unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "server_busy");
}

// ---------------------------------------------------------------------------------------
// Item 16a: a request signed for one server is refused by every other.
// ---------------------------------------------------------------------------------------

/// One recorded request: the raw bytes as the client sent them.
type Recorded = Arc<Mutex<Vec<Vec<u8>>>>;

/// A recording proxy in front of `upstream`: every request is recorded (its bytes as sent),
/// forwarded, and answered back.
fn recording_proxy(upstream: String) -> (String, Recorded) {
    let recorded: Recorded = Arc::default();
    let log = recorded.clone();
    let url = hostile::serve(move |request| {
        log.lock().unwrap().push(request.raw());
        forward(&upstream, request)
    });
    (url, recorded)
}

/// Sends raw request bytes on a fresh connection; the whole answer.
fn replay(addr: &str, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr.trim_start_matches("http://")).unwrap();
    let text =
        String::from_utf8_lossy(request).replacen("\r\n\r\n", "\r\nConnection: close\r\n\r\n", 1);
    stream.write_all(text.as_bytes()).unwrap();
    read_all(&mut stream, Duration::from_secs(10))
}

#[test]
fn a_request_captured_for_one_server_is_refused_by_another() {
    let env = Env::new();
    let (s1, s2) = (env.wallet("s1"), env.wallet("s2"));
    server_init(&s1, None);
    server_init(&s2, None);
    let s1_keys = keys_of(&s1);
    let (server1, server2) = (Server::start(&s1), Server::start(&s2));
    let (s1_node, s2_node) = (s1_keys.node_id(), server_id(&server2.url));
    assert_ne!(s1_node, s2_node);

    // A client of S2 (through a recorder: S2, or anyone on the path, keeps the requests).
    let (proxy, recorded) = recording_proxy(server2.url.clone());
    let key = secret(0x5a, 3);
    let client = Client::new(&proxy, key, None).unwrap();
    let listed: Value = client.get("/v1/mailbox").unwrap();
    assert_eq!(listed, json!([]));
    let captured = recorded
        .lock()
        .unwrap()
        .iter()
        .find(|r| r.starts_with(b"GET /v1/mailbox "))
        .cloned()
        .expect("the signed request went through the recorder");
    let text = String::from_utf8_lossy(&captured).into_owned();
    assert!(text.contains(&format!("server={s2_node}")), "{text}");

    // Replayed to S1 (where the same node may well be a client): refused, naming both.
    let answer = replay(&server1.url, &captured);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("auth_wrong_server"), "{answer}");
    assert!(answer.contains(&s2_node.to_string()) && answer.contains(&s1_node.to_string()));
    // Replayed to S2 itself: a replay.
    let answer = replay(&server2.url, &captured);
    assert!(answer.contains("auth_replayed"), "{answer}");

    // The same holds for the operator: S1's operator request, captured, is refused by S2 —
    // and the operator's CLI pointed at S2 by mistake is refused instead of acting there.
    let (proxy1, recorded1) = recording_proxy(server1.url.clone());
    let listed = s1.ok(&["server", "sales", "list", "--server", &proxy1]);
    assert_eq!(listed["sales"], json!([]));
    let captured = recorded1
        .lock()
        .unwrap()
        .iter()
        .find(|r| r.starts_with(b"GET /v1/admin/sales "))
        .cloned()
        .unwrap();
    let answer = replay(&server2.url, &captured);
    assert!(answer.contains("auth_wrong_server"), "{answer}");
    let out = s1
        .cmd(&["server", "sales", "list", "--server", &server2.url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("signed for server"));

    // The operator's `server status`, captured on the way: replayed to S1 it is a replay,
    // to S2 a request signed for another server. What it shows goes to the operator only.
    let status = s1.ok(&["server", "status", "--server", &proxy1]);
    assert_eq!(status["server"], proxy1.as_str());
    let captured = recorded1
        .lock()
        .unwrap()
        .iter()
        .find(|r| r.starts_with(b"GET /v1/admin/status "))
        .cloned()
        .unwrap();
    let answer = replay(&server1.url, &captured);
    assert!(answer.contains("auth_replayed"), "{answer}");
    assert!(!answer.contains("in_flight_sat"), "{answer}");
    let answer = replay(&server2.url, &captured);
    assert!(answer.contains("auth_wrong_server"), "{answer}");

    // A header of the first scheme (no server in it) is refused as such.
    let old = text.replacen("asyncpay-v3 ", "asyncpay-v1 ", 1);
    let answer = replay(&server2.url, old.as_bytes());
    assert!(answer.contains("auth_unsupported_scheme"), "{answer}");
}

// ---------------------------------------------------------------------------------------
// Item 16b: what a hostile server says reaches the terminal without escape sequences.
// ---------------------------------------------------------------------------------------

const EVIL: &str =
    "\u{1b}[2J\u{1b}[H\u{1b}]0;pwned\u{7}all good, \u{1b}[31msend more\u{1b}[0m\r\u{202e}gnirts";

/// A hostile "server": answers every request with 409 and an error body carrying terminal
/// escapes; its /v1/info is hostile too.
fn hostile_server() -> String {
    hostile::serve(|request| {
        if request.target == "/v1/info" {
            Response::json(
                200,
                &json!({
                    "node_id": node_of(&secret(0x5a, 666)),
                    "network": format!("regtest{EVIL}"),
                    "version": EVIL,
                }),
            )
        } else {
            Response::json(
                409,
                &json!({"error": {"code": format!("nope{EVIL}"), "message": EVIL}}),
            )
        }
    })
}

fn has_escapes(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && c != '\n' || matches!(c, '\u{202a}'..='\u{202e}'))
}

#[test]
fn escape_sequences_from_a_hostile_server_are_stripped() {
    let url = hostile_server();
    // The client: the error fields carry no control characters, the words are kept.
    let client = Client::new(&url, secret(0x5a, 1), None).unwrap();
    let (status, code, message) = api_code(client.get("/v1/channels"));
    assert_eq!(status, 409);
    assert!(
        !has_escapes(&code) && !has_escapes(&message),
        "{code:?} {message:?}"
    );
    assert!(
        message.contains("all good") && message.contains("send more"),
        "{message}"
    );
    let info: Value = client.get("/v1/info").unwrap();
    assert!(!has_escapes(info["network"].as_str().unwrap()), "{info}");

    // The CLI, human output, on a terminal-bound stream: nothing but text.
    let env = Env::new();
    let w = env.wallet("w");
    let chain = format!("regtest:{}", w.chain.display());
    let run = |args: &[&str]| {
        let out = command()
            .args(["--datadir", w.dir.to_str().unwrap(), "--chain", &chain])
            .args(["--passphrase-file", w.pass.to_str().unwrap()])
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    // `channel open` reads /v1/info (hostile network name) and then sends its open.
    let (code, text) = run(&["channel", "open", &url, "100000"]);
    assert_ne!(code, Some(0), "{text}");
    assert!(!has_escapes(&text), "{text:?}");
    assert!(text.contains("regtest"), "{text}");
    // An operator command against the hostile server: the 409 message is shown clean.
    let s = env.wallet("s");
    server_init(&s, None);
    let (code, text) = run_as(&s, &["server", "sales", "list", "--server", &url]);
    assert_eq!(code, Some(1), "{text}");
    assert!(!has_escapes(&text), "{text:?}");
    assert!(text.contains("send more"), "{text}");
}

fn run_as(w: &Wallet, args: &[&str]) -> (Option<i32>, String) {
    let chain = format!("regtest:{}", w.chain.display());
    let out = command()
        .args(["--datadir", w.dir.to_str().unwrap(), "--chain", &chain])
        .args(["--passphrase-file", w.pass.to_str().unwrap()])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

// ---------------------------------------------------------------------------------------
// One mailbox server that refuses does not keep B from its other servers' mailboxes.
// ---------------------------------------------------------------------------------------

/// B's `receive` (JSON): the document and every warning of it.
fn receive(b: &Wallet) -> (Value, Vec<String>) {
    let out = b.cmd(&["receive"]).output().unwrap();
    assert!(
        out.status.success(),
        "receive failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings = doc["warnings"]
        .as_array()
        .map(|w| w.iter().map(|l| l.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    (doc, warnings)
}

#[test]
fn a_closed_channels_server_replaced_at_its_url_does_not_stop_receive() {
    let st = Story::new(&[]);
    let (env, a, b) = (&st.env, &st.a, &st.b);
    // B had a channel with S2 (B funded it), closed cooperatively.
    let s2 = env.wallet("s2");
    server_init(&s2, None);
    let server2 = Server::start(&s2);
    let url2 = server2.url.clone();
    let s2_node = server_id(&url2);
    fund(b, env, 200_000);
    let old = common::procs::channel_id(&b.ok(&["channel", "open", &url2, "100000"]));
    env.mine(1);
    b.ok(&["channel", "close", &old, "--fee", "500"]);
    env.mine(1);
    let shown = b.ok(&["channel", "show", &old]);
    assert_ne!(shown["status"], "open", "{shown}");
    // S2 is gone; another server, with another node id, now answers at its URL.
    let port = server2.port();
    drop(server2);
    let s3 = env.wallet("s3");
    server_init(&s3, None);
    fund(&s3, env, 500_000);
    let _server3 = Server::start_with(&s3, &port, &[], None);

    // A pays B through S: B is paid; the server at the old URL is a warning naming it.
    let pid = st.pay(10_000);
    let (received, warnings) = receive(b);
    assert_eq!(received["payments"][0]["payment_id"], pid.as_str());
    assert_eq!(received["payments"][0]["status"], "paid", "{received}");
    assert_eq!(st.b_balances(), (10_000, 290_000));
    a.ok(&["sync"]);
    assert_eq!(st.a_balances(), (189_990, 10_010));
    let refusal = warnings
        .iter()
        .find(|w| w.contains(&url2))
        .unwrap_or_else(|| panic!("no warning names {url2}: {warnings:?}"));
    assert!(refusal.contains(&s2_node.to_string()), "{refusal}");
    assert!(refusal.contains("refusing to talk"), "{refusal}");

    // B opens a channel with the new server at that URL: its mailbox there is asked with
    // the open channel's key, never the closed one's, and nothing is refused.
    let new = common::procs::channel_id(&b.ok(&["channel", "request-inbound", &url2, "100000"]));
    env.mine(1);
    assert_eq!(b.ok(&["channel", "show", &new])["status"], "open");
    let pid = st.pay(5_000);
    let (received, warnings) = receive(b);
    assert_eq!(received["payments"][0]["payment_id"], pid.as_str());
    assert_eq!(received["payments"][0]["status"], "paid", "{received}");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(st.b_balances(), (15_000, 285_000));
    a.ok(&["sync"]);
    assert_eq!(st.a_balances(), (184_985, 15_015));
}
