//! Cryptography of asyncpay: MuSig2 2-of-2 sessions and the payment point of a partial
//! signature ([`musig`]), single-signer adaptor signatures ([`adaptor`]), and the BIP118
//! ANYPREVOUT signature digest ([`bip118`]). No I/O.

pub mod adaptor;
pub mod bip118;
pub mod memo;
pub mod musig;

use std::sync::OnceLock;

use bitcoin::secp256k1::{schnorr, All, Message, Secp256k1, XOnlyPublicKey};

/// The process's one signing-and-verifying libsecp256k1 context (BIP340 node-key
/// signatures: request authentication, invoices).
pub fn secp() -> &'static Secp256k1<All> {
    static SECP: OnceLock<Secp256k1<All>> = OnceLock::new();
    SECP.get_or_init(Secp256k1::new)
}

/// BIP340: is `signature` one of the x-only `key` over `message`? libsecp256k1's
/// `schnorrsig_verify` (variable-time: everything here is public), about half the
/// instructions of `musig2::verify_single`, whose two multiplications are constant-time.
/// Every aggregate MuSig2 signature asyncpay checks goes through it.
///
/// Answers are remembered (a pure function of public data): a wallet loads the same signed
/// state, and checks its signature, several times per command.
pub fn verify_bip340(key: secp::Point, signature: &[u8; 64], message: [u8; 32]) -> bool {
    type Checked = ([u8; 32], [u8; 64], [u8; 32]);
    static VERIFIED: memo::Memo<Checked, bool> = memo::Memo::new();
    let key = key.serialize_xonly();
    VERIFIED.get((key, *signature, message), || {
        let Ok(key) = XOnlyPublicKey::from_slice(&key) else {
            return false;
        };
        let Ok(signature) = schnorr::Signature::from_slice(signature) else {
            return false;
        };
        secp()
            .verify_schnorr(&signature, &Message::from_digest(message), &key)
            .is_ok()
    })
}
