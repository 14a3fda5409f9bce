//! Late signatures against S, with real processes: a real S on 127.0.0.1, the real
//! clients, transactions on the embedded ledger. Each test ends with balances to the satoshi.
//!
//! - The payee alone gives a sold PTLC back (`/v1/payments/fail`, S accepts the state with
//!   its nonce), does not sign, force-closes B–S with the PTLC state and only then sends its
//!   signature: S completes nothing on a closing channel, keeps the payment sold and takes
//!   the PTLC back on chain with its timeout claim.
//! - The payee signs the sale state late (payer and payee together: S would pay for a `t`
//!   it can no longer use): S re-checks the sale when the signature arrives, drops its
//!   pending sale state and never completes it.

mod common;

use std::time::Duration;

use common::procs::{to_node, value_at, Wallet};
use common::story::{status, Story};

const AMOUNT: u64 = 20_000;

fn pay(story: &Story) -> String {
    story.pay(AMOUNT)
}

fn tip(story: &Story) -> u32 {
    story.env.ledger().tip().unwrap().height
}

/// The payee's channel, read from its store without the data dir's lock.
fn payee_channel(w: &Wallet) -> asyncpay::client::ClientChannel {
    common::procs::records::<asyncpay::client::ClientChannel>(w).remove(0)
}

/// The expiry of the newest PTLC of the payee's channel (pending or signed).
fn ptlc_expiry(w: &Wallet) -> u32 {
    let ch = payee_channel(w);
    let pending = ch.channel.pending().map(|p| p.next().clone());
    let latest = ch.channel.latest().map(|l| l.state.clone());
    pending
        .into_iter()
        .chain(latest)
        .find_map(|s| s.ptlcs.last().map(|p| p.expiry))
        .expect("a PTLC in the payee's channel")
}

