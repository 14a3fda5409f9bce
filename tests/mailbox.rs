//! S's mailbox (PROTOCOL.md §5 step 2): store-and-forward of encrypted update packages.
//!
//! At the core level, [`Mailbox`] over a real encrypted store in a temp dir, with time passed
//! in: post, list, fetch, delete, isolation between recipients, every limit, expiry and
//! pruning, and reopening. Over HTTP, `server run` as a real process: A posts for B (raw and
//! JSON bodies), B lists, fetches and deletes, C cannot see B's items, limits map to 413/409,
//! expired items are gone, items survive a restart of S, unsigned requests get 401.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use age::secrecy::SecretString;
use asyncpay::keys::NodeId;
use asyncpay::net::auth::AuthHeader;
use asyncpay::net::client::Client;
use asyncpay::net::NetError;
use asyncpay::server::mailbox::{
    FetchedItem, ItemId, ItemMeta, Mailbox, MailboxError, MailboxLimits, Posted, DEFAULT_TTL_SECS,
    MAX_ITEMS_PER_RECIPIENT, MAX_ITEMS_PER_SENDER, MAX_ITEMS_PER_STRANGER, MAX_ITEM_BYTES,
    MAX_STRANGER_ITEMS_PER_RECIPIENT, MAX_TTL_SECS,
};
use asyncpay::store::{DataDir, LockWait, Store, Unlock};
use bitcoin::secp256k1::{Secp256k1, SecretKey};
use serde_json::Value;

const NOW: u64 = 1_700_000_000;

fn secret(n: u8) -> SecretKey {
    SecretKey::from_slice(&[n; 32]).unwrap()
}

fn node(n: u8) -> NodeId {
    NodeId(secret(n).public_key(&Secp256k1::signing_only()))
}

fn pass() -> SecretString {
    SecretString::from("pw".to_owned())
}

fn new_store(path: &Path) -> Store {
    DataDir::open(path, LockWait::Fail)
        .unwrap()
        .create_with_passphrase(&pass(), 2)
        .unwrap()
}

fn reopen_store(path: &Path) -> Store {
    DataDir::open(path, LockWait::Fail)
        .unwrap()
        .unlock(&Unlock::Passphrase(pass()))
        .unwrap()
}

#[test]
fn post_list_fetch_delete_and_isolation() {
    let tmp = tempfile::tempdir().unwrap();
    let mb = Mailbox::open(new_store(tmp.path())).unwrap();
    let (a, b, c) = (node(1), node(2), node(3));
    let posted = mb
        .post(a, b, b"package one".to_vec(), Some(NOW + 60), NOW)
        .unwrap();
    assert_eq!(posted.sender, a);
    assert_eq!(posted.size, 11);
    assert_eq!(posted.posted_at, NOW);
    assert_eq!(posted.expires_at, NOW + 60);
    let second = mb.post(c, b, vec![7; 100], None, NOW + 1).unwrap();
    assert_eq!(second.expires_at, NOW + 1 + DEFAULT_TTL_SECS);

    let list = mb.list(&b, NOW + 2).unwrap();
    assert_eq!(list, vec![posted.clone(), second.clone()]);
    let (meta, payload) = mb.fetch(&b, &posted.id, NOW + 2).unwrap();
    assert_eq!(meta, posted);
    assert_eq!(payload, b"package one");

    // Others see nothing, and B's item answers exactly like an unknown one.
    assert!(mb.list(&a, NOW + 2).unwrap().is_empty());
    assert!(mb.list(&c, NOW + 2).unwrap().is_empty());
    let unknown = ItemId([9; 16]);
    for (who, id) in [(&c, posted.id), (&a, posted.id), (&b, unknown)] {
        let fetch = mb.fetch(who, &id, NOW + 2).unwrap_err();
        assert_eq!(fetch, MailboxError::UnknownItem { id });
        assert_eq!(
            fetch.to_string(),
            format!("no mailbox item {id} for this node")
        );
        assert_eq!(
            mb.delete(who, &id).unwrap_err(),
            MailboxError::UnknownItem { id }
        );
    }
    assert_eq!(mb.list(&b, NOW + 2).unwrap().len(), 2);

    mb.delete(&b, &posted.id).unwrap();
    assert_eq!(mb.list(&b, NOW + 2).unwrap(), vec![second.clone()]);
    assert!(matches!(
        mb.fetch(&b, &posted.id, NOW + 2),
        Err(MailboxError::UnknownItem { .. })
    ));
    assert!(matches!(
        mb.delete(&b, &posted.id),
        Err(MailboxError::UnknownItem { .. })
    ));
    assert_eq!(mb.len().unwrap(), 1);
}

