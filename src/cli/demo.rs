//! `asyncpay demo`: the walkthrough on embedded defaults (a local regtest ledger and three
//! wallets in a temporary directory). It tells each step, checks every balance to the
//! satoshi and fails if a check fails. Today it covers what exists — wallets, the ledger,
//! on-chain payments; channels with S and the asynchronous payment join it as they land.

use std::path::{Path, PathBuf};

use bitcoin::{Amount, FeeRate, Network};
use serde::Serialize;

use super::error::{CliError, CliResult};
use super::output::{Output, Render};
use crate::chain::source::{ChainSource, RegtestSource};
use crate::keys::Seed;
use crate::store::{write_atomic, DataDir, LockWait, SeedFile, Store};
use crate::wallet::{OnchainWallet, WalletState};

/// One step of the story.
#[derive(Debug, Serialize)]
pub struct Step {
    step: String,
    balances_sat: Vec<(String, u64)>,
}

/// The whole story, for `--json`.
#[derive(Debug, Serialize)]
pub struct DemoReport {
    directory: String,
    kept: bool,
    steps: Vec<Step>,
    coming: &'static str,
}

impl Render for DemoReport {
    fn human(&self) -> String {
        let mut s = String::new();
        for (i, step) in self.steps.iter().enumerate() {
            s.push_str(&format!("{}. {}\n", i + 1, step.step));
            for (who, sat) in &step.balances_sat {
                s.push_str(&format!("     {who:<8} {:>14} sat\n", sat));
            }
        }
        if self.kept {
            s.push_str(&format!(
                "\nThe wallets are kept in {}; explore them, e.g.:\n  asyncpay --datadir {0}/a --identity {0}/a.identity --chain regtest:{0}/chain wallet balance\n",
                self.directory
            ));
        }
        s.push_str(&format!("\nComing next: {}", self.coming));
        s
    }
}

struct DemoWallet {
    name: &'static str,
    store: Store,
    _dir: DataDir,
    wallet: OnchainWallet,
    state: WalletState,
}

fn fail(what: &str) -> impl Fn(String) -> CliError + '_ {
    move |e| CliError::failed(format!("demo: {what}: {e}"))
}

impl DemoWallet {
    fn create(root: &Path, name: &'static str, source: &dyn ChainSource) -> CliResult<Self> {
        let identity = age::x25519::Identity::generate();
        let id_path = root.join(format!("{name}.identity"));
        let text = format!(
            "# demo identity of wallet {name}: unlocks {}/{name}\n{}\n",
            root.display(),
            age::secrecy::ExposeSecret::expose_secret(&identity.to_string())
        );
        write_atomic(&id_path, text.as_bytes()).map_err(|e| fail("identity")(e.to_string()))?;
        let dir = DataDir::open(&root.join(name), LockWait::Fail)
            .map_err(|e| fail("data dir")(e.to_string()))?;
        let store = dir
            .create_with_identity_file(&id_path)
            .map_err(|e| fail("store")(e.to_string()))?;
        let mut entropy = [0u8; 32];
        getrandom::fill(&mut entropy).map_err(|e| fail("randomness")(e.to_string()))?;
        let seed = Seed::generate(&entropy);
        store
            .save(&SeedFile {
                mnemonic: seed.phrase().to_string(),
                network: Network::Regtest.to_string(),
                created_at: 0,
            })
            .map_err(|e| fail("seed")(e.to_string()))?;
        let genesis = source
            .genesis_hash()
            .map_err(|e| fail("ledger")(e.to_string()))?;
        let wallet = OnchainWallet::create(&seed.keys(Network::Regtest), Network::Regtest, genesis)
            .map_err(|e| fail("wallet")(e.to_string()))?;
        Ok(DemoWallet {
            name,
            store,
            _dir: dir,
            wallet,
            state: WalletState::default(),
        })
    }

    fn sync_and_save(&mut self, source: &dyn ChainSource) -> CliResult<u64> {
        self.wallet
            .sync(source)
            .map_err(|e| fail("sync")(e.to_string()))?;
        if self.wallet.persist_into(&mut self.state) {
            self.store
                .save(&self.state)
                .map_err(|e| fail("save")(e.to_string()))?;
        }
        Ok(self.wallet.balance().total().to_sat())
    }
}

