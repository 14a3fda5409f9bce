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
