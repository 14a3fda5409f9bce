//! Every decoder of untrusted bytes, fed arbitrary bytes and mutated valid encodings on every
//! `cargo test` (a bounded version of the cargo-fuzz targets in `fuzz/`, which run the same
//! checks from `tests/common/decoders.rs` for millions of executions): no input may panic,
//! and what decodes must round-trip.
//!
//! `ASYNCPAY_WRITE_FUZZ_CORPUS=1 cargo test --test fuzz_decoders write_fuzz_corpus` writes the
//! valid encodings below as the seed corpora of the fuzz targets (`fuzz/corpus/<target>/`).

#[path = "common/decoders.rs"]
mod decoders;

use std::io::Write;

use asyncpay::chain::store::encode_state;
use asyncpay::chain::Chain;
use asyncpay::client::ClientChannel;
use asyncpay::client::{ClientPayment, Direction, LocalStatus};
use asyncpay::crypto::musig::{AggregateKey, SecretNonce, SigningSession};
use asyncpay::eltoo::{xonly, Party, PartyKeys, DUST_LIMIT};
use asyncpay::keys::NodeId;
use asyncpay::net::auth::AuthHeader;
use asyncpay::payment::{Invoice, InvoiceFields, PaymentAddress, PaymentId, UpdatePackage};
use asyncpay::protocol::{
    AcceptChannel, Channel, ChannelId, FundingPublished, Message, OpenChannel, UpdateAccept,
    UpdateProposal, UpdateSignature, WireKeys, WireParams, WirePtlc, WireState,
};
use asyncpay::server::mailbox::{FetchedItem, ItemId, ItemMeta, PostItem, Posted};
use asyncpay::server::payments::{
    CancelRequest, ClaimRequest, PaymentRequest, PaymentStatus, PaymentView, SaleAccepted,
    SaleRequest, ServerPayment,
};
use asyncpay::server::{
    ChannelPolicy, ChannelSummary, CloseAccept, CloseDone, CloseRequest, CloseSign, ServerChannel,
    ServerInfo, ServerSettings,
};
use asyncpay::store::{decode_state_ciphertext, encode_state_plaintext, SeedFile, StateFile};
use asyncpay::wallet::onchain::WalletState;
use bitcoin::secp256k1::SecretKey;
use bitcoin::{Amount, ScriptBuf};
use proptest::prelude::*;
use secp::{Point, Scalar};

fn scalar(seed: u8, i: u8) -> Scalar {
    Scalar::try_from([seed, i].repeat(16).as_slice()).unwrap()
}

fn party_keys(seed: u8) -> PartyKeys {
    PartyKeys {
        funding: scalar(seed, 1).base_point_mul(),
        settlement: xonly(&scalar(seed, 2).base_point_mul()),
        ptlc: xonly(&scalar(seed, 3).base_point_mul()),
    }
}

fn node_secret(seed: u8) -> SecretKey {
    SecretKey::from_slice(&[seed; 32]).unwrap()
}

fn node_id(seed: u8) -> NodeId {
    NodeId(node_secret(seed).public_key(&bitcoin::secp256k1::Secp256k1::new()))
}

const CHANNEL: ChannelId = ChannelId([0x11; 32]);

fn open() -> OpenChannel {
    OpenChannel {
        channel_id: CHANNEL,
        client_keys: WireKeys::from(&party_keys(1)),
        capacity_sat: 1_000_000,
        funder: Party::Client,
        push_sat: 0,
        shared_delay: Some(6),
    }
}

fn accept() -> AcceptChannel {
    AcceptChannel {
        channel_id: CHANNEL,
        server_keys: WireKeys::from(&party_keys(101)),
        shared_delay: 6,
        dust_limit_sat: DUST_LIMIT.to_sat(),
        minimum_depth: 1,
    }
}

/// A client channel right after the open, and with state 0 proposed (a stored secret nonce).
fn channels() -> (Channel, Channel, UpdateProposal) {
    let channel = Channel::on_accept_channel(&open(), &accept()).unwrap();
    let initial = channel.initial_state();
    let (pending, proposal) = channel.propose(initial, [5; 32]).unwrap();
    (channel, pending, proposal)
}

fn ptlc_proposal(nonce: [u8; 66]) -> UpdateProposal {
    UpdateProposal {
        channel_id: CHANNEL,
        number: 4,
        state: WireState {
            number: 4,
            client_sat: 900_000,
            server_sat: 80_000,
            ptlcs: vec![WirePtlc {
                offerer: Party::Server,
                amount_sat: 20_000,
                point: scalar(9, 9).base_point_mul().serialize(),
                expiry: 500,
            }],
        },
        proposer_nonce: nonce,
    }
}

