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

/// The live holder recorded in the lock file `file` (opened with
/// [`super::open_lock_file`]: a regular file, never a link or a FIFO); `None` if there is
/// no record, it is not one of ours, or its process is gone (or the pid now names another
/// process).
///
/// Anyone who can take the lock can write any record, so a pid is named only if that
/// process holds the lock on this very file (Linux: `/proc/locks`); elsewhere, or if it
/// does not, nobody is named (a forged record must not invite `kill 1`).
pub(super) fn read_from(file: &File) -> Option<LockHolder> {
    let mut text = String::new();
    let inode = inode_of(file)?;
    let mut file = file;
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(MAX_RECORD).read_to_string(&mut text).ok()?;
    parse_live(&text, |pid, start| {
        is_alive(pid, start) && holds_lock(pid, inode)
    })
}

#[cfg(unix)]
fn inode_of(file: &File) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    file.metadata().ok().map(|m| m.ino())
}

#[cfg(not(unix))]
fn inode_of(_file: &File) -> Option<u64> {
    None
}

/// True if `/proc/locks` shows process `pid` holding a `flock` on the file with inode
/// `inode`. A line is `1: FLOCK  ADVISORY  WRITE 4242 08:01:123456 0 EOF`; a process
/// waiting for a lock has a `->` line, which does not count.
#[cfg(target_os = "linux")]
fn holds_lock(pid: u32, inode: u64) -> bool {
    // `/proc/locks` is read a page at a time from a list other processes change meanwhile:
    // a read may miss a line (seen with many processes locking at once). Look again before
    // saying no.
    (0..5).any(|_| {
        std::fs::read_to_string("/proc/locks").is_ok_and(|locks| holds_lock_in(&locks, pid, inode))
    })
}

#[cfg(not(target_os = "linux"))]
fn holds_lock(_pid: u32, _inode: u64) -> bool {
    false
}

#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn holds_lock_in(locks: &str, pid: u32, inode: u64) -> bool {
    locks.lines().any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.get(1) == Some(&"FLOCK")
            && fields.get(4).and_then(|p| p.parse::<u32>().ok()) == Some(pid)
            && fields
                .get(5)
                .and_then(|d| d.rsplit(':').next())
                .and_then(|i| i.parse::<u64>().ok())
                == Some(inode)
    })
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
    fn only_the_process_holding_the_flock_is_named() {
        let locks = "1: FLOCK  ADVISORY  WRITE 4242 08:01:777 0 EOF\n\
                     1: -> FLOCK  ADVISORY  WRITE 99 08:01:777 0 EOF\n\
                     2: POSIX  ADVISORY  WRITE 1 08:01:777 0 EOF\n";
        assert!(holds_lock_in(locks, 4242, 777));
        assert!(!holds_lock_in(locks, 4242, 778));
        assert!(!holds_lock_in(locks, 99, 777), "a waiter does not hold it");
        assert!(!holds_lock_in(locks, 1, 777), "a POSIX lock is not ours");
    }

    #[test]
    fn this_process_is_alive() {
        let me = std::process::id();
        assert!(is_alive(me, start_time(me)));
        assert!(!is_alive(0, None));
    }
}
