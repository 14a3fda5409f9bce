//! Faults of the disk and the machine, preloaded into an `asyncpay` process (`LD_PRELOAD`:
//! Linux, where the tests that use them run); everything else is the real system:
//! - `tests/fault/fail_sync.c` makes `fsync` and `fdatasync` of the files whose path
//!   contains a given string return `EIO`, as a failing disk does;
//! - `tests/fault/power_cut.c` cuts the power: what was written to those files but not
//!   synced is gone, and the process ends at once.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The shim `tests/fault/NAME.c`, compiled into `dir` with the system's C compiler (the
/// build needs one for libsecp256k1 already).
pub fn shim(dir: &Path, name: &str) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fault/{name}.c"));
    let out = dir.join(format!("lib{name}.so"));
    if out.exists() {
        return out;
    }
    // Compiled aside and renamed: a half-written library would be skipped by the loader
    // with a mere warning, and the fault would not happen.
    let aside = dir.join(format!("lib{name}.{}.tmp", std::process::id()));
    let compiled = ["cc", "gcc"].iter().any(|cc| {
        Command::new(cc)
            .args(["-shared", "-fPIC", "-o"])
            .arg(&aside)
            .arg(&source)
            .args(["-ldl", "-lpthread"])
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
    c.env("LD_PRELOAD", shim(dir, "fail_sync"))
        .env("ASYNCPAY_TEST_FAIL_SYNC_OF", of);
    match when {
        Failing::While(trigger) => c.env("ASYNCPAY_TEST_FAIL_SYNC_WHEN", trigger),
        Failing::After(n) => c.env("ASYNCPAY_TEST_FAIL_SYNC_AFTER", n.to_string()),
        Failing::Once(n) => c
            .env("ASYNCPAY_TEST_FAIL_SYNC_AFTER", n.to_string())
            .env("ASYNCPAY_TEST_FAIL_SYNC_COUNT", "1"),
    };
}

/// `c` (an `asyncpay` command) on a disk that loses what was not synced when the power
/// goes (`tests/fault/power_cut.c`): the files under `of` are put back as their last sync
/// left them, and the process ends with status 137, once `cut` exists. The shim is
/// compiled into `dir`.
pub fn power_cut(c: &mut Command, dir: &Path, of: &Path, cut: &Path) {
    // The shim compares the paths the kernel reports: no symbolic link on the way.
    let of = std::fs::canonicalize(of).unwrap();
    c.env("LD_PRELOAD", shim(dir, "power_cut"))
        .env("ASYNCPAY_TEST_POWER_OF", of)
        .env("ASYNCPAY_TEST_POWER_CUT", cut);
}

/// What the process `pid` said as its power went at `cut` (see [`power_cut`]): the writes
/// to its watched files it saw, and those it took back. `None` if it said nothing.
pub fn power_cut_said(cut: &Path, pid: u32) -> Option<(u64, u64)> {
    let said = std::fs::read_to_string(cut.with_extension("said")).ok()?;
    said.lines().find_map(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[..] {
            [p, "seen", seen, "undone", undone] if p == pid.to_string() => {
                Some((seen.parse().ok()?, undone.parse().ok()?))
            }
            _ => None,
        }
    })
}
