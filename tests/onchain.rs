//! The on-chain wallet against the real regtest ledger in temporary directories (no mocks):
//! funding, balances to the satoshi, payments, coinbase maturity, persistence, mempool
//! evictions, chain resets, chain source parsing and an unreachable bitcoind.

use asyncpay::chain::source::{
    BitcoindAuth, BitcoindSource, ChainSource, ChainSourceError, ChainSpec, RegtestSource,
};
use asyncpay::chain::{block_subsidy, Ledger};
use asyncpay::keys::{Seed, WalletKeys};
use asyncpay::wallet::{Keychain, OnchainWallet, WalletError, WalletState};
use bitcoin::address::NetworkUnchecked;
use bitcoin::{Address, Amount, FeeRate, Network};

fn keys(seed: u8) -> WalletKeys {
    Seed::generate(&[seed; 32]).keys(Network::Regtest)
}

fn wallet(source: &dyn ChainSource, seed: u8) -> OnchainWallet {
    OnchainWallet::create(
        &keys(seed),
        Network::Regtest,
        source.genesis_hash().unwrap(),
    )
    .unwrap()
}

fn unchecked(address: &Address) -> Address<NetworkUnchecked> {
    address.to_string().parse().unwrap()
}

fn sat(n: u64) -> Amount {
    Amount::from_sat(n)
}

fn fee_rate() -> FeeRate {
    FeeRate::from_sat_per_vb_u32(2)
}

#[test]
fn fund_send_mine_balances_exact_to_the_satoshi() {
    let dir = tempfile::tempdir().unwrap();
    let source = RegtestSource::open(dir.path()).unwrap();
    let ledger = source.ledger().clone();
    let mut alice = wallet(&source, 1);
    let mut bob = wallet(&source, 2);

    let funding = alice.next_address();
    assert_eq!(funding.index, 0);
    ledger
        .fund_address(&funding.address, sat(1_000_000))
        .unwrap();
    let report = alice.sync(&source).unwrap();
    assert_eq!(report.tip_height, ledger.tip().unwrap().height);
    assert_eq!(report.blocks_applied, report.tip_height);
    assert_eq!(alice.synced_tip().1, ledger.tip().unwrap().hash);
    let b = alice.balance();
    assert_eq!(b.confirmed, sat(1_000_000));
    assert_eq!(
        b.trusted_pending + b.untrusted_pending + b.immature,
        Amount::ZERO
    );

    // Pay bob.
    bob.sync(&source).unwrap();
    let to_bob = bob.next_address();
    let tx = alice
        .send(&unchecked(&to_bob.address), sat(300_000), fee_rate())
        .unwrap();
    // The ledger computes the fee independently (and validates the signatures).
    let fee = ledger.check(&tx).unwrap();
    assert!(fee.to_sat() >= 2 * tx.vsize() as u64, "fee {fee} too low");
    assert!(fee.to_sat() <= 3 * tx.vsize() as u64, "fee {fee} too high");
    let txid = alice.broadcast(&source, &tx).unwrap();
    assert_eq!(txid, tx.compute_txid());
    assert_eq!(ledger.mempool().unwrap(), vec![tx.clone()]);

    // Unconfirmed: change is trusted pending for alice, the payment untrusted for bob.
    let change = sat(1_000_000 - 300_000) - fee;
    let b = alice.balance();
    assert_eq!((b.confirmed, b.trusted_pending), (Amount::ZERO, change));
    let report = alice.sync(&source).unwrap();
    assert_eq!((report.blocks_applied, report.mempool_txs), (0, 1));
    assert_eq!(report.evicted, 0);
    assert_eq!(alice.balance().trusted_pending, change);
    bob.sync(&source).unwrap();
    let b = bob.balance();
    assert_eq!(
        (b.confirmed, b.untrusted_pending),
        (Amount::ZERO, sat(300_000))
    );
    let pending = &bob.transactions()[0];
    assert_eq!((pending.txid, pending.confirmation), (txid, None));

    // Mined: exact balances.
    ledger.mine(1, None).unwrap();
    let tip = ledger.tip().unwrap();
    assert_eq!(alice.sync(&source).unwrap().blocks_applied, 1);
    bob.sync(&source).unwrap();
    assert_eq!(
        alice.balance().confirmed,
        sat(1_000_000) - sat(300_000) - fee
    );
    assert_eq!(alice.balance().total(), alice.balance().confirmed);
    assert_eq!(bob.balance().confirmed, sat(300_000));
    assert_eq!(bob.balance().total(), sat(300_000));

    // History, newest first.
    let history = alice.transactions();
    assert_eq!(history.len(), 2);
    let payment = &history[0];
    assert_eq!(payment.txid, txid);
    assert_eq!(payment.sent, sat(1_000_000));
    assert_eq!(payment.received, change);
    assert_eq!(payment.fee, Some(fee));
    assert_eq!(payment.net.to_sat(), -(300_000 + fee.to_sat() as i64));
    let conf = payment.confirmation.unwrap();
    assert_eq!((conf.height, conf.time), (tip.height, u64::from(tip.time)));
    assert_eq!(history[1].received, sat(1_000_000));
    assert_eq!(history[1].net.to_sat(), 1_000_000);
    let bob_history = bob.transactions();
    assert_eq!(bob_history.len(), 1);
    assert_eq!(bob_history[0].received, sat(300_000));
    assert_eq!(bob_history[0].fee, None);

    // Coins.
    let utxos = alice.utxos();
    assert_eq!(utxos.len(), 1);
    assert_eq!(utxos[0].amount, change);
    assert_eq!(utxos[0].keychain, Keychain::Change);
    assert_eq!(utxos[0].confirmation_height, Some(tip.height));
    let utxos = bob.utxos();
    assert_eq!(utxos.len(), 1);
    assert_eq!(utxos[0].outpoint.txid, txid);
    assert_eq!((utxos[0].keychain, utxos[0].index), (Keychain::Receive, 0));
}

