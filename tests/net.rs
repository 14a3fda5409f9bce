//! The authenticated HTTP layer end to end: a real server on 127.0.0.1 (random port), the real
//! blocking client, and raw HTTP requests for the attacks the client would never make.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use asyncpay::keys::NodeId;
use asyncpay::net::auth::AuthHeader;
use asyncpay::net::server::DEFAULT_MAX_BODY_BYTES;
use asyncpay::net::{
    serve, ApiError, ApiJson, AuthState, Authenticated, Client, NetError, ServerConfig,
    ServerHandle, TlsFiles,
};
use axum::routing::{get, post};
use axum::{Json, Router};
use bitcoin::secp256k1::{Secp256k1, SecretKey};
use serde_json::{json, Value};

fn secret(byte: u8) -> SecretKey {
    SecretKey::from_slice(&[byte; 32]).unwrap()
}

fn node_of(secret: &SecretKey) -> NodeId {
    NodeId(secret.public_key(&Secp256k1::signing_only()))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The test server's identity: requests are signed for this node id.
fn server_node() -> NodeId {
    node_of(&secret(99))
}

async fn info() -> Json<Value> {
    Json(json!({"version": 1, "name": "asyncpay-test", "node_id": server_node()}))
}

async fn echo(Authenticated(node): Authenticated, ApiJson(body): ApiJson<Value>) -> Json<Value> {
    Json(json!({"node": node, "body": body}))
}

async fn whoami(Authenticated(node): Authenticated) -> Json<Value> {
    Json(json!({"node": node}))
}

async fn forbidden(Authenticated(node): Authenticated) -> Result<Json<Value>, ApiError> {
    Err(ApiError::forbidden(
        "not_your_channel",
        format!("node {node} is not a party of this channel"),
    ))
}

async fn slow(Authenticated(_): Authenticated) -> Json<Value> {
    tokio::time::sleep(Duration::from_millis(700)).await;
    Json(json!({"done": true}))
}

async fn boom() -> Json<Value> {
    panic!("secret-looking detail that must not reach the client")
}

/// The test router: open `GET /v1/info` and `GET /v1/panic`; everything else signed.
fn router(auth: &AuthState) -> Router {
    let signed = auth.protect(
        Router::new()
            .route("/v1/echo", post(echo))
            .route("/v1/whoami", get(whoami))
            .route("/v1/forbidden", get(forbidden))
            .route("/v1/slow", get(slow)),
    );
    Router::new()
        .route("/v1/info", get(info))
        .route("/v1/panic", get(boom))
        .merge(signed)
}

/// A server on its own runtime; stopped (and awaited) on `stop` or drop.
struct TestServer {
    rt: tokio::runtime::Runtime,
    handle: Option<ServerHandle>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestServer {
    fn start(config: ServerConfig, auth: AuthState) -> TestServer {
        TestServer::serving(config, router(&auth))
    }

    fn serving(config: ServerConfig, router: Router) -> TestServer {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = rt
            .block_on(serve(router, &config, async {
                let _ = rx.await;
            }))
            .unwrap();
        TestServer {
            rt,
            handle: Some(handle),
            stop: Some(tx),
        }
    }

    fn plain() -> TestServer {
        TestServer::start(ephemeral(), AuthState::new(&secret(99)))
    }

    fn url(&self) -> String {
        self.handle.as_ref().unwrap().url()
    }

    fn addr(&self) -> SocketAddr {
        self.handle.as_ref().unwrap().local_addr()
    }

    fn client(&self, key: u8) -> Client {
        Client::new(&self.url(), secret(key), None).unwrap()
    }

    /// Signals shutdown and waits for the server task to end.
    fn stop(mut self) -> Result<(), NetError> {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> Result<(), NetError> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        match self.handle.take() {
            Some(handle) => self.rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(15), handle.wait())
                    .await
                    .expect("the server stops within 15 s")
            }),
            None => Ok(()),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.stop_inner();
    }
}

fn ephemeral() -> ServerConfig {
    ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    }
}

