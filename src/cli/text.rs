//! Human text helpers for the renderers: tables with a header that fit 100 columns, short
//! ids, and a little colour (status words, errors) on a terminal only, never with `--json`,
//! and never when `NO_COLOR` is set to a non-empty value (<https://no-color.org>).

use std::cell::Cell;
use std::io::IsTerminal;

use super::args::ListArgs;
use super::error::{CliError, CliResult};

/// Widest a table row may be.
pub const MAX_WIDTH: usize = 100;

thread_local! {
    /// Whether the result being rendered on this thread may use colour (set by
    /// [`super::output::Output::result`] around `human()`).
    static COLOUR: Cell<bool> = const { Cell::new(false) };
}

/// Whether colour may be written to a stream that `is_terminal`: not with `--json`, not
/// with `NO_COLOR` set (non-empty), and `TERM` not `dumb`.
pub fn colour_allowed(json: bool, is_terminal: bool) -> bool {
    !json
        && is_terminal
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// Whether stderr takes colour.
pub fn stderr_colour(json: bool) -> bool {
    colour_allowed(json, std::io::stderr().is_terminal())
}

/// Whether stdout takes colour.
pub fn stdout_colour(json: bool) -> bool {
    colour_allowed(json, std::io::stdout().is_terminal())
}

/// Runs `f` with colour on or off for [`paint`] on this thread.
pub fn with_colour<T>(on: bool, f: impl FnOnce() -> T) -> T {
    let before = COLOUR.with(|c| c.replace(on));
    let value = f();
    COLOUR.with(|c| c.set(before));
    value
}

/// Colours of the few things that get one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    /// Done well: open, paid.
    Good,
    /// Under way: pending, opening, sold.
    Busy,
    /// Ended badly or to look at: failed, cancelled, errors.
    Bad,
    /// Over and unremarkable: closed, abandoned.
    Dim,
}

/// `text` in `paint`'s colour when colour is on ([`with_colour`]).
pub fn paint(text: &str, paint: Paint) -> String {
    if !COLOUR.with(Cell::get) {
        return text.to_owned();
    }
    ansi(text, paint)
}