#[test]
fn mined_coins_are_immature_for_100_blocks_like_the_ledger_says() {
    let dir = tempfile::tempdir().unwrap();
    let source = RegtestSource::open(dir.path()).unwrap();
    let ledger = source.ledger().clone();
    let mut miner = wallet(&source, 3);
    let to = miner.next_address().address;
    ledger.mine(1, Some(to.script_pubkey())).unwrap();
    let height = ledger.tip().unwrap().height;
    miner.sync(&source).unwrap();
    let reward = block_subsidy(height);
    let b = miner.balance();
    assert_eq!((b.immature, b.confirmed), (reward, Amount::ZERO));
    let history = miner.transactions();
    assert!(history[0].is_coinbase && history[0].fee.is_none());

    // Immature coins cannot pay; the error says how much is there and what to do.
    let dest = unchecked(&wallet(&source, 4).next_address().address);
    let e = miner.send(&dest, sat(100_000), fee_rate()).unwrap_err();
    assert!(matches!(e, WalletError::InsufficientFunds { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.starts_with(
            "insufficient funds: 0 sat available, 100,000 sat + fee needed; fund the wallet \
             with `asyncpay regtest fund ADDRESS AMOUNT`"
        ),
        "{msg}"
    );
    assert!(msg.contains("5,000,000,000 sat of mined coins"), "{msg}");

    // 98 more blocks: still immature (the next block would be 99 after it).
    ledger.mine(98, None).unwrap();
    miner.sync(&source).unwrap();
    assert_eq!(miner.balance().immature, reward);
    // One more: spendable in the next block, for the wallet and for the ledger alike.
    ledger.mine(1, None).unwrap();
    miner.sync(&source).unwrap();
    let b = miner.balance();
    assert_eq!((b.immature, b.confirmed), (Amount::ZERO, reward));
    let tx = miner.send(&dest, sat(100_000), fee_rate()).unwrap();
    miner.broadcast(&source, &tx).unwrap();
}

#[test]
fn insufficient_funds_with_confirmed_coins() {
    let dir = tempfile::tempdir().unwrap();
    let source = RegtestSource::open(dir.path()).unwrap();
    let mut alice = wallet(&source, 5);
    let addr = alice.next_address().address;
    source.ledger().fund_address(&addr, sat(100_000)).unwrap();
    alice.sync(&source).unwrap();
    let e = alice
        .send(&unchecked(&addr), sat(200_000), fee_rate())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "insufficient funds: 100,000 sat available, 200,000 sat + fee needed; fund the wallet \
         with `asyncpay regtest fund ADDRESS AMOUNT`"
    );
    // Exactly the balance is not enough either: the fee is on top.
    let e = alice
        .send(&unchecked(&addr), sat(100_000), fee_rate())
        .unwrap_err();
    assert!(matches!(e, WalletError::InsufficientFunds { .. }), "{e}");
}

#[test]
fn wrong_network_and_dust_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let source = RegtestSource::open(dir.path()).unwrap();
    let mut alice = wallet(&source, 6);
    let addr = alice.next_address().address;
    source.ledger().fund_address(&addr, sat(100_000)).unwrap();
    alice.sync(&source).unwrap();
    let mainnet: Address<NetworkUnchecked> =
        "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr"
            .parse()
            .unwrap();
    let e = alice.send(&mainnet, sat(10_000), fee_rate()).unwrap_err();
    assert!(matches!(e, WalletError::WrongNetwork { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "address bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr is not a \
         regtest address; use a regtest address (bcrt1…) or open the wallet of the \
         address's network"
    );
    let e = alice
        .send(&unchecked(&addr), sat(100), fee_rate())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "amount 100 sat is below the dust limit of 330 sat for this address; send at least \
         330 sat"
    );
    // The smallest allowed amount goes through.
    let tx = alice.send(&unchecked(&addr), sat(330), fee_rate()).unwrap();
    alice.broadcast(&source, &tx).unwrap();
}

#[test]
fn state_round_trips_through_json_and_sync_continues() {
    let dir = tempfile::tempdir().unwrap();
    let source = RegtestSource::open(dir.path()).unwrap();
    let ledger = source.ledger().clone();
    let alice_keys = keys(7);
    let mut alice = OnchainWallet::create(
        &alice_keys,
        Network::Regtest,
        source.genesis_hash().unwrap(),
    )
    .unwrap();
    let mut state = WalletState::default();
    assert!(alice.persist_into(&mut state)); // the initial descriptors, network, genesis
    let a0 = alice.next_address();
    let a1 = alice.next_address();
    ledger.fund_address(&a0.address, sat(250_000)).unwrap();
    alice.sync(&source).unwrap();
    assert!(alice.persist_into(&mut state));
    assert!(!alice.persist_into(&mut state)); // nothing new
    let tip = alice.synced_tip();

    let json = serde_json::to_string(&state).unwrap();
    let back: WalletState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, state);
    let mut reloaded = OnchainWallet::load(&alice_keys, back.changeset).unwrap();
    assert_eq!(reloaded.balance(), alice.balance());
    assert_eq!(reloaded.synced_tip(), tip);
    assert_eq!(reloaded.revealed_addresses(), vec![a0.clone(), a1.clone()]);
    assert_eq!(reloaded.transactions(), alice.transactions());
    assert_eq!(reloaded.utxos(), alice.utxos());
    // The address index continues.
    let a2 = reloaded.next_address();
    assert_eq!(a2.index, 2);

    // Incremental sync: only the new block.
    ledger.fund_address(&a1.address, sat(50_000)).unwrap();
    let report = reloaded.sync(&source).unwrap();
    assert_eq!(report.blocks_applied, 1);
    assert_eq!(reloaded.balance().confirmed, sat(300_000));
    // And it can still sign (the keys come from the seed, not the state).
    let tx = reloaded
        .send(&unchecked(&a2.address), sat(100_000), fee_rate())
        .unwrap();
    reloaded.broadcast(&source, &tx).unwrap();
    ledger.mine(1, None).unwrap();
    reloaded.sync(&source).unwrap();
    let fee = reloaded.transactions()[0].fee.unwrap();
    assert_eq!(reloaded.balance().confirmed, sat(300_000) - fee);
    assert!(reloaded.persist_into(&mut state));

    // Other keys cannot open this state.
    let e = OnchainWallet::load(&keys(8), state.changeset.clone()).unwrap_err();
    assert!(matches!(e, WalletError::WrongKeys { .. }), "{e}");
    assert!(e
        .to_string()
        .starts_with("the stored on-chain wallet state belongs to other keys"));
    // Nor mainnet keys.
    let mainnet = Seed::generate(&[7; 32]).keys(Network::Bitcoin);
    let e = OnchainWallet::load(&mainnet, state.changeset.clone()).unwrap_err();
    assert!(matches!(e, WalletError::NetworkMismatch { .. }), "{e}");
    // An empty state is reported as unusable.
    let e = OnchainWallet::load(&alice_keys, Default::default()).unwrap_err();
    assert!(matches!(e, WalletError::CorruptState(_)), "{e}");
}

