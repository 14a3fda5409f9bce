//! `asyncpay status` through the binary: the wallet at a glance after the payment story's
//! setup (channels open, one payment pending), its `--json` shape, that it changes no
//! record, and a server that is down reported as unreachable with exit status 0.

use serde_json::Value;

mod common;

use common::story::Story;

fn records(w: &common::procs::Wallet) -> Vec<u8> {
    std::fs::read(w.dir.join("records.sqlite")).unwrap()
}

fn sat(v: &Value, field: &str) -> u64 {
    v[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} in {v}"))
}

#[test]
fn status_shows_balances_pending_payments_channels_and_servers() {
    let st = Story::new(&[]);
    let (a, b) = (&st.a, &st.b);
    // A pays 10 000 sat (+ S's fee 10) while B is offline; B then sells without claiming.
    let pid = st.pay(10_000);
    b.ok(&["receive", "--no-claim"]);
    let tip = st.env.ledger().tip().unwrap().height;

    let before = records(a);
    let v = a.ok(&["status"]);
    assert_eq!(records(a), before, "status changed a record");

    // One JSON object: these fields and no others.
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "channels",
            "channels_sat",
            "network",
            "node_id",
            "onchain_confirmed_sat",
            "onchain_unconfirmed_sat",
            "pending_incoming_count",
            "pending_incoming_sat",
            "pending_outgoing_count",
            "pending_outgoing_sat",
            "servers",
            "tip_height",
        ],
        "{v}"
    );
    assert_eq!(v["node_id"], a.ok(&["wallet", "info"])["node_id"]);
    assert_eq!(v["network"], "regtest");
    assert_eq!(v["tip_height"], tip);
    let balance = a.ok(&["wallet", "balance"]);
    assert_eq!(
        sat(&v, "onchain_confirmed_sat"),
        sat(&balance, "confirmed_sat")
    );
    assert!(sat(&v, "onchain_confirmed_sat") > 0, "{v}");
    assert_eq!(sat(&v, "onchain_unconfirmed_sat"), 0, "{v}");
    // A's side of the open channel: the balance before the pending payment.
    assert_eq!(sat(&v, "channels_sat"), 200_000, "{v}");
    assert_eq!(sat(&v, "pending_outgoing_count"), 1, "{v}");
    assert_eq!(sat(&v, "pending_outgoing_sat"), 10_010, "{v}");
    assert_eq!(sat(&v, "pending_incoming_count"), 0, "{v}");
    assert_eq!(sat(&v, "pending_incoming_sat"), 0, "{v}");
    assert_eq!(
        v["channels"],
        serde_json::json!({"abandoned": 0, "awaiting_funding": 0, "closed": 0,
                           "closing": 0, "open": 1, "opening": 0}),
        "{v}"
    );
    let servers = v["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 1, "{v}");
    assert_eq!(servers[0]["url"], st.server.url.as_str());
    assert_eq!(
        servers[0]["node_id"],
        a.ok(&["channel", "show", &st.a_channel])["server_node_id"]
    );
    assert_eq!(servers[0]["reachable"], true, "{v}");
    assert_eq!(servers[0]["channels"], 1);
    assert!(servers[0]["version"].is_string(), "{v}");
    assert!(servers[0].get("error").is_none(), "{v}");

    // B: the sold payment is incoming and pending until claimed.
    let vb = b.ok(&["status"]);
    assert_eq!(sat(&vb, "pending_incoming_count"), 1, "{vb}");
    assert_eq!(sat(&vb, "pending_incoming_sat"), 10_000, "{vb}");
    assert_eq!(sat(&vb, "pending_outgoing_count"), 0, "{vb}");
    assert_eq!(vb["servers"][0]["reachable"], true, "{vb}");

    // Human output: one aligned line per item.
    let (code, text, _) = a.human(&["status"]);
    assert_eq!(code, 0);
    for label in [
        "node id",
        "network",
        "chain tip",
        "on-chain",
        "in channels",
        "pending out",
        "pending in",
        "server",
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no {label} line in\n{text}"));
        // The values start in one column.
        assert_eq!(line[..14].trim_end(), label, "{line}");
    }
    assert!(text.contains("200,000 sat"), "{text}");
    assert!(text.contains("10,010 sat  1 payment "), "{text}");
    assert!(text.contains("1 open"), "{text}");
    assert!(text.contains("1 channel  answers"), "{text}");

    // S goes down: reported, not an error; nothing else changes.
    let url = st.server.url.clone();
    drop(st.server);
    let before = records(a);
    let down = a.ok(&["status"]);
    assert_eq!(records(a), before, "status changed a record");
    assert_eq!(down["servers"][0]["url"], url.as_str());
    assert_eq!(down["servers"][0]["reachable"], false, "{down}");
    assert!(down["servers"][0]["error"].is_string(), "{down}");
    assert_eq!(sat(&down, "channels_sat"), 200_000, "{down}");
    assert_eq!(sat(&down, "pending_outgoing_count"), 1, "{down}");
    let (code, text, _) = a.human(&["status"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("1 channel  unreachable: "), "{text}");
    assert_eq!(
        a.ok(&["payments", "show", &pid])["status"],
        "pending",
        "status did not touch the payment"
    );
}
