//! A disk whose syncs fail: `tests/fault/fail_sync.c`, preloaded into an `asyncpay`
//! process (`LD_PRELOAD`: Linux, where the tests that use it run), makes `fsync` and
//! `fdatasync` of the files whose path contains a given string return `EIO`, as a failing
//! disk does; everything else is the real system.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The shim, compiled into `dir` with the system's C compiler (the build needs one for
/// libsecp256k1 already).
pub fn shim(dir: &Path) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fault/fail_sync.c");
    let out = dir.join("libfail_sync.so");
    if out.exists() {
        return out;
    }
    // Compiled aside and renamed: a half-written library would be skipped by the loader
    // with a mere warning, and the disk would not fail.
    let aside = dir.join(format!("libfail_sync.{}.tmp", std::process::id()));
    let compiled = ["cc", "gcc"].iter().any(|cc| {
        Command::new(cc)
            .args(["-shared", "-fPIC", "-o"])
            .arg(&aside)
            .arg(&source)
            .arg("-ldl")
            .status()
            .is_ok_and(|s| s.success())
    });
    assert!(compiled, "cannot compile {}", source.display());
    std::fs::rename(&aside, &out).unwrap();
    out
}

/// When the syncs of the files `c` names fail.
pub enum Failing<'a> {
    /// While this file exists.
    While(&'a Path),
    /// From the sync after the first `n` on.
    After(u64),
    /// The sync after the first `n` only (a disk that fails once).
    Once(u64),
}

/// `c` (an `asyncpay` command) with the syncs of every file whose path contains `of`
/// failing as `when` says; the shim is compiled into `dir`.
pub fn failing_syncs(c: &mut Command, dir: &Path, of: &Path, when: Failing<'_>) {
    c.env("LD_PRELOAD", shim(dir))
        .env("ASYNCPAY_TEST_FAIL_SYNC_OF", of);
    match when {
        Failing::While(trigger) => c.env("ASYNCPAY_TEST_FAIL_SYNC_WHEN", trigger),
        Failing::After(n) => c.env("ASYNCPAY_TEST_FAIL_SYNC_AFTER", n.to_string()),
        Failing::Once(n) => c
            .env("ASYNCPAY_TEST_FAIL_SYNC_AFTER", n.to_string())
            .env("ASYNCPAY_TEST_FAIL_SYNC_COUNT", "1"),
    };
}