/// A raw request (no signing logic of the client): returns status, JSON body, headers.
fn raw(
    url: &str,
    method: &str,
    target: &str,
    auth: Option<&str>,
    body: &[u8],
) -> (u16, Value, ureq::http::HeaderMap) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let full = format!("{url}{target}");
    let mut response = match method {
        "GET" => {
            let mut req = agent.get(&full);
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            req.call().unwrap()
        }
        "POST" => {
            let mut req = agent.post(&full).content_type("application/json");
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            req.send(body).unwrap()
        }
        other => panic!("method {other}"),
    };
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.body_mut().read_to_string().unwrap();
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("status {status}: body is not JSON ({e}): {text}"));
    (status, value, headers)
}

fn sign(key: u8, method: &str, target: &str, body: &[u8], ts: u64) -> AuthHeader {
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).unwrap();
    AuthHeader::sign(
        &asyncpay::net::auth::keypair(&secret(key)),
        &server_node(),
        method,
        target,
        body,
        ts,
        nonce,
    )
}

fn assert_error(value: &Value, code: &str) {
    assert_eq!(value["error"]["code"], code, "{value}");
    let message = value["error"]["message"].as_str().unwrap();
    assert!(message.len() > 20, "a useful message: {value}");
}

fn api_error(result: Result<Value, NetError>) -> (u16, String, String) {
    match result {
        Err(NetError::Api {
            status,
            code,
            message,
        }) => (status, code, message),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[test]
fn signed_requests_reach_handlers_with_the_right_node_id() {
    let server = TestServer::plain();
    let client = server.client(7);
    assert_eq!(client.node_id(), node_of(&secret(7)));

    let info: Value = client.get("/v1/info").unwrap();
    assert_eq!(info["version"], 1);

    let me: Value = client.get("/v1/whoami").unwrap();
    assert_eq!(me["node"], node_of(&secret(7)).to_string());

    let body = json!({"amount_sat": 1234, "memo": "ünïcode ✓"});
    let echoed: Value = client.post("/v1/echo", &body).unwrap();
    assert_eq!(echoed["node"], node_of(&secret(7)).to_string());
    assert_eq!(echoed["body"], body);

    // The query string is signed too.
    let echoed: Value = client.post("/v1/echo?x=1&y=%20", &body).unwrap();
    assert_eq!(echoed["body"], body);

    // A body larger than the client's 8 KiB output buffer (sent in parts), and past the
    // size from which it asks `Expect: 100-continue` (16 KiB), up to near the server's 64 KiB
    // limit: whole, and the MAC holds.
    for size in [8 * 1024, 20 * 1024, 60 * 1024] {
        let big = json!({ "memo": "x".repeat(size) });
        let echoed: Value = client.post("/v1/echo", &big).unwrap();
        assert_eq!(echoed["body"], big, "{size} bytes");
    }

    // Another key is another node.
    let other: Value = server.client(8).get("/v1/whoami").unwrap();
    assert_eq!(other["node"], node_of(&secret(8)).to_string());

    // Many requests in a row over the client's pooled connection: fresh nonces each time.
    for i in 0..50 {
        let echoed: Value = client.post("/v1/echo", &json!({ "i": i })).unwrap();
        assert_eq!(echoed["body"]["i"], i);
    }
    server.stop().unwrap();
}

#[test]
fn unsigned_request_is_401_with_a_code() {
    let server = TestServer::plain();
    let (status, body, headers) = raw(&server.url(), "POST", "/v1/echo", None, b"{}");
    assert_eq!(status, 401);
    assert_error(&body, "auth_missing");
    assert_eq!(headers["www-authenticate"], "asyncpay-v3, asyncpay-v2");
    let (status, body, _) = raw(&server.url(), "GET", "/v1/whoami", None, b"");
    assert_eq!(status, 401);
    assert_error(&body, "auth_missing");

    let (status, body, _) = raw(
        &server.url(),
        "GET",
        "/v1/whoami",
        Some("Bearer abcdef"),
        b"",
    );
    assert_eq!(status, 401);
    assert_error(&body, "auth_malformed");
    // The open route needs nothing.
    let (status, body, _) = raw(&server.url(), "GET", "/v1/info", None, b"");
    assert_eq!((status, &body["version"]), (200, &json!(1)));
}

#[test]
fn wrong_signatures_are_401() {
    let server = TestServer::plain();
    let body = br#"{"a":1}"#;

    // One byte of the signature flipped.
    let header = sign(7, "POST", "/v1/echo", body, now()).to_string();
    let pos = header.len() - 10;
    let flipped = if &header[pos..pos + 1] == "0" {
        "1"
    } else {
        "0"
    };
    let tampered = format!("{}{flipped}{}", &header[..pos], &header[pos + 1..]);
    let (status, value, _) = raw(&server.url(), "POST", "/v1/echo", Some(&tampered), body);
    assert_eq!(status, 401);
    assert_error(&value, "auth_bad_signature");

    // Signed with key 8 but claiming to be node 7.
    let mut forged = sign(8, "POST", "/v1/echo", body, now());
    forged.node = node_of(&secret(7));
    assert_echo_refused(&server, &forged, body, "auth_bad_signature");

    // The untampered header works (so the above failed for the right reason).
    let (status, value, _) = raw(&server.url(), "POST", "/v1/echo", Some(&header), body);
    assert_eq!(status, 200, "{value}");
}

/// `POST /v1/echo` with `header` and `body` is refused with 401 `code`.
fn assert_echo_refused(server: &TestServer, header: &AuthHeader, body: &[u8], code: &str) {
    let header = header.to_string();
    let (status, value, _) = raw(&server.url(), "POST", "/v1/echo", Some(&header), body);
    assert_eq!(status, 401);
    assert_error(&value, code);
}

/// A v3 request MAC'd under `key`'s request key with the test server, claiming `node`.
fn mac(key: u8, node: NodeId, target: &str, body: &[u8]) -> AuthHeader {
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).unwrap();
    let server = server_node();
    let request_key = asyncpay::net::auth::request_key(&secret(key), &server, &node, &server);
    AuthHeader::mac(
        &request_key,
        &node,
        &server,
        "POST",
        target,
        body,
        now(),
        nonce,
    )
}

/// asyncpay-v3: a MAC proves the node only under the request key of that node and this
/// server. Someone who knows both node ids (they are public) but holds neither key, and
/// MACs under a key of their own, is refused; so is a flipped byte of a genuine MAC.
#[test]
fn a_mac_made_without_the_node_s_key_is_401() {
    let server = TestServer::plain();
    let body = br#"{"a":1}"#;
    let node7 = node_of(&secret(7));
    let genuine = mac(7, node7, "/v1/echo", body);
    let forged = mac(8, node7, "/v1/echo", body);
    let mut flipped = mac(7, node7, "/v1/echo", body);
    let asyncpay::net::auth::Proof::Mac(m) = &mut flipped.proof else {
        unreachable!()
    };
    m[0] ^= 1;
    for bad in [forged, flipped] {
        assert_echo_refused(&server, &bad, body, "auth_bad_signature");
    }
    let (status, value, _) = raw(
        &server.url(),
        "POST",
        "/v1/echo",
        Some(&genuine.to_string()),
        body,
    );
    assert_eq!(status, 200, "{value}");
    assert_eq!(value["node"], json!(node7));
    // The same request again is a replay.
    assert_echo_refused(&server, &genuine, body, "auth_replayed");
}

/// A server older than asyncpay-v3 (it takes signed requests only) answers a MAC'd one 401,
/// offering `asyncpay-v2`, before it reads the body. The client sends the same request
/// again, signed, and signs from then on; it is served.
#[test]
fn a_client_signs_for_a_server_that_takes_signatures_only() {
    let refused = Arc::new(AtomicUsize::new(0));
    let counted = refused.clone();
    let only_v2 = axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let counted = counted.clone();
            async move {
                let auth = request.headers().get("authorization").cloned();
                if auth.is_some_and(|a| a.as_bytes().starts_with(b"asyncpay-v3 ")) {
                    counted.fetch_add(1, Ordering::SeqCst);
                    let body = json!({"error": {"code": "auth_malformed", "message": "v2 only"}});
                    return axum::response::IntoResponse::into_response((
                        axum::http::StatusCode::UNAUTHORIZED,
                        [("www-authenticate", "asyncpay-v2")],
                        Json(body),
                    ));
                }
                next.run(request).await
            }
        },
    );
    let auth = AuthState::new(&secret(99));
    let server = TestServer::serving(ephemeral(), router(&auth).layer(only_v2));
    let client = server.client(7);
    for n in 0..3 {
        let got: Value = client.post("/v1/echo", &json!({ "n": n })).unwrap();
        assert_eq!(got["body"]["n"], json!(n));
        assert_eq!(got["node"], json!(node_of(&secret(7))));
    }
    assert_eq!(
        refused.load(Ordering::SeqCst),
        1,
        "signed from the first refusal on"
    );
    // A current server is MAC'd to: the client's first and later requests are v3.
    let schemes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = schemes.clone();
    let record = axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let scheme = request
                .headers()
                .get("authorization")
                .and_then(|a| a.to_str().ok())
                .and_then(|a| a.split(' ').next())
                .map(str::to_owned);
            seen.lock().unwrap().extend(scheme);
            next.run(request)
        },
    );
    let current = TestServer::serving(ephemeral(), router(&auth).layer(record));
    let client = current.client(7);
    for _ in 0..2 {
        let got: Value = client.post("/v1/echo", &json!({})).unwrap();
        assert_eq!(got["node"], json!(node_of(&secret(7))));
    }
    assert_eq!(*schemes.lock().unwrap(), ["asyncpay-v3", "asyncpay-v3"]);
}

