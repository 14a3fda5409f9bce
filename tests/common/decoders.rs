//! One check per decoder of untrusted bytes, shared by `tests/fuzz_decoders.rs` (proptest,
//! bounded, in every `cargo test`) and the cargo-fuzz targets of `fuzz/` (which include this
//! file with `#[path]`), so both exercise exactly the same properties:
//!
//! - the decoder returns (`Ok` or `Err`) on any input, never panics, and so do the accessors a
//!   receiver calls on what it decoded;
//! - where the format has an encoder, decode → encode → decode gives the same value (or, for
//!   types without `PartialEq`, encode → decode → encode gives the same bytes).
//!
//! Only the public API of `asyncpay` and its own dependencies (age, bitcoin, serde_json) are
//! used here.
#![allow(dead_code)]

use std::path::Path;
use std::str::FromStr;
use std::sync::OnceLock;

use asyncpay::chain::store::{decode_state, encode_state};
use asyncpay::client::ClientChannel;
use asyncpay::client::ClientPayment;
use asyncpay::eltoo::{ChannelParams, PartyKeys};
use asyncpay::net::auth::AuthHeader;
use asyncpay::payment::{Invoice, PaymentAddress, UpdatePackage};
use asyncpay::protocol::Message;
use asyncpay::server::mailbox::{FetchedItem, ItemMeta, PostItem, Posted};
use asyncpay::server::payments::{
    CancelRequest, ClaimRequest, PaymentRequest, PaymentView, SaleAccepted, SaleRequest,
    ServerPayment,
};
use asyncpay::server::{
    ChannelSummary, CloseAccept, CloseDone, CloseRequest, CloseSign, Replies, ServerChannel,
    ServerInfo, ServerSettings,
};
use asyncpay::store::{
    decode_state_ciphertext, decode_state_plaintext, encode_state_plaintext,
    parse_identity_plaintext, parse_recipient_file, SeedFile, StateFile,
};
use asyncpay::wallet::onchain::WalletState;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The test-only identity of `tests/data/identity-file.txt` (its secret key is public): the
/// mailbox identity that sealed packages and the storage identity that state files are
/// decrypted with.
pub const IDENTITY: &str =
    "AGE-SECRET-KEY-19AKJDSK6UY7EVE8X6WU24ER556TM3TA2C56U57L5NL3X8L08LEYQGDP6Q5";

/// [`IDENTITY`], parsed once.
pub fn identity() -> &'static age::x25519::Identity {
    static ID: OnceLock<age::x25519::Identity> = OnceLock::new();
    ID.get_or_init(|| IDENTITY.parse().expect("valid test identity"))
}

/// Channel messages (`protocol::messages`): `Message::decode`, every accessor, round trip.
pub fn message(data: &[u8]) {
    let Ok(m) = Message::decode(data) else {
        return;
    };
    let _ = m.channel_id();
    match &m {
        Message::OpenChannel(o) => {
            let _ = o.initial_balances();
            let _ = PartyKeys::try_from(&o.client_keys);
        }
        Message::AcceptChannel(a) => {
            let _ = PartyKeys::try_from(&a.server_keys);
        }
        Message::FundingPublished(f) => {
            let _ = f.outpoint();
        }
        Message::UpdateProposal(p) => {
            let _ = p.next_state();
            let _ = p.nonce();
        }
        Message::UpdateAccept(a) => {
            let _ = a.public_nonce();
        }
        Message::UpdateSignature(s) => {
            let _ = s.partial();
        }
    }
    let encoded = m.encode();
    let again = Message::decode(&encoded).expect("an encoded message decodes");
    assert_eq!(again, m, "message round trip");
    assert_eq!(again.encode(), encoded, "message encoding is stable");
}

/// Channel parameters as a peer sends them (`WireParams` → `ChannelParams`).
pub fn wire_params(data: &[u8]) {
    if let Ok(w) = serde_json::from_slice::<asyncpay::protocol::WireParams>(data) {
        if let Ok(p) = ChannelParams::try_from(&w) {
            let back = asyncpay::protocol::WireParams::from(&p);
            assert_eq!(
                ChannelParams::try_from(&back).ok(),
                Some(p),
                "params round trip"
            );
        }
    }
}

