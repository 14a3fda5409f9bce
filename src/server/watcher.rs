//! The chain watcher's resilience (ISSUE 9 item 14): a pass must not be starved of file
//! descriptors by S's HTTP connections, and when watching keeps failing the operator must
//! hear about it (a loud log line and `GET /v1/info` → `watcher`).
//!
//! - [`FdReserve`] holds a few open descriptors while the watcher is idle. When a pass fails
//!   it gives them back to the process and the pass is retried at once, so a descriptor
//!   table filled by idle connections cannot blind the watcher; the reserve is taken again
//!   after the pass.
//! - [`WatchHealth`] counts failed passes in a row; from [`ALARM_AFTER`] failures on, every
//!   pass logs an `ALARM` line and the status shows `alarm`.

use std::fs::File;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Descriptors the watcher keeps in reserve.
pub const RESERVE_FDS: usize = 16;

/// Failed passes in a row from which the watcher raises the alarm.
pub const ALARM_AFTER: u32 = 3;

/// Pauses before the retries of a failed pass (each after giving the reserve back).
pub const RETRY_BACKOFF: [Duration; 3] = [
    Duration::ZERO,
    Duration::from_millis(50),
    Duration::from_millis(200),
];

/// Open descriptors held for the watcher (of `/dev/null`, or of the executable where there
/// is none).
#[derive(Debug, Default)]
pub struct FdReserve(Vec<File>);

impl FdReserve {
    /// Takes up to `n` descriptors; fewer if the process has no more.
    pub fn take(n: usize) -> FdReserve {
        let mut r = FdReserve(Vec::with_capacity(n));
        r.refill(n);
        r
    }

    /// Takes descriptors until `n` are held (best effort).
    pub fn refill(&mut self, n: usize) {
        while self.0.len() < n {
            let f =
                File::open("/dev/null").or_else(|_| std::env::current_exe().and_then(File::open));
            match f {
                Ok(f) => self.0.push(f),
                Err(_) => break,
            }
        }
    }

    /// Gives every held descriptor back to the process.
    pub fn release(&mut self) {
        self.0.clear();
    }

    /// How many are held.
    pub fn held(&self) -> usize {
        self.0.len()
    }
}

/// The watcher's health as `GET /v1/info` shows it (`watcher`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatcherStatus {
    /// `ok` (the last pass worked or none ran yet), `failing` (the last pass failed), or
    /// `alarm` (at least [`ALARM_AFTER`] passes in a row failed: S may not be enforcing its
    /// channels' latest states).
    pub status: String,
    /// Failed passes in a row.
    pub consecutive_failures: u32,
    /// Unix time of the first of those failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<u64>,
    /// What the last failed pass reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Unix time of the last pass that worked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success: Option<u64>,
}

/// Counts failed watcher passes.
#[derive(Debug, Default)]
pub struct WatchHealth {
    status: WatcherStatus,
}

impl WatchHealth {
    /// Records a pass that ended with `errors` (none: it worked) at unix time `now`. Returns
    /// the alarm line to log, if the watcher is in alarm.
    pub fn record(&mut self, errors: &[String], now: u64) -> Option<String> {
        let s = &mut self.status;
        if errors.is_empty() {
            let recovered = s.consecutive_failures >= ALARM_AFTER;
            let failures = s.consecutive_failures;
            *s = WatcherStatus {
                status: "ok".to_owned(),
                consecutive_failures: 0,
                failing_since: None,
                last_error: None,
                last_success: Some(now),
            };
            return recovered
                .then(|| format!("watcher: recovered after {failures} failed passes in a row"));
        }
        s.consecutive_failures = s.consecutive_failures.saturating_add(1);
        s.failing_since.get_or_insert(now);
        s.last_error = Some(errors.join("; "));
        if s.consecutive_failures < ALARM_AFTER {
            s.status = "failing".to_owned();
            return None;
        }
        s.status = "alarm".to_owned();
        Some(format!(
            "ALARM: the chain watcher failed {} passes in a row (since unix time {}): {}. S \
             cannot enforce its channels' latest states while this lasts: an old state \
             published now may win. Check the chain source, free file descriptors (idle \
             connections) and S's data directory",
            s.consecutive_failures,
            s.failing_since.unwrap_or(now),
            s.last_error.as_deref().unwrap_or_default()
        ))
    }

    /// The current status.
    pub fn status(&self) -> WatcherStatus {
        let mut s = self.status.clone();
        if s.status.is_empty() {
            s.status = "ok".to_owned();
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarm_after_repeated_failures_and_recovery() {
        let mut h = WatchHealth::default();
        assert_eq!(h.status().status, "ok");
        let e = vec!["ledger: Too many open files".to_owned()];
        assert_eq!(h.record(&e, 10), None);
        assert_eq!(h.status().status, "failing");
        assert_eq!(h.record(&e, 11), None);
        let alarm = h.record(&e, 12).unwrap();
        assert!(alarm.starts_with("ALARM"), "{alarm}");
        assert!(alarm.contains("Too many open files"), "{alarm}");
        let st = h.status();
        assert_eq!(
            (
                st.status.as_str(),
                st.consecutive_failures,
                st.failing_since
            ),
            ("alarm", 3, Some(10))
        );
        assert!(h.record(&e, 13).unwrap().contains("4 passes"));
        assert!(h.record(&[], 14).unwrap().contains("recovered"));
        let st = h.status();
        assert_eq!(
            (st.status.as_str(), st.consecutive_failures, st.last_success),
            ("ok", 0, Some(14))
        );
        assert_eq!(h.record(&[], 15), None);
    }

    #[test]
    fn the_reserve_gives_descriptors_back() {
        let mut r = FdReserve::take(4);
        assert_eq!(r.held(), 4);
        r.release();
        assert_eq!(r.held(), 0);
        r.refill(2);
        assert_eq!(r.held(), 2);
    }
}