fn messages() -> Vec<Vec<u8>> {
    let (_, _, proposal) = channels();
    let nonce = proposal.proposer_nonce;
    let msgs: Vec<Message> = vec![
        open().into(),
        OpenChannel {
            funder: Party::Server,
            push_sat: 1000,
            shared_delay: None,
            ..open()
        }
        .into(),
        accept().into(),
        FundingPublished {
            channel_id: CHANNEL,
            funding_outpoint: format!("{}:1", bitcoin::Txid::from_byte_array_ext([3; 32])),
        }
        .into(),
        proposal.clone().into(),
        ptlc_proposal(nonce).into(),
        UpdateAccept {
            channel_id: CHANNEL,
            number: 0,
            nonce,
        }
        .into(),
        UpdateSignature {
            channel_id: CHANNEL,
            number: 0,
            partial_signature: scalar(4, 4).serialize(),
        }
        .into(),
    ];
    msgs.iter().map(Message::encode).collect()
}

trait TxidExt {
    fn from_byte_array_ext(b: [u8; 32]) -> Self;
}
impl TxidExt for bitcoin::Txid {
    fn from_byte_array_ext(b: [u8; 32]) -> Self {
        use bitcoin::hashes::Hash;
        bitcoin::Txid::from_byte_array(b)
    }
}

/// A package whose `s_A` really is A's partial signature of the session (passes `check`).
fn package() -> UpdatePackage {
    let (a, s) = (scalar(1, 1), scalar(101, 1));
    let (pa, ps) = (a.base_point_mul(), s.base_point_mul());
    let key = AggregateKey::new(pa, ps).unwrap();
    let message = [9; 32];
    let na = SecretNonce::generate([1; 32], a, &key, Some(&message));
    let ns = SecretNonce::generate([2; 32], s, &key, Some(&message));
    let (pna, pns) = (na.public_nonce(), ns.public_nonce());
    let session =
        SigningSession::new(&key, [(pa, pna.clone()), (ps, pns.clone())], message).unwrap();
    let partial_signature = session.sign(a, na).unwrap();
    let package = UpdatePackage {
        payment_id: PaymentId([7; 32]),
        amount_sat: 100_000,
        fee_sat: 100,
        expiry: 1_764_000_000,
        payee: node_id(2),
        payer: node_id(1),
        payer_funding: pa,
        server_funding: ps,
        payer_nonce: pna,
        server_nonce: pns,
        message,
        state_number: 5,
        partial_signature,
    };
    package.check().expect("the sample package is valid");
    package
}

fn invoice() -> Invoice {
    let t_a: Point = package().check().unwrap();
    Invoice::sign(
        InvoiceFields {
            payment_id: PaymentId([7; 32]),
            amount_sat: 100_000,
            payment_point: t_a,
            expiry: 1_764_000_000,
            payee: node_id(2),
        },
        &bitcoin::secp256k1::Keypair::from_secret_key(
            &bitcoin::secp256k1::Secp256k1::new(),
            &node_secret(2),
        ),
        [0; 32],
    )
    .unwrap()
}

fn addresses() -> Vec<Vec<u8>> {
    let recipient = decoders::identity().to_public();
    [
        (bitcoin::Network::Regtest, "http://127.0.0.1:9735"),
        (bitcoin::Network::Bitcoin, "https://pay.example.com:8443/b"),
        (bitcoin::Network::Signet, "https://[::1]:1"),
    ]
    .iter()
    .map(|(net, url)| {
        PaymentAddress::new(*net, node_id(2), recipient.clone(), url)
            .unwrap()
            .to_string()
            .into_bytes()
    })
    .collect()
}

fn auth_headers() -> Vec<Vec<u8>> {
    vec![
        AuthHeader::sign(
            &asyncpay::net::auth::keypair(&node_secret(1)),
            &node_id(9),
            "POST",
            "/v1/channels",
            b"{}",
            1_764_000_000,
            [7; 16],
        )
        .to_string()
        .into_bytes(),
        AuthHeader::sign(
            &asyncpay::net::auth::keypair(&node_secret(3)),
            &node_id(9),
            "GET",
            "/v1/mailbox?x=1",
            b"",
            0,
            [0; 16],
        )
        .to_string()
        .into_bytes(),
    ]
}