/// The decrypted update package (`UpdatePackage::decode`), its checks, round trip.
pub fn package_plaintext(data: &[u8]) {
    let Ok(p) = UpdatePackage::decode(data) else {
        return;
    };
    let _ = p.public_view();
    let _ = p.check();
    let again = UpdatePackage::decode(&p.plaintext()).expect("an encoded package decodes");
    assert!(again == p, "package round trip");
}

/// A sealed update package (`UpdatePackage::open` with the mailbox identity), round trip
/// through `seal`.
pub fn package_sealed(data: &[u8]) {
    let Ok(p) = UpdatePackage::open(data, identity()) else {
        return;
    };
    let _ = p.check();
    let sealed = p.seal(&identity().to_public());
    let again = UpdatePackage::open(&sealed, identity()).expect("a sealed package opens");
    assert!(again == p, "sealed package round trip");
}

/// Invoices: the envelope (`Invoice::decode`, signature verified) and the bare body (its
/// serde form, stored inside payments), round trips.
pub fn invoice(data: &[u8]) {
    if let Ok(i) = Invoice::decode(data) {
        let _ = i.is_expired(u64::MAX);
        let again = Invoice::decode(&i.encode()).expect("an encoded invoice decodes");
        assert_eq!(again, i, "invoice round trip");
    }
    if let Ok(i) = serde_json::from_slice::<Invoice>(data) {
        let _ = i.verify();
        let json = serde_json::to_vec(&i).expect("invoice serializes");
        let again: Invoice = serde_json::from_slice(&json).expect("invoice body decodes");
        assert_eq!(again, i, "invoice body round trip");
    }
}

/// Payment addresses (`PaymentAddress::from_str`, bech32m), round trip through `Display`.
pub fn address(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = PaymentAddress::parse_for(s, bitcoin::Network::Regtest);
    let Ok(a) = PaymentAddress::from_str(s) else {
        return;
    };
    let _ = (a.network(), a.node_id(), a.mailbox(), a.server_url());
    let text = a.to_string();
    let again = PaymentAddress::from_str(&text).expect("a displayed address parses");
    assert_eq!(again, a, "address round trip");
    assert_eq!(again.to_string(), text, "address display is stable");
    let json = serde_json::to_string(&a).expect("address serializes");
    let from_json: PaymentAddress = serde_json::from_str(&json).expect("address deserializes");
    assert_eq!(from_json, a, "address serde round trip");
}

/// The `Authorization` header (`AuthHeader::from_str`), round trip through `Display`.
pub fn auth_header(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(h) = AuthHeader::from_str(s) else {
        return;
    };
    let text = h.to_string();
    let again = AuthHeader::from_str(&text).expect("a displayed header parses");
    assert_eq!(again, h, "auth header round trip");
    assert_eq!(again.to_string(), text, "auth header display is stable");
}

/// The regtest ledger's old `state.json` (`chain::store::decode_state`, what a ledger
/// directory's first open imports), the read paths used after a load, round trip.
pub fn ledger_state(data: &[u8]) {
    let path = Path::new("state.json");
    let Ok(chain) = decode_state(data, path) else {
        return;
    };
    let tip = chain.tip();
    for height in 0..=tip.height.min(64) {
        let _ = chain.header(height);
        let _ = chain.full_block(height);
    }
    let encoded = encode_state(&chain);
    let again = decode_state(&encoded, path).expect("an encoded ledger state decodes");
    assert_eq!(encode_state(&again), encoded, "ledger state round trip");
    assert_eq!(again.tip(), tip, "ledger tip round trip");
}

