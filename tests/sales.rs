//! The operator of a `server run --manual` approves each sale (`asyncpay server sales
//! list|approve`), with real processes: the commands unlock S's wallet read-only while the
//! running server holds its lock, and sign their requests with S's node key. A pays B, B's
//! sale waits in the queue, the operator approves it, B is paid — every balance checked to
//! the satoshi; wrong ids, a server that is not running and a node that is not the operator
//! get clear errors.

use std::process::Output;

use serde_json::Value;

mod common;

use common::procs::{command, free_port, Env, Server, Wallet};
use common::story::{fails, keys_of, server_init, Story};

/// `asyncpay` as `w` without `--json` (human output).
fn human(w: &Wallet, args: &[&str]) -> Output {
    w.command_with(command(), false, args).output().unwrap()
}

fn message(e: &Value) -> &str {
    e["error"]["message"].as_str().unwrap()
}

fn hint(e: &Value) -> &str {
    e["error"]["hint"].as_str().unwrap_or_default()
}

fn node_id(w: &Wallet) -> String {
    w.ok(&["wallet", "info"])["node_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn the_operator_approves_a_queued_sale_and_everyone_ends_right_to_the_satoshi() {
    let st = Story::with(Some(free_port()), &["--manual"], false);
    let (s, a, b) = (&st.s, &st.a, &st.b);

    // Nothing is queued yet: the server runs with --manual, B has not asked.
    let listed = s.ok(&["server", "sales", "list"]);
    assert_eq!(listed["manual"], true, "{listed}");
    assert_eq!(listed["server"], st.server.url.as_str());
    assert_eq!(listed["sales"], serde_json::json!([]));

    // A pays 10 000 sat while B is offline.
    let paid = a.ok(&["pay", &st.address, "10000"]);
    assert_eq!(paid["status"], "pending");
    assert_eq!(paid["fee_sat"], 10);
    let pid = paid["payment_id"].as_str().unwrap().to_owned();

    // B comes online: its sale waits for the operator; B's balance is unchanged.
    for _ in 0..2 {
        let out = b.cmd(&["receive"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let received: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(received["payments"][0]["payment_id"], pid.as_str());
        assert_eq!(received["payments"][0]["status"], "queued", "{received}");
        assert_eq!(st.b_balances(), (0, 300_000));
    }

    // `server status` counts it, while the running server holds S's data dir.
    let status = s.ok(&["server", "status"]);
    assert_eq!(status["server"], st.server.url.as_str(), "{status}");
    assert_eq!(status["node_id"].as_str().unwrap().len(), 66, "{status}");
    assert_eq!(status["manual"], true);
    assert_eq!(status["queued_sales"], 1);
    assert_eq!(status["payments"], serde_json::json!({"pending": 1}));
    assert_eq!(status["in_flight_sat"], 10_010);
    assert_eq!(status["channels"], serde_json::json!({"open": 2}));
    assert_eq!(status["watcher"]["status"], "ok");
    assert_eq!(status["quarantined"], 0);
    assert!(status["tip_height"].as_u64().unwrap() > 100, "{status}");
    let (started, now) = (&status["started_at"], &status["now"]);
    assert!(
        started.as_u64().unwrap() <= now.as_u64().unwrap(),
        "{status}"
    );
    let out = human(s, &["server", "status"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(&format!(
            "server       running at {}, up since ",
            st.server.url
        )),
        "{text}"
    );
    assert!(text.contains("manual, 1 waiting for approval"), "{text}");
    assert!(text.contains("1 pending; 10,010 sat in flight"), "{text}");

    // The operator sees it in the queue.
    let listed = s.ok(&["server", "sales", "list"]);
    let sales = listed["sales"].as_array().unwrap();
    assert_eq!(sales.len(), 1, "{listed}");
    let sale = &sales[0];
    assert_eq!(sale["payment_id"], pid.as_str());
    assert_eq!(sale["status"], "pending");
    assert_eq!(sale["payer"], node_id(a).as_str());
    assert_eq!(sale["payee"], node_id(b).as_str());
    assert_eq!(sale["amount_sat"], 10_000);
    assert_eq!(sale["fee_sat"], 10);
    assert_eq!(sale["expiry"], paid["expiry"]);
    assert_eq!(sale["sale_queued"], true);
    assert_eq!(sale["approved"], false);
    assert_eq!(sale["expired"], false);
    assert!(sale["created_at"].as_u64().unwrap() <= sale["expiry"].as_u64().unwrap());
    // --server overrides the address from the settings.
    let again = s.ok(&["server", "sales", "list", "--server", &st.server.url]);
    assert_eq!(again["sales"], listed["sales"]);
    // Human output: a table line per sale.
    let out = human(s, &["server", "sales", "list"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("PAYMENT "), "{text}");
    let line = text.lines().nth(1).unwrap();
    assert!(
        line.starts_with(&pid[..8]) && line.contains("10,000 sat"),
        "{text}"
    );

    // Approve: B's next receive sells and claims.
    let approved = s.ok(&["server", "sales", "approve", &pid]);
    assert_eq!(approved["payment_id"], pid.as_str());
    assert_eq!(approved["approved"], true);
    assert_eq!(approved["status"], "pending");
    assert_eq!(
        s.ok(&["server", "sales", "list"])["sales"],
        serde_json::json!([])
    );
    let received = b.ok(&["receive"]);
    assert_eq!(received["payments"][0]["payment_id"], pid.as_str());
    assert_eq!(received["payments"][0]["status"], "paid", "{received}");
    assert_eq!(st.b_balances(), (10_000, 290_000));

    // A returns and collects.
    let synced = a.ok(&["sync"]);
    assert_eq!(synced["payments"][0]["status"], "paid", "{synced}");
    assert_eq!(a.ok(&["payments", "show", &pid])["status"], "paid");
    assert_eq!(st.a_balances(), (189_990, 10_010));
    let status = s.ok(&["server", "status"]);
    assert_eq!(
        status["payments"],
        serde_json::json!({"paid": 1}),
        "{status}"
    );
    assert_eq!(status["in_flight_sat"], 0);
    assert_eq!(status["queued_sales"], 0);
    // Both channels' latest states: S has A's 10 010 and B's 290 000.
    assert_eq!(status["server_balance_sat"], 300_010, "{status}");
    assert_eq!(status["clients_balance_sat"], 199_990, "{status}");

    // Approving it again, or a payment S does not have: clear errors, exit 1.
    let e = fails(s, &["server", "sales", "approve", &pid], 1);
    assert!(message(&e).contains("is paid"), "{e}");
    assert!(message(&e).contains("only a pending sale"), "{e}");
    let unknown = "ab".repeat(32);
    let e = fails(s, &["server", "sales", "approve", &unknown], 1);
    assert!(
        message(&e).contains(&format!("no payment {unknown}")),
        "{e}"
    );
    assert!(hint(&e).contains("server sales list"), "{e}");
    // Not a payment id at all: a usage error before anything is unlocked or sent.
    let e = fails(s, &["server", "sales", "approve", "xyz"], 2);
    assert!(message(&e).contains("invalid payment id 'xyz'"), "{e}");
    assert_eq!(st.b_balances(), (10_000, 290_000));
    assert_eq!(st.a_balances(), (189_990, 10_010));

    // S stops: the operator is told to start it.
    let url = st.server.url.clone();
    drop(st.server);
    let e = fails(s, &["server", "sales", "list"], 4);
    assert_eq!(e["error"]["kind"], "unreachable");
    assert!(message(&e).contains(&url), "{e}");
    assert!(hint(&e).contains("asyncpay server run --manual"), "{e}");
    let e = fails(s, &["server", "status"], 4);
    assert!(
        message(&e).contains(&format!("not running at {url}")),
        "{e}"
    );
    assert!(
        hint(&e).contains("start it with `asyncpay server run`"),
        "{e}"
    );
    drop(st.env);
}

#[test]
fn only_the_operator_may_list_or_approve_sales() {
    let env = Env::new();
    let s = env.wallet("s");
    let port = free_port();
    server_init(&s, Some(port));
    let a = env.wallet("a");
    // The keys, read while no process holds the wallets.
    let (s_keys, a_keys) = (keys_of(&s), keys_of(&a));

    // Not running: exit 4 with the way to start it.
    let e = fails(&s, &["server", "sales", "list"], 4);
    assert!(
        message(&e).contains(&format!("not running at http://127.0.0.1:{port}")),
        "{e}"
    );
    assert!(
        hint(&e).contains("start it with `asyncpay server run --manual`"),
        "{e}"
    );
    let e = fails(&s, &["server", "sales", "approve", &"cd".repeat(32)], 4);
    assert_eq!(e["error"]["kind"], "unreachable", "{e}");

    let server = Server::start_with(&s, &port.to_string(), &["--manual"], None);
    let url = server.url.clone();

    // A wallet that is not a server has no sales and no server to ask.
    for args in [["sales", "list"].as_slice(), &["status"]] {
        let args = [&["server"], args, &["--server", &url]].concat();
        let e = fails(&a, &args, 2);
        assert!(message(&e).contains("not set up as a server"), "{e}");
    }

    // Another node signing the operator's requests: 403 not_operator.
    let client = asyncpay::net::client::Client::new(&url, a_keys.node_secret(), None).unwrap();
    let not_operator = |r: Result<Value, asyncpay::net::NetError>| match r {
        Err(asyncpay::net::NetError::Api { status, code, .. }) => {
            assert_eq!((status, code.as_str()), (403, "not_operator"));
        }
        other => panic!("expected 403 not_operator, got {other:?}"),
    };
    not_operator(client.get("/v1/admin/sales"));
    not_operator(client.get("/v1/admin/status"));
    let path = format!("/v1/admin/sales/{}/approve", "cd".repeat(32));
    not_operator(client.post(&path, &serde_json::json!({})));
    // S's own node key is the operator.
    let operator = asyncpay::net::client::Client::new(&url, s_keys.node_secret(), None).unwrap();
    let queued: Value = operator.get("/v1/admin/sales").unwrap();
    assert_eq!(
        queued,
        serde_json::json!({"manual": true, "quarantined": [], "sales": []})
    );
    match operator.post::<_, Value>(&path, &serde_json::json!({})) {
        Err(asyncpay::net::NetError::Api { status, code, .. }) => {
            assert_eq!((status, code.as_str()), (404, "unknown_payment"));
        }
        other => panic!("expected 404 unknown_payment, got {other:?}"),
    }
    // Another server's wallet pointed at this server: the CLI says so.
    let s2 = env.wallet("s2");
    server_init(&s2, Some(free_port()));
    let e = fails(&s2, &["server", "sales", "list", "--server", &url], 1);
    // Its requests are signed for its own node id (auth v2), so this server refuses them
    // before any operator check.
    assert!(message(&e).contains("signed for server"), "{e}");
    assert!(message(&e).contains("valid for one server only"), "{e}");

    // Without --manual nothing is queued, and the operator is told why.
    drop(server);
    let server = Server::start_with(&s, &port.to_string(), &[], None);
    let listed = s.ok(&["server", "sales", "list"]);
    assert_eq!(listed["manual"], false, "{listed}");
    let out = human(&s, &["server", "sales", "list"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("does not run with --manual"), "{text}");
    assert!(text.contains("no sales waiting for approval"), "{text}");
    drop(server);
}
