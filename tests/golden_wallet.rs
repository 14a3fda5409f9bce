//! The on-chain wallet's record (`wallet.age`, kind `asyncpay/onchain-wallet`, v1) has a
//! golden file, `tests/data/wallet-v1.age`, that must keep loading: a state file of the
//! format before the records database (and before record authentication), encrypted to the
//! test-only `tests/data/identity-file.txt`, which `wallet upgrade` moves into the
//! database. It is frozen: this release no longer writes that format.

use std::path::{Path, PathBuf};

use asyncpay::keys::Seed;
use asyncpay::store::{DataDir, LockWait, StateFile, Unlock, DB_FILE};
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
    let id_file = data().join("identity-file.txt");
    let dir = DataDir::open(tmp.path(), LockWait::Fail).unwrap();
    drop(dir.create_with_identity_file(&id_file).unwrap());
    // The data dir as the release before the database left it: identity, recipient and the
    // state file.
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(tmp.path().join(format!("{DB_FILE}{suffix}")));
    }
    std::fs::copy(
        data().join("wallet-v1.age"),
        tmp.path().join(WalletState::FILE),
    )
    .unwrap();
    let keys = Seed::from_phrase(MNEMONIC).unwrap().keys(Network::Regtest);
    // Written before records were authenticated: moved in once the user vouches for it.
    let (store, moved) = dir
        .unlock_upgrading(&Unlock::IdentityFile(id_file))
        .unwrap();
    assert_eq!(moved, vec![tmp.path().join(WalletState::FILE)]);
    let state: WalletState = store.load().unwrap().expect("golden file present");
    let wallet = OnchainWallet::load(&keys, state.changeset).unwrap();
    let revealed = wallet.revealed_addresses();
    assert_eq!(revealed.len(), 2);
    assert_eq!(revealed[0].address.to_string(), FIRST_ADDRESS);
    assert_eq!(wallet.balance().confirmed, Amount::from_sat(123_456));
    assert_eq!(wallet.synced_tip().0, 101);
    assert_eq!(WalletState::VERSION, 1);
}
