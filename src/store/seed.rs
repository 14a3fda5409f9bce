//! [`SeedFile`]: the wallet's BIP39 mnemonic, in `seed.age`.

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::StateFile;

/// The wallet seed: a BIP39 mnemonic and the network it was created for. Stored in
/// `seed.age`, kind `asyncpay/seed`.
///
/// Version 1 data: `{"mnemonic": "<words>", "network": "<name>", "created_at": <unix secs>}`,
/// and since wallets made by 0.1.x after December 2026 `"bip39_seed": "<128 hex digits>"`.
/// The secrets are zeroized when the value drops, and `Debug` does not print them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedFile {
    /// The BIP39 mnemonic, words separated by single spaces.
    pub mnemonic: String,
    /// The network name (`"bitcoin"`, `"testnet"`, `"signet"`, `"regtest"`).
    pub network: String,
    /// When the seed was created, in seconds since the Unix epoch.
    pub created_at: u64,
    /// The BIP39 seed of the mnemonic (empty passphrase) in hex, kept so that unlocking
    /// runs no PBKDF2; absent in records of older wallets (then derived at each unlock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bip39_seed: Option<String>,
}

impl StateFile for SeedFile {
    const FILE: &'static str = "seed.age";
    const KIND: &'static str = "asyncpay/seed";
    const VERSION: u32 = 1;
}

impl Drop for SeedFile {
    fn drop(&mut self) {
        self.mnemonic.zeroize();
        self.bip39_seed.zeroize();
    }
}

impl fmt::Debug for SeedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeedFile")
            .field("mnemonic", &"<redacted>")
            .field("network", &self.network)
            .field("created_at", &self.created_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_mnemonic() {
        let seed = SeedFile {
            mnemonic: "abandon abandon about".to_owned(),
            network: "regtest".to_owned(),
            created_at: 1,
            bip39_seed: Some("00".repeat(64)),
        };
        let shown = format!("{seed:?}");
        assert!(!shown.contains("abandon"), "{shown}");
        assert!(shown.contains("regtest"));
    }
}
