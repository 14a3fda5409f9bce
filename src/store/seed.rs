//! [`SeedFile`]: the wallet's BIP39 mnemonic, in `seed.age`.

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::StateFile;

/// The wallet seed: a BIP39 mnemonic and the network it was created for. Stored in
/// `seed.age`, kind `asyncpay/seed`.
///
/// Version 1 data: `{"mnemonic": "<words>", "network": "<name>", "created_at": <unix secs>}`.
/// The mnemonic is zeroized when the value drops, and `Debug` does not print it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedFile {
    /// The BIP39 mnemonic, words separated by single spaces.
    pub mnemonic: String,
    /// The network name (`"bitcoin"`, `"testnet"`, `"signet"`, `"regtest"`).
    pub network: String,
    /// When the seed was created, in seconds since the Unix epoch.
    pub created_at: u64,
}

impl StateFile for SeedFile {
    const FILE: &'static str = "seed.age";
    const KIND: &'static str = "asyncpay/seed";
    const VERSION: u32 = 1;
}

impl Drop for SeedFile {
    fn drop(&mut self) {
        self.mnemonic.zeroize();
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
        };
        let shown = format!("{seed:?}");
        assert!(!shown.contains("abandon"), "{shown}");
        assert!(shown.contains("regtest"));
    }
}
