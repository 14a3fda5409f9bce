//! Issue 9, item 16 (local parts), attacked through the real binary and the real S:
//! a stranger's junk in B's mailbox (posted with signed HTTP to the running S) neither fails
//! `receive` nor keeps a real payment from being received; the REPL history keeps no
//! credentials; a data dir open to other users is made private.

use std::io::Write;
use std::process::Stdio;

use asyncpay::crypto::musig::{AggregateKey, SecretNonce, SigningSession};
use asyncpay::keys::NodeId;
use asyncpay::net::client::Client;
use asyncpay::payment::{PaymentAddress, PaymentId, UpdatePackage};
use asyncpay::server::mailbox::{ItemMeta, PostItem, Posted};
use bitcoin::secp256k1::SecretKey;
use bitcoin::Network;
use secp::Scalar;
use serde_json::Value;

mod common;

use common::hostile::{node_of, now};
use common::procs::{command, Env};
use common::story::{keys_of, Story};

/// A package that passes every check B can make alone (a genuine MuSig2 session, `s_A`
/// matching the payment point), made up by a stranger who holds both session keys: no
/// payment behind it exists at S.
fn forged_package(payment_id: [u8; 32], payee: NodeId, payer: NodeId, seed: u8) -> UpdatePackage {
    let a = Scalar::try_from(&[seed; 32][..]).unwrap();
    let s = Scalar::try_from(&[seed.wrapping_add(1); 32][..]).unwrap();
    let (pa, ps) = (a.base_point_mul(), s.base_point_mul());
    let key = AggregateKey::new(pa, ps).unwrap();
    let message = [seed; 32];
    let na = SecretNonce::generate([seed ^ 0x55; 32], a, &key, Some(&message));
    let ns = SecretNonce::generate([seed ^ 0xaa; 32], s, &key, None);
    let (pna, pns) = (na.public_nonce(), ns.public_nonce());
    let session =
        SigningSession::new(&key, [(pa, pna.clone()), (ps, pns.clone())], message).unwrap();
    let s_a = session.sign(a, na).unwrap();
    let package = UpdatePackage {
        payment_id: PaymentId(payment_id),
        amount_sat: 10_000,
        fee_sat: 10,
        expiry: now() + 3600,
        payee,
        payer,
        payer_funding: pa,
        server_funding: ps,
        payer_nonce: pna,
        server_nonce: pns,
        message,
        state_number: 1,
        partial_signature: s_a,
    };
    package
        .check()
        .expect("the forged package is self-consistent");
    package
}

fn post(client: &Client, to: NodeId, payload: &[u8]) -> Posted {
    client
        .post(
            &format!("/v1/mailbox/{to}"),
            &PostItem {
                payload: payload.iter().map(|b| format!("{b:02x}")).collect(),
                expires_at: None,
                work: None,
            },
        )
        .expect("S takes the stranger's item")
}

