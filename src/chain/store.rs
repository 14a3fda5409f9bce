//! Persistence: the [`Ledger`] handle, the versioned JSON state file and the lock file.
//!
//! Layout of a ledger directory:
//! - `state.json`: `{"version":1,"blocks":[{"height","time","hash","txs":[hex…]}…],"mempool":[hex…]}`
//!   (transactions in consensus hex, coinbase first in each block). The UTXO set and the
//!   indexes are rebuilt from the blocks on load.
//! - `lock`: every operation holds an exclusive `flock` on it while it loads, acts and saves.
//!
//! Saving writes a temporary file in the same directory, fsyncs it, renames it over
//! `state.json` and fsyncs the directory, so a crash leaves either the old or the new state.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use bitcoin::consensus::encode::{deserialize_hex, serialize_hex};
use bitcoin::{Address, Amount, BlockHash, OutPoint, Script, ScriptBuf, Transaction, Txid};
use serde::{Deserialize, Serialize};

use super::ledger::{BlockInfo, Chain, Tip, TxInfo, Utxo};
use super::validate::RejectError;
use super::LedgerError;

/// The state file format version this build reads and writes.
pub const STATE_VERSION: u64 = 1;
/// Name of the state file inside the ledger directory.
pub const STATE_FILE: &str = "state.json";
/// Name of the lock file inside the ledger directory.
pub const LOCK_FILE: &str = "lock";

#[derive(Deserialize)]
struct VersionProbe {
    version: u64,
}

#[derive(Serialize, Deserialize)]
struct StateFile {
    version: u64,
    blocks: Vec<StoredBlock>,
    mempool: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct StoredBlock {
    height: u32,
    time: u32,
    hash: String,
    txs: Vec<String>,
}

fn io_err(path: &Path, source: std::io::Error) -> LedgerError {
    LedgerError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Serializes a chain to the state file's JSON bytes.
pub fn encode_state(chain: &Chain) -> Vec<u8> {
    let state = StateFile {
        version: STATE_VERSION,
        blocks: chain
            .blocks()
            .iter()
            .map(|b| StoredBlock {
                height: b.height,
                time: b.time,
                hash: b.hash.to_string(),
                txs: chain
                    .block_transactions(b.height)
                    .into_iter()
                    .map(serialize_hex)
                    .collect(),
            })
            .collect(),
        mempool: chain.mempool().iter().map(serialize_hex).collect(),
    };
    serde_json::to_vec(&state).expect("state serializes")
}

/// Parses the state file's JSON bytes (`path` only names the file in errors).
pub fn decode_state(bytes: &[u8], path: &Path) -> Result<Chain, LedgerError> {
    let corrupt = |reason: String| LedgerError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let probe: VersionProbe =
        serde_json::from_slice(bytes).map_err(|e| corrupt(format!("no version field: {e}")))?;
    if probe.version != STATE_VERSION {
        return Err(LedgerError::UnsupportedVersion {
            path: path.to_path_buf(),
            found: probe.version,
        });
    }
    let state: StateFile = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    let parse_tx = |hex: &str| {
        deserialize_hex::<Transaction>(hex).map_err(|e| corrupt(format!("bad transaction: {e}")))
    };
    let mut blocks = Vec::with_capacity(state.blocks.len());
    for b in state.blocks {
        let hash: BlockHash = b
            .hash
            .parse()
            .map_err(|e| corrupt(format!("bad block hash {}: {e}", b.hash)))?;
        let txs = b
            .txs
            .iter()
            .map(|t| parse_tx(t))
            .collect::<Result<Vec<_>, _>>()?;
        blocks.push((b.height, b.time, hash, txs));
    }
    let mempool = state
        .mempool
        .iter()
        .map(|t| parse_tx(t))
        .collect::<Result<Vec<_>, _>>()?;
    Chain::from_parts(blocks, mempool).map_err(corrupt)
}

/// A handle on a ledger directory shared by any number of handles and processes.
///
/// Every method takes the directory's exclusive lock, loads the state, acts, writes the
/// state back if it changed and unlocks. Methods that only read never rewrite the file.
#[derive(Debug, Clone)]
pub struct Ledger {
    dir: PathBuf,
}

struct LockGuard(File);

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = fs4::FileExt::unlock(&self.0);
    }
}