#[test]
fn a_replayed_request_is_401_replayed() {
    let server = TestServer::plain();
    let body = br#"{"pay":42}"#;
    let header = sign(7, "POST", "/v1/echo", body, now()).to_string();
    let (status, first, _) = raw(&server.url(), "POST", "/v1/echo", Some(&header), body);
    assert_eq!(status, 200);
    assert_eq!(first["body"]["pay"], 42);
    let (status, second, _) = raw(&server.url(), "POST", "/v1/echo", Some(&header), body);
    assert_eq!(status, 401);
    assert_error(&second, "auth_replayed");
    assert!(second["error"]["message"]
        .as_str()
        .unwrap()
        .contains("replayed"));

    // Byte for byte the same request on a fresh TCP connection: still refused.
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    let request = format!(
        "POST /v1/echo HTTP/1.1\r\nHost: {}\r\nAuthorization: {header}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        server.addr(),
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("auth_replayed"), "{answer}");
}

#[test]
fn stale_timestamps_are_401() {
    let server = TestServer::plain();
    for ts in [now() - 1000, now() + 1000] {
        let header = sign(7, "GET", "/v1/whoami", b"", ts).to_string();
        let (status, value, _) = raw(&server.url(), "GET", "/v1/whoami", Some(&header), b"");
        assert_eq!(status, 401);
        assert_error(&value, "auth_stale_timestamp");
    }
    // Within the window is fine.
    let header = sign(7, "GET", "/v1/whoami", b"", now() - 60).to_string();
    let (status, _, _) = raw(&server.url(), "GET", "/v1/whoami", Some(&header), b"");
    assert_eq!(status, 200);

    // A server whose clock is 10 minutes ahead refuses the real client, with a hint.
    let skewed = TestServer::start(
        ephemeral(),
        AuthState::new(&secret(99)).with_clock(|| now() + 600),
    );
    let (status, code, message) = api_error(skewed.client(7).get::<Value>("/v1/whoami"));
    assert_eq!((status, code.as_str()), (401, "auth_stale_timestamp"));
    assert!(message.contains("clock"), "{message}");
}

