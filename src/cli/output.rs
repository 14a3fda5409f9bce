//! The one place that writes to the terminal: results on stdout (text or one JSON document),
//! errors, notes and progress on stderr.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::error::CliError;

/// A command's result: serializable for `--json`, with a human rendering.
pub trait Render: Serialize {
    /// Text for a person on a terminal (no trailing newline needed).
    fn human(&self) -> String;

    /// The result alone, for `--quiet` (a payment id, a node id): `None` prints
    /// [`Render::human`].
    fn terse(&self) -> Option<String> {
        None
    }
}

thread_local! {
    /// Results captured on this thread instead of printed (see [`capture`]).
    static CAPTURED: std::cell::RefCell<Option<Vec<String>>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with the results it prints on this thread captured instead (notes and errors
/// still go to stderr): for driving commands in-process (tests, the state-machine fuzzer of
/// A, B and S). Returns what `f` returned and each result as it would have been printed.
pub fn capture<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
    /// Puts the outer capture back, also when `f` panics.
    struct Restore(Option<Option<Vec<String>>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            if let Some(outer) = self.0.take() {
                CAPTURED.with(|c| *c.borrow_mut() = outer);
            }
        }
    }
    let mut restore = Restore(Some(CAPTURED.with(|c| c.borrow_mut().replace(Vec::new()))));
    let value = f();
    let outer = restore.0.take().expect("set above");
    let results = CAPTURED.with(|c| std::mem::replace(&mut *c.borrow_mut(), outer));
    (value, results.unwrap_or_default())
}

/// `text` safe for a terminal: every control character but a newline (an escape
/// sequence from a tampered file, a carriage return) and every bidirectional override is
/// shown escaped (`\u{1b}`), never sent as is.
pub fn printable(text: &str) -> String {
    escape(text, false)
}

/// [`printable`], keeping the colour codes of `text::ansi` if `colours` (a result's own).
fn escape(text: &str, colours: bool) -> String {
    // Control characters, and the bidirectional overrides that reorder what is shown.
    let hidden = |c: char| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(hidden) {
        return text.to_owned();
    }
    // The colour codes of `text::ansi` pass (a colour is all text from elsewhere could set
    // with them: no cursor moves, no hidden text); every other control is escaped.
    const COLOURS: [&str; 5] = ["\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[2m", "\x1b[0m"];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(code) = COLOURS
            .iter()
            .find(|code| colours && rest.starts_with(**code))
        {
            out.push_str(code);
            rest = &rest[code.len()..];
            continue;
        }
        if hidden(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// How to print.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// One JSON document per command on stdout.
    pub json: bool,
    /// Only the result: no notes, no progress.
    pub quiet: bool,
}

impl Output {
    /// Prints a result on stdout.
    pub fn result<R: Render>(&self, value: &R) {
        let captured = CAPTURED.with(|c| c.borrow().is_some());
        let text = if self.json {
            serde_json::to_string_pretty(value).expect("results serialize")
        } else if self.quiet {
            printable(&value.terse().unwrap_or_else(|| value.human()))
        } else {
            let colour = !captured && super::text::stdout_colour(self.json);
            escape(&super::text::with_colour(colour, || value.human()), true)
        };
        let captured = CAPTURED.with(|c| {
            c.borrow_mut()
                .as_mut()
                .map(|results| results.push(text.trim_end().to_owned()))
        });
        if captured.is_none() {
            let mut out = std::io::stdout().lock();
            // A closed stdout (e.g. `| head`) is not an error worth reporting.
            let _ = writeln!(out, "{}", text.trim_end());
        }
    }

    /// Prints an error: a JSON document on stdout with `--json`, text on stderr otherwise.
    pub fn error(&self, error: &CliError) {
        let error = &error.clone().split_hint();
        if self.json {
            let mut doc = serde_json::json!({ "error": {
                "code": error.kind.code(),
                "kind": error.kind.name(),
                "message": error.message,
                "hint": error.hint,
            }});
            if !error.warnings.is_empty() {
                doc["error"]["warnings"] = serde_json::json!(error.warnings);
            }
            let _ = writeln!(std::io::stdout().lock(), "{doc:#}");
        } else {
            let label = if super::text::stderr_colour(false) {
                super::text::ansi("error:", super::text::Paint::Bad)
            } else {
                "error:".to_owned()
            };
            // An error may quote what a server said: no control characters (not even a
            // colour) and no reordering reach the terminal.
            let clean = printable;
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "{label} {}", clean(&error.message));
            if let Some(hint) = &error.hint {
                let _ = writeln!(err, "hint: {}", clean(hint));
            }
        }
    }

    /// A note for a person (stderr), unless `--quiet` or `--json`.
    pub fn note(&self, text: &str) {
        if !self.quiet && !self.json {
            let _ = writeln!(std::io::stderr().lock(), "{}", printable(text));
        }
    }

    /// A spinner on stderr for work that may take more than a second; hidden unless stderr
    /// is a terminal and neither `--json` nor `--quiet` is given.
    pub fn spinner(&self, message: &str) -> ProgressBar {
        if self.json || self.quiet || !std::io::stderr().is_terminal() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("valid template"),
        );
        bar.set_message(message.to_owned());
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    }
}

/// What the client engine tells while it works, shown as notes and one spinner on stderr.
pub struct Feedback {
    out: Output,
    spinner: std::cell::RefCell<Option<ProgressBar>>,
}

impl Feedback {
    /// Feedback printed as `out` says.
    pub fn new(out: Output) -> Self {
        Feedback {
            out,
            spinner: std::cell::RefCell::new(None),
        }
    }
}

impl crate::client::Observer for Feedback {
    fn note(&self, line: &str) {
        self.out.note(line);
    }

    fn cancelled(&self) -> bool {
        super::interrupt::interrupted()
    }

    fn busy(&self, what: Option<&str>) {
        let mut spinner = self.spinner.borrow_mut();
        match (what, spinner.as_ref()) {
            (Some(what), Some(bar)) => bar.set_message(what.to_owned()),
            (Some(what), None) => *spinner = Some(self.out.spinner(what)),
            (None, _) => {
                if let Some(bar) = spinner.take() {
                    bar.finish_and_clear();
                }
            }
        }
    }
}

impl Drop for Feedback {
    fn drop(&mut self) {
        if let Some(bar) = self.spinner.get_mut().take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{escape, printable};

    /// A result keeps its own colours; any other escape, and any colour in an error or a
    /// note, is shown escaped.
    #[test]
    fn only_a_results_own_colours_pass() {
        let text = "\x1b[32mopen\x1b[0m \x1b[2J\x1b[8mhidden";
        assert_eq!(
            escape(text, true),
            "\x1b[32mopen\x1b[0m \\u{1b}[2J\\u{1b}[8mhidden"
        );
        assert_eq!(
            printable(text),
            "\\u{1b}[32mopen\\u{1b}[0m \\u{1b}[2J\\u{1b}[8mhidden"
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("a\nb"), "a\nb");
        assert_eq!(
            printable("x\u{1b}]0;PWNED\u{7}\r"),
            "x\\u{1b}]0;PWNED\\u{7}\\r"
        );
    }
}
