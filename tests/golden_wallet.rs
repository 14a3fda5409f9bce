//! The on-chain wallet's state file (`wallet.age`, kind `asyncpay/onchain-wallet`, v1) has a
//! golden file, `tests/data/wallet-v1.age`, that must keep loading. It is encrypted to the
//! test-only `tests/data/identity-file.txt`. Regenerate (only when adding a format version):
//! `GOLDEN_REGENERATE=1 cargo test --test golden_wallet`.

use std::path::{Path, PathBuf};

use asyncpay::chain::source::{ChainSource, RegtestSource};
use asyncpay::keys::Seed;
use asyncpay::store::{DataDir, LockWait, StateFile};
use asyncpay::wallet::{OnchainWallet, WalletState};
use bitcoin::{Amount, Network};

const MNEMONIC: &str = "abandon abandon abandon abandon abandon abandon abandon abandon \
    abandon abandon abandon about";
const FIRST_ADDRESS: &str = "bcrt1p8wpt9v4frpf3tkn0srd97pksgsxc5hs52lafxwru9kgeephvs7rqjeprhg";

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

#[test]
fn golden_wallet_state_v1_still_loads() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::open(tmp.path(), LockWait::Fail).unwrap();
    let store = dir
        .create_with_identity_file(&data().join("identity-file.txt"))
        .unwrap();
    let keys = Seed::from_phrase(MNEMONIC).unwrap().keys(Network::Regtest);

    if std::env::var_os("GOLDEN_REGENERATE").is_some() {
        let source = RegtestSource::open(tmp.path().join("chain")).unwrap();
        let genesis = source.genesis_hash().unwrap();
        let mut wallet = OnchainWallet::create(&keys, Network::Regtest, genesis).unwrap();
        let first = wallet.next_address().address;
        wallet.next_address();
        source
            .ledger()
            .fund(&first.script_pubkey(), Amount::from_sat(123_456))
            .unwrap();
        wallet.sync(&source).unwrap();
        let mut state = WalletState::default();
        wallet.persist_into(&mut state);
        store.save(&state).unwrap();
        std::fs::copy(store.path_of::<WalletState>(), data().join("wallet-v1.age")).unwrap();
    }

    std::fs::copy(data().join("wallet-v1.age"), store.path_of::<WalletState>()).unwrap();
    // Written before records were authenticated: loads once the user vouches for it.
    store.authenticate_legacy_records().unwrap();
    let state: WalletState = store.load().unwrap().expect("golden file present");
    let wallet = OnchainWallet::load(&keys, state.changeset).unwrap();
    let revealed = wallet.revealed_addresses();
    assert_eq!(revealed.len(), 2);
    assert_eq!(revealed[0].address.to_string(), FIRST_ADDRESS);
    assert_eq!(wallet.balance().confirmed, Amount::from_sat(123_456));
    assert_eq!(wallet.synced_tip().0, 101);
    assert_eq!(WalletState::VERSION, 1);
}
