//! asyncpay in a real terminal: each test runs the binary inside a tmux session (a real pty,
//! no crate needed; tmux is a Debian package, and the tests say so and pass when it is
//! missing), types keys into it and reads the screen.
//!
//! - `init` shows the new mnemonic once (on the alternate screen: nothing stays in the
//!   scrollback), checks three words by position, asks again after a mismatch of the
//!   passphrase or a wrong word, warns about a weak passphrase, and leaves nothing behind
//!   when the check fails or Ctrl-C stops it.
//! - The REPL: completion lists (`pay` Tab Tab), only what the REPL accepts, ids of the
//!   unlocked wallet, the prompt with network and wallet, Ctrl-C at the prompt clears the
//!   line, and Ctrl-C during `payments wait` returns to the prompt with the REPL alive.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod common;

use common::procs::{Wallet, BIN};
use common::story::Story;

/// One tmux server on its own socket, running one command in a 160x50 window; killed (with
/// the command) when dropped.
struct Tmux {
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmux {
    /// Runs `args` (the binary under test with them) in `cwd`; `None` if tmux is missing.
    fn start(cwd: &Path, args: &[&str]) -> Option<Tmux> {
        Tmux::start_with(cwd, "", args)
    }

    /// The REPL of wallet `w` (its passphrase from its file with `pass_file`, else asked).
    fn repl(cwd: &Path, w: &common::procs::Wallet, pass_file: bool) -> Option<Tmux> {
        let chain = format!("regtest:{}", w.chain.display());
        let mut args = vec!["--datadir", w.dir.to_str().unwrap(), "--chain", &chain];
        if pass_file {
            args.extend(["--passphrase-file", w.pass.to_str().unwrap()]);
        }
        args.push("repl");
        Tmux::start(cwd, &args)
    }

    /// [`Tmux::start`] with `assignments` (`NAME=VALUE `…) before the command line.
    fn start_with(cwd: &Path, assignments: &str, args: &[&str]) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("tmux is not installed: terminal test skipped (apt-get install tmux)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let tmux = Tmux {
            socket: dir.path().join("tmux.sock"),
            _dir: dir,
        };
        let quote = |a: &str| format!("'{}'", a.replace('\'', r"'\''"));
        let line = std::iter::once(BIN)
            .chain(args.iter().copied())
            .map(quote)
            .collect::<Vec<_>>()
            .join(" ");
        // The exit status stays on the screen, and the pane stays open to be read.
        let script = format!("{assignments}{line}; echo EXIT=$?; sleep 600");
        let mut c = tmux.command();
        for (k, _) in std::env::vars() {
            if k.starts_with("ASYNCPAY_") {
                c.env_remove(k);
            }
        }
        let status = c
            .env("ASYNCPAY_SCRYPT_WORK_FACTOR", "10")
            .env("TERM", "xterm-256color")
            .current_dir(cwd)
            .args(["new-session", "-d", "-x", "160", "-y", "50", "-s", "t"])
            .arg(script)
            .status()
            .unwrap();
        assert!(status.success());
        Some(tmux)
    }

    fn command(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S").arg(&self.socket).arg("-f").arg("/dev/null");
        c
    }