impl Ledger {
    /// Opens the ledger in `dir`, creating the directory and a chain holding only the
    /// genesis block if there is none yet.
    pub fn open(dir: impl AsRef<Path>) -> Result<Ledger, LedgerError> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
        let ledger = Ledger { dir };
        // Loading creates and saves the genesis state if absent, and checks the version.
        ledger.read(|_| ())?;
        Ok(ledger)
    }

    /// The ledger directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the state file.
    pub fn state_path(&self) -> PathBuf {
        self.dir.join(STATE_FILE)
    }

    fn lock(&self) -> Result<LockGuard, LedgerError> {
        let path = self.dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        fs4::FileExt::lock(&file).map_err(|e| io_err(&path, e))?;
        Ok(LockGuard(file))
    }

    /// Loads the state; `Ok((chain, true))` if the file was absent and a genesis chain
    /// was created (which must then be saved).
    fn load(&self) -> Result<(Chain, bool), LedgerError> {
        let path = self.state_path();
        match fs::read(&path) {
            Ok(bytes) => Ok((decode_state(&bytes, &path)?, false)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok((Chain::new(), true)),
            Err(e) => Err(io_err(&path, e)),
        }
    }

    fn save(&self, chain: &Chain) -> Result<(), LedgerError> {
        let path = self.state_path();
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce)
            .map_err(|e| io_err(&self.dir, std::io::Error::other(e.to_string())))?;
        let tmp = self.dir.join(format!(
            ".{STATE_FILE}.{}.{}.tmp",
            std::process::id(),
            u64::from_le_bytes(nonce)
        ));
        let result = (|| {
            let mut file = File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
            file.write_all(&encode_state(chain))
                .map_err(|e| io_err(&tmp, e))?;
            file.sync_all().map_err(|e| io_err(&tmp, e))?;
            drop(file);
            fs::rename(&tmp, &path).map_err(|e| io_err(&path, e))?;
            File::open(&self.dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| io_err(&self.dir, e))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Runs a read-only operation under the lock.
    fn read<R>(&self, f: impl FnOnce(&Chain) -> R) -> Result<R, LedgerError> {
        let _guard = self.lock()?;
        let (chain, created) = self.load()?;
        if created {
            self.save(&chain)?;
        }
        Ok(f(&chain))
    }

    /// Runs a mutating operation under the lock; saves if it succeeded.
    fn write<R>(
        &self,
        f: impl FnOnce(&mut Chain) -> Result<R, LedgerError>,
    ) -> Result<R, LedgerError> {
        let _guard = self.lock()?;
        let (mut chain, created) = self.load()?;
        match f(&mut chain) {
            Ok(r) => {
                self.save(&chain)?;
                Ok(r)
            }
            Err(e) => {
                if created {
                    self.save(&Chain::new())?;
                }
                Err(e)
            }
        }
    }

    /// The chain tip.
    pub fn tip(&self) -> Result<Tip, LedgerError> {
        self.read(|c| c.tip())
    }

    /// The block at `height`, if any.
    pub fn block(&self, height: u32) -> Result<Option<BlockInfo>, LedgerError> {
        self.read(|c| c.block(height).cloned())
    }

    /// A confirmed unspent output (also returned while a mempool tx spends it).
    pub fn utxo(&self, outpoint: &OutPoint) -> Result<Option<Utxo>, LedgerError> {
        self.read(|c| c.utxo(outpoint))
    }

    /// All confirmed unspent outputs paying `script`, oldest first.
    pub fn utxos_for_script(&self, script: &Script) -> Result<Vec<(OutPoint, Utxo)>, LedgerError> {
        self.read(|c| c.utxos_for_script(script))
    }

    /// What the confirmed unspent outputs paying `script` hold in total.
    pub fn value_at(&self, script: &Script) -> Result<Amount, LedgerError> {
        Ok(self
            .utxos_for_script(script)?
            .iter()
            .map(|(_, u)| u.output.value)
            .sum())
    }

    /// A confirmed or mempool transaction with its confirmation height.
    pub fn tx(&self, txid: &Txid) -> Result<Option<TxInfo>, LedgerError> {
        self.read(|c| c.tx(txid))
    }

    /// The confirmed, else mempool, transaction spending `outpoint`.
    pub fn spending_tx(&self, outpoint: &OutPoint) -> Result<Option<TxInfo>, LedgerError> {
        self.read(|c| c.spending_tx(outpoint))
    }

    /// The output an outpoint refers to (confirmed, spent or not, or in the mempool):
    /// handy for building `spent_outputs` when signing.
    pub fn output(&self, outpoint: &OutPoint) -> Result<Option<bitcoin::TxOut>, LedgerError> {
        self.read(|c| c.output(outpoint))
    }

    /// The mempool in acceptance order.
    pub fn mempool(&self) -> Result<Vec<Transaction>, LedgerError> {
        self.read(|c| c.mempool().to_vec())
    }

    /// Validates `tx` as [`Ledger::submit`] would, without adding it (like
    /// `testmempoolaccept`). Returns the fee; never writes.
    pub fn check(&self, tx: &Transaction) -> Result<Amount, LedgerError> {
        self.read(|c| c.check(tx))?.map_err(LedgerError::from)
    }

    /// Validates `tx` against the UTXO set plus the mempool and adds it to the mempool.
    /// A rejection is [`LedgerError::Rejected`] (see [`LedgerError::rejection`]).
    pub fn submit(&self, tx: &Transaction) -> Result<Txid, LedgerError> {
        // A rejection leaves the file untouched.
        let _guard = self.lock()?;
        let (mut chain, created) = self.load()?;
        let result = chain.submit(tx.clone());
        if result.is_ok() || created {
            self.save(&chain)?;
        }
        Ok(result?)
    }

    /// Mines `n` blocks with coinbases paying `to` (default: the faucet); the first one
    /// includes the still-valid mempool transactions. Returns the new block hashes.
    pub fn mine(&self, n: u32, to: Option<ScriptBuf>) -> Result<Vec<BlockHash>, LedgerError> {
        if n == 0 {
            return Ok(Vec::new());
        }
        self.write(|c| Ok(c.mine(n, to.as_deref())))
    }

    /// Pays `amount` from the faucet to `script_pubkey` and confirms it (see
    /// [`Chain::fund`]). Returns the funded outpoint.
    pub fn fund(&self, script_pubkey: &Script, amount: Amount) -> Result<OutPoint, LedgerError> {
        self.write(|c| c.fund(script_pubkey, amount))
    }

    /// [`Ledger::fund`] to an address.
    pub fn fund_address(&self, address: &Address, amount: Amount) -> Result<OutPoint, LedgerError> {
        self.fund(&address.script_pubkey(), amount)
    }

    /// Runs `f` on the in-memory chain under the lock, for queries not covered above.
    pub fn with_chain<R>(&self, f: impl FnOnce(&Chain) -> R) -> Result<R, LedgerError> {
        self.read(f)
    }
}

impl From<RejectError> for LedgerError {
    fn from(e: RejectError) -> Self {
        LedgerError::Rejected(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn thousands_of_transactions_load_and_save_quickly() {
        let mut chain = Chain::new();
        let target = ScriptBuf::from_bytes(vec![0x51, 0x02, 0x4e, 0x73]);
        for i in 0..1500u64 {
            chain.fund(&target, Amount::from_sat(i)).unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(dir.path()).unwrap();
        let start = Instant::now();
        ledger.save(&chain).unwrap();
        let saved = start.elapsed();
        let start = Instant::now();
        let (loaded, created) = ledger.load().unwrap();
        let loaded_in = start.elapsed();
        assert!(!created);
        assert_eq!(loaded.tip(), chain.tip());
        assert_eq!(loaded.utxos_for_script(&target).len(), 1500);
        eprintln!(
            "{} blocks: save {saved:?}, load {loaded_in:?}",
            chain.blocks().len()
        );
        assert!(saved.as_secs() < 2 && loaded_in.as_secs() < 2);
    }
}