/// Runs the demo in `keep` (kept afterwards) or in a temporary directory.
pub fn run(out: Output, keep: Option<PathBuf>) -> CliResult<DemoReport> {
    let temp;
    let root = match &keep {
        Some(dir) => {
            if dir.exists() && std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_some()) {
                return Err(CliError::usage(format!(
                    "--keep {} must be a new or empty directory",
                    dir.display()
                )));
            }
            std::fs::create_dir_all(dir).map_err(|e| fail("directory")(e.to_string()))?;
            dir.clone()
        }
        None => {
            temp = tempfile::Builder::new()
                .prefix("asyncpay-demo-")
                .tempdir()
                .map_err(|e| fail("temporary directory")(e.to_string()))?;
            temp.path().to_path_buf()
        }
    };
    let source =
        RegtestSource::open(root.join("chain")).map_err(|e| fail("ledger")(e.to_string()))?;
    let ledger = source.ledger().clone();
    let mut steps = Vec::new();
    let spinner = out.spinner("creating three wallets");
    let mut wallets = ["a", "b", "s"]
        .into_iter()
        .map(|n| DemoWallet::create(&root, n, &source))
        .collect::<CliResult<Vec<_>>>()?;
    spinner.finish_and_clear();
    let mut record = |text: String, wallets: &mut [DemoWallet], want: [u64; 3]| -> CliResult<()> {
        let mut balances = Vec::new();
        for (w, want) in wallets.iter_mut().zip(want) {
            let got = w.sync_and_save(&source)?;
            if got != want {
                return Err(CliError::failed(format!(
                    "demo check failed after '{text}': wallet {} has {got} sat, expected {want}",
                    w.name
                )));
            }
            balances.push((format!("wallet {}", w.name), got));
        }
        out.note(&format!("✓ {text}"));
        steps.push(Step {
            step: text,
            balances_sat: balances,
        });
        Ok(())
    };
    record(
        "Three wallets: A (payer), B (payee), S (server), each with its own encrypted data dir, on a fresh local regtest ledger".into(),
        &mut wallets,
        [0, 0, 0],
    )?;

    for (i, amount) in [(0usize, 1_000_000u64), (2, 5_000_000)] {
        let addr = wallets[i].wallet.next_address().address;
        ledger
            .fund(&addr.script_pubkey(), Amount::from_sat(amount))
            .map_err(|e| fail("faucet")(e.to_string()))?;
    }
    record(
        "The faucet pays A 1,000,000 sat and S 5,000,000 sat, confirmed".into(),
        &mut wallets,
        [1_000_000, 0, 5_000_000],
    )?;

    let to_b = wallets[1].wallet.next_address().address;
    let tx = wallets[0]
        .wallet
        .send(
            to_b.as_unchecked(),
            Amount::from_sat(250_000),
            FeeRate::from_sat_per_vb(2).expect("small"),
        )
        .map_err(|e| fail("send")(e.to_string()))?;
    let fee = wallets[0]
        .wallet
        .bdk()
        .calculate_fee(&tx)
        .map_err(|e| fail("fee")(e.to_string()))?
        .to_sat();
    wallets[0]
        .wallet
        .broadcast(&source, &tx)
        .map_err(|e| fail("broadcast")(e.to_string()))?;
    ledger
        .mine(1, None)
        .map_err(|e| fail("mine")(e.to_string()))?;
    record(
        format!("A pays B 250,000 sat on-chain (fee {fee} sat); one block confirms it"),
        &mut wallets,
        [1_000_000 - 250_000 - fee, 250_000, 5_000_000],
    )?;

    Ok(DemoReport {
        directory: root.display().to_string(),
        kept: keep.is_some(),
        steps,
        coming: "S's server and channels (A funds A–S, S funds B–S), then the asynchronous \
                 payment: A pays while B is offline, B sells A's signature to S when it comes \
                 online, A collects the invoice and the scalar; a cancel; a force close where \
                 an old state loses.",
    })
}
