//! Cryptography of asyncpay: MuSig2 2-of-2 sessions and the payment point of a partial
//! signature ([`musig`]), single-signer adaptor signatures ([`adaptor`]), and the BIP118
//! ANYPREVOUT signature digest ([`bip118`]). No I/O.

pub mod adaptor;
pub mod bip118;
pub mod memo;
pub mod musig;

use std::sync::OnceLock;

use bitcoin::secp256k1::{All, Secp256k1};

/// The process's one signing-and-verifying libsecp256k1 context (BIP340 node-key
/// signatures: request authentication, invoices).
pub fn secp() -> &'static Secp256k1<All> {
    static SECP: OnceLock<Secp256k1<All>> = OnceLock::new();
    SECP.get_or_init(Secp256k1::new)
}
