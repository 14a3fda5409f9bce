//! The asynchronous payment with real processes (PROTOCOL.md §5): a real `server run` on
//! 127.0.0.1, wallets A and B as separate `asyncpay` processes on the shared regtest ledger.
//! A pays while B is offline, B sells and claims, A collects — every balance checked to the
//! satoshi; cancels, expiry and hostile cases end with clear errors and no change.

use serde_json::Value;

mod common;

use common::procs::{to_node, value_at, Env, Server};
use common::story::{fails, keys_of, status, Story};

fn id(v: &Value) -> String {
    v["payment_id"].as_str().unwrap().to_owned()
}

#[test]
fn a_pays_while_b_is_offline_and_everyone_ends_right_to_the_satoshi() {
    let st = Story::new(&[]);
    let (a, b) = (&st.a, &st.b);

    // An amount below the dust limit could not be enforced on chain: refused up front.
    let dust = fails(a, &["pay", &st.address, "100"], 2);
    assert!(
        dust["error"]["message"].as_str().unwrap().contains("dust"),
        "{dust}"
    );
    assert_eq!(
        a.ok(&["payments", "list", "--all"])["payments"],
        serde_json::json!([])
    );

    // A pays 10 000 sat; B has not run anything since it shared its address.
    let paid = a.ok(&["pay", &st.address, "10000"]);
    assert_eq!(paid["status"], "pending");
    assert_eq!(paid["fee_sat"], 10);
    let pid = id(&paid);
    // A's balance is committed in the pending state, not yet in a signed one.
    assert_eq!(st.a_balances(), (200_000, 0));
    // A second payment on the same channel is refused clearly.
    let second = fails(a, &["pay", &st.address, "1000"], 1);
    assert!(
        second["error"]["message"]
            .as_str()
            .unwrap()
            .contains("pending"),
        "{second}"
    );

    // Only B sees the package in its mailbox: another node gets "unknown item".
    let item = paid["delivered"]
        .as_str()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_owned();
    let c = st.env.wallet("c");
    let c_client =
        asyncpay::net::client::Client::new(&st.server.url, keys_of(&c).node_secret(), None)
            .unwrap();
    match c_client.get::<Value>(&format!("/v1/mailbox/{item}")) {
        Err(asyncpay::net::NetError::Api { code, .. }) => assert_eq!(code, "unknown_item"),
        other => panic!("C fetched B's mailbox item: {other:?}"),
    }

    // A goes offline. B comes online: fetch, sell, claim.
    let received = b.ok(&["receive"]);
    assert_eq!(received["payments"][0]["payment_id"], pid.as_str());
    assert_eq!(received["payments"][0]["status"], "paid");
    assert_eq!(st.b_balances(), (10_000, 290_000));
    // Nothing left in B's mailbox; receiving again changes nothing.
    let again = b.ok(&["receive"]);
    assert_eq!(again["payments"].as_array().unwrap().len(), 0, "{again}");
    assert_eq!(st.b_balances(), (10_000, 290_000));

    // A returns: invoice, scalar and S's partial signature; state n+1 is complete.
    let synced = a.ok(&["sync"]);
    assert_eq!(synced["payments"][0]["status"], "paid", "{synced}");
    let shown = a.ok(&["payments", "show", &pid]);
    assert_eq!(shown["status"], "paid");
    assert_eq!(
        shown["invoice"]["body"]["payee"],
        b.ok(&["address"])["node_id"]
    );
    assert_eq!(st.a_balances(), (189_990, 10_010));

    // A cancelled payment: A's balance comes back in state n+2. B's later sale is refused,
    // which is not B's failure: `receive` succeeds and B records the payment cancelled.
    let p2 = id(&a.ok(&["pay", &st.address, "5000"]));
    let cancelled = a.ok(&["payments", "cancel", &p2]);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(st.a_balances(), (189_990, 10_010));
    let shown = a.ok(&["channel", "show", &st.a_channel]);
    assert_eq!(shown["state"], 3, "{shown}");
    let late = b.ok(&["receive"]);
    assert_eq!(late["payments"][0]["payment_id"], p2.as_str(), "{late}");
    assert_eq!(late["payments"][0]["status"], "cancelled", "{late}");
    let listed = b.ok(&["payments", "list", "--all"]);
    let gone = listed["payments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["payment_id"] == p2.as_str())
        .unwrap()
        .clone();
    assert_eq!(gone["status"], "cancelled", "{gone}");
    assert!(
        gone["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("payer cancelled"),
        "{gone} {late}"
    );
    let (code, text, _) = b.human(&["payments", "list", "--all"]);
    assert_eq!(code, 0);
    assert!(
        text.lines()
            .any(|l| l.starts_with(&p2[..8]) && l.contains("cancelled")),
        "{text}"
    );
    // Nothing more to do: a second `receive` leaves it as it is.
    b.ok(&["receive"]);
    assert_eq!(status(b, &p2), "cancelled");
    assert_eq!(st.b_balances(), (10_000, 290_000));

    // Channels keep working after payments.
    a.ok(&["channel", "push", &st.a_channel, "1000"]);
    assert_eq!(st.a_balances(), (188_990, 11_010));

    // Both force-close alone: the latest states settle on chain, to the satoshi.
    st.force_close_and_check((188_990, 11_010, 10_000, 290_000));
    drop(st.server);
}

/// `POST path` to S signed by `keys`' node key; the error code S answers (`None`: success).
fn post_as(
    url: &str,
    keys: &asyncpay::keys::WalletKeys,
    path: &str,
    body: &Value,
) -> Option<String> {
    let client = asyncpay::net::client::Client::new(url, keys.node_secret(), None).unwrap();
    match client.post::<_, Value>(path, body) {
        Ok(_) => None,
        Err(asyncpay::net::NetError::Api { code, .. }) => Some(code),
        Err(e) => panic!("{e}"),
    }
}

/// An invoice signed by `keys` for `fields`, as JSON.
fn invoice_json(
    keys: &asyncpay::keys::WalletKeys,
    fields: asyncpay::payment::InvoiceFields,
) -> Value {
    let invoice = asyncpay::payment::Invoice::sign(fields, &keys.node_keypair(), [7; 32]).unwrap();
    serde_json::from_slice::<Value>(&invoice.encode()).unwrap()["body"].clone()
}

#[test]
fn hostile_and_unlucky_sales_get_clear_errors_and_change_nothing() {
    let st = Story::new(&[]);
    let (a, b) = (&st.a, &st.b);
    let dir = st.env.root.path();
    let file = dir.join("package.age");
    let paid = a.ok(&[
        "pay",
        &st.address,
        "7000",
        "--package-out",
        file.to_str().unwrap(),
    ]);
    let pid = id(&paid);
    assert!(paid["delivered"].as_str().unwrap().starts_with("file "));
    let sealed = std::fs::read(&file).unwrap();
    assert!(sealed.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"));

    // Tampered and truncated packages: clear errors, nothing stored or sold.
    let mut tampered = String::from_utf8(sealed.clone()).unwrap();
    let at = tampered.len() / 2;
    let flipped = if &tampered[at..at + 1] == "A" {
        "B"
    } else {
        "A"
    };
    tampered.replace_range(at..at + 1, flipped);
    let bad = dir.join("tampered.age");
    std::fs::write(&bad, &tampered).unwrap();
    let e = fails(b, &["receive", "--package", bad.to_str().unwrap()], 1);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("package"),
        "{e}"
    );
    std::fs::write(&bad, &sealed[..sealed.len() / 2]).unwrap();
    let e = fails(b, &["receive", "--package", bad.to_str().unwrap()], 1);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("package"),
        "{e}"
    );
    assert_eq!(
        b.ok(&["payments", "list", "--all"])["payments"],
        serde_json::json!([])
    );

    // Another node C cannot open B's package, nor sell B's payment.
    let c = st.env.wallet("c");
    c.ok(&["channel", "request-inbound", &st.server.url, "100000"]);
    st.env.mine(1);
    let e = fails(&c, &["receive", "--package", file.to_str().unwrap()], 1);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not encrypted to this wallet"),
        "{e}"
    );
    let (b_keys, c_keys) = (keys_of(b), keys_of(&c));
    let package =
        asyncpay::payment::UpdatePackage::open(&sealed, &b_keys.mailbox_identity()).unwrap();
    let t_a = package.check().unwrap();
    let fields = asyncpay::payment::InvoiceFields {
        payment_id: package.payment_id,
        amount_sat: 7000,
        payment_point: t_a,
        expiry: package.expiry,
        payee: b_keys.node_id(),
    };
    let proposal = serde_json::json!({
        "channel_id": st.b_channel,
        "number": 1,
        "state": {"number": 1, "client_sat": 0, "server_sat": 293000,
                  "ptlcs": []},
        "proposer_nonce": package.payer_nonce.to_bytes().iter().map(|b| format!("{b:02x}")).collect::<String>(),
    });
    let sell = |keys, invoice: Value| {
        post_as(
            &st.server.url,
            keys,
            "/v1/payments/sell",
            &serde_json::json!({"invoice": invoice, "proposal": proposal}),
        )
    };
    let as_c = asyncpay::payment::InvoiceFields {
        payee: c_keys.node_id(),
        ..fields
    };
    assert_eq!(
        sell(&c_keys, invoice_json(&c_keys, as_c)).as_deref(),
        Some("unknown_payment")
    );
    assert_eq!(
        sell(&c_keys, invoice_json(&b_keys, fields)).as_deref(),
        Some("unknown_payment")
    );
    // B's invoice with a wrong amount or a wrong point.
    let wrong_amount = asyncpay::payment::InvoiceFields {
        amount_sat: 7001,
        ..fields
    };
    assert_eq!(
        sell(&b_keys, invoice_json(&b_keys, wrong_amount)).as_deref(),
        Some("invoice_mismatch")
    );
    let wrong_point = asyncpay::payment::InvoiceFields {
        payment_point: package.payer_funding,
        ..fields
    };
    assert_eq!(
        sell(&b_keys, invoice_json(&b_keys, wrong_point)).as_deref(),
        Some("wrong_point")
    );
    // A garbled signature.
    let mut forged = invoice_json(&b_keys, fields);
    forged["amount_sat"] = 7000.into();
    forged["expiry"] = (package.expiry + 1).into();
    assert_eq!(sell(&b_keys, forged).as_deref(), Some("invalid_invoice"));
    // C cannot see B's mailbox or A's payment either.
    assert_eq!(
        post_as(
            &st.server.url,
            &c_keys,
            "/v1/payments/cancel",
            &serde_json::json!({"payment_id": pid})
        )
        .as_deref(),
        Some("unknown_payment")
    );
    assert_eq!(st.b_balances(), (0, 300_000));
    assert_eq!(st.a_balances(), (200_000, 0));

    // The real package still sells once: B is paid, a second sale is refused.
    let got = b.ok(&["receive", "--package", file.to_str().unwrap(), "--no-claim"]);
    assert_eq!(got["payments"][0]["status"], "sold", "{got}");
    let shown = b.ok(&["payments", "show", &pid]);
    assert_eq!(shown["package"]["state_number"], 1, "{shown}");
    assert!(shown["package"].get("partial_signature").is_none());
    assert_eq!(
        sell(&b_keys, invoice_json(&b_keys, fields)).as_deref(),
        Some("already_sold")
    );
    // A cannot cancel once sold; the claim goes through and A collects.
    let e = fails(a, &["payments", "cancel", &pid], 1);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("sold"),
        "{e}"
    );
    assert_eq!(a.ok(&["payments", "show", &pid])["status"], "pending");
    let claimed = b.ok(&["claim", &pid]);
    assert_eq!(claimed["payments"][0]["status"], "paid", "{claimed}");
    assert_eq!(st.b_balances(), (7_000, 293_000));
    assert_eq!(a.ok(&["payments", "wait", &pid])["status"], "paid");
    assert_eq!(st.a_balances(), (192_993, 7_007));
    // Claiming again, receiving the same package again: nothing changes.
    let e = fails(b, &["claim", &pid], 1);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("paid"),
        "{e}"
    );
    b.ok(&["receive", "--package", file.to_str().unwrap()]);
    assert_eq!(st.b_balances(), (7_000, 293_000));
    drop(st.server);
}

