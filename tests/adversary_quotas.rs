//! Two holes in already-fixed items (issue 9, items 7 and 15), attacked through the real
//! interfaces: signed HTTP to a real `server run` on 127.0.0.1.
//!
//! - a request captured before S restarts does not replay after the restart: S keeps the
//!   replay cache's live entries on disk (`replay/`), so the second effect never happens;
//! - the journal is no fsync flood: reads are not journaled, and a stranger stamping its
//!   requests just inside the clock window's past edge gets no more than its budget;
//! - junk from fresh node keys cannot displace a stranger's real package: once the
//!   strangers' share of a mailbox is full, a stranger's post must prove more work than the
//!   weakest stranger item it displaces, so free keys alone change nothing, and displacing a
//!   package that proved `w` bits costs at least a share's worth of `w`-bit work.
//! - a member (a node with a channel at S) posting to made-up recipients stops at its
//!   limit of items waiting in all mailboxes together.

use asyncpay::keys::NodeId;
use asyncpay::net::auth::{AuthHeader, DEFAULT_MAX_PER_STRANGER};
use asyncpay::net::client::Client;
use asyncpay::net::NetError;
use asyncpay::server::mailbox::{
    leading_zero_bits, post_package, solve_work, work_digest, work_prefix, FetchedItem, ItemMeta,
    Mailbox, MailboxError, MailboxLimits, PostItem, Posted, WorkNeeded, MAX_ITEMS_PER_MEMBER,
    MAX_ITEMS_PER_SENDER, MAX_ITEMS_PER_STRANGER, MAX_STRANGER_ITEMS_PER_RECIPIENT,
    RECOMMENDED_WORK_BITS,
};
use asyncpay::store::{DataDir, LockWait};
use bitcoin::secp256k1::SecretKey;
use serde_json::{json, Value};

mod common;

use common::hostile::{node_of, now, secret, send, server_id};
use common::procs::{Env, Server};
use common::story::{keys_of, server_init, Story};

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
    let r = secret(0x6b, 7);
    let target = format!("/v1/mailbox/{}", node_of(&r));
    let body = json!({"payload": "c0ffee"}).to_string();
    // The operator's request posting `body` for R, stamped `ts`, under a fresh nonce.
    let signed = |ts: u64| {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).unwrap();
        AuthHeader::sign(
            &asyncpay::net::auth::keypair(&operator),
            &s_node,
            "POST",
            &target,
            body.as_bytes(),
            ts,
            nonce,
        )
        .to_string()
    };
    let auth = signed(now());
    let (status, answer) = send(&server.url, "POST", &target, &auth, Some(body.as_bytes()));
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = send(&server.url, "POST", &target, &auth, Some(body.as_bytes()));
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
    let (status, answer) = send(&server.url, "POST", &target, &auth, Some(body.as_bytes()));
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
    let late = signed(now() - 60);
    let (status, answer) = send(&server.url, "POST", &target, &late, Some(body.as_bytes()));
    assert_eq!(status, 200, "{answer}");

    // The journal cannot be written (its directory replaced by a file): S does not act on
    // a state-changing request it could not record, and says so plainly.
    let journal = s.dir.join("replay");
    let aside = s.dir.join("replay.aside");
    std::fs::rename(&journal, &aside).unwrap();
    std::fs::write(&journal, b"").unwrap();
    let unrecorded = signed(now());
    let (status, answer) = send(
        &server.url,
        "POST",
        &target,
        &unrecorded,
        Some(body.as_bytes()),
    );
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (503, Some("server_storage")),
        "{answer}"
    );
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("did not act on it") && !message.contains("  "),
        "{message}"
    );
    let listed: Vec<ItemMeta> = Client::new(&server.url, r, None)
        .unwrap()
        .get("/v1/mailbox")
        .unwrap();
    assert_eq!(
        listed.len(),
        2,
        "no effect of the request S could not record"
    );
    // The journal back, S acts again: on a request signed anew (the refused one's nonce
    // stays used, on the safe side).
    std::fs::remove_file(&journal).unwrap();
    std::fs::rename(&aside, &journal).unwrap();
    let again = signed(now());
    let (status, answer) = send(&server.url, "POST", &target, &again, Some(body.as_bytes()));
    assert_eq!(status, 200, "{answer}");
    drop(server);
}

