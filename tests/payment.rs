//! The asynchronous payment's data types: payment address, invoice, update package.

use std::io::Write;

use asyncpay::crypto::musig::{
    AggregateKey, PartialSignature, PublicNonce, SecretNonce, SigningSession,
};
use asyncpay::keys::{NodeId, Seed, WalletKeys};
use asyncpay::payment::{
    AddressError, AddressNetwork, Invoice, InvoiceError, InvoiceFields, PackageError,
    PaymentAddress, PaymentId, UpdatePackage, MAX_SEALED_HEADER, MAX_SEALED_PACKAGE,
};
use bitcoin::bech32::{Bech32m, Hrp};
use bitcoin::Network;
use proptest::prelude::*;
use secp::{MaybePoint, Point, Scalar};

const CHARSET: &str = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn wallet(byte: u8) -> WalletKeys {
    Seed::generate(&[byte; 32]).keys(Network::Regtest)
}

fn address(network: Network, url: &str) -> PaymentAddress {
    let b = wallet(2);
    PaymentAddress::new(network, b.node_id(), b.mailbox_identity().to_public(), url).unwrap()
}

/// Re-encodes an address's data bytes after `edit`, with its HRP.
fn reencode(a: &PaymentAddress, edit: impl FnOnce(&mut Vec<u8>)) -> String {
    let (hrp, mut data) = bitcoin::bech32::decode(&a.to_string()).unwrap();
    edit(&mut data);
    bitcoin::bech32::encode::<Bech32m>(hrp, &data).unwrap()
}

// ---------------------------------------------------------------- payment address

#[test]
fn address_round_trips_on_every_network() {
    for (network, hrp, kind) in [
        (Network::Bitcoin, "asp1", AddressNetwork::Mainnet),
        (Network::Testnet, "tasp1", AddressNetwork::Testnet),
        (Network::Testnet4, "tasp1", AddressNetwork::Testnet),
        (Network::Signet, "tasp1", AddressNetwork::Testnet),
        (Network::Regtest, "rasp1", AddressNetwork::Regtest),
    ] {
        let a = address(network, "https://s.example:9737/b");
        let s = a.to_string();
        assert!(s.starts_with(hrp), "{s}");
        assert_eq!(s, s.to_lowercase());
        let back: PaymentAddress = s.parse().unwrap();
        assert_eq!(back, a);
        assert_eq!(back.network(), kind);
        assert_eq!(PaymentAddress::parse_for(&s, network).unwrap(), a);
        assert_eq!(s.to_uppercase().parse::<PaymentAddress>().unwrap(), a);
        assert_eq!(back.node_id(), wallet(2).node_id());
        assert_eq!(
            back.mailbox().to_string(),
            wallet(2).mailbox_identity().to_public().to_string()
        );
        assert_eq!(back.server_url(), "https://s.example:9737/b");
        // serde: the string
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, format!("\"{s}\""));
        assert_eq!(serde_json::from_str::<PaymentAddress>(&json).unwrap(), a);
    }
}

#[test]
fn checksum_catches_any_one_character_change() {
    let s = address(Network::Regtest, "http://127.0.0.1:9737").to_string();
    let sep = s.rfind('1').unwrap();
    for (i, c) in s.char_indices() {
        for alt in CHARSET.chars().filter(|&a| a != c) {
            if i == sep && alt == '1' {
                continue;
            }
            let mut changed = s.clone();
            changed.replace_range(i..i + 1, &alt.to_string());
            let err = changed.parse::<PaymentAddress>().unwrap_err();
            if i != sep {
                assert_eq!(err, AddressError::BadChecksum, "position {i} -> {alt}");
            }
        }
    }
    // Dropping or adding a character is caught too.
    assert_eq!(
        s[..s.len() - 1].parse::<PaymentAddress>().unwrap_err(),
        AddressError::BadChecksum
    );
    assert_eq!(
        format!("{s}q").parse::<PaymentAddress>().unwrap_err(),
        AddressError::BadChecksum
    );
}

