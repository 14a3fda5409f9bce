//! Whole-process benchmarks of the wallet CLI: `asyncpay --json wallet balance` unlocked with
//! `--identity` (process start, unlock, sync with the regtest ledger, render), and unlocking
//! with a passphrase at the default scrypt work factor. `cargo bench --bench cli`.

mod common;

use common::check;

use std::path::Path;
use std::process::Command;

use criterion::Criterion;

const BIN: &str = env!("CARGO_BIN_EXE_asyncpay");

fn asyncpay(dir: &Path, wallet: &str, unlock: &[&str], args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(["--json", "--datadir"])
        .arg(dir.join(wallet))
        .arg("--chain")
        .arg(format!("regtest:{}", dir.join("chain").display()))
        .args(unlock)
        .args(args);
    c
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let identity = root.join("identity.txt");
    common::write_identity(&identity);
    let id_arg = ["--identity", identity.to_str().unwrap()];
    check(asyncpay(root, "a", &id_arg, &["init"]));
    let addr: serde_json::Value =
        serde_json::from_str(&check(asyncpay(root, "a", &id_arg, &["wallet", "address"]))).unwrap();
    let addr = addr["address"].as_str().unwrap().to_owned();
    let mut fund = Command::new(BIN);
    fund.arg("--chain")
        .arg(format!("regtest:{}", root.join("chain").display()))
        .args(["regtest", "fund", &addr, "1btc"]);
    check(fund);

    let pass = root.join("pass");
    std::fs::write(&pass, "bench passphrase\n").unwrap();
    let pass_arg = ["--passphrase-file", pass.to_str().unwrap()];
    // The default work factor, as a user gets it.
    check(asyncpay(root, "p", &pass_arg, &["init"]));

    let mut c = Criterion::default().configure_from_args().sample_size(20);
    c.bench_function("wallet_balance_identity_process", |b| {
        b.iter(|| check(asyncpay(root, "a", &id_arg, &["wallet", "balance"])))
    });
    c.bench_function("unlock_passphrase_default_work_factor_process", |b| {
        b.iter(|| check(asyncpay(root, "p", &pass_arg, &["wallet", "info"])))
    });
    c.final_summary();
}