#[test]
fn limits_on_size_expiry_and_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let mb = Mailbox::open(new_store(tmp.path())).unwrap();
    let (a, b) = (node(1), node(2));
    assert_eq!(
        mb.post(a, b, vec![0; MAX_ITEM_BYTES + 1], None, NOW)
            .unwrap_err(),
        MailboxError::TooLarge {
            size: MAX_ITEM_BYTES + 1,
            max: MAX_ITEM_BYTES
        }
    );
    let e = mb
        .post(a, b, vec![0; MAX_ITEM_BYTES + 1], None, NOW)
        .unwrap_err();
    assert!(
        e.to_string().contains(&format!("{}", MAX_ITEM_BYTES + 1)),
        "{e}"
    );
    mb.post(a, b, vec![0; MAX_ITEM_BYTES], None, NOW).unwrap();
    assert_eq!(
        mb.post(a, b, Vec::new(), None, NOW).unwrap_err(),
        MailboxError::Empty
    );
    assert!(matches!(
        mb.post(a, b, vec![1], Some(NOW), NOW),
        Err(MailboxError::ExpiryPassed { .. })
    ));
    assert!(matches!(
        mb.post(a, b, vec![1], Some(NOW + MAX_TTL_SECS + 1), NOW),
        Err(MailboxError::ExpiryTooFar { .. })
    ));
    mb.post(a, b, vec![1], Some(NOW + MAX_TTL_SECS), NOW)
        .unwrap();

    // Per sender: A has 2 waiting; 18 more fill its share.
    for _ in 2..MAX_ITEMS_PER_SENDER {
        mb.post(a, b, vec![1], None, NOW).unwrap();
    }
    assert_eq!(
        mb.post(a, b, vec![1], None, NOW).unwrap_err(),
        MailboxError::SenderLimit {
            recipient: b,
            max: MAX_ITEMS_PER_SENDER
        }
    );
    // A can still post to another recipient.
    mb.post(a, node(9), vec![1], None, NOW).unwrap();
    // Per recipient: four more senders fill B's mailbox.
    for sender in 3..3 + (MAX_ITEMS_PER_RECIPIENT / MAX_ITEMS_PER_SENDER - 1) as u8 {
        for _ in 0..MAX_ITEMS_PER_SENDER {
            mb.post(node(sender), b, vec![1], None, NOW).unwrap();
        }
    }
    assert_eq!(mb.list(&b, NOW).unwrap().len(), MAX_ITEMS_PER_RECIPIENT);
    let full = mb.post(node(50), b, vec![1], None, NOW).unwrap_err();
    assert_eq!(
        full,
        MailboxError::MailboxFull {
            recipient: b,
            max: MAX_ITEMS_PER_RECIPIENT
        }
    );
    assert!(full.to_string().starts_with("the mailbox of "), "{full}");
    // Deleting one makes room.
    let first = mb.list(&b, NOW).unwrap()[0].id;
    mb.delete(&b, &first).unwrap();
    mb.post(node(50), b, vec![1], None, NOW).unwrap();
}