#[test]
fn wrong_network_and_foreign_prefixes_are_refused() {
    let s = address(Network::Regtest, "http://127.0.0.1:9737").to_string();
    let err = PaymentAddress::parse_for(&s, Network::Signet).unwrap_err();
    assert_eq!(
        err,
        AddressError::WrongNetwork {
            found: AddressNetwork::Regtest,
            expected: AddressNetwork::Testnet
        }
    );
    let msg = err.to_string();
    assert!(msg.contains("regtest") && msg.contains("tasp1"), "{msg}");
    let main = address(Network::Bitcoin, "https://s.example").to_string();
    assert!(matches!(
        PaymentAddress::parse_for(&main, Network::Regtest),
        Err(AddressError::WrongNetwork { .. })
    ));

    let (_, data) = bitcoin::bech32::decode(&s).unwrap();
    let foreign = bitcoin::bech32::encode::<Bech32m>(Hrp::parse("bc").unwrap(), &data).unwrap();
    assert_eq!(
        foreign.parse::<PaymentAddress>().unwrap_err(),
        AddressError::UnknownPrefix { hrp: "bc".into() }
    );
    assert!(matches!(
        "not an address".parse::<PaymentAddress>(),
        Err(AddressError::Encoding(_))
    ));
    assert!(matches!(
        "x".repeat(2000).parse::<PaymentAddress>(),
        Err(AddressError::TooLong { len: 2000 })
    ));
}

#[test]
fn truncated_and_unknown_versions_are_refused() {
    let a = address(Network::Regtest, "http://127.0.0.1:9737");
    let full = bitcoin::bech32::decode(&a.to_string()).unwrap().1.len();
    for len in 0..full {
        let s = reencode(&a, |d| d.truncate(len));
        let err = s.parse::<PaymentAddress>().unwrap_err();
        assert!(
            matches!(err, AddressError::Truncated(_)),
            "length {len}: {err:?}"
        );
        assert!(err.to_string().contains("truncated"));
    }
    for version in [0u8, 2, 0xff] {
        let s = reencode(&a, |d| d[0] = version);
        assert_eq!(
            s.parse::<PaymentAddress>().unwrap_err(),
            AddressError::UnknownVersion(version)
        );
    }
    let s = reencode(&a, |d| d.push(0));
    assert_eq!(
        s.parse::<PaymentAddress>().unwrap_err(),
        AddressError::TrailingBytes(1)
    );
    // An invalid node id (prefix byte 0x05).
    let s = reencode(&a, |d| d[1] = 5);
    assert_eq!(
        s.parse::<PaymentAddress>().unwrap_err(),
        AddressError::InvalidNodeId
    );
}

#[test]
fn server_url_limits() {
    let b = wallet(2);
    let new = |url: &str| {
        PaymentAddress::new(
            Network::Regtest,
            b.node_id(),
            b.mailbox_identity().to_public(),
            url,
        )
    };
    let longest = format!("https://{}", "a".repeat(192));
    assert_eq!(longest.len(), 200);
    let a = new(&longest).unwrap();
    assert_eq!(a.to_string().parse::<PaymentAddress>().unwrap(), a);
    let too_long = format!("https://{}", "a".repeat(193));
    for bad in [
        too_long.as_str(),
        "",
        "ftp://s.example",
        "s.example:9737",
        "http://",
        "http://s.example/?q=1",
        "http://u:p@s.example/",
        "http://s.example/#x",
        "http://s example/",
        "http://s.example/\n",
    ] {
        let err = new(bad).unwrap_err();
        assert!(matches!(err, AddressError::InvalidUrl { .. }), "{bad:?}");
        assert!(err.to_string().contains("http://HOST"), "{err}");
    }
    for good in [
        "http://127.0.0.1:9737",
        "http://[::1]:80/x",
        "https://s.example/",
    ] {
        new(good).unwrap();
    }
    // A crafted address with an empty or a bad URL is refused when decoded.
    let a = new("http://h").unwrap();
    let s = reencode(&a, |d| {
        d.truncate(66);
        d.push(0);
    });
    assert!(matches!(
        s.parse::<PaymentAddress>(),
        Err(AddressError::InvalidUrl { .. })
    ));
    let s = reencode(&a, |d| {
        d.truncate(66);
        d.push(8);
        d.extend_from_slice(b"ftp://hh");
    });
    assert!(matches!(
        s.parse::<PaymentAddress>(),
        Err(AddressError::InvalidUrl { .. })
    ));
}

// ---------------------------------------------------------------- invoice

fn point(byte: u8) -> Point {
    Scalar::try_from([byte; 32]).unwrap().base_point_mul()
}

