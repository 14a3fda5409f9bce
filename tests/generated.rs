//! The committed completions (`completions/`) and man pages (`man/`) must match what the
//! clap definition generates. Regenerate with:
//! `ASYNCPAY_UPDATE_GENERATED=1 cargo test --test generated`.

use std::path::Path;

#[test]
fn completions_and_man_pages_are_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("ASYNCPAY_UPDATE_GENERATED").is_some();
    let files = asyncpay::cli::docs::generated_files();
    let mut stale = Vec::new();
    for (path, contents) in &files {
        let full = root.join(path);
        if std::fs::read(&full).ok().as_deref() == Some(contents.as_slice()) {
            continue;
        }
        if update {
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, contents).unwrap();
        } else {
            stale.push(path.display().to_string());
        }
    }
    // No leftover pages of commands that no longer exist.
    for dir in ["completions", "man"] {
        for entry in std::fs::read_dir(root.join(dir)).into_iter().flatten() {
            let rel = Path::new(dir).join(entry.unwrap().file_name());
            if !files.iter().any(|(p, _)| *p == rel) {
                if update {
                    std::fs::remove_file(root.join(&rel)).unwrap();
                } else {
                    stale.push(format!("{} (no longer generated)", rel.display()));
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "generated files are stale: {stale:?}\nregenerate: ASYNCPAY_UPDATE_GENERATED=1 cargo test --test generated"
    );
    assert!(files.len() > 15, "five completions and a page per command");
}

/// Every `ASYNCPAY_*` variable the sources read is in the man page's ENVIRONMENT section (or
/// listed as test-only), and the pages have the sections a man page reader looks for.
#[test]
fn man_pages_document_environment_exit_status_and_files() {
    use asyncpay::cli::docs::{ENVIRONMENT, TEST_ONLY_ENVIRONMENT};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut read = Vec::new();
    let mut dirs = vec![root.join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let mut rest = text.as_str();
                while let Some(i) = rest.find("ASYNCPAY_") {
                    rest = &rest[i..];
                    let end = rest
                        .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
                        .unwrap_or(rest.len());
                    read.push(rest[..end].to_owned());
                    rest = &rest[end..];
                }
            }
        }
    }
    read.sort();
    read.dedup();
    let undocumented: Vec<&String> = read
        .iter()
        .filter(|v| v.len() > "ASYNCPAY_".len())
        .filter(|v| !ENVIRONMENT.iter().any(|(d, _)| d == v))
        .filter(|v| !TEST_ONLY_ENVIRONMENT.contains(&v.as_str()))
        .collect();
    assert!(
        undocumented.is_empty(),
        "variables missing from ENVIRONMENT in src/cli/docs.rs: {undocumented:?}"
    );

    let files = asyncpay::cli::docs::generated_files();
    let page = |name: &str| {
        let (_, text) = files
            .iter()
            .find(|(p, _)| p == &Path::new("man").join(name))
            .unwrap_or_else(|| panic!("no page {name}"));
        String::from_utf8(text.clone()).unwrap()
    };
    let main = page("asyncpay.1");
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH \"EXIT STATUS\"",
        ".SH ENVIRONMENT",
        ".SH FILES",
        ".SH EXAMPLES",
    ] {
        assert!(main.contains(section), "asyncpay.1 lacks {section}");
    }
    assert!(
        !main.contains(".SH EXTRA"),
        "the exit table is EXIT STATUS now"
    );
    assert!(main.contains("records.sqlite") && main.contains("history.txt"));
    for (var, _) in ENVIRONMENT {
        assert!(main.contains(var), "{var}");
    }
    // NAME says the program's name once.
    let name_line = main
        .lines()
        .skip_while(|l| *l != ".SH NAME")
        .nth(1)
        .unwrap();
    assert_eq!(name_line.matches("asyncpay").count(), 1, "{name_line}");
    let pay = page("asyncpay-pay.1");
    assert!(
        pay.contains(".SH NAME\nasyncpay\\-pay \\- Pay a payment address"),
        "{pay}"
    );
    assert!(pay.contains(".SH EXAMPLES") && pay.contains(".SH \"EXIT STATUS\""));
    // Every page a page refers to exists: no asyncpay-help(1).
    for (path, text) in &files {
        let text = String::from_utf8_lossy(text);
        assert!(!text.contains("asyncpay\\-help"), "{}", path.display());
        for word in text.split(|c: char| c.is_whitespace() || c == ',') {
            let word = word.replace("\\fB", "").replace("\\fR", "");
            if let Some(name) = word.strip_suffix("(1)") {
                let file = format!("{}.1", name.replace("\\-", "-"));
                assert!(
                    files
                        .iter()
                        .any(|(p, _)| *p == Path::new("man").join(&file)),
                    "{} refers to {file}, which is not generated",
                    path.display()
                );
            }
        }
    }
}