fn ledger_states() -> Vec<Vec<u8>> {
    let mut small = Chain::new();
    small.mine(2, None);
    let mut funded = Chain::new();
    let script = ScriptBuf::from_bytes(vec![0x51, 0x02, 0x4e, 0x73]);
    funded.fund(&script, Amount::from_sat(50_000)).unwrap();
    vec![
        encode_state(&Chain::new()),
        encode_state(&small),
        encode_state(&funded),
    ]
}

fn with_selector(selector: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![selector];
    out.extend_from_slice(bytes);
    out
}

fn plaintext<T: StateFile>(value: &T) -> Vec<u8> {
    encode_state_plaintext(value).unwrap().to_vec()
}

fn client_payment() -> ClientPayment {
    let (_, _, proposal) = channels();
    ClientPayment {
        scalar_revealed_at: None,
        confirmation_budget: None,
        payment_point: None,
        finished_at: None,
        payment_id: PaymentId([7; 32]),
        direction: Direction::Outgoing,
        status: LocalStatus::Sold,
        amount_sat: 100_000,
        fee_sat: 100,
        expiry: 1_764_000_000,
        created_at: 1_763_000_000,
        counterparty: node_id(2),
        channel_id: Some(CHANNEL),
        address: Some(String::from_utf8(addresses()[0].clone()).unwrap()),
        request: Some(payment_request(proposal)),
        package_out: None,
        delivered: Some("mailbox".into()),
        server_url: Some("http://127.0.0.1:9735".into()),
        sealed: Some("00ff".into()),
        adaptor_signature: Some("ab".repeat(65)),
        invoice: Some(invoice()),
        reason: None,
    }
}

fn payment_request(proposal: UpdateProposal) -> PaymentRequest {
    PaymentRequest {
        payment_id: PaymentId([7; 32]),
        payee: node_id(2),
        amount_sat: 100_000,
        fee_sat: 100,
        expiry: 1_764_000_000,
        proposal,
    }
}

fn seal(plaintext: &[u8]) -> Vec<u8> {
    let recipient = decoders::identity().to_public();
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .unwrap();
    let mut out = Vec::new();
    let mut writer = encryptor.wrap_output(&mut out).unwrap();
    writer.write_all(plaintext).unwrap();
    writer.finish().unwrap();
    out
}

fn state_files() -> Vec<Vec<u8>> {
    let data = |name: &str| {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data")
                .join(name),
        )
        .unwrap()
    };
    let seed: SeedFile =
        decode_state_ciphertext(decoders::identity(), &data("seed-v1.age")).unwrap();
    let wallet: WalletState =
        decode_state_ciphertext(decoders::identity(), &data("wallet-v1.age")).unwrap();
    let (opened, pending, _) = channels();
    let client_channel = ClientChannel {
        server_url: "http://127.0.0.1:9735".into(),
        server: node_id(101),
        key_index: 3,
        channel: pending,
        opened_height: None,
        keys_bound: true,
        cooperative_close: None,
    };
    let server_channel = ServerChannel {
        opened_height: None,
        received: None,
        uncovered_since: None,
        client: node_id(1),
        key_index: 4,
        channel: opened,
        published: vec![bitcoin::Txid::from_byte_array_ext([3; 32])],
        key_salt: Some([5; 32]),
        withdrawn_sale: None,
        cooperative_close: None,
    };
    let server_payment = ServerPayment {
        ptlc_state: None,
        payment_id: PaymentId([7; 32]),
        payer: node_id(1),
        payer_channel: CHANNEL,
        payee: node_id(2),
        amount_sat: 100_000,
        fee_sat: 100,
        expiry: 1_764_000_000,
        state_number: 5,
        created_at: 1_763_000_000,
        status: PaymentStatus::Sold,
        sale_queued: true,
        approved: false,
        invoice: Some(invoice()),
        payee_channel: Some(ChannelId([0x22; 32])),
        adaptor_signature: Some("ab".repeat(65)),
        scalar: None,
        server_partial: None,
    };
    let payment = plaintext(&client_payment());
    vec![
        with_selector(0, &plaintext(&seed)),
        with_selector(1, &plaintext(&wallet)),
        with_selector(2, &plaintext(&client_channel)),
        with_selector(3, &payment),
        with_selector(4, &plaintext(&ServerSettings::default())),
        with_selector(5, &plaintext(&server_channel)),
        with_selector(6, &plaintext(&server_payment)),
        with_selector(7, &seal(&payment)),
        with_selector(
            8,
            &std::fs::read(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/data/recipient-v1.txt"),
            )
            .unwrap(),
        ),
        with_selector(
            9,
            format!(
                "# asyncpay storage identity, format 1\n# public key: {}\n{}\n",
                decoders::identity().to_public(),
                decoders::IDENTITY
            )
            .as_bytes(),
        ),
    ]
}

