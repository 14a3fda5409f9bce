//! The local regtest ledger.