#[test]
fn altered_body_or_path_is_401() {
    let server = TestServer::plain();
    let header = sign(7, "POST", "/v1/echo", br#"{"amount":1}"#, now()).to_string();
    let (status, value, _) = raw(
        &server.url(),
        "POST",
        "/v1/echo",
        Some(&header),
        br#"{"amount":1000}"#,
    );
    assert_eq!(status, 401);
    assert_error(&value, "auth_body_mismatch");

    let header = sign(7, "POST", "/v1/echo?channel=1", b"{}", now()).to_string();
    let (status, value, _) = raw(
        &server.url(),
        "POST",
        "/v1/echo?channel=2",
        Some(&header),
        b"{}",
    );
    assert_eq!(status, 401);
    assert_error(&value, "auth_bad_signature");

    let header = sign(7, "GET", "/v1/forbidden", b"", now()).to_string();
    let (status, value, _) = raw(&server.url(), "GET", "/v1/whoami", Some(&header), b"");
    assert_eq!(status, 401);
    assert_error(&value, "auth_bad_signature");
}

#[test]
fn oversized_body_is_413() {
    let server = TestServer::plain();
    let client = server.client(7);
    // Just over the limit, and far over it (the client sends `Expect: 100-continue`, so the
    // server refuses before the upload and the client sees the 413, not a broken pipe).
    for size in [DEFAULT_MAX_BODY_BYTES + 1, 8 * 1024 * 1024] {
        let big = json!({ "data": "x".repeat(size) });
        let (status, code, message) = api_error(client.post("/v1/echo", &big));
        assert_eq!((status, code.as_str()), (413, "body_too_large"), "{size}");
        assert!(message.contains("65536"), "{message}");
    }
    // The same connection pool still works afterwards.
    let _: Value = client.get("/v1/info").unwrap();
    // Just under the limit passes.
    let fits = json!({ "data": "x".repeat(DEFAULT_MAX_BODY_BYTES - 100) });
    let echoed: Value = client.post("/v1/echo", &fits).unwrap();
    assert_eq!(echoed["body"], fits);

    // A smaller configured limit applies.
    let small = TestServer::start(
        ServerConfig {
            max_body_bytes: 100,
            ..ephemeral()
        },
        AuthState::new(&secret(99)),
    );
    let (status, code, _) = api_error(
        small
            .client(7)
            .post("/v1/echo", &json!({ "data": "y".repeat(200) })),
    );
    assert_eq!((status, code.as_str()), (413, "body_too_large"));
}

#[test]
fn malformed_json_is_400_with_a_clear_message() {
    let server = TestServer::plain();
    let body = br#"{"amount": 1,"#;
    let header = sign(7, "POST", "/v1/echo", body, now()).to_string();
    let (status, value, _) = raw(&server.url(), "POST", "/v1/echo", Some(&header), body);
    assert_eq!(status, 400);
    assert_error(&value, "malformed_json");
    assert!(
        value["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{value}"
    );
}

#[test]
fn routing_errors_are_json() {
    let server = TestServer::plain();
    let client = server.client(7);
    let (status, code, message) = api_error(client.get("/v1/nope"));
    assert_eq!((status, code.as_str()), (404, "not_found"));
    assert!(message.contains("/v1/nope"), "{message}");
    // Unsigned requests to unknown paths are 404 too (not 401).
    let (status, value, _) = raw(&server.url(), "GET", "/v2/info", None, b"");
    assert_eq!(status, 404);
    assert_error(&value, "not_found");

    let (status, code, _) = api_error(client.get("/v1/echo"));
    assert_eq!((status, code.as_str()), (405, "method_not_allowed"));
    let header = sign(7, "GET", "/v1/echo", b"", now()).to_string();
    let (status, value, headers) = raw(&server.url(), "GET", "/v1/echo", Some(&header), b"");
    assert_eq!(status, 405);
    assert_error(&value, "method_not_allowed");
    assert_eq!(headers["allow"], "POST");
    // Without a signature, the wrong method is refused before anything else is said.
    let (status, value, _) = raw(&server.url(), "GET", "/v1/echo", None, b"");
    assert_eq!(status, 401, "{value}");

    let (status, code, message) = api_error(client.get("/v1/forbidden"));
    assert_eq!((status, code.as_str()), (403, "not_your_channel"));
    assert!(message.contains(&client.node_id().to_string()));

    // A panicking handler is a 500 that leaks nothing.
    let (status, code, message) = api_error(client.get("/v1/panic"));
    assert_eq!((status, code.as_str()), (500, "internal"));
    assert!(!message.contains("secret"), "{message}");
    // …and the server keeps serving.
    let info: Value = client.get("/v1/info").unwrap();
    assert_eq!(info["version"], 1);
}

#[test]
fn unreachable_server_and_bad_urls() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let client = Client::new(&url, secret(7), None).unwrap();
    let err = client.get::<Value>("/v1/info").unwrap_err();
    assert!(err.is_unreachable(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("cannot reach the server at {url}")),
        "{text}"
    );
    assert!(text.contains("check that it runs"), "{text}");

    let err = Client::new("ftp://127.0.0.1", secret(7), None).unwrap_err();
    assert!(matches!(err, NetError::InvalidUrl { .. }), "{err:?}");
    assert!(err.to_string().contains("only http and https"));

    // A server that is not an asyncpay server: raw TCP that answers garbage.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let garbage = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf);
        let _ =
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
    });
    let client = Client::new(&format!("http://{addr}"), secret(7), None).unwrap();
    let err = client.get::<Value>("/v1/info").unwrap_err();
    assert!(matches!(err, NetError::Protocol { .. }), "{err:?}");
    garbage.join().unwrap();
}