fn crashed(w: &Wallet, args: &[&str], at: &str) {
    let out = w
        .cmd(args)
        .env("ASYNCPAY_TEST_CRASH_AT", at)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(137),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The payee's note when it drops a sale state S withdrew, followed by S's reason.
const DROPPED: &str = "is dropped: S ";

/// B's `receive` after S withdrew the sale of the state B signed: S refuses the signature
/// and B drops the state (as it says, in human output). Returns the exit code and the text.
fn receive_dropping_the_sale_state(b: &Wallet) -> (i32, String) {
    let (code, stdout, stderr) = b.human(&["receive", "--no-claim"]);
    let text = format!("{stdout}{stderr}");
    assert!(text.contains(DROPPED), "{text}");
    assert!(payee_channel(b).channel.pending().is_none(), "{text}");
    (code, text)
}

/// Runs `args`, expects failure, returns stdout and stderr.
fn refused(w: &Wallet, args: &[&str]) -> String {
    let out = w.cmd(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "asyncpay {args:?} succeeded: {text}");
    text
}

/// Attack 1 (the payee alone): sell, give the PTLC back through `/v1/payments/fail` (S
/// accepts state k+1 with its nonce), sign it without sending, force-close B–S with state
/// k (the PTLC), then send the signature. S used to complete k+1, cancel the payment and
/// refund the payer, never taking its timeout claim: B kept the PTLC on chain. Now S refuses
/// the signature, the payment stays sold, S takes the PTLC back on chain at its expiry.
#[test]
fn late_fail_signature_on_a_closing_channel_is_refused() {
    let story = Story::new(&[]);
    let id = pay(&story);
    story.b.ok(&["receive", "--no-claim"]);
    assert_eq!(status(&story.b, &id), "sold");
    assert_eq!(story.b_balances(), (0, 300_000 - AMOUNT));
    let expiry = ptlc_expiry(&story.b);

    // B gives the PTLC back: S accepts state k+1; B signs it but does not send it.
    crashed(&story.b, &["payments", "cancel", &id], "fail-signed");

    // B force-closes with state k (the PTLC), which confirms.
    let out = story
        .b
        .cmd(&["channel", "close", &story.b_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    story.env.mine(1);
    std::thread::sleep(Duration::from_millis(500));

    // The late signature for k+1 (`channel push` resends an interrupted update first).
    let text = refused(&story.b, &["channel", "push", &story.b_channel, "1000"]);
    assert!(text.contains("channel_not_open"), "{text}");
    // Again: still refused, nothing completed.
    let text = refused(&story.b, &["channel", "push", &story.b_channel, "1000"]);
    assert!(
        text.contains("channel_not_open") || text.contains("closing"),
        "{text}"
    );

    // The payment is still sold: A's state n+1 stands, A is not refunded.
    story.a.ok(&["sync"]);
    assert_ne!(status(&story.a, &id), "cancelled");

    // B's settlement of state k goes out after the B–S delay.
    story.env.mine(6);
    let mut closed = story
        .b
        .cmd(&["channel", "close", &story.b_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    for _ in 0..8 {
        if closed.status.success() {
            break;
        }
        story.env.mine(1);
        closed = story
            .b
            .cmd(&["channel", "close", &story.b_channel, "--force", "--no-wait"])
            .output()
            .unwrap();
    }
    assert!(
        closed.status.success(),
        "{}",
        String::from_utf8_lossy(&closed.stdout)
    );
    story.env.mine(1);
    std::thread::sleep(Duration::from_millis(500));
    // Even after the settlement, the signature completes nothing.
    let _ = refused(&story.b, &["channel", "push", &story.b_channel, "1000"]);
    let s_b = story.s_to_node[1].clone();
    assert_eq!(value_at(&story.env, &s_b), 300_000 - AMOUNT);
    assert_eq!(value_at(&story.env, &to_node(&story.b, 0)), 0);

    // From the PTLC's expiry S takes it back with its timeout claim (no fee), and only then
    // cancels the payment: the payer is refunded by money S holds.
    while tip(&story) < expiry + 3 && value_at(&story.env, &s_b) != 300_000 {
        story.env.mine(1);
        std::thread::sleep(Duration::from_millis(700));
    }
    story.env.mine(1);
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(value_at(&story.env, &s_b), 300_000, "S's timeout claim");
    assert_eq!(value_at(&story.env, &to_node(&story.b, 0)), 0);
    story.a.ok(&["sync"]);
    assert_eq!(status(&story.a, &id), "cancelled");
    assert_eq!(story.a_balances(), (200_000, 0));
}

/// Attack 2 (payer and payee together): B sells but signs the sale state only once S could
/// no longer force-close in time to use `t` (`tip + server_close_margin >= expiry`). S's
/// watcher withdraws the sale at that block (it would refuse the signature from then on):
/// the sale state is superseded and the payment is pending again. B's late signature is
/// refused, and B drops the state it signed in turn, superseded too, and signs at once a
/// state above it with the latest balances (which rebinds over it should S ever complete
/// it). B then sells again, with a PTLC expiry S can enforce, and the payment completes.
#[test]
fn sale_signed_too_late_is_refused_then_sold_again_in_time() {
    let story = Story::new(&[]);
    let (id, number, margin) = sale_signed_then_s_deadline(&story);

    // B comes back and sends its signature of the sale state: refused; B drops the state
    // and sells the payment again.
    let (code, text) = receive_dropping_the_sale_state(&story.b);
    assert_eq!(code, 0, "{text}");
    assert_eq!(status(&story.b, &id), "sold");
    let resold = payee_channel(&story.b);
    let latest = &resold.channel.latest().expect("the new sale state").state;
    assert_eq!(
        latest.number,
        number + 2,
        "the state restoring the balances above the dropped state, then the sale"
    );
    assert!(resold.channel.pending().is_none() && resold.channel.superseded().is_none());
    let ptlc = latest.ptlcs.last().expect("the PTLC sold again");
    assert!(
        tip(&story) + margin < ptlc.expiry,
        "S can enforce the new PTLC"
    );
    story.a.ok(&["sync"]);
    assert_ne!(
        status(&story.a, &id),
        "paid",
        "nothing paid before the claim"
    );

    story.b.ok(&["claim", &id]);
    assert_eq!(status(&story.b, &id), "paid");
    assert_eq!(story.b_balances(), (AMOUNT, 300_000 - AMOUNT));
    story.a.ok(&["sync"]);
    assert_eq!(status(&story.a, &id), "paid");
    assert_eq!(story.a_balances(), (200_000 - AMOUNT - 20, AMOUNT + 20));
}

/// A pays; B signs the sale state and stops before its signature reaches S (`sale-signed`);
/// then blocks pass up to S's deadline for the PTLC (S can no longer enforce it) and S's
/// watcher sees them. Returns the payment's id, the sale state's number and S's close
/// margin.
fn sale_signed_then_s_deadline(story: &Story) -> (String, u32, u32) {
    use asyncpay::payment::sale::server_close_margin;
    let id = pay(story);
    crashed(&story.b, &["receive", "--no-claim"], "sale-signed");
    let expiry = ptlc_expiry(&story.b);
    let signed = payee_channel(&story.b);
    let withdrawn = signed.channel.pending().expect("B's signed sale state");
    assert!(withdrawn.local_partial().is_some());
    let number = withdrawn.next().number;
    let margin = server_close_margin(6, 1);
    story.env.mine(expiry - margin - tip(story));
    std::thread::sleep(Duration::from_millis(500));
    (id, number, margin)
}

/// The same late signature, and the payee stops right after S accepted its state restoring
/// the balances above the dropped sale state, before signing it (`restore-accepted`). Its
/// next `receive` drops that unsigned proposal, proposes the restoring state again (S sells
/// nothing over a superseded update, `restore_pending`, before it is signed) and sells.
#[test]
fn an_interrupted_restore_is_proposed_again_before_the_sale() {
    let story = Story::new(&[]);
    let (id, number, _) = sale_signed_then_s_deadline(&story);
    crashed(&story.b, &["receive", "--no-claim"], "restore-accepted");
    let interrupted = payee_channel(&story.b);
    assert!(interrupted.channel.holds_superseded_signed());
    assert_eq!(
        interrupted.channel.pending().unwrap().next().number,
        number + 1
    );

    story.b.ok(&["receive", "--no-claim"]);
    assert_eq!(status(&story.b, &id), "sold");
    let resold = payee_channel(&story.b);
    assert_eq!(resold.channel.latest().unwrap().state.number, number + 2);
    assert!(!resold.channel.holds_superseded_signed());
    story.b.ok(&["claim", &id]);
    assert_eq!(status(&story.b, &id), "paid");
    assert_eq!(story.b_balances(), (AMOUNT, 300_000 - AMOUNT));
}

/// Attack 2, the other condition: the payer force-closes A–S after the sale, before the
/// payee signs the sale state. S refuses the late signature (A's channel is not open); B
/// drops the state, and S refuses to buy the payment again.
#[test]
fn sale_signed_after_the_payer_closed_is_refused() {
    let story = Story::new(&[]);
    let id = pay(&story);
    crashed(&story.b, &["receive", "--no-claim"], "sale-signed");

    let out = story
        .a
        .cmd(&["channel", "close", &story.a_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    story.env.mine(1);
    std::thread::sleep(Duration::from_millis(500));

    let (code, text) = receive_dropping_the_sale_state(&story.b);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("payment_superseded"), "{text}");
    assert_eq!(status(&story.b, &id), "failed");
    let _ = story.b.cmd(&["claim", &id]).output().unwrap();
    assert_eq!(story.b_balances(), (0, 300_000));
    story.force_close_and_check((200_000, 0, 0, 300_000));
}

/// Payer review, item 2: a payee that stops after S accepted its sale (a crash, or on
/// purpose) and never signs the sale state held the payment, and the payer's channel, for
/// good: the payer's cancel was refused (`sale_in_progress`) without end, and the payee
/// could finish the sale days after the payment expired. S's watcher now withdraws the sale
/// once it would refuse the signature: the payer's cancel then goes through and the payer
/// is refunded off-chain; the payee's late signature is refused.
#[test]
fn a_sale_the_payee_never_signs_is_withdrawn_and_the_payer_can_cancel() {
    use asyncpay::payment::sale::server_close_margin;
    let story = Story::new(&[]);
    let id = pay(&story);
    crashed(&story.b, &["receive", "--no-claim"], "sale-signed");
    let expiry = ptlc_expiry(&story.b);
    let text = refused(&story.a, &["payments", "cancel", &id]);
    assert!(text.contains("sale_in_progress"), "{text}");

    // One block before S's deadline the sale still stands.
    let deadline = expiry - server_close_margin(6, 1);
    story.env.mine(deadline - 1 - tip(&story));
    std::thread::sleep(Duration::from_millis(500));
    let text = refused(&story.a, &["payments", "cancel", &id]);
    assert!(text.contains("sale_in_progress"), "{text}");
    // At the deadline S withdraws it, and the payer cancels.
    story.env.mine(1);
    common::procs::eventually("the payer's cancel to go through", || {
        story
            .a
            .cmd(&["payments", "cancel", &id])
            .output()
            .unwrap()
            .status
            .success()
    });
    assert_eq!(status(&story.a, &id), "cancelled");
    assert_eq!(story.a_balances(), (200_000, 0));
    // B's late signature is refused; B drops its state and learns of the cancel.
    receive_dropping_the_sale_state(&story.b);
    assert_eq!(status(&story.b, &id), "cancelled");
    assert_eq!(story.b_balances(), (0, 300_000));
    // Both channels go on: the next payment is sold and paid as usual.
    let next = pay(&story);
    story.b.ok(&["receive"]);
    assert_eq!(status(&story.b, &next), "paid");
    assert_eq!(story.b_balances(), (AMOUNT, 300_000 - AMOUNT));
}

/// A sale resent after the payment's expiry (untested before). The payee's first attempt
/// reached S, which accepted it, and the payee lost the answer (a crash): S stands by the
/// sale, and the payer's cancel is refused. After the expiry the payee asks again: a resent
/// sale is a sale too, so S refuses it, and withdraws the first attempt's state at once (the
/// payee asking again has not signed it). The payer cancels without waiting for S's
/// deadline in blocks (none is mined here), and everyone ends where they began.
#[test]
fn a_sale_resent_after_the_payment_expired_is_refused_and_withdrawn() {
    let story = Story::new(&[]);
    let paid = story
        .a
        .ok(&["pay", &story.address, &AMOUNT.to_string(), "--expiry", "5s"]);
    let id = paid["payment_id"].as_str().unwrap().to_owned();
    crashed(&story.b, &["receive", "--no-claim"], "sale-answered");
    let text = refused(&story.a, &["payments", "cancel", &id]);
    assert!(text.contains("sale_in_progress"), "{text}");
    let expiry = story.a.ok(&["payments", "show", &id])["expiry"]
        .as_u64()
        .expect("the payment's expiry");
    while common::hostile::now() <= expiry {
        std::thread::sleep(Duration::from_millis(200));
    }
    let height = tip(&story);
    let got = story.b.ok(&["receive", "--no-claim"]);
    assert_eq!(got["payments"][0]["status"], "cancelled", "{got}");
    story.a.ok(&["payments", "cancel", &id]);
    assert_eq!(status(&story.a, &id), "cancelled");
    assert_eq!(status(&story.b, &id), "cancelled");
    assert_eq!(tip(&story), height, "no block was needed");
    assert_eq!(story.a_balances(), (200_000, 0));
    assert_eq!(story.b_balances(), (0, 300_000));
    // Both channels go on: the next payment is sold and paid as usual.
    let next = pay(&story);
    story.b.ok(&["receive"]);
    assert_eq!(status(&story.b, &next), "paid");
    assert_eq!(story.b_balances(), (AMOUNT, 300_000 - AMOUNT));
}