/// The stored wallet keeps a block checkpoint where its transactions are anchored and a few
/// below the tip, not one per block: what a command loads stays the same size however tall
/// the chain grows, and the reloaded wallet sees every coin confirmed where it was.
#[test]
fn the_stored_wallet_does_not_grow_with_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let source = RegtestSource::open(dir.path()).unwrap();
    let ledger = source.ledger().clone();
    let alice_keys = keys(9);
    let mut alice = wallet(&source, 9);
    let mut state = WalletState::default();
    let a0 = alice.next_address();
    ledger.fund_address(&a0.address, sat(400_000)).unwrap();
    ledger.mine(1300, None).unwrap();
    // Mined to the wallet: immature until 100 blocks on, in the reloaded wallet too.
    let a1 = alice.next_address();
    ledger.mine(1, Some(a1.address.script_pubkey())).unwrap();
    ledger.mine(50, None).unwrap();
    alice.sync(&source).unwrap();
    assert!(alice.persist_into(&mut state));
    let checkpoints = |state: &WalletState| state.changeset.local_chain.blocks.len();
    let bound = 1 + 2 + asyncpay::wallet::RECENT_CHECKPOINTS;
    assert!(
        checkpoints(&state) <= bound,
        "{} checkpoints",
        checkpoints(&state)
    );
    let tip = alice.synced_tip();

    let mut reloaded = OnchainWallet::load(&alice_keys, state.changeset.clone()).unwrap();
    assert_eq!(reloaded.synced_tip(), tip);
    assert_eq!(reloaded.balance(), alice.balance());
    assert!(reloaded.balance().immature > Amount::ZERO);
    assert_eq!(reloaded.transactions(), alice.transactions());
    assert_eq!(reloaded.utxos(), alice.utxos());

    // More blocks and a payment out: still bounded, still exact after a reload.
    ledger.mine(250, None).unwrap();
    let tx = reloaded
        .send(&unchecked(&a0.address), sat(100_000), fee_rate())
        .unwrap();
    reloaded.broadcast(&source, &tx).unwrap();
    ledger.mine(1, None).unwrap();
    reloaded.sync(&source).unwrap();
    assert!(reloaded.persist_into(&mut state));
    assert!(
        checkpoints(&state) <= bound + 1,
        "{} checkpoints",
        checkpoints(&state)
    );
    let again = OnchainWallet::load(&alice_keys, state.changeset.clone()).unwrap();
    assert_eq!(again.balance(), reloaded.balance());
    assert_eq!(again.balance().immature, Amount::ZERO);
    assert_eq!(again.transactions(), reloaded.transactions());
    assert_eq!(again.synced_tip().0, ledger.tip().unwrap().height);
    assert!(again
        .transactions()
        .iter()
        .all(|t| t.confirmation.is_some()));
}