#[test]
fn junk_in_the_mailbox_neither_fails_receive_nor_blocks_a_real_payment() {
    let st = Story::new(&[]);
    let (a, b) = (&st.a, &st.b);
    let addr = PaymentAddress::parse_for(&st.address, Network::Regtest).unwrap();
    let b_node = addr.node_id();

    // A stranger H (a fresh node key, no channel) posts junk to B through the real S.
    let h_secret = SecretKey::from_slice(&[0x66; 32]).unwrap();
    let h = node_of(&h_secret);
    let stranger = Client::new(&st.server.url, h_secret, None).unwrap();
    // 1. bytes that are no package at all;
    post(&stranger, b_node, b"\xc0\xff\xee junk");
    // 2. a self-consistent package sealed to B, for a payment S never saw;
    let forged = forged_package([0x11; 32], b_node, h, 7);
    post(&stranger, b_node, &forged.seal(addr.mailbox()));
    // 3. a package naming another payer than the node that posted it.
    let other = node_of(&SecretKey::from_slice(&[0x77; 32]).unwrap());
    let impostor = forged_package([0x12; 32], b_node, other, 9);
    post(&stranger, b_node, &impostor.seal(addr.mailbox()));

    // A pays B for real; then H races a package with the real payment id and terms, naming
    // itself as payer (it cannot forge A's: posts are authenticated).
    let paid = a.ok(&["pay", &st.address, "10000"]);
    let pid = paid["payment_id"].as_str().unwrap().to_owned();
    let id: PaymentId = pid.parse().unwrap();
    let shadow = forged_package(id.0, b_node, h, 11);
    post(&stranger, b_node, &shadow.seal(addr.mailbox()));

    let b_client = Client::new(&st.server.url, keys_of(b).node_secret(), None).unwrap();
    let waiting: Vec<ItemMeta> = b_client.get("/v1/mailbox").unwrap();
    assert_eq!(waiting.len(), 5, "4 junk items and A's package");

    // B receives: success, the real payment is paid, each junk item is a warning.
    let out = b.cmd(&["receive"]).output().unwrap();
    assert!(
        out.status.success(),
        "receive failed on junk: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let received: Value = serde_json::from_slice(&out.stdout).unwrap();
    let payments = received["payments"].as_array().unwrap();
    assert_eq!(payments.len(), 1, "{received}");
    assert_eq!(payments[0]["payment_id"], pid.as_str());
    assert_eq!(payments[0]["status"], "paid");
    let warnings = received["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 4, "{received}");
    assert!(
        warnings
            .iter()
            .all(|w| w.as_str().unwrap().contains(&h.to_string())),
        "{received}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("knows no payment")),
        "{received}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("terms differ")),
        "{received}"
    );
    // The junk was dropped at S: nothing waits, and the next run is clean.
    let left: Vec<ItemMeta> = b_client.get("/v1/mailbox").unwrap();
    assert!(left.is_empty(), "{left:?}");
    let again = b.ok(&["receive"]);
    assert_eq!(again["payments"].as_array().unwrap().len(), 0, "{again}");
    assert!(again.get("warnings").is_none(), "{again}");
    // Only the real payment is stored at B.
    let listed = b.ok(&["payments", "list", "--all"]);
    assert_eq!(listed["payments"].as_array().unwrap().len(), 1, "{listed}");

    // Every balance to the satoshi: B got 10 000, A paid 10 000 + 10 fee.
    assert_eq!(st.b_balances(), (10_000, 290_000));
    let synced = a.ok(&["sync"]);
    assert_eq!(synced["payments"][0]["status"], "paid", "{synced}");
    assert_eq!(st.a_balances(), (189_990, 10_010));
}

#[test]
fn repl_history_keeps_no_credentials() {
    let env = Env::new();
    let a = env.wallet("a");
    let history = a.dir.join("history.txt");
    // A history written before this fix, with a refused line holding a password.
    std::fs::write(
        &history,
        "#V2\nwallet balance --chain bitcoind:http://user:secret@127.0.0.1:1\nwallet info\n",
    )
    .unwrap();
    let mut child = command()
        .arg("--datadir")
        .arg(&a.dir)
        .arg("--chain")
        .arg(format!("regtest:{}", a.chain.display()))
        .arg("--passphrase-file")
        .arg(&a.pass)
        .arg("repl")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            b"wallet balance --chain bitcoind:http://user:secret@127.0.0.1:1\n\
              --chain=bitcoind:http://user:secret@127.0.0.1:1 wallet info\n\
              wallet fly secret\n\
              channel open http://user:secret@127.0.0.1:1 10000\n\
              wallet address\n\
              exit\n",
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--chain is set when the REPL starts"),
        "{stderr}"
    );
    let kept = std::fs::read_to_string(&history).unwrap();
    assert!(!kept.contains("secret"), "{kept}");
    assert!(!kept.contains("user:"), "{kept}");
    assert!(!kept.contains("fly"), "{kept}");
    assert!(kept.contains("wallet info"), "{kept}");
    assert!(kept.contains("wallet address"), "{kept}");
    assert!(
        kept.contains("channel open http://***@127.0.0.1:1 10000"),
        "{kept}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&history).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "history.txt is private: {mode:o}");
    }
}

#[cfg(unix)]
#[test]
fn a_data_dir_open_to_others_is_made_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let a = env.wallet("a");
    std::fs::set_permissions(&a.dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = command()
        .arg("--datadir")
        .arg(&a.dir)
        .arg("--chain")
        .arg(format!("regtest:{}", a.chain.display()))
        .arg("--passphrase-file")
        .arg(&a.pass)
        .args(["wallet", "info"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("had mode 0755") && stderr.contains("changed it to 0700"),
        "{stderr}"
    );
    let mode = std::fs::metadata(&a.dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);

    // A fresh wallet in an existing world-readable directory: private from `init` on.
    let fresh = env.root.path().join("fresh");
    std::fs::create_dir(&fresh).unwrap();
    std::fs::set_permissions(&fresh, std::fs::Permissions::from_mode(0o777)).unwrap();
    let init = command()
        .arg("--json")
        .arg("--datadir")
        .arg(&fresh)
        .arg("--chain")
        .arg(format!("regtest:{}", a.chain.display()))
        .arg("--passphrase-file")
        .arg(&a.pass)
        .arg("init")
        .output()
        .unwrap();
    assert!(init.status.success());
    let mode = std::fs::metadata(&fresh).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
}
