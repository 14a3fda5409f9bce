//! The records database (docs/adr/0007) with few and with many records: what one protocol
//! step costs (a transaction saving a channel-sized and a payment-sized record, durably),
//! loading one record, and opening the database (which checks every record). The step and
//! the load should cost the same with 100 records as with 100,000 (S with 10,000 channels
//! and 100,000 mailbox items); the open grows with the records, once per process.
//! `cargo bench --bench store`; with `ASYNCPAY_TEST_POSTGRES` set (a PostgreSQL URL), the
//! same again with the records in PostgreSQL (`store_pg_*`).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use asyncpay::store::{DataDir, LockWait, StateFile, Store, Unlock};
use criterion::Criterion;
use serde::{Deserialize, Serialize};

/// A record of a given size, like a channel (about 4 KB) or a mailbox item (about 1 KB).
#[derive(Serialize, Deserialize)]
struct Blob {
    bytes: String,
}

impl StateFile for Blob {
    const FILE: &'static str = "blobs";
    const KIND: &'static str = "asyncpay-bench/blob";
    const VERSION: u32 = 1;
}

fn blob(size: usize) -> Blob {
    Blob {
        bytes: "x".repeat(size),
    }
}

fn open(dir: &Path, id: &Path) -> (DataDir, Store) {
    let data = DataDir::open(dir, LockWait::Fail).unwrap();
    let store = data
        .unlock(&Unlock::IdentityFile(id.to_path_buf()))
        .unwrap();
    (data, store)
}

fn bench_records(c: &mut Criterion, records: usize, postgres: Option<&str>) {
    let tmp = tempfile::tempdir().unwrap();
    let id = tmp.path().join("id.txt");
    common::write_identity(&id);
    let dir = tmp.path().join("w");
    {
        let data = DataDir::open(&dir, LockWait::Fail).unwrap();
        if let Some(url) = postgres {
            data.use_database(&asyncpay::store::Postgres::new(url).unwrap())
                .unwrap();
        }
        let store = data.create_with_identity_file(&id).unwrap();
        let item = blob(1_000);
        let start = Instant::now();
        store
            .transaction(|tx| {
                for i in 0..records {
                    tx.save_keyed(&format!("item-{i:08}"), &item)?;
                }
                Ok::<_, asyncpay::store::StoreError>(())
            })
            .unwrap();
        println!(
            "{records} records of 1 KB written in {:.2} s",
            start.elapsed().as_secs_f64()
        );
    }
    let backend = if postgres.is_some() { "pg_" } else { "" };
    let mut group = c.benchmark_group(format!("store_{backend}{records}"));
    group.bench_function("open", |b| b.iter(|| drop(open(&dir, &id))));
    let (_data, store) = open(&dir, &id);
    let (channel, payment) = (blob(4_000), blob(1_500));
    let mut n = 0u64;
    group.bench_function("step_transaction", |b| {
        b.iter(|| {
            n += 1;
            store
                .transaction(|tx| {
                    tx.save_keyed(&format!("channel-{}", n % 16), &channel)?;
                    tx.save_keyed(&format!("payment-{n}"), &payment)
                })
                .unwrap()
        })
    });
    group.bench_function("load", |b| {
        b.iter(|| store.load_keyed::<Blob>("item-00000042").unwrap().unwrap())
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let postgres = std::env::var("ASYNCPAY_TEST_POSTGRES").ok();
    for backend in std::iter::once(None).chain(postgres.as_deref().map(Some)) {
        bench_records(&mut c, 100, backend);
        bench_records(&mut c, 100_000, backend);
    }
    c.final_summary();
}