/// Bytes in the replay journal of wallet `s`'s server.
fn journaled(s: &common::procs::Wallet) -> u64 {
    std::fs::read_dir(s.dir.join("replay"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum()
}

// ---------------------------------------------------------------------------------------
// The journal is no fsync flood: a stranger stamping its requests just inside the clock
// window still gets only its budget per window, and reads are not journaled.
// ---------------------------------------------------------------------------------------

#[test]
fn a_stranger_stamping_in_the_past_gets_no_more_than_its_budget_and_reads_are_not_journaled() {
    let env = Env::new();
    let s = env.wallet("s");
    server_init(&s, None);
    let operator = keys_of(&s).node_secret();
    let server = Server::start(&s);
    let s_node = server_id(&server.url);
    let ask = |key: &SecretKey, ts: u64| {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).unwrap();
        let auth = AuthHeader::sign(
            &asyncpay::net::auth::keypair(key),
            &s_node,
            "GET",
            "/v1/mailbox",
            b"",
            ts,
            nonce,
        );
        send(&server.url, "GET", "/v1/mailbox", &auth.to_string(), None)
    };
    let refused = |(status, answer): (u16, Value)| {
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (429, Some("rate_limited")),
            "{answer}"
        );
    };
    let before = journaled(&s);

    // With current stamps: the budget, then refused.
    let honest = secret(0x6b, 900);
    for _ in 0..DEFAULT_MAX_PER_STRANGER {
        let (status, answer) = ask(&honest, now());
        assert_eq!(status, 200, "{answer}");
    }
    refused(ask(&honest, now()));

    // Stamped 119 s back, each stamp leaves the clock window within a second or two; the
    // budget does not: it counts requests by when S admitted them.
    let flooder = secret(0x6b, 901);
    for _ in 0..DEFAULT_MAX_PER_STRANGER {
        let (status, answer) = ask(&flooder, now() - 119);
        assert_eq!(status, 200, "{answer}");
    }
    refused(ask(&flooder, now() - 119));
    std::thread::sleep(std::time::Duration::from_secs(3));
    for _ in 0..5 {
        refused(ask(&flooder, now() - 119));
    }

    // None of these reads was journaled (no sync each); a request that changes state is.
    assert_eq!(journaled(&s), before);
    let target = format!("/v1/mailbox/{}", node_of(&secret(0x6b, 7)));
    let body = json!({"payload": "c0ffee"}).to_string();
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).unwrap();
    let auth = AuthHeader::sign(
        &asyncpay::net::auth::keypair(&operator),
        &s_node,
        "POST",
        &target,
        body.as_bytes(),
        now(),
        nonce,
    )
    .to_string();
    let (status, answer) = send(&server.url, "POST", &target, &auth, Some(body.as_bytes()));
    assert_eq!(status, 200, "{answer}");
    assert!(journaled(&s) > before);
    drop(server);
}

// ---------------------------------------------------------------------------------------
// Item 7: junk from fresh keys cannot displace (or keep out) a stranger's real package.
// ---------------------------------------------------------------------------------------

/// A junk post of `key` for `to`, proving exactly `bits` of work (none when 0).
fn junk(url: &str, key: SecretKey, to: &NodeId, n: u16, bits: u8) -> Result<Posted, NetError> {
    let client = Client::new(url, key, None).unwrap();
    let payload = n.to_be_bytes().repeat(8);
    let sender = client.node_id();
    client.post_stamped(&format!("/v1/mailbox/{to}"), |server, ts, nonce| {
        let prefix = work_prefix(server, &sender, to, &payload, ts, nonce);
        PostItem {
            payload: payload.iter().map(|b| format!("{b:02x}")).collect(),
            expires_at: None,
            work: (bits > 0).then(|| {
                (0u64..)
                    .find(|w| leading_zero_bits(&work_digest(&prefix, *w)) == bits)
                    .unwrap()
            }),
        }
    })
}

fn work_needed(url: &str, key: SecretKey, to: &NodeId) -> WorkNeeded {
    Client::new(url, key, None)
        .unwrap()
        .get(&format!("/v1/mailbox/{to}/work"))
        .unwrap()
}

