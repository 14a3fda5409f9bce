//! Helpers the benchmarks share: CPU time from `/proc` (of the process or of some of its
//! threads) and of one BIP340 verification, a test identity file, running the binary. Each
//! benchmark uses some of them.
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

/// CPU seconds (user + system) of the threads of this process whose name starts with
/// `prefix` (`None`: the whole process).
pub fn cpu(prefix: Option<&str>) -> f64 {
    let Some(prefix) = prefix else {
        return cpu_seconds("/proc/self/stat");
    };
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .flatten()
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|comm| comm.starts_with(prefix))
        })
        .map(|task| cpu_seconds(task.path().join("stat")))
        .sum()
}

/// CPU seconds of one BIP340 verification (CPU time, not wall time: the ratio holds on a
/// busy machine too).
pub fn verify_seconds() -> f64 {
    let sk = secp::Scalar::try_from([9u8; 32]).unwrap();
    let sig: musig2::LiftedSignature = musig2::sign_solo(sk, [1u8; 32], [2u8; 32]);
    let n = 10_000;
    let c = cpu(None);
    for _ in 0..n {
        musig2::verify_single(sk.base_point_mul(), sig, [1u8; 32]).unwrap();
    }
    (cpu(None) - c) / f64::from(n)
}