#[test]
fn a_transaction_the_mempool_lost_is_evicted_on_sync() {
    // Two ledgers with the same chain: the payment is broadcast to the copy only, so the
    // original's mempool lacks it and the wallet must drop it on sync.
    let dir = tempfile::tempdir().unwrap();
    let source = RegtestSource::open(dir.path().join("a")).unwrap();
    let mut alice = wallet(&source, 9);
    let addr = alice.next_address().address;
    source.ledger().fund_address(&addr, sat(500_000)).unwrap();
    alice.sync(&source).unwrap();
    source.ledger().copy_to(dir.path().join("b")).unwrap();
    let copy = RegtestSource::open(dir.path().join("b")).unwrap();
    let tx = alice
        .send(&unchecked(&addr), sat(1_000), fee_rate())
        .unwrap();
    alice.broadcast(&copy, &tx).unwrap();
    assert_eq!(alice.balance().confirmed, Amount::ZERO);
    assert!(alice.balance().trusted_pending > Amount::ZERO);

    let report = alice.sync(&source).unwrap();
    assert_eq!(report.evicted, 1);
    let b = alice.balance();
    assert_eq!(
        (b.confirmed, b.trusted_pending),
        (sat(500_000), Amount::ZERO)
    );
    assert_eq!(alice.transactions().len(), 1);
    // Seen again (in the copy's mempool): pending again.
    let report = alice.sync(&copy).unwrap();
    assert_eq!((report.mempool_txs, report.evicted), (1, 0));
    assert_eq!(alice.balance().confirmed, Amount::ZERO);
}

/// Deletes the ledger's database (and its WAL files): the next use starts a new chain.
fn remove_ledger_files(ledger: &asyncpay::chain::Ledger) {
    let db = ledger.database_path();
    for suffix in ["", "-wal", "-shm"] {
        let mut path = db.clone().into_os_string();
        path.push(suffix);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => panic!("{e}"),
            _ => {}
        }
    }
}