/// A self-signed certificate for 127.0.0.1 and localhost, written as PEM files.
fn self_signed(dir: &std::path::Path) -> (TlsFiles, PathBuf) {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .unwrap();
    let cert_pem = dir.join("cert.pem");
    let key_pem = dir.join("key.pem");
    std::fs::write(&cert_pem, cert.pem()).unwrap();
    std::fs::write(&key_pem, signing_key.serialize_pem()).unwrap();
    (
        TlsFiles {
            cert_pem: cert_pem.clone(),
            key_pem,
        },
        cert_pem,
    )
}

#[test]
fn https_with_a_self_signed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (files, ca) = self_signed(dir.path());
    let server = TestServer::start(
        ServerConfig {
            tls: Some(files),
            ..ephemeral()
        },
        AuthState::new(&secret(99)),
    );
    assert!(server.url().starts_with("https://127.0.0.1:"));

    let trusted = Client::new(&server.url(), secret(7), Some(ca.clone())).unwrap();
    let echoed: Value = trusted.post("/v1/echo", &json!({"tls": true})).unwrap();
    assert_eq!(echoed["node"], node_of(&secret(7)).to_string());
    assert_eq!(echoed["body"]["tls"], true);
    let (status, code, _) = api_error(trusted.get("/v1/nope"));
    assert_eq!((status, code.as_str()), (404, "not_found"));

    let untrusted = Client::new(&server.url(), secret(7), None).unwrap();
    let err = untrusted.get::<Value>("/v1/info").unwrap_err();
    match &err {
        NetError::Tls { reason } => assert!(reason.contains("certificate"), "{reason}"),
        other => panic!("expected a TLS error, got {other:?}"),
    }
    assert!(err.to_string().contains("trusted CA"), "{err}");

    // Plain HTTP to the HTTPS port does not pass for an answer.
    let plain = Client::new(&server.url().replace("https", "http"), secret(7), None).unwrap();
    let err = plain.get::<Value>("/v1/info").unwrap_err();
    assert!(matches!(err, NetError::Protocol { .. }), "{err:?}");

    // HTTPS to a plain HTTP server is a TLS error.
    let http = TestServer::plain();
    let err = Client::new(
        &http.url().replace("http", "https"),
        secret(7),
        Some(ca.clone()),
    )
    .unwrap()
    .get::<Value>("/v1/info")
    .unwrap_err();
    assert!(matches!(err, NetError::Tls { .. }), "{err:?}");

    server.stop().unwrap();
}

