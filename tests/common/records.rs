//! The records database of a data dir, as someone who can write the data dir sees it.

use std::path::Path;

/// The records database of data dir `dir`, opened beside the wallet as an attacker who can
/// write the data dir would. Like the wallet's own connections it leaves the write-ahead
/// log in place when it closes: SQLite's default (moving the log into the file and removing
/// it) makes the wallet refuse the data dir as one whose log is missing
/// (`adversary_store::a_missing_log_is_refused`).
pub fn raw_db(dir: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(dir.join(asyncpay::store::DB_FILE)).unwrap();
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    )
    .unwrap();
    conn
}
