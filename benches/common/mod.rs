//! Helpers the benchmarks share: CPU time from `/proc`, a test identity file, running the
//! binary. Each benchmark uses some of them.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// User + system CPU seconds in a `/proc/.../stat` file (a process, `/proc/self/stat`, or
/// one thread, `/proc/self/task/TID/stat`); 0 if it cannot be read (a thread that ended).
pub fn cpu_seconds(stat: impl AsRef<Path>) -> f64 {
    let text = std::fs::read_to_string(stat).unwrap_or_default();
    let fields: Vec<f64> = text
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .map(|f| f.parse().unwrap_or(0.0))
                .collect()
        })
        .unwrap_or_default();
    let at = |i: usize| fields.get(i).copied().unwrap_or(0.0);
    (at(11) + at(12)) / 100.0
}

/// Writes a fresh age identity file (for `--identity`: no scrypt in the figures).
pub fn write_identity(path: &Path) {
    let id = age::x25519::Identity::generate();
    std::fs::write(
        path,
        format!(
            "{}\n",
            age::secrecy::ExposeSecret::expose_secret(&id.to_string())
        ),
    )
    .unwrap();
}

/// Runs `c`, which must succeed; its stdout.
pub fn check(mut c: Command) -> String {
    let out = c.output().expect("asyncpay runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