#[test]
fn an_expired_payment_is_not_bought_and_comes_back_to_the_payer() {
    let st = Story::new(&[]);
    let (a, b) = (&st.a, &st.b);
    let file = st.env.root.path().join("p.age");
    let file = file.to_str().unwrap();
    let pid = id(&a.ok(&[
        "pay",
        &st.address,
        "4000",
        "--expiry",
        "2s",
        "--package-out",
        file,
    ]));
    std::thread::sleep(std::time::Duration::from_millis(2500));
    // Not B's failure: `receive` succeeds and B records the payment cancelled, expired.
    let got = b.ok(&["receive", "--package", file]);
    assert_eq!(got["payments"][0]["status"], "cancelled", "{got}");
    let shown = b.ok(&["payments", "show", &pid]);
    assert_eq!(shown["status"], "cancelled", "{shown}");
    assert!(
        shown["reason"].as_str().unwrap().contains("expired"),
        "{shown}"
    );
    assert_eq!(st.b_balances(), (0, 300_000));
    let synced = a.ok(&["sync"]);
    assert_eq!(synced["payments"][0]["status"], "cancelled", "{synced}");
    assert_eq!(a.ok(&["payments", "show", &pid])["status"], "cancelled");
    assert_eq!(st.a_balances(), (200_000, 0));
    let shown = a.ok(&["channel", "show", &st.a_channel]);
    assert_eq!(shown["state"], 2, "state 1 superseded by 2: {shown}");
    drop(st.server);
}