/// `text` in `paint`'s colour (ANSI), unconditionally.
pub fn ansi(text: &str, paint: Paint) -> String {
    let code = match paint {
        Paint::Good => "32",
        Paint::Busy => "33",
        Paint::Bad => "31",
        Paint::Dim => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// A status word (of a payment, channel or chain state), coloured by what it means.
pub fn status(word: &str) -> String {
    let p = match word {
        "open" | "paid" | "confirmed" => Paint::Good,
        "failed" | "cancelled" | "alert" | "expired" => Paint::Bad,
        "closed" | "abandoned" | "closed_cooperatively" | "settled" => Paint::Dim,
        _ => Paint::Busy,
    };
    paint(word, p)
}

/// The width of `s` on a terminal: characters, not counting ANSI colour codes.
pub fn visible_len(s: &str) -> usize {
    let mut n = 0;
    let mut in_escape = false;
    for c in s.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

/// `s` (text another party chose: a server's refusal, a URL, a version) safe for a
/// terminal: control characters (escape sequences that could recolour, move the cursor or
/// rewrite what is shown) become `?`; line breaks stay.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() && c != '\n' { '?' } else { c })
        .collect()
}

/// The first `len` characters of `id` (a hex id).
pub fn short(id: &str, len: usize) -> String {
    id.chars().take(len).collect()
}

/// How a column is aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers and amounts.
    Right,
}

/// A table: a header row and rows of cells, columns two spaces apart.
#[derive(Debug)]
pub struct Table {
    columns: Vec<(&'static str, Align)>,
    rows: Vec<Row>,
}

#[derive(Debug)]
enum Row {
    Cells(Vec<String>),
    /// A line under the previous row, indented, outside the columns.
    Note(String),
}

impl Table {
    /// A table with these column headers.
    pub fn new(columns: &[(&'static str, Align)]) -> Table {
        Table {
            columns: columns.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (one cell per column).
    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.columns.len());
        self.rows.push(Row::Cells(cells));
    }

    /// Adds an indented line under the last row.
    pub fn note(&mut self, text: String) {
        self.rows.push(Row::Note(text));
    }

    /// The table as text (no trailing newline).
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.columns.iter().map(|(h, _)| h.len()).collect();
        for row in &self.rows {
            if let Row::Cells(cells) = row {
                for (w, c) in widths.iter_mut().zip(cells) {
                    *w = (*w).max(visible_len(c));
                }
            }
        }
        let line = |cells: &[String]| {
            let last = cells.len().saturating_sub(1);
            let mut s = String::new();
            for (i, (cell, ((_, align), width))) in cells
                .iter()
                .zip(self.columns.iter().zip(&widths))
                .enumerate()
            {
                let pad = " ".repeat(width.saturating_sub(visible_len(cell)));
                match align {
                    Align::Right => {
                        s.push_str(&pad);
                        s.push_str(cell);
                    }
                    Align::Left => {
                        s.push_str(cell);
                        if i != last {
                            s.push_str(&pad);
                        }
                    }
                }
                if i != last {
                    s.push_str("  ");
                }
            }
            s.trim_end().to_owned()
        };
        let header: Vec<String> = self.columns.iter().map(|(h, _)| (*h).to_owned()).collect();
        let mut out = vec![line(&header)];
        for row in &self.rows {
            match row {
                Row::Cells(cells) => out.push(line(cells)),
                Row::Note(text) => out.push(format!("    {text}")),
            }
        }
        out.join("\n")
    }
}

/// "1 payment", "3 payments".
pub fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The line under a list saying what filters left out: "(2 closed channels not shown;
/// --all shows them)".
pub fn hidden_note(hidden: usize, what: &str, how: &str) -> Option<String> {
    (hidden > 0).then(|| format!("({} not shown; {how})", count(hidden, what)))
}

/// Applies a list's filters to `items` (oldest first): `--status` keeps one status (one of
/// `statuses`, else a usage error), otherwise entries that are `over` (closed, cancelled,
/// failed) are left out unless `--all`; `--limit` keeps the last N. Returns what is shown and
/// how many were left out.
pub fn filter_list<T>(
    items: Vec<T>,
    args: &ListArgs,
    statuses: &[&str],
    status_of: impl Fn(&T) -> String,
    over: impl Fn(&T) -> bool,
) -> CliResult<(Vec<T>, usize)> {
    if let Some(wanted) = &args.status {
        if !statuses.contains(&wanted.as_str()) {
            return Err(CliError::usage(format!("unknown status '{wanted}'"))
                .hint(format!("use one of: {}", statuses.join(", "))));
        }
    }
    let total = items.len();
    let mut kept: Vec<T> = items
        .into_iter()
        .filter(|item| match &args.status {
            Some(wanted) => status_of(item) == *wanted,
            None => args.all || !over(item),
        })
        .collect();
    if let Some(limit) = args.limit {
        let drop = kept.len().saturating_sub(limit);
        kept.drain(..drop);
    }
    let hidden = total - kept.len();
    Ok((kept, hidden))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_ignore_colour_codes() {
        let mut t = Table::new(&[("ID", Align::Left), ("AMOUNT", Align::Right)]);
        t.row(vec![ansi("ab", Paint::Good), "1,000 sat".into()]);
        t.row(vec!["abcd".into(), "5 sat".into()]);
        t.note("pending: x".into());
        let plain: String = t.render().replace("\x1b[32m", "").replace("\x1b[0m", "");
        assert_eq!(
            plain,
            "ID       AMOUNT\nab    1,000 sat\nabcd      5 sat\n    pending: x"
        );
        assert_eq!(visible_len(&ansi("open", Paint::Good)), 4);
    }

    #[test]
    fn text_from_others_cannot_drive_the_terminal() {
        assert_eq!(
            clean("refused\x1b[2J\x1b[31mpaid\r\nok\u{9b}"),
            "refused?[2J?[31mpaid?\nok?"
        );
        assert_eq!(clean("plain – text"), "plain – text");
    }

    #[test]
    fn filters_hide_what_is_over_and_limit_keeps_the_newest() {
        let args = |status: Option<&str>, limit, all| ListArgs {
            status: status.map(str::to_owned),
            limit,
            all,
        };
        let items = vec!["open", "closed", "open", "open"];
        let run = |a: &ListArgs| {
            filter_list(
                items.clone(),
                a,
                &["open", "closed"],
                |s| (*s).to_owned(),
                |s| *s == "closed",
            )
        };
        assert_eq!(run(&args(None, None, false)).unwrap().1, 1);
        assert_eq!(run(&args(None, None, true)).unwrap().1, 0);
        assert_eq!(
            run(&args(Some("closed"), None, false)).unwrap(),
            (vec!["closed"], 3)
        );
        assert_eq!(run(&args(None, Some(1), true)).unwrap(), (vec!["open"], 3));
        let e = run(&args(Some("bogus"), None, false)).unwrap_err();
        assert_eq!(e.kind, super::super::error::ExitKind::Usage);
    }

    #[test]
    fn no_colour_without_a_terminal_or_with_json() {
        assert!(!colour_allowed(true, true));
        assert!(!colour_allowed(false, false));
        assert_eq!(with_colour(false, || status("open")), "open");
    }
}