#[test]
fn a_reset_ledger_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let source = RegtestSource::open(dir.path()).unwrap();
    let mut alice = wallet(&source, 10);
    let addr = alice.next_address().address;
    source.ledger().fund_address(&addr, sat(10_000)).unwrap();
    alice.sync(&source).unwrap();
    let (height, hash) = alice.synced_tip();

    // Reset: a new ledger in the same directory with a different history.
    remove_ledger_files(source.ledger());
    let source = RegtestSource::open(dir.path()).unwrap();
    source.ledger().fund_address(&addr, sat(20_000)).unwrap();
    let e = alice.sync(&source).unwrap_err();
    match &e {
        WalletError::Chain(ChainSourceError::ChainChanged {
            height: h, hash: x, ..
        }) => assert_eq!((*h, *x), (height, hash)),
        other => panic!("unexpected error: {other}"),
    }
    let msg = e.to_string();
    assert!(
        msg.starts_with("the chain changed under the wallet: block 101"),
        "{msg}"
    );
    assert!(msg.contains("was it reset?"), "{msg}");
    // A ledger at a lower height than the wallet is a reset too.
    remove_ledger_files(source.ledger());
    let e = alice.sync(&source).unwrap_err();
    assert!(e.to_string().starts_with("the chain changed"), "{e}");
    // The wallet is untouched.
    assert_eq!(alice.synced_tip(), (height, hash));
    assert_eq!(alice.balance().confirmed, sat(10_000));
}

#[test]
fn a_wallet_for_another_chain_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let source = RegtestSource::open(dir.path()).unwrap();
    let bitcoin_regtest = bitcoin::constants::genesis_block(Network::Regtest).block_hash();
    assert_ne!(bitcoin_regtest, source.genesis_hash().unwrap());
    let mut w = OnchainWallet::create(&keys(11), Network::Regtest, bitcoin_regtest).unwrap();
    let e = w.sync(&source).unwrap_err();
    assert!(
        matches!(
            e,
            WalletError::Chain(ChainSourceError::GenesisMismatch { .. })
        ),
        "{e}"
    );
    assert!(e
        .to_string()
        .starts_with("the wallet was created for another chain"));
}

#[test]
fn chain_specs_parse_and_connect() {
    let dir = tempfile::tempdir().unwrap();
    let spec: ChainSpec = format!("regtest:{}", dir.path().join("l").display())
        .parse()
        .unwrap();
    assert_eq!(spec, ChainSpec::Regtest(dir.path().join("l")));
    let source = spec.connect().unwrap();
    assert_eq!(source.tip_height().unwrap(), 0);
    assert_eq!(source.network().unwrap(), Network::Regtest);
    assert!(source.describe().starts_with("regtest ledger at "));
    assert_eq!(
        source.genesis_hash().unwrap(),
        Ledger::open(dir.path().join("l"))
            .unwrap()
            .block(0)
            .unwrap()
            .unwrap()
            .hash
    );

    let spec: ChainSpec = "bitcoind:http://user:pass@127.0.0.1:18443".parse().unwrap();
    assert_eq!(
        spec,
        ChainSpec::Bitcoind {
            url: "http://127.0.0.1:18443".into(),
            auth: BitcoindAuth::UserPass {
                user: "user".into(),
                password: "pass".into()
            }
        }
    );
    assert_eq!(spec.to_string(), "bitcoind:http://user:***@127.0.0.1:18443");
    let spec: ChainSpec = "bitcoind:http://127.0.0.1:18443?cookie=/path/.cookie"
        .parse()
        .unwrap();
    assert_eq!(
        spec,
        ChainSpec::Bitcoind {
            url: "http://127.0.0.1:18443".into(),
            auth: BitcoindAuth::Cookie("/path/.cookie".into())
        }
    );
    let e = "electrum:ssl://x:50002".parse::<ChainSpec>().unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid chain source 'electrum:ssl://x:50002': unknown kind of chain source; \
         expected `regtest:DIR` or `bitcoind:http://USER:PASSWORD@HOST:PORT` or \
         `bitcoind:http://HOST:PORT?cookie=FILE`"
    );
    // A missing cookie file is reported when connecting.
    let missing = dir.path().join("no-cookie");
    let spec: ChainSpec = format!("bitcoind:http://127.0.0.1:1?cookie={}", missing.display())
        .parse()
        .unwrap();
    let e = spec.connect().unwrap_err();
    assert!(matches!(e, ChainSourceError::Cookie { .. }), "{e}");
    assert!(e
        .to_string()
        .starts_with("cannot read the bitcoind cookie file"));
}