    /// Sends tmux key names (`Tab`, `Enter`, `C-c`, or plain text without spaces).
    fn keys(&self, keys: &[&str]) {
        let status = self
            .command()
            .args(["send-keys", "-t", "t"])
            .args(keys)
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Types `text` literally.
    fn text(&self, text: &str) {
        let status = self
            .command()
            .args(["send-keys", "-t", "t", "-l", "--", text])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Types `text` at the REPL's prompt and waits until the REPL has echoed it. Under heavy
    /// load keys typed right after a prompt were seen lost once (in the terminal stack, the
    /// REPL never saw them): typed again then, after clearing the line.
    fn typed(&self, text: &str) {
        let before = self.screen().matches(text).count();
        for _ in 0..3 {
            self.text(text);
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if self.screen().matches(text).count() > before {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            self.keys(&["C-u"]);
        }
        self.wait_for_n(text, before + 1);
    }

    /// Runs `text` at the REPL's next prompt.
    fn run(&self, text: &str) {
        self.ready();
        self.typed(text);
        self.keys(&["Enter"]);
    }

    /// Types `text` and Enter.
    fn line(&self, text: &str) {
        self.text(text);
        self.keys(&["Enter"]);
    }

    /// The visible screen.
    fn screen(&self) -> String {
        self.capture(&[])
    }

    /// Everything the pane holds: the scrollback and the screen.
    fn history(&self) -> String {
        self.capture(&["-S", "-"])
    }

    fn capture(&self, extra: &[&str]) -> String {
        let out = self
            .command()
            .args(["capture-pane", "-p", "-J", "-t", "t"])
            .args(extra)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `what` at least `count` times; returns the screen.
    fn wait_for_n(&self, what: &str, count: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if screen.matches(what).count() >= count {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the screen never showed {what:?} {count} time(s):\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_for(&self, what: &str) -> String {
        self.wait_for_n(what, 1)
    }

    /// Waits until the REPL's prompt is the last line, empty: the REPL reads the next line
    /// (keys typed before that may be dropped when it switches the terminal to raw mode).
    fn ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            let last = screen
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            if last.starts_with("asyncpay ") && last.trim_end().ends_with('>') {
                return;
            }
            assert!(Instant::now() < deadline, "no prompt:\n{screen}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// True while the terminal shows the alternate screen.
    fn alternate_screen(&self) -> bool {
        let out = self
            .command()
            .args(["display-message", "-p", "-t", "t", "#{alternate_on}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").status();
    }
}

/// The numbered words on the mnemonic screen.
fn words_on(screen: &str) -> BTreeMap<usize, String> {
    let mut words = BTreeMap::new();
    let tokens: Vec<&str> = screen.split_whitespace().collect();
    for pair in tokens.windows(2) {
        if let Some(n) = pair[0].strip_suffix('.').and_then(|n| n.parse().ok()) {
            if pair[1].chars().all(|c| c.is_ascii_lowercase()) {
                words.insert(n, pair[1].to_owned());
            }
        }
    }
    words
}

/// The position the last `Word #N:` prompt asks for.
fn asked(screen: &str) -> usize {
    let at = screen.rfind("Word #").expect("a word prompt");
    screen[at + 6..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

/// `init` on a terminal: passphrase asked again after a mismatch, a weak one warned about
/// and refused on "n", the 24 words shown once (numbered from 1, gone from the scrollback
/// after), three of them checked with a wrong answer asked again, and the words are the
/// wallet's (`wallet backup`).
#[test]
fn init_shows_the_mnemonic_once_and_checks_three_words() {
    let root = tempfile::tempdir().unwrap();
    let Some(t) = Tmux::start(
        root.path(),
        &["--datadir", "w", "--chain", "regtest:chain", "init"],
    ) else {
        return;
    };
    t.wait_for("New wallet passphrase:");
    t.line("one passphrase");
    t.wait_for("Repeat the passphrase:");
    t.line("another passphrase");
    t.wait_for("the two passphrases differ; try again (2 of 3)");
    t.wait_for_n("New wallet passphrase:", 2);
    t.line("abc");
    t.wait_for_n("Repeat the passphrase:", 2);
    t.line("abc");
    t.wait_for("warning: the passphrase is weak: it has 3 characters (fewer than 8)");
    t.wait_for("Use it anyway? [y/N]");
    t.line("n");
    t.wait_for_n("New wallet passphrase:", 3);
    t.line("correct horse battery staple");
    t.wait_for_n("Repeat the passphrase:", 3);
    t.line("correct horse battery staple");

    let screen = t.wait_for("Press Enter when you have written them down");
    assert!(
        t.alternate_screen(),
        "the words are on the alternate screen"
    );
    let words = words_on(&screen);
    assert_eq!(words.len(), 24, "{screen}");
    assert_eq!(words.keys().next(), Some(&1), "numbered from 1: {screen}");
    // In columns: 1 and 7 on the first line.
    let first_line = screen.lines().find(|l| l.contains(" 1. ")).unwrap();
    assert!(first_line.contains(" 7. "), "{first_line}");
    t.keys(&["Enter"]);
    let screen = t.wait_for("Word #");
    assert!(!t.alternate_screen());
    // No numbered word stayed (the messages themselves may hold a BIP39 word: "another").
    assert!(words_on(&t.history()).is_empty(), "{}", t.history());
    // A wrong word is asked again.
    let first = asked(&screen);
    t.line("notaword");
    t.wait_for(&format!(
        "That is not word #{first} of your list; look again (2 of 3 tries left)"
    ));
    t.line(&words[&first]);
    let mut checked = vec![first];
    while checked.len() < 3 {
        let screen = t.wait_for_n("Word #", checked.len() + 2);
        let n = asked(&screen);
        assert!(!checked.contains(&n), "three different words");
        t.line(&words[&n].to_uppercase());
        checked.push(n);
    }
    let screen = t.wait_for("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(screen.contains("You wrote down your mnemonic"), "{screen}");
    // The words typed were not echoed: nothing after any `Word #N:` prompt.
    let history = t.history();
    let prompts: Vec<&str> = history
        .lines()
        .filter(|l| l.starts_with("Word #"))
        .collect();
    assert_eq!(prompts.len(), 4, "{history}");
    for line in prompts {
        assert!(line.trim_end().ends_with(':'), "echoed: {line}");
    }

    // The words shown are the wallet's.
    let pass = root.path().join("pass");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    let w = Wallet {
        dir: root.path().join("w"),
        chain: root.path().join("chain"),
        pass,
    };
    let backup = w.ok(&["wallet", "backup", "--force"]);
    let shown: Vec<&str> = words.values().map(String::as_str).collect();
    assert_eq!(backup["mnemonic"].as_str().unwrap(), shown.join(" "));
}

/// Wrong words three times: `init` stops with exit 2 and no data dir at all; Ctrl-C on the
/// mnemonic screen: exit 130, the normal screen back, and no data dir either.
#[test]
fn init_stopped_by_wrong_words_or_ctrl_c_leaves_nothing() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("pass"), "a good long passphrase\n").unwrap();
    let args = [
        "--datadir",
        "w",
        "--chain",
        "regtest:chain",
        "--passphrase-file",
        "pass",
        "init",
    ];
    let Some(t) = Tmux::start(root.path(), &args) else {
        return;
    };
    t.wait_for("Press Enter when you have written them down");
    t.keys(&["Enter"]);
    let screen = t.wait_for("Word #");
    let n = asked(&screen);
    for attempt in 1..=3 {
        t.line("wrong");
        if attempt < 3 {
            t.wait_for_n("That is not word", attempt);
        }
    }
    let screen = t.wait_for("EXIT=");
    assert!(screen.contains("EXIT=2"), "{screen}");
    assert!(
        screen.contains(&format!(
            "error: word #{n} did not match 3 times: no wallet was created"
        )),
        "{screen}"
    );
    assert!(!root.path().join("w").exists(), "nothing left behind");
    drop(t);

    let Some(t) = Tmux::start(root.path(), &args) else {
        return;
    };
    t.wait_for("Press Enter when you have written them down");
    assert!(t.alternate_screen());
    t.keys(&["C-c"]);
    let screen = t.wait_for("EXIT=");
    assert!(screen.contains("EXIT=130"), "{screen}");
    assert!(!t.alternate_screen(), "the normal screen is back");
    assert!(!screen.contains("1. "), "no word on the screen: {screen}");
    assert!(!root.path().join("w").exists(), "nothing left behind");
}

/// The REPL in a terminal: the prompt names the network and the wallet; `pay` Tab Tab lists
/// `pay` and `payments`; options offered are the command's and the per-line ones only;
/// values and ids complete; Ctrl-C at the prompt clears the line; Ctrl-C during
/// `payments wait` stops the wait and the REPL goes on.
#[test]
fn repl_completes_in_lists_and_ctrl_c_cancels_a_wait() {
    let st = Story::new(&[]);
    // A pays B, who stays offline: the payment stays pending.
    let pid = st.pay(5_000);
    let a = &st.a;
    let Some(t) = Tmux::repl(st.env.root.path(), a, true) else {
        return;
    };
    let prompt = "asyncpay regtest:a> ";
    t.wait_for(prompt);

    // `pay` Tab: the common prefix stays; Tab again lists both.
    t.ready();
    t.typed("pay");
    t.keys(&["Tab", "Tab"]);
    let screen = t.wait_for("payments");
    let listed = screen
        .lines()
        .find(|l| l.contains("payments") && !l.contains(prompt))
        .unwrap_or_else(|| panic!("no list:\n{screen}"));
    assert_eq!(
        listed.split_whitespace().collect::<Vec<_>>(),
        ["pay", "payments"]
    );
    // Ctrl-C at the prompt clears the line; the REPL stays.
    t.keys(&["C-c"]);
    t.run("wallet info");
    let screen = t.wait_for("storage recipient:");
    assert!(!screen.contains("error:"), "{screen}");
    // `chan` Tab completes to `channel `, then Tab Tab lists its commands.
    t.typed("chan");
    t.keys(&["Tab"]);
    t.wait_for("channel");
    t.keys(&["Tab", "Tab"]);
    let screen = t.wait_for("request-inbound");
    assert!(
        screen.contains("close") && screen.contains("push"),
        "{screen}"
    );
    t.keys(&["C-u"]);
    // Options: the command's and the per-line ones, not the session's.
    t.typed("wallet send --");
    t.keys(&["Tab", "Tab"]);
    let screen = t.wait_for("--fee-rate");
    let options = screen
        .lines()
        .rev()
        .find(|l| l.contains("--fee-rate"))
        .unwrap();
    for offered in ["--all", "--json", "--quiet", "--help"] {
        assert!(
            options.contains(offered),
            "{offered} not offered: {options}"
        );
    }
    for refused in ["--datadir", "--network", "--passphrase-file", "--chain"] {
        assert!(!options.contains(refused), "{refused} offered: {options}");
    }
    t.keys(&["C-u"]);
    // Values: the shells of `completions`.
    t.typed("completions z");
    t.keys(&["Tab"]);
    t.wait_for("completions zsh");
    t.keys(&["C-u"]);
    // Ids: after a command unlocked the wallet, `payments wait` completes the payment id.
    t.run("--json payments list");
    t.wait_for(&pid);
    t.typed(&format!("payments wait {}", &pid[..6]));
    t.keys(&["Tab"]);
    t.wait_for(&format!("payments wait {pid}"));
    t.keys(&["Enter"]);
    // The wait runs (S is up, B never collects): Ctrl-C stops it.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!t.screen().contains("stopped waiting"));
    t.keys(&["C-c"]);
    let screen = t.wait_for("stopped waiting (interrupted)");
    assert!(
        screen.contains(&format!("payment {pid} is still")),
        "{screen}"
    );
    // Back at the prompt, alive: a command runs and the payment is untouched.
    t.run(&format!("--json payments show {pid}"));
    let screen = t.wait_for("\"status\": \"pending\"");
    assert!(!screen.contains("EXIT="), "the REPL is alive: {screen}");
    // The wait of a force close stops on Ctrl-C too (its settlement waits for blocks no one
    // mines here); what was published stays published, and the same command goes on.
    t.ready();
    t.typed(&format!("channel close {}", &st.a_channel[..8]));
    t.keys(&["Tab"]);
    t.wait_for(&format!("channel close {} ", st.a_channel));
    t.line("--force");
    std::thread::sleep(Duration::from_millis(1500));
    t.keys(&["C-c"]);
    let screen = t.wait_for("stopped waiting (interrupted): the force close is still in progress");
    assert!(!screen.contains("EXIT="), "{screen}");
    t.run(&format!("--json channel show {}", st.a_channel));
    t.wait_for("\"status\": \"closing");
    // `help` lists what works here, and the REPL's own words.
    t.run("help");
    let screen = t.wait_for("exit, quit");
    assert!(
        screen.contains("Ctrl-C") && screen.contains("payments"),
        "{screen}"
    );
    assert!(
        !screen.lines().any(|l| l.trim_start().starts_with("repl ")),
        "{screen}"
    );
    t.run("exit");
    let screen = t.wait_for("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
}

/// Ctrl-C at the REPL's passphrase prompt (no echo) stops that command only: the REPL goes
/// on, the terminal echoes again, and the passphrase is asked again by the next command.
#[test]
fn ctrl_c_in_a_passphrase_prompt_stops_the_command_not_the_repl() {
    let env = common::procs::Env::new();
    let a = env.wallet("a");
    let Some(t) = Tmux::repl(env.root.path(), &a, false) else {
        return;
    };
    let prompt = "asyncpay regtest:a> ";
    t.wait_for(prompt);
    t.run("wallet info");
    t.wait_for("Wallet passphrase:");
    t.keys(&["C-c"]);
    let screen = t.wait_for("error: interrupted at the prompt; nothing was changed");
    assert!(!screen.contains("EXIT="), "{screen}");
    // Echo is back at the REPL's prompt, and the next command asks again.
    t.ready();
    t.typed("echoed");
    t.keys(&["C-u"]);
    t.run("wallet info");
    t.wait_for_n("Wallet passphrase:", 2);
    t.line("pw");
    t.wait_for("storage recipient:");
    t.run("exit");
    let screen = t.wait_for("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
}

/// `server run` inside the REPL stops on Ctrl-C and the REPL goes on (the store it took is
/// unlocked again by the next command).
#[test]
fn server_run_in_the_repl_stops_on_ctrl_c() {
    let env = common::procs::Env::new();
    let s = env.wallet("s");
    s.ok(&["server", "init", "--listen", "127.0.0.1:0"]);
    let Some(t) = Tmux::repl(env.root.path(), &s, true) else {
        return;
    };
    t.wait_for("asyncpay regtest:s> ");
    t.run("server run");
    let screen = t.wait_for("listening on http://127.0.0.1:");
    let url = screen
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap()
        .to_owned();
    t.keys(&["C-c"]);
    t.wait_for("shutting down");
    t.run("server info");
    let screen = t.wait_for("fee:");
    assert!(!screen.contains("EXIT="), "{screen}");
    // The server is gone.
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    t.run("exit");
    let screen = t.wait_for("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
}

/// A dumb terminal has no alternate screen to hide the words on again: `init` does not show
/// them there (they would stay in its scrollback) and points to `wallet backup` instead.
#[test]
fn init_on_a_dumb_terminal_does_not_show_the_mnemonic() {
    let root = tempfile::tempdir().unwrap();
    let Some(t) = Tmux::start_with(
        root.path(),
        "TERM=dumb ",
        &["--datadir", "w", "--chain", "regtest:chain", "init"],
    ) else {
        return;
    };
    t.wait_for("New wallet passphrase:");
    t.line("correct horse battery staple");
    t.wait_for("Repeat the passphrase:");
    t.line("correct horse battery staple");
    let screen = t.wait_for("EXIT=0");
    assert!(screen.contains("asyncpay wallet backup"), "{screen}");
    assert!(!screen.contains("Press Enter"), "{screen}");
    assert!(words_on(&t.history()).is_empty(), "{}", t.history());
}