/// Mines `n` blocks one by one, giving S's watcher time to act after each.
fn mine_slowly(env: &Env, n: u32) {
    for _ in 0..n {
        env.mine(1);
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

#[test]
fn b_claims_on_chain_when_s_is_gone_and_s_completes_a_from_the_chain() {
    let mut st = Story::new(&[]);
    let port = st.server.port();
    let (a, b) = (st.a.clone(), st.b.clone());
    let pid = id(&a.ok(&["pay", &st.address, "10000"]));
    let sold = b.ok(&["receive", "--no-claim"]);
    assert_eq!(sold["payments"][0]["status"], "sold", "{sold}");
    // S disappears. While the PTLC's expiry is far, B's claim just waits for S.
    st.server.child.kill().unwrap();
    st.server.child.wait().unwrap();
    let e = fails(&b, &["claim", &pid], 4);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1"),
        "{e}"
    );
    assert_eq!(b.ok(&["channel", "show", &st.b_channel])["status"], "open");
    // Near the expiry, the claim force-closes the channel to take the PTLC on chain with
    // S's pre-signature: E = h + 14 (delay 6, C = 1), and B needs update, settlement and
    // claim confirmed by E (6 + 3·1 − 1 = 8 blocks) plus 2 of slack, so it closes at tip
    // h + 4 (at h + 7 or later it would reveal nothing: too late).
    st.env.mine(4);
    let e = fails(&b, &["claim", &pid], 1);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("force-closed"),
        "{e}"
    );
    st.env.mine(7);
    let waiting = b.cmd(&["claim", &pid]).output().unwrap();
    assert_eq!(
        waiting.status.code(),
        Some(1),
        "the settlement is published, not confirmed"
    );
    st.env.mine(1);
    let published = b.ok(&["claim", &pid]);
    assert_eq!(published["payments"][0]["status"], "sold", "{published}");
    assert!(published["payments"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("published"));
    st.env.mine(1);
    let claimed = b.ok(&["claim", &pid]);
    assert_eq!(claimed["payments"][0]["status"], "paid", "{claimed}");
    assert!(claimed["payments"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("on chain"));
    assert_eq!(value_at(&st.env, &to_node(&b, 0)), 10_000);
    assert_eq!(value_at(&st.env, &st.s_to_node[1]), 290_000);
    // S comes back: its watcher extracts s_A from B's claim and completes A's update.
    st.server = Server::start_with(&st.s, &port, &[], None);
    common::procs::eventually("S to complete A's update from the chain", || {
        a.cmd(&["sync"]).output().unwrap().status.success()
            && a.ok(&["payments", "show", &pid])["status"] == "paid"
    });
    assert_eq!(st.a_balances(), (189_990, 10_010));
}

#[test]
fn an_unclaimed_ptlc_goes_back_to_s_after_expiry_and_a_is_refunded() {
    let st = Story::new(&[]);
    let (a, b) = (&st.a, &st.b);
    let pid = id(&a.ok(&["pay", &st.address, "10000"]));
    let sold = b.ok(&["receive", "--no-claim"]);
    assert_eq!(sold["payments"][0]["status"], "sold", "{sold}");
    let e = fails(a, &["payments", "cancel", &pid], 1);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("sold"),
        "{e}"
    );
    // B stays away. S force-closes before the PTLC expires, settles, and takes it back.
    mine_slowly(&st.env, 30);
    common::procs::eventually("S to take the PTLC back", || {
        st.env.mine(1);
        value_at(&st.env, &st.s_to_node[1]) == 300_000
    });
    // A's payment is cancelled and its balance restored in state n+2.
    common::procs::eventually("A to see the cancel", || {
        a.cmd(&["sync"]).output().unwrap().status.success()
            && a.ok(&["payments", "show", &pid])["status"] == "cancelled"
    });
    assert_eq!(st.a_balances(), (200_000, 0));
    let e = fails(b, &["claim", &pid], 1);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("took the PTLC back"),
        "{e}"
    );
    assert_eq!(b.ok(&["payments", "show", &pid])["status"], "failed");
}