#[test]
fn unreachable_bitcoind_is_a_clean_error() {
    // A port that was just free: nothing listens on it.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let source = BitcoindSource::new(
        &url,
        BitcoindAuth::UserPass {
            user: "u".into(),
            password: "secret".into(),
        },
    )
    .unwrap();
    assert_eq!(source.describe(), format!("bitcoind at {url}"));
    let prefix = format!("cannot reach bitcoind at {url}: ");
    let e = source.tip_height().unwrap_err();
    assert!(matches!(e, ChainSourceError::Unreachable { .. }), "{e}");
    eprintln!("{e}");
    assert!(e.to_string().starts_with(&prefix), "{e}");
    assert!(!e.to_string().contains("secret"));
    let mut w = OnchainWallet::create(
        &keys(12),
        Network::Regtest,
        bitcoin::constants::genesis_block(Network::Regtest).block_hash(),
    )
    .unwrap();
    let e = w.sync(&source).unwrap_err();
    assert!(e.to_string().starts_with(&prefix), "{e}");
    let spec: ChainSpec = format!("bitcoind:http://u:secret@127.0.0.1:{port}")
        .parse()
        .unwrap();
    let e = spec.connect().unwrap().genesis_hash().unwrap_err();
    assert!(e.to_string().starts_with(&prefix), "{e}");
}

#[test]
fn bip86_vector_first_receive_address() {
    let keys = Seed::from_phrase(
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon \
         abandon about",
    )
    .unwrap()
    .keys(Network::Bitcoin);
    let genesis = bitcoin::constants::genesis_block(Network::Bitcoin).block_hash();
    let mut w = OnchainWallet::create(&keys, Network::Bitcoin, genesis).unwrap();
    assert_eq!(
        w.next_address().address.to_string(),
        "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr"
    );
}

/// Both sides of a channel publish its latest update and settlement. When the other side's
/// package got the parent in first, paying more, ours is refused; the parent is published
/// all the same, and that is success, our coins unspent (this race made a force close that
/// worked report a failure).
#[test]
fn a_parent_the_other_side_already_paid_for_is_published_without_our_child() {
    use asyncpay::chain::source::Adjusted;
    use bitcoin::OutPoint;
    let dir = tempfile::tempdir().unwrap();
    let source = RegtestSource::open(dir.path()).unwrap();
    let ledger = source.ledger().clone();
    let eager = Adjusted::fee_rate(
        Box::new(RegtestSource::open(dir.path()).unwrap()),
        FeeRate::from_sat_per_vb_u32(10),
    );
    let (mut theirs, mut ours) = (wallet(&source, 1), wallet(&source, 2));
    for w in [&mut theirs, &mut ours] {
        let address = w.next_address().address;
        ledger.fund_address(&address, sat(100_000)).unwrap();
    }
    let parent = anchor_parent(&ledger);
    theirs.sync(&eager).unwrap();
    ours.sync(&source).unwrap();
    let before = ours.balance().confirmed;
    theirs.publish_with_child(&eager, &parent).unwrap();
    ours.publish_with_child(&source, &parent)
        .expect("the parent is published, by their child");
    let mempool = ledger.mempool().unwrap();
    assert_eq!(mempool.len(), 2, "the parent and their child only");
    let anchor = OutPoint::new(parent.compute_txid(), 1);
    assert_eq!(mempool[0], parent);
    assert!(mempool[1].input.iter().any(|i| i.previous_output == anchor));
    ours.sync(&source).unwrap();
    assert_eq!(ours.balance().confirmed, before, "none of our coins spent");
}

/// Attacker review of S's fundings kept going: a funding the node dropped had its coins
/// freed by the next sync, and S's next transaction spent them, so the funding could never
/// confirm. A transaction kept going (`OnchainWallet::keep`) keeps its coins while the node
/// has dropped it: the next payment finds no coin, and the funding is published again.
#[test]
fn a_dropped_transaction_kept_going_keeps_its_coins_and_is_published_again() {
    use asyncpay::wallet::OwnTx;
    let OneCoin {
        dir: _dir,
        source,
        ledger,
        mut s,
        elsewhere,
    } = one_coin();
    let funding = s.send(&elsewhere, sat(100_000), fee_rate()).unwrap();
    let txid = s.broadcast(&source, &funding).unwrap();
    s.keep([txid]);
    assert_eq!(ledger.expire(&txid).unwrap(), vec![txid]);
    assert_eq!(s.sync(&source).unwrap().evicted, 1);
    // Its coin is not spent again while it is kept going.
    let err = s.send(&elsewhere, sat(50_000), fee_rate()).unwrap_err();
    assert!(
        matches!(err, WalletError::InsufficientFunds { .. }),
        "{err}"
    );
    let again = s
        .keep_own_going(
            &source,
            bitcoin::OutPoint::new(txid, 0),
            (FeeRate::from_sat_per_vb_u32(4), 6),
            false,
        )
        .unwrap();
    assert!(matches!(again, OwnTx::Going(Some(_))), "{again:?}");
    assert!(ledger
        .mempool()
        .unwrap()
        .iter()
        .any(|t| t.compute_txid() == txid));
}

