//! Ctrl-C (SIGINT) while asyncpay talks with a person: in the REPL it cancels the running
//! command instead of ending the session; and whenever the process must end on it, the
//! terminal is put back first (echo on after a passphrase prompt, the normal screen after
//! the mnemonic was shown on the alternate one).
//!
//! Installed by the REPL and by an interactive `init` only; other commands keep the default
//! (SIGINT ends the process at once).

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::OnceLock;

use super::error::{CliError, CliResult};

/// Set by Ctrl-C while a REPL command runs; cleared before and after each command.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// 0: no REPL command runs (SIGINT ends the process, as by default); 1: a command runs
/// (SIGINT cancels it); 2: it was asked to stop already (a second SIGINT ends the process).
static RUNNING: AtomicU8 = AtomicU8::new(0);
/// True for a REPL on a terminal: a SIGINT while no command runs is ignored. At the prompt
/// Ctrl-C reaches rustyline as a key, so such a signal is one that came just as a command
/// ended (a no-echo prompt sends itself SIGINT on Ctrl-C and returns at once).
static IGNORE_WHEN_IDLE: AtomicBool = AtomicBool::new(false);
/// True while the terminal shows the alternate screen (see [`AlternateScreen`]).
static ALTERNATE_SCREEN: AtomicBool = AtomicBool::new(false);

/// True once Ctrl-C was pressed during the REPL command that runs now: waits check it and
/// return (see [`crate::client::Observer::cancelled`]).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Sleeps `duration` in short slices; true as soon as Ctrl-C stops the running REPL command
/// (for a wait in the command line itself; the engine's waits use
/// [`crate::client::Observer::cancelled`]).
pub fn pause(duration: std::time::Duration) -> bool {
    crate::client::sleep_unless(duration, interrupted)
}

/// Counts the REPL's commands: tells whether the one Ctrl-C stopped is still running.
static COMMAND: AtomicU64 = AtomicU64::new(0);

/// For a REPL on a terminal: see [`IGNORE_WHEN_IDLE`].
pub fn ignore_when_idle() {
    IGNORE_WHEN_IDLE.store(true, Ordering::SeqCst);
}

/// Installs the SIGINT handler (once per process; later calls do nothing): a thread that
/// waits for the signal. At the REPL's prompt the terminal is in raw mode, so Ctrl-C reaches
/// rustyline as a key, not this handler.
pub fn install() -> CliResult<()> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| start().map_err(|e| e.message))
        .clone()
        .map_err(CliError::failed)
}

fn start() -> CliResult<()> {
    let fail = |e: std::io::Error| CliError::failed(format!("cannot handle Ctrl-C: {e}"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(fail)?;
    // Registered here, before any command runs: no Ctrl-C can fall between.
    #[cfg(unix)]
    let mut sigint = {
        let _guard = runtime.enter();
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).map_err(fail)?
    };
    let terminal = saved_terminal();
    std::thread::Builder::new()
        .name("sigint".into())
        .spawn(move || {
            runtime.block_on(async move {
                loop {
                    #[cfg(unix)]
                    sigint.recv().await;
                    #[cfg(not(unix))]
                    let _ = tokio::signal::ctrl_c().await;
                    loop {
                        let state = RUNNING.load(Ordering::SeqCst);
                        if state == 1 {
                            if RUNNING
                                .compare_exchange(1, 2, Ordering::SeqCst, Ordering::SeqCst)
                                .is_err()
                            {
                                continue; // the command ended meanwhile: look again
                            }
                            let command = COMMAND.load(Ordering::SeqCst);
                            INTERRUPTED.store(true, Ordering::SeqCst);
                            // Most commands stop at once and say so; one that goes on gets
                            // a word (not printed for one that already ended: the prompt
                            // is back).
                            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                            if RUNNING.load(Ordering::SeqCst) == 2
                                && COMMAND.load(Ordering::SeqCst) == command
                            {
                                eprintln!(
                                    "\nstopping the command at its next step (Ctrl-C again leaves the REPL)"
                                );
                            }
                        } else if state == 0 && IGNORE_WHEN_IDLE.load(Ordering::SeqCst) {
                            // Came as a command ended: nothing runs to stop.
                        } else {
                            leave_alternate_screen();
                            restore_terminal(&terminal);
                            if state == 2 {
                                eprintln!("\ninterrupted again: leaving the REPL");
                            } else {
                                eprintln!();
                            }
                            std::process::exit(130);
                        }
                        break;
                    }
                }
            })
        })
        .map_err(fail)?;
    Ok(())
}

#[cfg(unix)]
type Terminal = Option<rustix::termios::Termios>;
#[cfg(not(unix))]
type Terminal = ();

/// The terminal's settings now (no prompt runs), to put back when Ctrl-C ends the process
/// during a no-echo prompt.
fn saved_terminal() -> Terminal {
    #[cfg(unix)]
    {
        rustix::termios::tcgetattr(std::io::stdin()).ok()
    }
}

fn restore_terminal(terminal: &Terminal) {
    #[cfg(unix)]
    if let Some(settings) = terminal {
        let _ = rustix::termios::tcsetattr(
            std::io::stdin(),
            rustix::termios::OptionalActions::Now,
            settings,
        );
    }
    #[cfg(not(unix))]
    let _ = terminal;
}

fn leave_alternate_screen() {
    if ALTERNATE_SCREEN.swap(false, Ordering::SeqCst) {
        let mut err = std::io::stderr().lock();
        // Cleared first: a terminal that ignores the alternate screen keeps nothing shown.
        let _ = err.write_all(b"\x1b[H\x1b[2J\x1b[?1049l");
        let _ = err.flush();
    }
}

/// Marks a REPL command running (Ctrl-C cancels it) until dropped.
pub struct Running(());

impl Running {
    /// A command starts.
    pub fn start() -> Running {
        INTERRUPTED.store(false, Ordering::SeqCst);
        COMMAND.fetch_add(1, Ordering::SeqCst);
        RUNNING.store(1, Ordering::SeqCst);
        Running(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.store(0, Ordering::SeqCst);
        INTERRUPTED.store(false, Ordering::SeqCst);
    }
}

/// The terminal's alternate screen (on stderr) while it lives: what is shown there leaves
/// no trace in the scrollback once it is dropped, also when Ctrl-C ends the process (with
/// [`install`]ed handling).
pub struct AlternateScreen(());

impl AlternateScreen {
    /// Switches to the alternate screen, cleared.
    pub fn enter() -> AlternateScreen {
        ALTERNATE_SCREEN.store(true, Ordering::SeqCst);
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(b"\x1b[?1049h\x1b[H\x1b[2J");
        let _ = err.flush();
        AlternateScreen(())
    }
}

impl Drop for AlternateScreen {
    fn drop(&mut self) {
        leave_alternate_screen();
    }
}