/// Issue 12, item 4: a payment pending on A's channel shows on it (`channel show|list`, JSON
/// and text: id, amount, status, state), and whatever it blocks says which payment and what
/// to do: a second `pay`, a `channel push`, a cooperative `channel close`. A cancel S did not
/// hear shows as `cancelling`; once the payment is cancelled (or paid) nothing is pending.
#[test]
fn a_pending_payment_shows_on_its_channel_and_what_it_blocks_names_it() {
    let mut st = Story::new(&[]);
    let a = st.a.clone();
    let ch = st.a_channel.clone();
    let pid = st.pay(7_000);

    let shown = a.ok(&["channel", "show", &ch]);
    let pending = &shown["pending_payment"];
    assert_eq!(pending["payment_id"], pid.as_str(), "{shown}");
    assert_eq!(pending["amount_sat"], 7_000, "{shown}");
    assert_eq!(pending["fee_sat"], 7, "{shown}");
    assert_eq!(pending["status"], "pending", "{shown}");
    assert_eq!(pending["state"], 1, "{shown}");
    // The balances are those of the state before it.
    assert_eq!(
        (shown["state"].as_u64(), shown["client_sat"].as_u64()),
        (Some(0), Some(200_000))
    );
    let listed = a.ok(&["channel", "list"])["channels"].clone();
    assert_eq!(listed[0]["pending_payment"], *pending, "{listed}");
    let (code, text, _) = a.human(&["channel", "show", &ch]);
    assert_eq!(code, 0);
    assert!(
        text.contains(&format!(
            "pending:        payment {pid} (7,000 sat + fee 7 sat, pending, state 1)"
        )) && text.contains(&format!("asyncpay payments wait {pid}")),
        "{text}"
    );
    let (code, text, _) = a.human(&["channel", "list"]);
    assert_eq!(code, 0);
    assert!(
        text.contains(&format!("\n    pending: payment {} (7,000 sat", &pid[..8])),
        "{text}"
    );
    // Nothing is pending on B's channel (B is offline; it knows nothing yet).
    let b_shown = st.b.ok(&["channel", "show", &st.b_channel]);
    assert!(b_shown.get("pending_payment").is_none(), "{b_shown}");

    // What the pending payment blocks names it and says what to do.
    let err = fails(&a, &["pay", &st.address, "1000"], 1);
    let (message, hint) = (
        err["error"]["message"].as_str().unwrap(),
        err["error"]["hint"].as_str().unwrap(),
    );
    assert!(
        message.contains(&format!(
            "payment {pid} (7000 sat, pending) is pending on it (state 1)"
        )) && message.contains("one pending payment per channel"),
        "{err}"
    );
    assert!(
        hint.contains(&format!("asyncpay payments wait {pid}"))
            && hint.contains(&format!("asyncpay payments cancel {pid}"))
            && hint.contains("asyncpay channel open"),
        "{err}"
    );
    for args in [
        vec!["channel", "push", &ch, "1000"],
        vec!["channel", "close", &ch],
    ] {
        let err = fails(&a, &args, 1);
        let message = err["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("payment {pid}"))
                && message.contains("the update to state 1"),
            "{args:?}: {err}"
        );
        let hint = err["error"]["hint"].as_str().unwrap();
        assert!(
            hint.contains(&format!("asyncpay payments wait {pid}"))
                && hint.contains(&format!("asyncpay payments cancel {pid}")),
            "{args:?}: {err}"
        );
    }
    let (code, _, stderr) = a.human(&["channel", "close", &ch]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&format!("asyncpay payments cancel {pid}")),
        "{stderr}"
    );

    // Unlucky: A cancels while S is down. The channel shows the cancel under way.
    let port = st.server.port();
    let _ = st.server.child.kill();
    let _ = st.server.child.wait();
    fails(&a, &["payments", "cancel", &pid], 4);
    let shown = a.ok(&["channel", "show", &ch]);
    assert_eq!(shown["pending_payment"]["status"], "cancelling", "{shown}");
    st.server = Server::start_with(&st.s, &port, &[], None);
    a.ok(&["payments", "cancel", &pid]);
    let shown = a.ok(&["channel", "show", &ch]);
    assert!(shown.get("pending_payment").is_none(), "{shown}");
    assert_eq!(st.a_balances(), (200_000, 0));

    // The next payment shows until it is paid; then nothing is pending.
    let next = st.pay(5_000);
    let listed = a.ok(&["channel", "list"])["channels"].clone();
    assert_eq!(
        listed[0]["pending_payment"]["payment_id"],
        next.as_str(),
        "{listed}"
    );
    // (B's receive also meets the cancelled payment's package, which S no longer buys: not
    // B's failure, it is recorded cancelled and the receive succeeds.)
    st.b.ok(&["receive"]);
    assert_eq!(common::story::status(&st.b, &next), "paid");
    assert_eq!(common::story::status(&st.b, &pid), "cancelled");
    a.ok(&["sync"]);
    let listed = a.ok(&["channel", "list"])["channels"].clone();
    assert!(listed[0].get("pending_payment").is_none(), "{listed}");
    assert_eq!(st.a_balances(), (200_000 - 5_005, 5_005));
}