#[test]
fn server_wide_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let limits = MailboxLimits {
        max_total_items: 3,
        ..MailboxLimits::default()
    };
    let mb = Mailbox::open(new_store(tmp.path()))
        .unwrap()
        .with_limits(limits);
    mb.post(node(1), node(2), vec![1], Some(NOW + 10), NOW)
        .unwrap();
    mb.post(node(1), node(3), vec![1], None, NOW).unwrap();
    mb.post(node(1), node(4), vec![1], None, NOW).unwrap();
    assert_eq!(
        mb.post(node(1), node(5), vec![1], None, NOW).unwrap_err(),
        MailboxError::ServerFull { max: 3 }
    );
    // Once an item expired, it makes room without a prune.
    mb.post(node(1), node(5), vec![1], None, NOW + 10).unwrap();
}

/// One member cannot fill S's mailboxes alone: its items in all of them together are capped
/// (`max_items_per_member`), whatever recipients it makes up, also after a restart; other
/// members still post; its items that expired make room again.
#[test]
fn a_member_cannot_fill_the_server_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let limits = MailboxLimits {
        max_items_per_member: 3,
        ..MailboxLimits::default()
    };
    let mb = Mailbox::open(new_store(tmp.path()))
        .unwrap()
        .with_limits(limits);
    for r in 2..5 {
        mb.post(node(1), node(r), vec![1], Some(NOW + 10), NOW)
            .unwrap();
    }
    drop(mb);
    let mb = Mailbox::open(reopen_store(tmp.path()))
        .unwrap()
        .with_limits(limits);
    assert_eq!(
        mb.post(node(1), node(9), vec![1], None, NOW).unwrap_err(),
        MailboxError::MemberLimit { max: 3 }
    );
    mb.post(node(7), node(9), vec![1], None, NOW).unwrap();
    mb.post(node(1), node(9), vec![1], None, NOW + 10).unwrap();
}

#[test]
fn expired_items_are_gone() {
    let tmp = tempfile::tempdir().unwrap();
    let mb = Mailbox::open(new_store(tmp.path())).unwrap();
    let (a, b) = (node(1), node(2));
    let short = mb.post(a, b, vec![1, 2, 3], Some(NOW + 1), NOW).unwrap();
    let long = mb.post(a, b, vec![4], Some(NOW + 100), NOW).unwrap();
    assert_eq!(mb.list(&b, NOW).unwrap().len(), 2);
    mb.fetch(&b, &short.id, NOW).unwrap();
    // From its expiry second on, the item is gone: fetching says so once, then it is unknown.
    assert_eq!(
        mb.fetch(&b, &short.id, NOW + 1).unwrap_err(),
        MailboxError::Expired {
            id: short.id,
            expires_at: NOW + 1
        }
    );
    assert_eq!(
        mb.fetch(&b, &short.id, NOW + 1).unwrap_err(),
        MailboxError::UnknownItem { id: short.id }
    );
    assert_eq!(mb.list(&b, NOW + 1).unwrap(), vec![long.clone()]);

    // Listing drops expired items too; prune drops everyone's.
    let other = mb.post(a, node(3), vec![5], Some(NOW + 50), NOW).unwrap();
    assert_eq!(mb.prune(NOW + 49).unwrap(), 0);
    assert_eq!(mb.prune(NOW + 100).unwrap(), 2);
    assert!(mb.is_empty().unwrap());
    assert!(matches!(
        mb.fetch(&node(3), &other.id, NOW),
        Err(MailboxError::UnknownItem { .. })
    ));
    // The records are gone as well.
    assert_eq!(mailbox_records(tmp.path()), 0);
    drop(mb);
    let mb = Mailbox::open(reopen_store(tmp.path())).unwrap();
    assert!(mb.is_empty().unwrap());
}