fn json<T: serde::Serialize>(selector: u8, value: &T) -> Vec<u8> {
    with_selector(selector, &serde_json::to_vec(value).unwrap())
}

fn api_bodies() -> Vec<Vec<u8>> {
    let (_, _, proposal) = channels();
    let update_accept = UpdateAccept {
        channel_id: CHANNEL,
        number: 0,
        nonce: proposal.proposer_nonce,
    };
    let meta = ItemMeta {
        id: ItemId([5; 16]),
        sender: node_id(1),
        size: 700,
        posted_at: 1_763_000_000,
        expires_at: 1_764_000_000,
    };
    let view = PaymentView {
        payment_id: PaymentId([7; 32]),
        status: PaymentStatus::Paid,
        expired: false,
        payer: node_id(1),
        payee: node_id(2),
        amount_sat: 100_000,
        fee_sat: 100,
        expiry: 1_764_000_000,
        state_number: 5,
        sale_queued: false,
        invoice: Some(invoice()),
        scalar: Some("01".repeat(32)),
        server_partial: Some("02".repeat(32)),
    };
    vec![
        json(
            0,
            &CloseRequest {
                channel_id: CHANNEL,
                fee_sat: 300,
                nonce: hex66(proposal.proposer_nonce),
            },
        ),
        json(
            1,
            &CloseSign {
                channel_id: CHANNEL,
                fee_sat: 300,
                nonce: hex66(proposal.proposer_nonce),
                server_nonce: hex66(proposal.proposer_nonce),
                partial_signature: "03".repeat(32),
            },
        ),
        json(2, &payment_request(proposal.clone())),
        json(
            3,
            &SaleRequest {
                invoice: invoice(),
                proposal: ptlc_proposal(proposal.proposer_nonce),
            },
        ),
        json(
            4,
            &ClaimRequest {
                payment_id: PaymentId([7; 32]),
                scalar: "01".repeat(32),
                proposal: proposal.clone(),
            },
        ),
        json(
            5,
            &CancelRequest {
                payment_id: PaymentId([7; 32]),
            },
        ),
        json(
            6,
            &PostItem {
                payload: "ab".repeat(40),
                expires_at: Some(1_764_000_000),
                work: None,
            },
        ),
        json(
            7,
            &ServerInfo {
                watcher: None,
                node_id: node_id(101),
                network: "regtest".into(),
                version: "0.1.0".into(),
                policy: ChannelPolicy::default(),
            },
        ),
        json(
            8,
            &vec![ChannelSummary {
                channel_id: CHANNEL,
                status: "open".into(),
                capacity_sat: 1_000_000,
                state: Some(3),
                client_sat: Some(900_000),
                server_sat: Some(100_000),
                funding_outpoint: Some(format!(
                    "{}:0",
                    bitcoin::Txid::from_byte_array_ext([3; 32])
                )),
                confirmations: 6,
                close_notice: None,
            }],
        ),
        json(
            9,
            &CloseAccept {
                nonce: hex66(proposal.proposer_nonce),
            },
        ),
        json(
            10,
            &CloseDone {
                txid: bitcoin::Txid::from_byte_array_ext([3; 32]),
                tx_hex: "0200".into(),
            },
        ),
        with_selector(
            11,
            format!(
                "{{\"messages\":[{}]}}",
                String::from_utf8(Message::from(update_accept.clone()).encode()).unwrap()
            )
            .as_bytes(),
        ),
        json(
            12,
            &SaleAccepted {
                accept: update_accept,
                adaptor_signature: "ab".repeat(65),
            },
        ),
        json(13, &vec![view]),
        json(
            14,
            &Posted {
                id: ItemId([5; 16]),
                expires_at: 1_764_000_000,
                size: 700,
            },
        ),
        json(
            15,
            &vec![FetchedItem {
                meta: meta.clone(),
                payload: "ab".repeat(40),
            }],
        ),
        json(16, &vec![meta]),
        json(
            16,
            &WireParams::from(
                Channel::on_accept_channel(&open(), &accept())
                    .unwrap()
                    .params(),
            ),
        ),
    ]
}