/// The same review: a second funding spent the first's change; the node dropped the second
/// alone (a full mempool trims the lower rate first), and the next bump of the first built
/// a fee child on that change, so the second could never confirm. The first is not bumped
/// through a coin a kept transaction spends; the second, with it, is published again.
#[test]
fn no_fee_child_takes_the_coin_of_a_dropped_transaction_kept_going() {
    use asyncpay::wallet::OwnTx;
    let OneCoin {
        dir,
        source,
        ledger,
        mut s,
        elsewhere,
    } = one_coin();
    let first = s.send(&elsewhere, sat(100_000), fee_rate()).unwrap();
    let first = s.broadcast(&source, &first).unwrap();
    let second = s.send(&elsewhere, sat(100_000), fee_rate()).unwrap();
    assert!(second.input.iter().all(|i| i.previous_output.txid == first));
    let second = s.broadcast(&source, &second).unwrap();
    s.keep([first, second]);
    ledger
        .mine_busy(1, FeeRate::from_sat_per_vb_u32(10))
        .unwrap();
    assert_eq!(ledger.expire(&second).unwrap(), vec![second]);
    s.sync(&source).unwrap();
    // Fees rose: the node estimates 20 sat/vB.
    let dearer = asyncpay::chain::source::Adjusted::fee_rate(
        Box::new(RegtestSource::open(dir.path()).unwrap()),
        FeeRate::from_sat_per_vb_u32(20),
    );
    let ceiling = FeeRate::from_sat_per_vb_u32(40);
    let first_kept = s
        .keep_own_going(
            &dearer,
            bitcoin::OutPoint::new(first, 0),
            (ceiling, 6),
            false,
        )
        .unwrap();
    assert_eq!(
        first_kept,
        OwnTx::Going(None),
        "no child on the second's coin"
    );
    let second_kept = s
        .keep_own_going(
            &dearer,
            bitcoin::OutPoint::new(second, 0),
            (ceiling, 6),
            false,
        )
        .unwrap();
    assert!(
        matches!(second_kept, OwnTx::Going(Some(_))),
        "{second_kept:?}"
    );
    let mempool: Vec<_> = ledger
        .mempool()
        .unwrap()
        .iter()
        .map(|t| t.compute_txid())
        .collect();
    assert_eq!(mempool, vec![first, second]);
}

/// The third review: a funding the node refuses for good (here one paying out more than
/// it spends; in the review, one chained on a stranger's coin the stranger replaced) kept
/// its coins for ever, and S counted them as coins for its fees. Kept going, it holds its
/// coin while it is young; given up, the coin comes back to the wallet in a transaction of
/// its own, and once that is six blocks deep the funding is dead.
#[test]
fn a_transaction_kept_going_that_the_node_refuses_gives_its_coins_back_when_given_up() {
    use asyncpay::wallet::OwnTx;
    let OneCoin {
        dir: _dir,
        source,
        ledger,
        mut s,
        elsewhere,
    } = one_coin();
    let mut refused = s.send(&elsewhere, sat(100_000), fee_rate()).unwrap();
    refused.output[0].value += sat(1_000_000);
    let txid = refused.compute_txid();
    assert!(ledger.submit(&refused).is_err());
    s.record_before_publishing(&refused);
    s.keep([txid]);
    s.sync(&source).unwrap();
    let limits = (FeeRate::from_sat_per_vb_u32(4), 6);
    assert!(s
        .keep_own_going(&source, bitcoin::OutPoint::new(txid, 0), limits, false)
        .is_err());
    assert!(matches!(
        s.send(&elsewhere, sat(50_000), fee_rate()),
        Err(WalletError::InsufficientFunds { .. })
    ));
    let given_up = s
        .keep_own_going(&source, bitcoin::OutPoint::new(txid, 0), limits, true)
        .unwrap();
    let OwnTx::Going(Some(line)) = &given_up else {
        panic!("{given_up:?}")
    };
    assert!(line.contains("come back"), "{line}");
    let back = ledger.mempool().unwrap()[0].compute_txid();
    ledger.mine(5, None).unwrap();
    s.sync(&source).unwrap();
    assert_eq!(
        s.keep_own_going(&source, bitcoin::OutPoint::new(txid, 0), limits, true)
            .unwrap(),
        OwnTx::Going(None),
        "five blocks deep"
    );
    ledger.mine(1, None).unwrap();
    s.sync(&source).unwrap();
    assert_eq!(
        s.keep_own_going(&source, bitcoin::OutPoint::new(txid, 0), limits, true)
            .unwrap(),
        OwnTx::Dead(Some(back))
    );
    assert!(s.balance().confirmed > sat(999_000));
}