#[test]
fn items_survive_reopening_and_are_encrypted_at_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (node(1), node(2));
    let secret_text = b"the update package for b: plain marker 0123456789".to_vec();
    let (kept, deleted) = {
        let mb = Mailbox::open(new_store(tmp.path())).unwrap();
        let kept = mb.post(a, b, secret_text.clone(), None, NOW).unwrap();
        let deleted = mb.post(a, b, vec![1], None, NOW).unwrap();
        mb.delete(&b, &deleted.id).unwrap();
        (kept, deleted)
    };
    for suffix in ["", "-journal"] {
        let file = tmp
            .path()
            .join(format!("{}{suffix}", asyncpay::store::DB_FILE));
        let Ok(bytes) = std::fs::read(file) else {
            continue;
        };
        let hex: String = secret_text.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!bytes.windows(10).any(|w| w == &secret_text[..10]));
        assert!(!bytes.windows(20).any(|w| w == &hex.as_bytes()[..20]));
    }
    let mb = Mailbox::open(reopen_store(tmp.path())).unwrap();
    assert_eq!(mb.list(&b, NOW).unwrap(), vec![kept.clone()]);
    assert_eq!(mb.fetch(&b, &kept.id, NOW).unwrap().1, secret_text);
    assert!(matches!(
        mb.fetch(&b, &deleted.id, NOW),
        Err(MailboxError::UnknownItem { .. })
    ));
}

#[test]
fn item_ids() {
    let id = ItemId([0xab; 16]);
    assert_eq!(id.to_string(), "ab".repeat(16));
    assert_eq!("ab".repeat(16).parse::<ItemId>().unwrap(), id);
    for bad in [
        "",
        "ab",
        &"AB".repeat(16),
        &"zz".repeat(16),
        &"ab".repeat(17),
    ] {
        assert!(matches!(
            bad.parse::<ItemId>(),
            Err(MailboxError::InvalidId { .. })
        ));
    }
}

// ---- over HTTP, with S as a real process ----

mod common;

use common::procs::{Server, Wallet};

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

struct Answer {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    fn code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap().to_owned()
    }
}

/// S's node id, which every request is signed for (from `GET /v1/info`).
fn server_id(agent: &ureq::Agent, base: &str) -> NodeId {
    let mut info = agent.get(&format!("{base}/v1/info")).call().unwrap();
    let info: Value = serde_json::from_slice(&info.body_mut().read_to_vec().unwrap()).unwrap();
    info["node_id"].as_str().unwrap().parse().unwrap()
}

/// One request signed by `signer` (unsigned when `None`), raw body and answer.
fn raw(
    base: &str,
    signer: Option<u8>,
    method: &str,
    target: &str,
    body: Option<(&str, &[u8])>,
    accept: Option<&str>,
) -> Answer {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{base}{target}");
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).unwrap();
    let signed_body = body.map_or(&[][..], |(_, b)| b);
    let server = server_id(&agent, base);
    let auth = signer.map(|n| {
        AuthHeader::sign(
            &asyncpay::net::auth::keypair(&secret(n)),
            &server,
            method,
            target,
            signed_body,
            unix_now(),
            nonce,
        )
        .to_string()
    });
    let result = match (method, body) {
        ("POST", Some((content_type, bytes))) => {
            let mut r = agent.post(&url).content_type(content_type);
            if let Some(a) = &auth {
                r = r.header("authorization", a);
            }
            if bytes.len() > 16 * 1024 {
                r = r.header("expect", "100-continue");
            }
            r.send(bytes)
        }
        ("GET", None) => {
            let mut r = agent.get(&url);
            if let Some(a) = &auth {
                r = r.header("authorization", a);
            }
            if let Some(accept) = accept {
                r = r.header("accept", accept);
            }
            r.call()
        }
        ("DELETE", None) => {
            let mut r = agent.delete(&url);
            if let Some(a) = &auth {
                r = r.header("authorization", a);
            }
            r.call()
        }
        other => panic!("unsupported request {other:?}"),
    };
    let mut response = result.unwrap();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    Answer {
        status: response.status().as_u16(),
        content_type,
        body: response.body_mut().read_to_vec().unwrap(),
    }
}

fn post_raw(base: &str, signer: u8, recipient: u8, payload: &[u8], query: &str) -> Answer {
    raw(
        base,
        Some(signer),
        "POST",
        &format!("/v1/mailbox/{}{query}", node(recipient)),
        Some(("application/octet-stream", payload)),
        None,
    )
}