#[test]
fn certificate_and_bind_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let (files, ca) = self_signed(dir.path());
    let rt = tokio::runtime::Runtime::new().unwrap();

    let missing = TlsFiles {
        cert_pem: dir.path().join("nope.pem"),
        key_pem: files.key_pem.clone(),
    };
    let config = ServerConfig {
        tls: Some(missing),
        ..ephemeral()
    };
    let err = rt
        .block_on(serve(Router::new(), &config, async {}))
        .unwrap_err();
    assert!(matches!(err, NetError::CertificateFile { .. }), "{err:?}");
    assert!(err.to_string().contains("nope.pem"), "{err}");

    let swapped = TlsFiles {
        cert_pem: files.key_pem.clone(),
        key_pem: files.cert_pem.clone(),
    };
    let config = ServerConfig {
        tls: Some(swapped),
        ..ephemeral()
    };
    let err = rt
        .block_on(serve(Router::new(), &config, async {}))
        .unwrap_err();
    assert!(matches!(err, NetError::CertificateFile { .. }), "{err:?}");

    let err = Client::new(
        "https://127.0.0.1:1",
        secret(7),
        Some(dir.path().join("absent.pem")),
    )
    .unwrap_err();
    assert!(matches!(err, NetError::CertificateFile { .. }), "{err:?}");
    let not_a_cert = Client::new(
        "https://127.0.0.1:1",
        secret(7),
        Some(files.key_pem.clone()),
    );
    assert!(matches!(not_a_cert, Err(NetError::CertificateFile { .. })));
    drop(ca);

    let server = TestServer::plain();
    let taken = ServerConfig {
        listen: server.addr(),
        ..ServerConfig::default()
    };
    let err = rt
        .block_on(serve(Router::new(), &taken, async {}))
        .unwrap_err();
    assert!(matches!(err, NetError::Bind { .. }), "{err:?}");
    assert!(err.to_string().contains(&server.addr().to_string()));
}