fn code(result: Result<Posted, NetError>) -> (u16, String) {
    match result {
        Err(NetError::Api { status, code, .. }) => (status, code),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn junk_from_fresh_keys_cannot_displace_a_strangers_package() {
    let env = Env::new();
    let s = env.wallet("s");
    server_init(&s, None);
    let operator = keys_of(&s).node_secret();
    let server = Server::start(&s);
    let url = server.url.clone();
    let b = secret(0x6b, 1);
    let b_node = node_of(&b);
    let list = || -> Vec<ItemMeta> {
        Client::new(&url, b, None)
            .unwrap()
            .get("/v1/mailbox")
            .unwrap()
    };
    let mut key = 100u16;
    let mut fresh = || {
        key += 1;
        secret(0x6b, key)
    };

    // Fresh keys (free) fill the strangers' share of B's mailbox; while it has room, posts
    // cost nothing.
    let per_key = MAX_ITEMS_PER_STRANGER as u16;
    let keys = MAX_STRANGER_ITEMS_PER_RECIPIENT as u16 / per_key;
    for _ in 0..keys {
        let k = fresh();
        for i in 0..per_key {
            junk(&url, k, &b_node, i, 0).unwrap();
        }
    }
    let flooded = list();
    assert_eq!(flooded.len(), MAX_STRANGER_ITEMS_PER_RECIPIENT);
    // Now the share is full: more fresh keys without work displace nothing.
    for n in 0..30 {
        assert_eq!(
            code(junk(&url, fresh(), &b_node, n, 0)),
            (409, "work_required".to_owned())
        );
    }
    assert_eq!(list(), flooded);
    let needed = work_needed(&url, fresh(), &b_node);
    assert_eq!(
        needed,
        WorkNeeded {
            member: false,
            required_bits: 1,
            recommended_bits: RECOMMENDED_WORK_BITS
        }
    );
    // The operator (a member) needs none.
    assert!(work_needed(&url, operator, &b_node).member);
    assert_eq!(work_needed(&url, operator, &b_node).required_bits, 0);

    // A stranger payer (a client of another server, say) posts its package the way `pay`
    // does: it gets in, proving the recommended work, and only the weakest (oldest
    // zero-work) junk item went.
    let payer = fresh();
    let package = b"sealed package of a real payment".to_vec();
    let payer_client = Client::new(&url, payer, None).unwrap();
    let posted = post_package(&payer_client, &b_node, &package, None).unwrap();
    let listed = list();
    assert_eq!(listed.len(), MAX_STRANGER_ITEMS_PER_RECIPIENT);
    assert!(listed.iter().any(|i| i.id == posted.id));
    assert!(!listed.iter().any(|i| i.id == flooded[0].id));

    // The flood goes on with work: each post must beat the weakest stranger item and
    // displaces it. 80 posts later the price has risen, and the payer's package is still
    // there; a post below the price is refused.
    let mut spent = 0f64;
    for n in 0..80 {
        let k = fresh();
        let bits = work_needed(&url, k, &b_node).required_bits;
        assert!(bits >= 1);
        if n % 20 == 0 {
            assert_eq!(
                code(junk(&url, k, &b_node, n, bits - 1)),
                (409, "work_required".to_owned())
            );
        }
        junk(&url, k, &b_node, n, bits).unwrap();
        spent += 2f64.powi(i32::from(bits));
    }
    let required = work_needed(&url, fresh(), &b_node).required_bits;
    assert!(required >= 3, "{required}");
    assert!(spent > 80.0 * 2.0);
    let listed = list();
    assert_eq!(listed.len(), MAX_STRANGER_ITEMS_PER_RECIPIENT);
    assert!(
        listed.iter().any(|i| i.id == posted.id),
        "the package stays"
    );

    // B receives it, intact.
    let fetched: FetchedItem = Client::new(&url, b, None)
        .unwrap()
        .get(&format!("/v1/mailbox/{}", posted.id))
        .unwrap();
    assert_eq!(fetched.meta.sender, node_of(&payer));
    assert_eq!(
        fetched.payload,
        package
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );

    // A proof of work is good for its one request only: the same work nonce in another
    // request (fresh nonce) proves (almost surely) nothing.
    let prefix = work_prefix(&node_of(&operator), &b_node, &b_node, &package, 1, &[0; 16]);
    let nonce = solve_work(&prefix, 12);
    let other = work_prefix(&node_of(&operator), &b_node, &b_node, &package, 1, &[1; 16]);
    assert!(leading_zero_bits(&work_digest(&prefix, nonce)) >= 12);
    assert!(leading_zero_bits(&work_digest(&other, nonce)) < 12);
    drop(server);
}

/// The bound of the doc, exactly, on S's mailbox logic with a small share: a package that
/// proved `w` bits goes only after every other stranger item of the share proved at least
/// `w`, and then only to a post proving `w + 1`.
#[test]
fn displacing_a_package_takes_the_whole_share_at_its_work() {
    let dir = tempfile::tempdir().unwrap();
    let store = DataDir::open(&dir.path().join("s"), LockWait::Fail)
        .unwrap()
        .create_with_passphrase(&age::secrecy::SecretString::from("pw".to_owned()), 2)
        .unwrap();
    let share = 4;
    let mb = Mailbox::open(store)
        .unwrap()
        .with_members(|_| false)
        .with_limits(MailboxLimits {
            max_stranger_items_per_recipient: share,
            ..MailboxLimits::default()
        });
    const NOW: u64 = 1_800_000_000;
    let b = node_of(&secret(0x6b, 1));
    let w = 20u8;
    let mut n = 200u16;
    // One post a second: among equal work, the oldest goes.
    let mut post = |work: u8| {
        n += 1;
        let at = NOW + u64::from(n);
        mb.post_with_work(node_of(&secret(0x6b, n)), b, vec![1], None, at, work)
    };
    for _ in 0..share - 1 {
        post(0).unwrap();
    }
    let package = post(w).unwrap();
    let ids = |mb: &Mailbox| {
        mb.list(&b, NOW + 1000)
            .unwrap()
            .iter()
            .map(|i| i.id)
            .collect::<Vec<_>>()
    };
    // Cheap junk only displaces the weaker junk.
    for _ in 0..share - 1 {
        post(w).unwrap();
        assert!(ids(&mb).contains(&package.id));
    }
    // Now all others proved w: w bits are not enough, w + 1 are.
    assert_eq!(
        post(w).unwrap_err(),
        MailboxError::WorkRequired {
            recipient: b,
            required: w + 1,
            proven: w
        }
    );
    assert!(ids(&mb).contains(&package.id));
    post(w + 1).unwrap();
    assert!(!ids(&mb).contains(&package.id));
}

/// A member (a node with an open channel at S: no work, long lifetimes) cannot fill S's
/// mailboxes alone by posting to made-up recipients: through the real `server run`, A posts
/// its 20 items to each of 50 fresh node ids, and its next post, to anyone, is refused
/// (409 `sender_limit`) while another member still posts; once a recipient took one of A's
/// items, A has room for one more.
#[test]
fn a_member_posting_to_made_up_recipients_stops_at_its_limit() {
    let st = Story::new(&[]);
    let url = st.server.url.clone();
    let a = keys_of(&st.a).node_secret();
    let recipients: Vec<SecretKey> = (0..MAX_ITEMS_PER_MEMBER / MAX_ITEMS_PER_SENDER)
        .map(|i| secret(0x6c, i as u16 + 1))
        .collect();
    for r in &recipients {
        for n in 0..MAX_ITEMS_PER_SENDER as u16 {
            junk(&url, a, &node_of(r), n, 0).unwrap();
        }
    }
    let fresh = node_of(&secret(0x6c, 999));
    let (status, code_) = code(junk(&url, a, &fresh, 0, 0));
    assert_eq!((status, code_.as_str()), (409, "sender_limit"));
    // Another member is not held back by A's items.
    let b = keys_of(&st.b).node_secret();
    junk(&url, b, &fresh, 0, 0).unwrap();
    // A recipient fetches and deletes one of A's items: A has room for one, and no more.
    let first = Client::new(&url, recipients[0], None).unwrap();
    let items: Vec<ItemMeta> = first.get("/v1/mailbox").unwrap();
    assert_eq!(items.len(), MAX_ITEMS_PER_SENDER);
    let item = format!("/v1/mailbox/{}", items[0].id);
    let _: FetchedItem = first.get(&item).unwrap();
    first.delete(&item).unwrap();
    junk(&url, a, &fresh, 1, 0).unwrap();
    assert_eq!(code(junk(&url, a, &fresh, 2, 0)).0, 409);
}