fn list(base: &str, signer: u8) -> Vec<ItemMeta> {
    let a = raw(base, Some(signer), "GET", "/v1/mailbox", None, None);
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    serde_json::from_slice(&a.body).unwrap()
}

fn api_code(e: NetError) -> (u16, String) {
    match e {
        NetError::Api { status, code, .. } => (status, code),
        other => panic!("not an API error: {other}"),
    }
}

fn s_wallet(root: &Path) -> Wallet {
    let s = Wallet::create(root, "s", &root.join("chain"));
    s.ok(&["server", "init"]);
    s
}

#[test]
fn http_mailbox_between_nodes() {
    let root = tempfile::tempdir().unwrap();
    let s = s_wallet(root.path());
    let server = Server::start(&s);
    let base = server.url.as_str();
    let (a, b, c) = (1u8, 2u8, 3u8);

    // A posts a raw package for B, with an expiry.
    let expires = unix_now() + 3600;
    let posted = post_raw(
        base,
        a,
        b,
        b"\x00sealed\xffpackage",
        &format!("?expires_at={expires}"),
    );
    assert_eq!(
        posted.status,
        200,
        "{}",
        String::from_utf8_lossy(&posted.body)
    );
    let posted: Posted = serde_json::from_slice(&posted.body).unwrap();
    assert_eq!(posted.expires_at, expires);
    assert_eq!(posted.size, 15);

    // ... and one in the JSON form, with the ordinary client (default expiry).
    let client_a = Client::new(base, secret(a), None).unwrap();
    let before = unix_now();
    let posted_json: Posted = client_a
        .post(
            &format!("/v1/mailbox/{}", node(b)),
            &serde_json::json!({"payload": "c0ffee"}),
        )
        .unwrap();
    assert!(posted_json.expires_at >= before + DEFAULT_TTL_SECS);
    assert!(posted_json.expires_at <= unix_now() + DEFAULT_TTL_SECS);

    // B lists and fetches both ways.
    let items = list(base, b);
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i.sender == node(a)));
    let raw_item = raw(
        base,
        Some(b),
        "GET",
        &format!("/v1/mailbox/{}", posted.id),
        None,
        None,
    );
    assert_eq!(raw_item.status, 200);
    assert_eq!(raw_item.content_type, "application/octet-stream");
    assert_eq!(raw_item.body, b"\x00sealed\xffpackage");
    let client_b = Client::new(base, secret(b), None).unwrap();
    let fetched: FetchedItem = client_b
        .get(&format!("/v1/mailbox/{}", posted_json.id))
        .unwrap();
    assert_eq!(fetched.payload, "c0ffee");
    assert_eq!(fetched.meta.id, posted_json.id);
    assert_eq!(fetched.meta.sender, node(a));
    let listed: Vec<ItemMeta> = client_b.get("/v1/mailbox").unwrap();
    assert_eq!(listed, items);

    // C (and A, the sender) cannot see B's items: the same 404 as an unknown id.
    assert!(list(base, c).is_empty());
    assert!(list(base, a).is_empty());
    let unknown = ItemId([7; 16]);
    for (who, id) in [(c, posted.id), (a, posted.id), (b, unknown)] {
        let target = format!("/v1/mailbox/{id}");
        for method in ["GET", "DELETE"] {
            let answer = raw(base, Some(who), method, &target, None, None);
            assert_eq!(answer.status, 404, "{method} by {who}");
            assert_eq!(answer.code(), "unknown_item");
            assert_eq!(
                answer.json()["error"]["message"],
                format!("no mailbox item {id} for this node")
            );
        }
    }
    assert_eq!(list(base, b).len(), 2);

    // B deletes: 204, then the item is unknown.
    let target = format!("/v1/mailbox/{}", posted.id);
    let deleted = raw(base, Some(b), "DELETE", &target, None, None);
    assert_eq!(deleted.status, 204);
    assert!(deleted.body.is_empty());
    assert_eq!(raw(base, Some(b), "GET", &target, None, None).status, 404);
    assert_eq!(
        raw(base, Some(b), "DELETE", &target, None, None).status,
        404
    );
    assert_eq!(list(base, b).len(), 1);

    // Malformed requests.
    let bad = raw(
        base,
        Some(a),
        "POST",
        "/v1/mailbox/not-a-node",
        Some(("application/octet-stream", b"x")),
        None,
    );
    assert_eq!(
        (bad.status, bad.code().as_str()),
        (400, "invalid_recipient")
    );
    let bad = raw(base, Some(b), "GET", "/v1/mailbox/xyz", None, None);
    assert_eq!((bad.status, bad.code().as_str()), (400, "invalid_item_id"));
    for query in [
        "?expires_at=1",
        &format!("?expires_at={}", unix_now() + MAX_TTL_SECS + 600),
        "?expires_at=soon",
    ] {
        let bad = post_raw(base, a, b, b"x", query);
        assert_eq!(
            (bad.status, bad.code().as_str()),
            (400, "invalid_expiry"),
            "{query}"
        );
    }
    let bad = post_raw(base, a, b, b"", "");
    assert_eq!((bad.status, bad.code().as_str()), (400, "empty_item"));
    let e = client_a
        .post::<_, Posted>(
            &format!("/v1/mailbox/{}", node(b)),
            &serde_json::json!({"payload": "xyz"}),
        )
        .unwrap_err();
    assert_eq!(api_code(e), (400, "invalid_body".to_owned()));
}

