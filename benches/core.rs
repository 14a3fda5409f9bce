//! Channel-core benchmarks. Each figure is also printed as a ratio to one BIP340
//! verification measured in the same run: `cargo bench --bench core`.

use std::hint::black_box;
use std::path::PathBuf;

use asyncpay::crypto::bip118::{signature_hash, KeyVersion, SpendPath};
use asyncpay::crypto::musig::{AggregateKey, SecretNonce, SigningSession};
use asyncpay::eltoo::{
    xonly, ChannelParams, ChannelState, PartyKeys, StateTransactions, UpdateInput, DUST_LIMIT,
};
use bitcoin::{Amount, OutPoint};
use criterion::Criterion;
use secp::{Scalar, G};

const GROUP: &str = "core";

fn key(seed: u8) -> Scalar {
    Scalar::try_from([seed; 32]).unwrap()
}

struct Fixture {
    a: Scalar,
    s: Scalar,
    params: ChannelParams,
    state: ChannelState,
}

fn fixture() -> Fixture {
    let (a, s) = (key(11), key(12));
    let party = |funding: Scalar, seed: u8| PartyKeys {
        funding: funding * G,
        settlement: xonly(&(key(seed) * G)),
        ptlc: xonly(&(key(seed + 1) * G)),
    };
    let params = ChannelParams {
        client: party(a, 20),
        server: party(s, 30),
        capacity: Amount::from_sat(1_000_000),
        shared_delay: 144,
        dust_limit: DUST_LIMIT,
    };
    let state = ChannelState {
        number: 5,
        client: Amount::from_sat(600_000),
        server: Amount::from_sat(400_000),
        ptlcs: vec![],
    };
    Fixture {
        a,
        s,
        params,
        state,
    }
}

/// One full 2-of-2 MuSig2 session: nonces, both partial signatures, verification of the
/// other's, aggregation (which verifies the final signature).
fn musig_session(f: &Fixture, key: &AggregateKey, msg: [u8; 32]) -> [u8; 64] {
    let (pa, ps) = (f.a * G, f.s * G);
    let na = SecretNonce::generate([1; 32], f.a, key, Some(&msg));
    let ns = SecretNonce::generate([2; 32], f.s, key, Some(&msg));
    let session =
        SigningSession::new(key, [(pa, na.public_nonce()), (ps, ns.public_nonce())], msg).unwrap();
    let sa = session.sign(f.a, na).unwrap();
    let ss = session.sign(f.s, ns).unwrap();
    session.verify_partial(pa, sa).unwrap();
    session.verify_partial(ps, ss).unwrap();
    session.aggregate(sa, ss).unwrap()
}

fn benches(c: &mut Criterion) {
    let f = fixture();
    let key = f.params.aggregate_key().unwrap();
    let msg = [7u8; 32];
    let mut g = c.benchmark_group(GROUP);

    let sig = musig_session(&f, &key, msg);
    g.bench_function("bip340_verify", |b| {
        b.iter(|| musig2::verify_single(key.point(), black_box(sig), black_box(msg)).unwrap())
    });

    g.bench_function("musig2_session", |b| {
        b.iter(|| musig_session(&f, &key, black_box(msg)))
    });

    let (pa, ps) = (f.a * G, f.s * G);
    let na = SecretNonce::generate([1; 32], f.a, &key, None).public_nonce();
    let ns = SecretNonce::generate([2; 32], f.s, &key, None).public_nonce();
    g.bench_function("payment_point", |b| {
        b.iter(|| {
            let session =
                SigningSession::new(&key, [(pa, na.clone()), (ps, ns.clone())], msg).unwrap();
            session.payment_point(black_box(pa)).unwrap()
        })
    });

    let txs = StateTransactions::build(&f.params, &f.state).unwrap();
    let funding = f.params.funding_output().unwrap();
    let leaf = asyncpay::eltoo::scripts::leaf_hash(&asyncpay::eltoo::scripts::update_leaf(0));
    g.bench_function("bip118_digest", |b| {
        b.iter(|| {
            signature_hash(
                black_box(&txs.update),
                0,
                std::slice::from_ref(&funding),
                0xc1,
                SpendPath::Tapscript {
                    leaf_hash: leaf,
                    key_version: KeyVersion::AnyPrevout,
                    codesep_pos: u32::MAX,
                },
                None,
            )
            .unwrap()
        })
    });

    // S's side of a session: the client's partial arrives, S signs second
    // (`SigningSession::sign_and_aggregate`: one BIP340 verification of the final signature).
    g.bench_function("musig2_session_second_signer", |b| {
        b.iter(|| {
            let (pa, ps) = (f.a * G, f.s * G);
            let na = SecretNonce::generate([1; 32], f.a, &key, Some(&msg));
            let ns = SecretNonce::generate([2; 32], f.s, &key, Some(&msg));
            let session = SigningSession::new(
                &key,
                [(pa, na.public_nonce()), (ps, ns.public_nonce())],
                msg,
            )
            .unwrap();
            let sa = session.sign(f.a, na).unwrap();
            session
                .sign_and_aggregate(ps, f.s, ns, black_box(sa))
                .unwrap()
        })
    });

    // A distinct state each iteration: `StateTransactions::build` caches recent states, and
    // this measures building one.
    let mut number = f.state.number;
    g.bench_function("state_build_and_sign", |b| {
        b.iter(|| {
            number = 5 + (number + 1) % 1_000_000;
            let state = ChannelState {
                number,
                ..f.state.clone()
            };
            let txs = StateTransactions::build(&f.params, black_box(&state)).unwrap();
            let sig = musig_session(&f, &key, txs.update_sighash);
            let update = txs
                .signed_update(&f.params, &UpdateInput::Funding(OutPoint::null()), &sig)
                .unwrap();
            let settlement = txs.signed_settlement(OutPoint::new(update.compute_txid(), 0));
            (update, settlement)
        })
    });

    // Ledger validation of an update transaction: Core's interpreter plus our BIP118 check.
    let mut chain = asyncpay::chain::Chain::new();
    let funding_out = chain
        .fund(&funding.script_pubkey, funding.value)
        .expect("faucet pays the funding output");
    let sig = musig_session(&f, &key, txs.update_sighash);
    let update = txs
        .signed_update(&f.params, &UpdateInput::Funding(funding_out), &sig)
        .unwrap();
    g.bench_function("ledger_validate_update", |b| {
        b.iter(|| chain.check(black_box(&update)).unwrap())
    });
    g.finish();
}

/// Mean time of one benchmark from criterion's report, in nanoseconds.
fn mean_ns(name: &str) -> Option<f64> {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let path = dir
        .join("criterion")
        .join(GROUP)
        .join(name)
        .join("new/estimates.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    json["mean"]["point_estimate"].as_f64()
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
    let Some(base) = mean_ns("bip340_verify") else {
        return;
    };
    println!(
        "\n{:<24} {:>12} {:>16}",
        "benchmark", "mean", "x BIP340 verify"
    );
    for name in [
        "bip340_verify",
        "musig2_session",
        "musig2_session_second_signer",
        "payment_point",
        "bip118_digest",
        "state_build_and_sign",
        "ledger_validate_update",
    ] {
        if let Some(ns) = mean_ns(name) {
            println!("{name:<24} {:>9.1} µs {:>16.2}", ns / 1000.0, ns / base);
        }
    }
}
