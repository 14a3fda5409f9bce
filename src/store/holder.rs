//! Who holds a data dir's lock: the holder writes its pid, its process start time and its
//! command into the `lock` file right after taking the lock, so that a process refused the
//! lock can say who holds it ("`asyncpay server run` (pid 4242)").
//!
//! The record is a hint, never a lock: the `flock` decides. It is read only by a process
//! that was just refused the lock, and trusted only if its process is still alive *as the
//! same process* (on Linux its start time must match, so a reused pid is not named); a
//! record left by a process that died, or an unreadable or foreign one, names nobody.
//!
//! Format (text, at most [`MAX_RECORD`] bytes read):
//!
//! ```text
//! asyncpay-lock 1
//! pid 4242
//! start 123456
//! command server run
//! ```

use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Longest record read back.
const MAX_RECORD: u64 = 1024;
/// Longest command shown.
const MAX_COMMAND: usize = 64;
const MAGIC: &str = "asyncpay-lock 1";

/// The process holding a data dir's lock, as it recorded itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    /// Its process id.
    pub pid: u32,
    /// Its command (`server run`, `repl`, ...): lower-case letters, digits, `-` and spaces.
    pub command: String,
}

impl fmt::Display for LockHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.command.is_empty() {
            write!(f, "another asyncpay process (pid {})", self.pid)
        } else if let Some(command) = self.command.strip_prefix("repl ") {
            write!(f, "`{command}` in an asyncpay REPL (pid {})", self.pid)
        } else {
            write!(f, "`asyncpay {}` (pid {})", self.command, self.pid)
        }
    }
}

/// Only the characters a command name has, at most [`MAX_COMMAND`] of them: a record is
/// shown in a terminal, so nothing in it may be a control sequence.
fn clean_command(command: &str) -> String {
    command
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | ' '))
        .take(MAX_COMMAND)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The start time of process `pid` (clock ticks since boot, `/proc/PID/stat` field 22):
/// with the pid, it names one process (a pid is reused; a pid and start time are not).
#[cfg(target_os = "linux")]
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid ...`: comm may hold spaces and `)`; fields follow the last `)`.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(not(target_os = "linux"))]
fn start_time(_pid: u32) -> Option<u64> {
    None
}

/// True if process `pid` exists and, when `start` is known, is the one that started then.
fn is_alive(pid: u32, start: Option<u64>) -> bool {
    if pid == 0 {
        return false;
    }
    if cfg!(target_os = "linux") {
        return match (start_time(pid), start) {
            (Some(now), Some(then)) => now == then,
            (Some(_), None) => true,
            (None, _) => false,
        };
    }
    #[cfg(unix)]
    {
        let Some(raw) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return false;
        };
        match rustix::process::test_kill_process(raw) {
            Ok(()) => true,
            Err(e) => e == rustix::io::Errno::PERM,
        }
    }
    #[cfg(not(unix))]
    true
}

/// Records this process as the holder in `file` (the lock file, locked by us). Best effort:
/// the record is a hint, a failure to write it does not matter.
pub(super) fn record(file: &mut File, command: &str) {
    let pid = std::process::id();
    let mut text = format!("{MAGIC}\npid {pid}\n");
    if let Some(start) = start_time(pid) {
        text.push_str(&format!("start {start}\n"));
    }
    text.push_str(&format!("command {}\n", clean_command(command)));
    let _ = file
        .set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| file.write_all(text.as_bytes()))
        .and_then(|()| file.flush());
}

/// Clears the record (we are about to release the lock). Best effort.
pub(super) fn clear(file: &File) {
    let _ = file.set_len(0);
}

/// The live holder recorded in the lock file at `path`; `None` if there is no record, it
/// is not one of ours, or its process is gone (or the pid now names another process).
pub(super) fn read(path: &Path) -> Option<LockHolder> {
    let mut text = String::new();
    File::open(path)
        .ok()?
        .take(MAX_RECORD)
        .read_to_string(&mut text)
        .ok()?;
    parse_live(&text, is_alive)
}

fn parse_live(text: &str, alive: impl Fn(u32, Option<u64>) -> bool) -> Option<LockHolder> {
    let mut lines = text.lines();
    if lines.next()? != MAGIC {
        return None;
    }
    let (mut pid, mut start, mut command) = (None, None, String::new());
    for line in lines {
        match line.split_once(' ') {
            Some(("pid", v)) => pid = v.parse::<u32>().ok(),
            Some(("start", v)) => start = v.parse::<u64>().ok(),
            Some(("command", v)) => command = clean_command(v),
            _ => {}
        }
    }
    let pid = pid?;
    alive(pid, start).then_some(LockHolder { pid, command })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_record_names_its_holder() {
        let text = "asyncpay-lock 1\npid 42\nstart 7\ncommand server run\n";
        let holder = parse_live(text, |pid, start| pid == 42 && start == Some(7)).unwrap();
        assert_eq!(holder.to_string(), "`asyncpay server run` (pid 42)");
    }

    #[test]
    fn a_dead_or_reused_pid_names_nobody() {
        let text = "asyncpay-lock 1\npid 42\nstart 7\ncommand server run\n";
        assert_eq!(parse_live(text, |_, _| false), None);
        // Our own pid with another start time: the pid was reused.
        let me = std::process::id();
        let reused = format!("asyncpay-lock 1\npid {me}\nstart 1\ncommand pay\n");
        if cfg!(target_os = "linux") {
            assert_eq!(parse_live(&reused, is_alive), None);
        }
    }

    #[test]
    fn junk_and_control_characters_are_not_shown() {
        assert_eq!(parse_live("", |_, _| true), None);
        assert_eq!(parse_live("pid 1\n", |_, _| true), None);
        let text = "asyncpay-lock 1\npid 5\ncommand \u{1b}[2Jrm -rf /\n";
        let holder = parse_live(text, |_, _| true).unwrap();
        assert_eq!(holder.command, "2rm -rf");
        assert!(!holder.to_string().contains('\u{1b}'));
    }

    #[test]
    fn this_process_is_alive() {
        let me = std::process::id();
        assert!(is_alive(me, start_time(me)));
        assert!(!is_alive(0, None));
    }
}