/// The same review: S's funding could spend a coin of someone else's still unconfirmed
/// (sent to S's payout address), which they can replace, killing the funding. A payment
/// spends no such coin until it confirms.
#[test]
fn a_coin_someone_else_can_still_replace_is_not_spent() {
    let dir = tempfile::tempdir().unwrap();
    let source = RegtestSource::open(dir.path()).unwrap();
    let ledger = source.ledger().clone();
    let mut alice = wallet(&source, 1);
    let mut bob = wallet(&source, 2);
    let coin = alice.next_address();
    ledger.fund_address(&coin.address, sat(1_000_000)).unwrap();
    alice.sync(&source).unwrap();
    let to_bob = unchecked(&bob.next_address().address);
    let sent = alice.send(&to_bob, sat(200_000), fee_rate()).unwrap();
    alice.broadcast(&source, &sent).unwrap();
    bob.sync(&source).unwrap();
    let elsewhere = unchecked(&wallet(&source, 3).next_address().address);
    let Err(WalletError::InsufficientFunds { hint, .. }) =
        bob.send(&elsewhere, sat(50_000), fee_rate())
    else {
        panic!("spent a coin someone else can replace")
    };
    assert!(
        hint.contains("200,000 sat received is spendable once it confirms"),
        "{hint}"
    );
    ledger.mine(1, None).unwrap();
    bob.sync(&source).unwrap();
    bob.send(&elsewhere, sat(50_000), fee_rate()).unwrap();
}

/// A funding kept going holds the wallet's only coin while the node has dropped it: an
/// anchor child (a force close, a claim: urgent) still takes that coin when it finds no
/// other, and the channel transaction goes out.
#[test]
fn an_anchor_child_takes_a_kept_coin_when_there_is_no_other() {
    let OneCoin {
        dir: _dir,
        source,
        ledger,
        mut s,
        elsewhere,
    } = one_coin();
    let funding = s.send(&elsewhere, sat(100_000), fee_rate()).unwrap();
    let funding = s.broadcast(&source, &funding).unwrap();
    s.keep([funding]);
    ledger.expire(&funding).unwrap();
    s.sync(&source).unwrap();
    let parent = anchor_parent(&ledger);
    s.sync(&source).unwrap();
    s.publish_with_child(&source, &parent).unwrap();
    let mempool = ledger.mempool().unwrap();
    assert_eq!(mempool.len(), 2, "the parent and our child");
    assert_eq!(mempool[0], parent);
}

/// A channel-like parent: zero fee, version 3, a zero-value pay-to-anchor output, spending
/// a coin anyone can spend (funded here, which mines a block).
fn anchor_parent(ledger: &Ledger) -> bitcoin::Transaction {
    use bitcoin::{ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};
    let op_true = ScriptBuf::from(vec![0x51]);
    let coin = ledger
        .fund(&ScriptBuf::new_p2wsh(&op_true.wscript_hash()), sat(50_000))
        .unwrap();
    Transaction {
        version: bitcoin::transaction::Version(3),
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: coin,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Witness::from_slice(&[op_true.as_bytes()]),
        }],
        output: vec![
            TxOut {
                value: sat(50_000),
                script_pubkey: op_true.to_p2wsh(),
            },
            TxOut {
                value: Amount::ZERO,
                script_pubkey: ScriptBuf::new_p2a(),
            },
        ],
    }
}

/// A regtest ledger in a temporary directory (`dir`), wallet `s` (seed 1) holding one
/// confirmed coin of 1,000,000 sat, and an address of another wallet's.
struct OneCoin {
    dir: tempfile::TempDir,
    source: RegtestSource,
    ledger: Ledger,
    s: OnchainWallet,
    elsewhere: Address<NetworkUnchecked>,
}

fn one_coin() -> OneCoin {
    let dir = tempfile::tempdir().unwrap();
    let source = RegtestSource::open(dir.path()).unwrap();
    let ledger = source.ledger().clone();
    let mut s = wallet(&source, 1);
    let coin = s.next_address();
    ledger.fund_address(&coin.address, sat(1_000_000)).unwrap();
    s.sync(&source).unwrap();
    let elsewhere = unchecked(&wallet(&source, 2).next_address().address);
    OneCoin {
        dir,
        source,
        ledger,
        s,
        elsewhere,
    }
}