#[test]
fn http_limits_expiry_restart_and_authentication() {
    let root = tempfile::tempdir().unwrap();
    let s = s_wallet(root.path());
    let mut server = Server::start(&s);
    let base = server.url.clone();
    let (a, b) = (1u8, 2u8);

    // Size: over the item limit → 413 item_too_large; over the body limit → 413 body_too_large.
    let big = post_raw(&base, a, b, &vec![1; MAX_ITEM_BYTES + 1], "");
    assert_eq!((big.status, big.code().as_str()), (413, "item_too_large"));
    let msg = big.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(msg.contains(&(MAX_ITEM_BYTES + 1).to_string()), "{msg}");
    let huge = post_raw(&base, a, b, &vec![1; 100 * 1024], "");
    assert_eq!((huge.status, huge.code().as_str()), (413, "body_too_large"));
    assert_eq!(
        post_raw(&base, a, b, &vec![1; MAX_ITEM_BYTES], "").status,
        200
    );

    // Counts: A has no channel with S, so it is a stranger with a small share of B's
    // mailbox → 409 sender_limit.
    for _ in 1..MAX_ITEMS_PER_STRANGER {
        assert_eq!(post_raw(&base, a, b, b"p", "").status, 200);
    }
    let over = post_raw(&base, a, b, b"p", "");
    assert_eq!((over.status, over.code().as_str()), (409, "sender_limit"));
    // Strangers together hold at most their share of B's mailbox (the rest is kept for
    // senders with a channel): once it is full, a stranger's post is not refused for good
    // (409 mailbox_full would let junk block a real payment) but must prove more work than
    // the weakest stranger item, which it replaces (issue 9 item 7: without work, fresh keys
    // would displace a real package for free).
    for sender in 10..10 + (MAX_STRANGER_ITEMS_PER_RECIPIENT / MAX_ITEMS_PER_STRANGER - 1) as u8 {
        for _ in 0..MAX_ITEMS_PER_STRANGER {
            assert_eq!(post_raw(&base, sender, b, b"p", "").status, 200);
        }
    }
    let before = list(&base, b);
    assert_eq!(before.len(), MAX_STRANGER_ITEMS_PER_RECIPIENT);
    let free = post_raw(&base, 60, b, b"p", "");
    assert_eq!((free.status, free.code().as_str()), (409, "work_required"));
    assert_eq!(list(&base, b), before);
    let fresh = asyncpay::server::mailbox::post_package(
        &Client::new(&base, secret(60), None).unwrap(),
        &node(b),
        b"p",
        None,
    )
    .unwrap();
    let after = list(&base, b);
    assert_eq!(after.len(), MAX_STRANGER_ITEMS_PER_RECIPIENT);
    assert!(after.iter().any(|i| i.id == fresh.id));
    assert!(
        !after.iter().any(|i| i.id == before[0].id),
        "the oldest went"
    );

    // Expiry: an item for C that expires in 2 s is gone after it (2, not 1: a second can
    // tick between reading the clock here and S reading it).
    let c = 3u8;
    let short = post_raw(
        &base,
        a,
        c,
        b"short",
        &format!("?expires_at={}", unix_now() + 2),
    );
    assert_eq!(short.status, 200);
    let short: Posted = serde_json::from_slice(&short.body).unwrap();
    let kept = post_raw(&base, a, c, b"kept across a restart", "");
    let kept: Posted = serde_json::from_slice(&kept.body).unwrap();
    while unix_now() < short.expires_at {
        std::thread::sleep(Duration::from_millis(100));
    }
    let gone = raw(
        &base,
        Some(c),
        "GET",
        &format!("/v1/mailbox/{}", short.id),
        None,
        None,
    );
    // Either the fetch finds it expired, or S's run loop pruned it first.
    assert_eq!(gone.status, 404);
    assert!(
        matches!(gone.code().as_str(), "item_expired" | "unknown_item"),
        "{}",
        gone.code()
    );
    assert_eq!(
        list(&base, c).iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![kept.id]
    );

    // Restart: S is killed and restarted on the same port; C fetches its item.
    let port = server.port();
    let _ = server.child.kill();
    let _ = server.child.wait();
    server = Server::start_with(&s, &port, &[], None);
    assert_eq!(server.url, base);
    let again = raw(
        &base,
        Some(c),
        "GET",
        &format!("/v1/mailbox/{}", kept.id),
        None,
        None,
    );
    assert_eq!(again.status, 200);
    assert_eq!(again.body, b"kept across a restart");
    assert_eq!(list(&base, b).len(), MAX_STRANGER_ITEMS_PER_RECIPIENT);

    // Unsigned requests: 401 on every mailbox route, and nothing changes.
    let item = format!("/v1/mailbox/{}", kept.id);
    let post_target = format!("/v1/mailbox/{}", node(c));
    for (method, target, body) in [
        (
            "POST",
            post_target.as_str(),
            Some(("application/octet-stream", &b"x"[..])),
        ),
        ("GET", "/v1/mailbox", None),
        ("GET", item.as_str(), None),
        ("DELETE", item.as_str(), None),
    ] {
        let answer = raw(&base, None, method, target, body, None);
        assert_eq!(answer.status, 401, "{method} {target}");
        assert_eq!(answer.code(), "auth_missing");
    }
    // A request signed by one node for another's path is still only that node's view.
    assert_eq!(list(&base, c).len(), 1);
    drop(server);
}

/// S's run loop drops expired items by itself: their files disappear without anyone
/// touching the mailbox.
#[test]
fn the_run_loop_prunes_expired_items() {
    let root = tempfile::tempdir().unwrap();
    let s = s_wallet(root.path());
    let server = Server::start(&s);
    // 2 s, not 1: a second can tick between reading the clock here and S reading it.
    let expires = unix_now() + 2;
    let posted = post_raw(
        &server.url,
        1,
        2,
        b"short-lived",
        &format!("?expires_at={expires}"),
    );
    assert_eq!(
        posted.status,
        200,
        "{}",
        String::from_utf8_lossy(&posted.body)
    );
    let files = || mailbox_records(&s.dir);
    assert_eq!(files(), 1);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while files() != 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the expired item was never pruned"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(server);
}

/// How many mailbox items S's records database holds (read beside S, as an operator could).
fn mailbox_records(dir: &std::path::Path) -> usize {
    let conn = rusqlite::Connection::open_with_flags(
        dir.join(asyncpay::store::DB_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    conn.query_row(
        "SELECT COUNT(*) FROM records WHERE coll = 'mailbox'",
        [],
        |r| r.get::<_, i64>(0),
    )
    .unwrap() as usize
}