#[test]
fn shutdown_finishes_in_flight_requests_then_stops_listening() {
    for tls in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let (files, ca) = self_signed(dir.path());
        let config = ServerConfig {
            tls: tls.then_some(files),
            ..ephemeral()
        };
        let server = TestServer::start(config, AuthState::new(&secret(99)));
        let url = server.url();
        let addr = server.addr();
        let ca = tls.then_some(ca);

        // An idle pooled keep-alive connection must not hold the shutdown up.
        let idle = Client::new(&url, secret(9), ca.clone()).unwrap();
        let _: Value = idle.get("/v1/info").unwrap();

        let in_flight = {
            let url = url.clone();
            let ca = ca.clone();
            std::thread::spawn(move || {
                Client::new(&url, secret(7), ca)
                    .unwrap()
                    .get::<Value>("/v1/slow")
            })
        };
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        server.stop().unwrap();
        let stopped_after = started.elapsed();
        let answer = in_flight.join().unwrap().unwrap();
        assert_eq!(answer["done"], true, "tls={tls}");
        assert!(
            stopped_after < Duration::from_secs(5),
            "tls={tls}: took {stopped_after:?}"
        );
        // Nothing listens any more.
        let err = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).unwrap_err();
        assert_eq!(
            err.kind(),
            std::io::ErrorKind::ConnectionRefused,
            "tls={tls}"
        );
        assert!(idle.get::<Value>("/v1/info").unwrap_err().is_unreachable());
    }
}

/// Requests per second of the signed echo route with one client (sequential, keep-alive).
/// `cargo test --release --test net -- --ignored --nocapture echo_throughput`
#[test]
#[ignore]
fn echo_throughput() {
    // A known node (its own, large budget), as a channel peer of S would be.
    let auth = AuthState::new(&secret(99))
        .with_limits(asyncpay::net::ReplayLimits {
            per_node: 10_000_000,
            ..Default::default()
        })
        .with_known_nodes(|n| *n == node_of(&secret(7)));
    let server = TestServer::start(ephemeral(), auth);
    let client = server.client(7);
    let body = json!({"payment_id": "p".repeat(64), "amount_sat": 1000});
    let count = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        let _: Value = client.post("/v1/echo", &body).unwrap();
        count.fetch_add(1, Ordering::Relaxed);
    }
    let n = count.load(Ordering::Relaxed);
    let secs = started.elapsed().as_secs_f64();
    println!(
        "echo: {n} signed requests in {secs:.2} s = {:.0} req/s, {:.0} µs each",
        n as f64 / secs,
        secs * 1e6 / n as f64
    );
}
