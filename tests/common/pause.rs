//! S paused between the reads of the chain it makes before its lock and the lock (ADR
//! 0015), for tests that change what S reads or knows meanwhile.
#![allow(dead_code)]

use asyncpay::protocol::messages::ChannelId;
use asyncpay::server::{LockStats, ServerCore};

/// The looks at the chain S took from reads before its lock, and those it made under it,
/// since `before`.
pub fn looks_since(core: &ServerCore, before: &LockStats) -> (u64, u64) {
    let now = core.lock_stats();
    (
        now.looks_before - before.looks_before,
        now.looks_under - before.looks_under,
    )
}

/// Runs `step` on another thread with S paused after its next early reads of kind `what`
/// (of `channel` among others, if given) and before its lock; `meanwhile` runs while S
/// waits there. Returns what `step` returned.
pub fn while_s_waits_for_its_lock<T: Send>(
    core: &ServerCore,
    what: &'static str,
    channel: Option<ChannelId>,
    step: impl FnOnce() -> T + Send,
    meanwhile: impl FnOnce(),
) -> T {
    let (reached, at_pause) = std::sync::mpsc::channel();
    let (go, wait) = std::sync::mpsc::channel::<()>();
    core.pause_before_lock(
        what,
        channel,
        Box::new(move || {
            reached.send(()).unwrap();
            let _ = wait.recv();
        }),
    );
    std::thread::scope(|scope| {
        let stepping = scope.spawn(step);
        at_pause
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("S reached the pause");
        meanwhile();
        go.send(()).unwrap();
        stepping.join().unwrap()
    })
}
