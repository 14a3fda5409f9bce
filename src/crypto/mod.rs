//! Cryptography of asyncpay: MuSig2 2-of-2 sessions and the payment point of a partial
//! signature ([`musig`]), single-signer adaptor signatures ([`adaptor`]), and the BIP118
//! ANYPREVOUT signature digest ([`bip118`]). No I/O.

pub mod adaptor;
pub mod bip118;
pub mod musig;