fn fields(payee: NodeId) -> InvoiceFields {
    InvoiceFields {
        payment_id: PaymentId([0x11; 32]),
        amount_sat: 50_000,
        payment_point: point(3),
        expiry: 1_700_000_000,
        payee,
    }
}

fn fields_from_canonical(c: &[u8; 114]) -> Option<InvoiceFields> {
    Some(InvoiceFields {
        payment_id: PaymentId(c[..32].try_into().unwrap()),
        amount_sat: u64::from_be_bytes(c[32..40].try_into().unwrap()),
        payment_point: Point::from_slice(&c[40..73]).ok()?,
        expiry: u64::from_be_bytes(c[73..81].try_into().unwrap()),
        payee: NodeId(bitcoin::secp256k1::PublicKey::from_slice(&c[81..]).ok()?),
    })
}

#[test]
fn invoice_signs_verifies_and_round_trips() {
    let b = wallet(2);
    let invoice = Invoice::sign(fields(b.node_id()), &b.node_keypair(), [7; 32]).unwrap();
    invoice.verify().unwrap();
    assert_eq!(invoice.payee(), b.node_id());
    assert!(!invoice.is_expired(1_699_999_999));
    assert!(invoice.is_expired(1_700_000_000));
    let encoded = invoice.encode();
    let text = std::str::from_utf8(&encoded).unwrap();
    assert!(
        text.starts_with(r#"{"version":1,"type":"invoice","body":{"payment_id":"1111"#),
        "{text}"
    );
    assert_eq!(Invoice::decode(&encoded).unwrap(), invoice);
    let body = serde_json::to_string(&invoice).unwrap();
    assert_eq!(serde_json::from_str::<Invoice>(&body).unwrap(), invoice);
    let id = PaymentId::random().unwrap();
    assert_eq!(id.to_string().parse::<PaymentId>().unwrap(), id);
}

#[test]
fn any_flipped_byte_breaks_the_invoice() {
    let b = wallet(2);
    let invoice = Invoice::sign(fields(b.node_id()), &b.node_keypair(), [0; 32]).unwrap();
    let sig = invoice.signature();
    for i in 0..64 {
        let mut bad = sig;
        bad[i] ^= 0x01;
        if let Ok(forged) = Invoice::from_parts(*invoice.fields(), bad) {
            assert!(
                matches!(forged.verify(), Err(InvoiceError::BadSignature { .. })),
                "signature byte {i}"
            );
        }
    }
    let canonical = invoice.fields().canonical_bytes();
    let mut tried = 0;
    for i in 0..canonical.len() {
        for bit in [0x01u8, 0x80] {
            let mut c = canonical;
            c[i] ^= bit;
            let Some(f) = fields_from_canonical(&c) else {
                continue;
            };
            tried += 1;
            let forged = Invoice::from_parts(f, sig).unwrap();
            assert!(forged.verify().is_err(), "field byte {i} bit {bit:#x}");
        }
    }
    assert!(tried > 150, "{tried}");
}

#[test]
fn wrong_signer_is_refused() {
    let (a, b) = (wallet(1), wallet(2));
    let err = Invoice::sign(fields(b.node_id()), &a.node_keypair(), [0; 32]).unwrap_err();
    assert!(matches!(err, InvoiceError::WrongSigner { .. }));
    // Signed by A for A, then relabelled as B's.
    let by_a = Invoice::sign(fields(a.node_id()), &a.node_keypair(), [0; 32]).unwrap();
    let relabelled = Invoice::from_parts(fields(b.node_id()), by_a.signature()).unwrap();
    let err = relabelled.verify().unwrap_err();
    assert!(matches!(err, InvoiceError::BadSignature { .. }));
    assert!(err.to_string().contains(&b.node_id().to_string()));
    assert!(Invoice::decode(&relabelled.encode()).is_err());
}

#[test]
fn malformed_invoices_are_refused() {
    let b = wallet(2);
    let invoice = Invoice::sign(fields(b.node_id()), &b.node_keypair(), [0; 32]).unwrap();
    let text = String::from_utf8(invoice.encode()).unwrap();

    let altered = text.replace("\"amount_sat\":50000", "\"amount_sat\":50001");
    assert!(matches!(
        Invoice::decode(altered.as_bytes()),
        Err(InvoiceError::BadSignature { .. })
    ));
    let v2 = text.replace("\"version\":1", "\"version\":2");
    assert_eq!(
        Invoice::decode(v2.as_bytes()).unwrap_err(),
        InvoiceError::UnsupportedVersion(2)
    );
    let extra = text.replace("\"expiry\"", "\"extra\":1,\"expiry\"");
    assert!(matches!(
        Invoice::decode(extra.as_bytes()),
        Err(InvoiceError::Malformed(_))
    ));
    let zero = text.replace("\"amount_sat\":50000", "\"amount_sat\":0");
    assert!(matches!(
        Invoice::decode(zero.as_bytes()),
        Err(InvoiceError::Malformed(_))
    ));
    let upper = text.replace("1111", "111A");
    assert!(Invoice::decode(upper.as_bytes()).is_err());
    let kind = text.replace("\"invoice\"", "\"update_package\"");
    assert!(matches!(
        Invoice::decode(kind.as_bytes()),
        Err(InvoiceError::Malformed(_))
    ));
    let big = vec![b' '; 5000];
    assert!(matches!(
        Invoice::decode(&big),
        Err(InvoiceError::TooLarge { size: 5000 })
    ));
    assert!(Invoice::decode(b"{}").is_err());
}

// ---------------------------------------------------------------- update package

struct Session {
    session: SigningSession,
    payer_funding: Point,
    server_funding: Point,
    payer_nonce: PublicNonce,
    server_nonce: PublicNonce,
    s_a: PartialSignature,
    s_s: PartialSignature,
}

fn session(a: Scalar, s: Scalar, message: [u8; 32], rand: [[u8; 32]; 2]) -> Session {
    let (pa, ps) = (a.base_point_mul(), s.base_point_mul());
    let key = AggregateKey::new(pa, ps).unwrap();
    let na = SecretNonce::generate(rand[0], a, &key, Some(&message));
    let ns = SecretNonce::generate(rand[1], s, &key, None);
    let (pna, pns) = (na.public_nonce(), ns.public_nonce());
    let session =
        SigningSession::new(&key, [(pa, pna.clone()), (ps, pns.clone())], message).unwrap();
    let s_a = session.sign(a, na).unwrap();
    let s_s = session.sign(s, ns).unwrap();
    Session {
        session,
        payer_funding: pa,
        server_funding: ps,
        payer_nonce: pna,
        server_nonce: pns,
        s_a,
        s_s,
    }
}

fn package_of(s: &Session) -> UpdatePackage {
    UpdatePackage {
        payment_id: PaymentId([0x22; 32]),
        amount_sat: 50_000,
        fee_sat: 10,
        expiry: 1_700_000_000,
        payee: wallet(2).node_id(),
        payer: wallet(1).node_id(),
        payer_funding: s.payer_funding,
        server_funding: s.server_funding,
        payer_nonce: s.payer_nonce.clone(),
        server_nonce: s.server_nonce.clone(),
        message: s.session.message().to_owned(),
        state_number: 7,
        partial_signature: s.s_a,
    }
}

fn real() -> (Session, UpdatePackage) {
    let a = wallet(1).channel(0).funding_scalar();
    let s = wallet(3).channel(0).funding_scalar();
    let sess = session(a, s, [0x42; 32], [[1; 32], [2; 32]]);
    let p = package_of(&sess);
    (sess, p)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn check_returns_the_payers_payment_point() {
    let (sess, p) = real();
    let t_a = p.check().unwrap();
    assert_eq!(
        MaybePoint::Valid(t_a),
        sess.session.payment_point(sess.payer_funding).unwrap()
    );
    assert_eq!(MaybePoint::Valid(t_a), sess.s_a.point());
    // The completed signature verifies under the channel key: the package is the real thing.
    sess.session.aggregate(sess.s_a, sess.s_s).unwrap();
}

#[test]
fn check_refuses_tampered_packages() {
    let (sess, p) = real();
    let other = session(
        wallet(1).channel(0).funding_scalar(),
        wallet(3).channel(0).funding_scalar(),
        [0x42; 32],
        [[8; 32], [9; 32]],
    );
    let one = PartialSignature::from_bytes(&{
        let mut b = [0u8; 32];
        b[31] = 1;
        b
    })
    .unwrap();
    let plus_one =
        PartialSignature::from_bytes(&(sess.s_a.scalar() + one.scalar()).serialize()).unwrap();

    let mut cases: Vec<(&str, UpdatePackage)> = Vec::new();
    let mut t = p.clone();
    t.partial_signature = plus_one;
    cases.push(("s_A + 1", t));
    let mut t = p.clone();
    t.partial_signature = sess.s_s;
    cases.push(("S's partial signature", t));
    let mut t = p.clone();
    t.payer_nonce = other.payer_nonce.clone();
    cases.push(("payer nonce", t));
    let mut t = p.clone();
    t.server_nonce = other.server_nonce.clone();
    cases.push(("server nonce", t));
    let mut t = p.clone();
    t.message[0] ^= 1;
    cases.push(("message", t));
    let mut t = p.clone();
    std::mem::swap(&mut t.payer_funding, &mut t.server_funding);
    std::mem::swap(&mut t.payer_nonce, &mut t.server_nonce);
    cases.push(("roles swapped", t));
    for (what, t) in cases {
        assert_eq!(
            t.check().unwrap_err(),
            PackageError::BadPartialSignature,
            "{what}"
        );
    }
    let mut t = p.clone();
    t.server_funding = t.payer_funding;
    assert!(matches!(t.check(), Err(PackageError::InvalidField { .. })));
    let mut t = p.clone();
    t.amount_sat = 0;
    assert!(matches!(t.check(), Err(PackageError::InvalidField { .. })));
    let mut t = p.clone();
    t.fee_sat = u64::MAX;
    assert!(t.check().is_err());
    let mut t = p;
    t.payee = t.payer;
    assert!(t.check().is_err());
}

#[test]
fn seal_and_open_round_trip_binary_and_armored() {
    let (_, p) = real();
    let b = wallet(2).mailbox_identity();
    let sealed = p.seal(&b.to_public());
    assert!(sealed.starts_with(b"age-encryption.org/v1\n"));
    let opened = UpdatePackage::open(&sealed, &b).unwrap();
    assert_eq!(opened, p);
    assert_eq!(opened.check().unwrap(), p.check().unwrap());

    let armored = p.seal_armored(&b.to_public());
    assert!(armored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
    assert!(armored
        .trim_end()
        .ends_with("-----END AGE ENCRYPTED FILE-----"));
    assert_eq!(UpdatePackage::open(armored.as_bytes(), &b).unwrap(), p);

    // s_A is not in the clear in either form.
    let s_a = hex(&p.partial_signature.to_bytes());
    assert!(!armored.contains(&s_a));
    assert!(!String::from_utf8_lossy(&sealed).contains(&s_a));
}

#[test]
fn opening_with_another_identity_fails_clearly() {
    let (_, p) = real();
    let sealed = p.seal(&wallet(2).mailbox_identity().to_public());
    for input in [
        sealed.clone(),
        p.seal_armored(&wallet(2).mailbox_identity().to_public())
            .into_bytes(),
    ] {
        let err = UpdatePackage::open(&input, &wallet(4).mailbox_identity()).unwrap_err();
        assert_eq!(err, PackageError::WrongRecipient);
        assert!(err
            .to_string()
            .contains("not encrypted to this wallet's mailbox key"));
    }
}

#[test]
fn truncated_or_tampered_ciphertext_fails() {
    let (_, p) = real();
    let b = wallet(2).mailbox_identity();
    let sealed = p.seal(&b.to_public());
    for len in [
        0,
        10,
        50,
        sealed.len() / 2,
        sealed.len() - 17,
        sealed.len() - 1,
    ] {
        let err = UpdatePackage::open(&sealed[..len], &b).unwrap_err();
        assert!(
            matches!(err, PackageError::NotAge(_) | PackageError::Corrupted(_)),
            "length {len}: {err:?}"
        );
    }
    // Flip a byte in the header, in the payload, and at the end (the tag).
    for i in [30, sealed.len() / 2, sealed.len() - 1] {
        let mut bad = sealed.clone();
        bad[i] ^= 0x01;
        assert!(UpdatePackage::open(&bad, &b).is_err(), "byte {i}");
    }
    let mut payload = sealed.clone();
    let last = payload.len() - 20;
    payload[last] ^= 0x80;
    assert!(matches!(
        UpdatePackage::open(&payload, &b),
        Err(PackageError::Corrupted(_))
    ));
    let armored = p.seal_armored(&b.to_public());
    let lines: Vec<&str> = armored.lines().collect();
    let cut = lines[..lines.len() - 2].join("\n") + "\n" + lines[lines.len() - 1] + "\n";
    assert!(UpdatePackage::open(cut.as_bytes(), &b).is_err());
    let err = UpdatePackage::open(b"hello, world", &b).unwrap_err();
    assert!(matches!(err, PackageError::NotAge(_)), "{err:?}");
}

#[test]
fn oversized_input_is_refused() {
    let b = wallet(2).mailbox_identity();
    let big = vec![0u8; MAX_SEALED_PACKAGE + 1];
    let err = UpdatePackage::open(&big, &b).unwrap_err();
    assert!(matches!(err, PackageError::TooLarge { .. }));
    // A validly encrypted but huge plaintext is refused too.
    let err = UpdatePackage::open(&seal_raw(&vec![b' '; 40_000], &b), &b).unwrap_err();
    assert!(matches!(err, PackageError::TooLarge { .. }), "{err:?}");
}

/// A stranger's package whose age header is thousands of tiny stanzas is refused before age
/// parses it (age's header parser restarts for every line: a 60 KB such header cost 40 s of
/// CPU per package), armored or not; real packages, grease stanza and all, stay far below the
/// header limit.
#[test]
fn a_package_with_a_huge_age_header_is_refused_unparsed() {
    let b = wallet(2).mailbox_identity();
    let mut sealed = b"age-encryption.org/v1\n".to_vec();
    while sealed.len() < 40_000 {
        sealed.extend_from_slice(b"-> a\n\n");
    }
    sealed.extend_from_slice(b"--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n");
    for input in [sealed.clone(), armor(&sealed)] {
        let err = UpdatePackage::open(&input, &b).unwrap_err();
        assert!(
            matches!(err, PackageError::TooLarge { what: "age header", limit } if limit == MAX_SEALED_HEADER),
            "{err:?}"
        );
    }
    let (_, p) = real();
    for _ in 0..200 {
        let sealed = p.seal(&b.to_public());
        let header = sealed.windows(5).position(|w| w == b"\n--- ").unwrap();
        assert!(
            header < MAX_SEALED_HEADER / 2,
            "a real header of {header} bytes"
        );
        assert!(UpdatePackage::open(&sealed, &b).unwrap() == p);
    }
}

fn armor(binary: &[u8]) -> Vec<u8> {
    use age::armor::{ArmoredWriter, Format};
    let mut w = ArmoredWriter::wrap_output(Vec::new(), Format::AsciiArmor).unwrap();
    w.write_all(binary).unwrap();
    w.finish().unwrap()
}

fn seal_raw(plaintext: &[u8], identity: &age::x25519::Identity) -> Vec<u8> {
    let recipient = identity.to_public();
    let enc = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
        .unwrap();
    let mut out = Vec::new();
    let mut w = enc.wrap_output(&mut out).unwrap();
    w.write_all(plaintext).unwrap();
    w.finish().unwrap();
    out
}

#[test]
fn plaintext_envelope_is_checked() {
    let (_, p) = real();
    let b = wallet(2).mailbox_identity();
    // Recover the plaintext layout through a known package, then alter it.
    let view = serde_json::to_value(p.public_view()).unwrap();
    let mut body = view.as_object().unwrap().clone();
    body.insert(
        "partial_signature".into(),
        hex(&p.partial_signature.to_bytes()).into(),
    );
    let envelope = |version: u64, kind: &str, body: &serde_json::Map<String, serde_json::Value>| {
        serde_json::to_vec(&serde_json::json!({"version": version, "type": kind, "body": body}))
            .unwrap()
    };
    let good = envelope(1, "update_package", &body);
    assert_eq!(UpdatePackage::open(&seal_raw(&good, &b), &b).unwrap(), p);

    let v2 = envelope(2, "update_package", &body);
    assert_eq!(
        UpdatePackage::open(&seal_raw(&v2, &b), &b).unwrap_err(),
        PackageError::UnsupportedVersion(2)
    );
    let kind = envelope(1, "invoice", &body);
    assert!(matches!(
        UpdatePackage::open(&seal_raw(&kind, &b), &b),
        Err(PackageError::Malformed(_))
    ));
    let mut extra = body.clone();
    extra.insert("extra".into(), 1.into());
    assert!(matches!(
        UpdatePackage::open(&seal_raw(&envelope(1, "update_package", &extra), &b), &b),
        Err(PackageError::Malformed(_))
    ));
    let mut bad_point = body.clone();
    bad_point.insert("payer_funding".into(), "05".repeat(33).into());
    assert!(matches!(
        UpdatePackage::open(
            &seal_raw(&envelope(1, "update_package", &bad_point), &b),
            &b
        ),
        Err(PackageError::InvalidField { .. })
    ));
    let mut bad_scalar = body.clone();
    bad_scalar.insert("partial_signature".into(), "ff".repeat(32).into());
    assert!(matches!(
        UpdatePackage::open(
            &seal_raw(&envelope(1, "update_package", &bad_scalar), &b),
            &b
        ),
        Err(PackageError::InvalidField { .. })
    ));
    let mut missing = body;
    missing.remove("partial_signature");
    assert!(matches!(
        UpdatePackage::open(&seal_raw(&envelope(1, "update_package", &missing), &b), &b),
        Err(PackageError::Malformed(_))
    ));
}

#[test]
fn debug_and_public_view_do_not_show_s_a() {
    let (_, p) = real();
    let s_a = hex(&p.partial_signature.to_bytes());
    let debug = format!("{p:?}");
    assert!(!debug.contains(&s_a), "{debug}");
    assert!(debug.contains("<secret>"));
    assert!(debug.contains(&p.payment_id.to_string()));
    let view = serde_json::to_string(&p.public_view()).unwrap();
    assert!(!view.contains(&s_a));
    assert!(!view.contains("partial_signature"));
    assert!(!format!("{:?}", p.public_view()).contains(&s_a));
}

fn scalar_strategy() -> impl Strategy<Value = Scalar> {
    any::<[u8; 32]>().prop_filter_map("a valid secret key", |b| Scalar::try_from(b).ok())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn check_matches_payment_point_for_random_sessions(
        a in scalar_strategy(),
        s in scalar_strategy(),
        message in any::<[u8; 32]>(),
        rand in any::<[[u8; 32]; 2]>(),
    ) {
        prop_assume!(a.base_point_mul() != s.base_point_mul());
        let sess = session(a, s, message, rand);
        let p = package_of(&sess);
        let t_a = p.check().unwrap();
        prop_assert_eq!(
            MaybePoint::Valid(t_a),
            sess.session.payment_point(sess.payer_funding).unwrap()
        );
        let mut wrong = p.clone();
        wrong.partial_signature = sess.s_s;
        prop_assert_eq!(wrong.check().unwrap_err(), PackageError::BadPartialSignature);
        let mut moved = p;
        moved.message[31] ^= 0x80;
        prop_assert_eq!(moved.check().unwrap_err(), PackageError::BadPartialSignature);
    }
}

#[test]
fn error_messages_are_lower_case_and_actionable() {
    let (_, p) = real();
    let b = wallet(2).mailbox_identity();
    let s = address(Network::Regtest, "http://127.0.0.1:9737").to_string();
    let mut changed = s.clone();
    changed.replace_range(10..11, if &s[10..11] == "q" { "p" } else { "q" });
    let sealed = p.seal(&b.to_public());
    let errors: Vec<String> = vec![
        changed.parse::<PaymentAddress>().unwrap_err().to_string(),
        PaymentAddress::parse_for(&s, Network::Bitcoin)
            .unwrap_err()
            .to_string(),
        reencode(&address(Network::Regtest, "http://h"), |d| d[0] = 9)
            .parse::<PaymentAddress>()
            .unwrap_err()
            .to_string(),
        "rasp1".parse::<PaymentAddress>().unwrap_err().to_string(),
        UpdatePackage::open(&sealed[..40], &b)
            .unwrap_err()
            .to_string(),
        UpdatePackage::open(&sealed, &wallet(5).mailbox_identity())
            .unwrap_err()
            .to_string(),
        {
            let mut bad = sealed.clone();
            let i = bad.len() - 3;
            bad[i] ^= 1;
            UpdatePackage::open(&bad, &b).unwrap_err().to_string()
        },
        {
            let mut t = p.clone();
            t.message[0] ^= 1;
            t.check().unwrap_err().to_string()
        },
    ];
    for e in errors {
        println!("{e}");
        assert!(
            e.starts_with(|c: char| c.is_lowercase() || c == '\''),
            "{e}"
        );
        assert!(!e.ends_with('.'), "{e}");
    }
}