fn hex66(b: [u8; 66]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Every fuzz target with its decoder check and its valid encodings.
type Target = (&'static str, fn(&[u8]), Vec<Vec<u8>>);

fn targets() -> Vec<Target> {
    let package = package();
    let recipient = decoders::identity().to_public();
    vec![
        ("message", decoders::message, messages()),
        (
            "package_plaintext",
            decoders::package_plaintext,
            vec![package.plaintext().to_vec()],
        ),
        (
            "package_sealed",
            decoders::package_sealed,
            vec![
                package.seal(&recipient),
                package.seal_armored(&recipient).into_bytes(),
            ],
        ),
        ("invoice", decoders::invoice, {
            let i = invoice();
            vec![i.encode(), serde_json::to_vec(&i).unwrap()]
        }),
        ("address", decoders::address, addresses()),
        ("auth_header", decoders::auth_header, auth_headers()),
        ("state_file", decoders::state_file, state_files()),
        ("ledger_state", decoders::ledger_state, ledger_states()),
        ("api_body", decoders::api_body, api_bodies()),
    ]
}

/// The valid encodings decode and round-trip (and so exercise the success paths).
#[test]
fn valid_encodings_decode_and_round_trip() {
    for (name, check, samples) in targets() {
        assert!(!samples.is_empty(), "{name}");
        for s in samples {
            check(&s);
        }
    }
    // The samples really decode (a round trip of nothing proves nothing).
    for m in messages() {
        Message::decode(&m).unwrap();
    }
    UpdatePackage::decode(&package().plaintext()).unwrap();
    Invoice::decode(&invoice().encode()).unwrap();
    for a in addresses() {
        std::str::from_utf8(&a)
            .unwrap()
            .parse::<PaymentAddress>()
            .unwrap();
    }
    for h in auth_headers() {
        std::str::from_utf8(&h)
            .unwrap()
            .parse::<AuthHeader>()
            .unwrap();
    }
    for s in ledger_states() {
        asyncpay::chain::store::decode_state(&s, "state.json".as_ref()).unwrap();
    }
    let files = state_files();
    asyncpay::store::decode_state_plaintext::<ClientChannel>(&files[2][1..]).unwrap();
    asyncpay::store::decode_state_plaintext::<ServerChannel>(&files[5][1..]).unwrap();
    decode_state_ciphertext::<ClientPayment>(decoders::identity(), &files[7][1..]).unwrap();
}

/// A mutation of a valid encoding: flip, insert, delete or overwrite bytes.
fn mutate(mut bytes: Vec<u8>, edits: &[(u16, u8, u8)]) -> Vec<u8> {
    for &(pos, kind, value) in edits {
        let len = bytes.len();
        let at = if len == 0 { 0 } else { usize::from(pos) % len };
        match kind % 5 {
            0 if len > 0 => bytes[at] ^= 1 << (value % 8),
            1 => bytes.insert(at, value),
            2 if len > 0 => {
                bytes.remove(at);
            }
            3 if len > 0 => bytes[at] = value,
            _ if len > 0 => {
                // Replace with an "interesting" JSON/hex character.
                const CHARS: &[u8] = b"0123456789abcdefABCDEF\"{}[],:-. \\e+nul";
                bytes[at] = CHARS[usize::from(value) % CHARS.len()];
            }
            _ => bytes.push(value),
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary bytes into every decoder (as bytes and, for the text formats, as text).
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), text in "\\PC{0,200}") {
        for (_, check, _) in targets_cached() {
            check(&bytes);
            check(text.as_bytes());
        }
    }

    /// Mutated valid encodings (which get past the first checks) into every decoder.
    #[test]
    fn mutated_encodings_never_panic(
        which in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<u16>(), any::<u8>(), any::<u8>()), 1..6),
    ) {
        for (_, check, samples) in targets_cached() {
            let sample = samples[which.index(samples.len())].clone();
            check(&mutate(sample, &edits));
        }
    }
}

fn targets_cached() -> &'static [Target] {
    static T: std::sync::OnceLock<Vec<Target>> = std::sync::OnceLock::new();
    T.get_or_init(targets)
}

/// Regression inputs found by the fuzzers (each once panicked a decoder).
#[test]
fn fuzz_regressions() {
    let cases: &[(&str, &[u8])] = &[];
    for (name, input) in cases {
        let (_, check, _) = targets_cached().iter().find(|t| t.0 == *name).unwrap();
        check(input);
    }
}

/// Writes the seed corpora of the fuzz targets (only with `ASYNCPAY_WRITE_FUZZ_CORPUS=1`).
#[test]
fn write_fuzz_corpus() {
    if std::env::var_os("ASYNCPAY_WRITE_FUZZ_CORPUS").is_none() {
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for (name, _, samples) in targets() {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for (i, s) in samples.iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:02}")), s).unwrap();
        }
    }
}