/// Decodes `T` from a state file's plaintext; round trip by bytes.
fn state_plaintext<T: StateFile>(data: &[u8]) {
    let Ok(value) = decode_state_plaintext::<T>(data) else {
        return;
    };
    let encoded = encode_state_plaintext(&value).expect("a decoded state file encodes");
    let again = decode_state_plaintext::<T>(&encoded).expect("an encoded state file decodes");
    let encoded_again = encode_state_plaintext(&again).expect("a decoded state file encodes");
    assert!(*encoded == *encoded_again, "state file round trip");
}

/// The state file kinds, in the order of [`state_file`]'s selector byte.
pub const STATE_KINDS: [&str; 10] = [
    SeedFile::KIND,
    WalletState::KIND,
    ClientChannel::KIND,
    ClientPayment::KIND,
    ServerSettings::KIND,
    ServerChannel::KIND,
    ServerPayment::KIND,
    "ciphertext of a client payment",
    "recipient file",
    "identity.age plaintext",
];

/// Stored files of a data dir. The first byte selects what the rest is (see
/// [`STATE_KINDS`]): the decrypted plaintext of one state file type, an encrypted state file
/// (decrypted with [`IDENTITY`]), the `recipient` file or the plaintext of `identity.age`.
pub fn state_file(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    match usize::from(selector) % STATE_KINDS.len() {
        0 => state_plaintext::<SeedFile>(rest),
        1 => state_plaintext::<WalletState>(rest),
        2 => state_plaintext::<ClientChannel>(rest),
        3 => state_plaintext::<ClientPayment>(rest),
        4 => state_plaintext::<ServerSettings>(rest),
        5 => state_plaintext::<ServerChannel>(rest),
        6 => state_plaintext::<ServerPayment>(rest),
        7 => {
            if let Ok(p) = decode_state_ciphertext::<ClientPayment>(identity(), rest) {
                let encoded = encode_state_plaintext(&p).expect("encodes");
                decode_state_plaintext::<ClientPayment>(&encoded).expect("decodes");
            }
        }
        8 => {
            if let Ok(text) = std::str::from_utf8(rest) {
                if let Ok(r) = parse_recipient_file(text) {
                    let again = parse_recipient_file(&format!(
                        "# asyncpay storage recipient, format 1\n{r}\n"
                    ));
                    assert_eq!(again.map(|a| a.to_string()).ok(), Some(r.to_string()));
                }
            }
        }
        _ => {
            if let Ok(text) = std::str::from_utf8(rest) {
                let _ = parse_identity_plaintext(text);
            }
        }
    }
}

fn json_round_trip<T: Serialize + DeserializeOwned>(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<T>(data) else {
        return;
    };
    let encoded = serde_json::to_vec(&value).expect("a decoded body encodes");
    let again: T = serde_json::from_slice(&encoded).expect("an encoded body decodes");
    assert_eq!(
        serde_json::to_vec(&again).expect("encodes"),
        encoded,
        "JSON body round trip"
    );
}

/// The JSON bodies of the HTTP API not covered by [`message`]: requests S decodes from any
/// node, and replies a client decodes from a server. First byte selects the type.
pub fn api_body(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    match selector % 17 {
        0 => json_round_trip::<CloseRequest>(rest),
        1 => json_round_trip::<CloseSign>(rest),
        2 => json_round_trip::<PaymentRequest>(rest),
        3 => json_round_trip::<SaleRequest>(rest),
        4 => json_round_trip::<ClaimRequest>(rest),
        5 => json_round_trip::<CancelRequest>(rest),
        6 => json_round_trip::<PostItem>(rest),
        7 => json_round_trip::<ServerInfo>(rest),
        8 => json_round_trip::<Vec<ChannelSummary>>(rest),
        9 => json_round_trip::<CloseAccept>(rest),
        10 => json_round_trip::<CloseDone>(rest),
        11 => json_round_trip::<Replies>(rest),
        12 => json_round_trip::<SaleAccepted>(rest),
        13 => json_round_trip::<Vec<PaymentView>>(rest),
        14 => json_round_trip::<Posted>(rest),
        15 => json_round_trip::<Vec<FetchedItem>>(rest),
        _ => {
            json_round_trip::<Vec<ItemMeta>>(rest);
            wire_params(rest);
        }
    }
}
