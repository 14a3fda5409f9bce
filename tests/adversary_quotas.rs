//! Two holes in already-fixed items (issue 9, items 7 and 15), attacked through the real
//! interfaces: signed HTTP to a real `server run` on 127.0.0.1.
//!
//! - a request captured before S restarts does not replay after the restart: S keeps the
//!   replay cache's live entries on disk (`replay/`), so the second effect never happens;
//! - junk from fresh node keys cannot displace a stranger's real package: once the
//!   strangers' share of a mailbox is full, a stranger's post must prove more work than the
//!   weakest stranger item it displaces, so free keys alone change nothing, and displacing a
//!   package that proved `w` bits costs at least a share's worth of `w`-bit work.

use std::time::{SystemTime, UNIX_EPOCH};

use asyncpay::keys::NodeId;
use asyncpay::net::auth::AuthHeader;
use asyncpay::net::client::Client;
use asyncpay::server::mailbox::ItemMeta;
use bitcoin::secp256k1::{Secp256k1, SecretKey};
use serde_json::{json, Value};

mod common;

use common::procs::{Env, Server};
use common::story::{keys_of, server_init};

fn secret(n: u16) -> SecretKey {
    let mut b = [0x6bu8; 32];
    b[..2].copy_from_slice(&n.to_be_bytes());
    SecretKey::from_slice(&b).unwrap()
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

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn server_id(base: &str) -> NodeId {
    let mut info = agent().get(&format!("{base}/v1/info")).call().unwrap();
    let info: Value = serde_json::from_slice(&info.body_mut().read_to_vec().unwrap()).unwrap();
    info["node_id"].as_str().unwrap().parse().unwrap()
}

/// Sends a captured request (its Authorization header and JSON body) to `base`: (status,
/// JSON answer).
fn send(base: &str, target: &str, auth: &str, body: &[u8]) -> (u16, Value) {
    let mut response = agent()
        .post(&format!("{base}{target}"))
        .header("authorization", auth)
        .content_type("application/json")
        .send(body)
        .unwrap();
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_vec().unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

// ---------------------------------------------------------------------------------------
// Item 15: a request captured before a restart of S does not replay after it.
// ---------------------------------------------------------------------------------------

#[test]
fn a_request_captured_before_a_restart_is_refused_after_it() {
    let env = Env::new();
    let s = env.wallet("s");
    server_init(&s, None);
    // The operator's key (S itself: no work asked of it) posts one item for R; an
    // eavesdropper keeps the signed request.
    let operator = keys_of(&s).node_secret();
    let mut server = Server::start(&s);
    let s_node = server_id(&server.url);
    let r = secret(7);
    let target = format!("/v1/mailbox/{}", node_of(&r));
    let body = json!({"payload": "c0ffee"}).to_string();
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).unwrap();
    let auth = AuthHeader::sign(
        &operator,
        &s_node,
        "POST",
        &target,
        body.as_bytes(),
        now(),
        nonce,
    )
    .to_string();
    let (status, answer) = send(&server.url, &target, &auth, body.as_bytes());
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = send(&server.url, &target, &auth, body.as_bytes());
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (401, Some("auth_replayed"))
    );

    // S restarts (killed: no clean shutdown), on the same port; the captured request is
    // replayed at once, well within its clock window.
    let port = server.port();
    let _ = server.child.kill();
    let _ = server.child.wait();
    server = Server::start_with(&s, &port, &[], None);
    let (status, answer) = send(&server.url, &target, &auth, body.as_bytes());
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (401, Some("auth_replayed")),
        "{answer}"
    );
    // No second effect: R has exactly the one item.
    let listed: Vec<ItemMeta> = Client::new(&server.url, r, None)
        .unwrap()
        .get("/v1/mailbox")
        .unwrap();
    assert_eq!(listed.len(), 1);
    // Honest requests (fresh nonces) go on being answered right after the restart, also one
    // stamped before it (a client whose clock is behind S's).
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).unwrap();
    let late = AuthHeader::sign(
        &operator,
        &s_node,
        "POST",
        &target,
        body.as_bytes(),
        now() - 60,
        nonce,
    )
    .to_string();
    let (status, answer) = send(&server.url, &target, &late, body.as_bytes());
    assert_eq!(status, 200, "{answer}");
    drop(server);
}
