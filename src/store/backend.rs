//! Where a data dir's records live, and the few statements [`super::db`] runs on them.
//!
//! - **SQLite** (the default): `records.sqlite` in the data dir.
//! - **PostgreSQL**: a schema of its own in a PostgreSQL database, named by the data dir's
//!   `database` file ([`DATABASE_FILE`], written by `asyncpay init --database URL`). The
//!   tables and every record are the same as in SQLite: sealed under the data key, checked
//!   against the sealed digest. The server sees ciphertext, collection names and record
//!   keys (channel and payment ids), never a secret; it can withhold, replay or reorder
//!   rows only as far as the digest lets it (a whole old copy of the schema, like an old
//!   copy of `records.sqlite`, is not detectable from inside it: ADR 0007). One process
//!   writes a schema at a time: the writer holds a PostgreSQL advisory lock on it for as
//!   long as it is open ([`StoreError::DatabaseInUse`] for a second one, e.g. a copy of
//!   the data dir started elsewhere). The `database` file carries a tag under the storage
//!   identity: someone who can write the data dir cannot point the wallet (and its
//!   `PGPASSWORD`) at a server of theirs. Every statement names our tables with the schema
//!   and runs with `search_path=pg_catalog`, so nothing planted in our schema (or a table
//!   of the same name in `pg_catalog`) takes part in it. See ADR 0011.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use postgres::types::ToSql;
use postgres::{IsolationLevel, NoTls, Row, Statement};
use rusqlite::{params, OptionalExtension};

use super::auth::RecordKey;
use super::StoreError;

/// Name of the file that moves a data dir's records to PostgreSQL.
pub const DATABASE_FILE: &str = "database";
/// The first line of [`DATABASE_FILE`] (its format version).
const DATABASE_FILE_MAGIC: &str = "asyncpay-database v1";
/// How long a writer waits for the schema's lock before [`StoreError::DatabaseInUse`].
const LOCK_GRACE: std::time::Duration = std::time::Duration::from_secs(3);
/// Environment variable with the password of a PostgreSQL database (never written to disk).
pub const PASSWORD_ENV: &str = "PGPASSWORD";

/// A PostgreSQL schema holding one data dir's records.
#[derive(Clone)]
pub struct Postgres {
    url: String,
    schema: String,
    config: postgres::Config,
    tls: super::pg_tls::Tls,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

impl Postgres {
    /// A new schema (random name) in the database at `url`. The URL (`postgres://user@host:
    /// port/dbname` or `host=... dbname=...`) must not carry a password: it is written to
    /// the data dir in the clear; give it in `PGPASSWORD` or use peer authentication. A host
    /// that is not this machine must be reached over TLS checked against a CA
    /// (`sslmode=verify-full&sslrootcert=FILE`), or `sslmode=disable` be given (ADR 0016).
    pub fn new(url: &str) -> Result<Postgres, String> {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|e| format!("no randomness for a schema name: {e}"))?;
        Postgres::parse_parts(
            url,
            &format!("asyncpay_{}", crate::protocol::hex::encode(&id)),
            true,
        )
    }

    /// `new`: the URL is for a new schema, and must name a TLS mode that checks the server
    /// for a host off this machine; a stored URL is taken as it was accepted then.
    fn parse_parts(url: &str, schema: &str, new: bool) -> Result<Postgres, String> {
        // The URL is not repeated in the error: it may hold a password.
        let (rest, tls, mode) =
            super::pg_tls::Tls::from_url(url).map_err(|e| format!("the database URL: {e}"))?;
        let mut config = postgres::Config::from_str(&rest)
            .map_err(|e| format!("the database URL is not a PostgreSQL connection string: {e}"))?;
        if new {
            tls.check_new(mode.as_deref(), config.get_hosts(), config.get_hostaddrs())?;
        }
        config.ssl_mode(tls.ssl_mode());
        if config.get_password().is_some() {
            return Err(
                "the database URL carries a password, which would be written to the \
                        data dir in the clear; leave it out and set PGPASSWORD (or use peer \
                        authentication)"
                    .to_owned(),
            );
        }
        let valid_schema = (1..=63).contains(&schema.len())
            && schema.starts_with("asyncpay_")
            && schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid_schema {
            return Err(format!("`{schema}` is not a schema name asyncpay makes"));
        }
        if let Ok(password) = std::env::var(PASSWORD_ENV) {
            config.password(password);
        }
        // Nothing but pg_catalog in the path (our tables are always named with the schema),
        // every commit durable, and no wait without end: a lock or statement held by
        // someone else fails after a while, as SQLite's busy timeout does; a dead peer is
        // found by keepalives (the server's and ours), and its session's locks freed.
        config
            .options(
                "-c search_path=pg_catalog -c synchronous_commit=on -c row_security=off \
                 -c client_min_messages=warning -c lock_timeout=10s -c statement_timeout=60s \
                 -c idle_in_transaction_session_timeout=60s -c tcp_keepalives_idle=30 \
                 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3 \
                 -c tcp_user_timeout=30000",
            )
            .application_name("asyncpay")
            .connect_timeout(std::time::Duration::from_secs(10))
            .keepalives(true)
            .keepalives_idle(std::time::Duration::from_secs(30))
            .keepalives_interval(std::time::Duration::from_secs(10))
            .keepalives_retries(3)
            // A request sent and never acknowledged (the server gone silent) fails after
            // this, instead of after the kernel's quarter of an hour of retransmissions.
            .tcp_user_timeout(std::time::Duration::from_secs(30));
        Ok(Postgres {
            url: url.to_owned(),
            schema: schema.to_owned(),
            config,
            tls,
        })
    }

    /// A new connection: over TLS checked against the URL's CA if it names one.
    fn connect(&self) -> Sql<postgres::Client> {
        self.connect_as(&self.config)
    }

    /// Connects with `config` (ours, perhaps with another application name).
    fn connect_as(&self, config: &postgres::Config) -> Sql<postgres::Client> {
        let connector = self.tls.connector().map_err(|message| SqlError {
            message,
            postgres: true,
        })?;
        match connector {
            Some(tls) => config.connect(tls).map_err(|e| {
                let mut e = SqlError::from(e);
                if e.message.contains("certificate") {
                    e.message.push_str(
                        " (the server's certificate must be signed by a CA of the URL's \
                         sslrootcert and, with sslmode=verify-full, name the host connected to)",
                    );
                }
                e
            }),
            None => Ok(config.connect(NoTls)?),
        }
    }

    /// Connects once, to find out early that the database is there and lets us in.
    pub fn check(&self) -> Result<(), StoreError> {
        self.run_once("SELECT 1")
    }

    /// Drops the schema and everything in it.
    pub(crate) fn drop_schema(&self) -> Result<(), StoreError> {
        // `schema` is one of our names (checked: a-z, 0-9 and `_`).
        self.run_once(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema))
    }

    /// Runs `sql` on a connection of its own.
    fn run_once(&self, sql: &str) -> Result<(), StoreError> {
        let label = PathBuf::from(self.label());
        self.connect()
            .and_then(|mut client| Ok(client.batch_execute(sql)?))
            .map_err(|e| e.at(&label))
    }

    /// How errors name it: the URL and the schema.
    pub fn label(&self) -> String {
        format!("PostgreSQL {} (schema {})", self.url, self.schema)
    }

    /// What the `database` file's tag covers.
    fn tagged(&self) -> String {
        format!("{}\0{}", self.url, self.schema)
    }

    fn file_text(&self, key: &RecordKey) -> String {
        let tag = key.database_file_tag(self.tagged().as_bytes());
        format!(
            "{DATABASE_FILE_MAGIC}\npostgres {}\nschema {}\ntag {}\n",
            self.url,
            self.schema,
            crate::protocol::hex::encode(&tag)
        )
    }

    /// The `database` file's contents; with `key`, its tag must be this storage
    /// identity's ([`StoreError::Forged`] otherwise: someone else wrote the file).
    fn parse_file(
        path: &Path,
        text: &str,
        key: Option<&RecordKey>,
    ) -> Result<Postgres, StoreError> {
        let bad = |reason: String| StoreError::corrupt(path, reason);
        let mut lines = text.lines();
        if lines.next() != Some(DATABASE_FILE_MAGIC) {
            return Err(bad(format!(
                "does not start with `{DATABASE_FILE_MAGIC}` (damaged, or written by a newer \
                 asyncpay)"
            )));
        }
        let mut field = |name: &str| {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name))
                .and_then(|l| l.strip_prefix(' '))
                .map(str::to_owned)
                .ok_or_else(|| bad(format!("has no `{name}` line (damaged)")))
        };
        let url = field("postgres")?;
        let schema = field("schema")?;
        let tag = field("tag")?;
        let pg = Postgres::parse_parts(&url, &schema, false).map_err(bad)?;
        if let Some(key) = key {
            let tag = crate::protocol::hex::decode::<32>(&tag).map_err(|_| StoreError::Forged {
                path: path.to_path_buf(),
            })?;
            if !key.database_file_tag_matches(pg.tagged().as_bytes(), &tag) {
                return Err(StoreError::Forged {
                    path: path.to_path_buf(),
                });
            }
        }
        Ok(pg)
    }
}

/// Where the records are.
#[derive(Debug, Clone)]
pub(crate) enum Location {
    Sqlite(PathBuf),
    Postgres(Box<Postgres>),
}

impl Location {
    /// The records of data dir `dir`: the PostgreSQL schema its `database` file names, or
    /// `records.sqlite`. With the storage identity's `key`, the file must carry its tag:
    /// pass it for everything but showing where the records are.
    pub(crate) fn of(dir: &Path, key: Option<&RecordKey>) -> Result<Location, StoreError> {
        let file = dir.join(DATABASE_FILE);
        match std::fs::read_to_string(&file) {
            Ok(text) => Ok(Location::Postgres(Box::new(Postgres::parse_file(
                &file, &text, key,
            )?))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(Location::Sqlite(dir.join(super::db::DB_FILE)))
            }
            Err(e) => Err(StoreError::io("read", &file, e)),
        }
    }

    /// Makes data dir `dir` keep its records in `pg` (before its first record, or once
    /// they are all there).
    pub(crate) fn write_postgres(
        dir: &Path,
        pg: &Postgres,
        key: &RecordKey,
    ) -> Result<(), StoreError> {
        let file = dir.join(DATABASE_FILE);
        super::write_atomic(&file, pg.file_text(key).as_bytes())
            .map_err(|e| StoreError::io("write", &file, e))
    }

    /// Makes data dir `dir` keep its records in `records.sqlite` again (once they are all
    /// there): removes the `database` file, durably.
    pub(crate) fn forget_postgres(dir: &Path) -> Result<(), StoreError> {
        let file = dir.join(DATABASE_FILE);
        std::fs::remove_file(&file).map_err(|e| StoreError::io("remove", &file, e))?;
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| StoreError::io("sync", dir, e))
    }

    /// Destroys the records here: an old copy is what a rollback would be made from.
    pub(crate) fn destroy(&self) -> Result<(), StoreError> {
        match self {
            Location::Sqlite(file) => {
                for suffix in ["", "-journal", "-wal", "-shm", "-clean"] {
                    let mut name = file.as_os_str().to_owned();
                    name.push(suffix);
                    match std::fs::remove_file(&name) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                            return Err(StoreError::io("remove", Path::new(&name), e))
                        }
                        _ => {}
                    }
                }
                Ok(())
            }
            Location::Postgres(pg) => pg.drop_schema(),
        }
    }

    /// How errors name the records database.
    pub(crate) fn label(&self) -> PathBuf {
        match self {
            Location::Sqlite(path) => path.clone(),
            Location::Postgres(pg) => PathBuf::from(pg.label()),
        }
    }
}

/// A database error: SQLite's or PostgreSQL's message.
#[derive(Debug)]
pub(crate) struct SqlError {
    pub(crate) message: String,
    /// From a PostgreSQL server (its connection, or its answer).
    pub(crate) postgres: bool,
}

impl From<rusqlite::Error> for SqlError {
    fn from(e: rusqlite::Error) -> SqlError {
        SqlError {
            message: e.to_string(),
            postgres: false,
        }
    }
}

impl From<postgres::Error> for SqlError {
    fn from(e: postgres::Error) -> SqlError {
        // The server's own message where it sent one; else the error and its causes.
        let message = match e.as_db_error() {
            Some(db) => format!("{}: {}", db.severity(), crate::net::sanitize(db.message())),
            None => {
                let mut message = e.to_string();
                let mut cause = std::error::Error::source(&e);
                while let Some(c) = cause {
                    let text = c.to_string();
                    if !message.contains(&text) {
                        message = format!("{message}: {text}");
                    }
                    cause = c.source();
                }
                crate::net::sanitize(&message)
            }
        };
        SqlError {
            message,
            postgres: true,
        }
    }
}

impl SqlError {
    /// As a [`StoreError`] about the database `path` names.
    pub(crate) fn at(self, path: &Path) -> StoreError {
        let path = path.to_path_buf();
        if self.postgres {
            StoreError::DatabaseServer {
                path,
                reason: self.message,
            }
        } else {
            StoreError::Database {
                path,
                reason: self.message,
            }
        }
    }
}

type Sql<T> = Result<T, SqlError>;

/// An open connection.
pub(crate) enum Conn {
    Sqlite(SqliteConn),
    Postgres(Box<PgConn>),
}

/// How long a SQLite connection waits for another one's lock.
pub(crate) const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A SQLite connection, with what [`super::wal`] keeps of it.
pub(crate) struct SqliteConn {
    pub(crate) conn: rusqlite::Connection,
    /// The database file (canonical).
    pub(crate) file: PathBuf,
    /// A writer's log as it was when it connected; `None` for a reader.
    pub(crate) log: Option<super::wal::LogId>,
    /// A writer's descriptor of that log, to sync deferred commits ([`super::group`]).
    pub(crate) log_fd: Option<super::group::Log>,
    /// Switched to `synchronous=NORMAL`: its commits wait for a group sync.
    pub(crate) deferred: bool,
    /// A writer that has not written yet (the mark of a clean stop may still be there).
    pub(crate) unwritten: bool,
    /// Dropped after the connection (declared after it).
    pub(crate) _registered: super::wal::Registered,
}

/// A PostgreSQL connection and the statements it has prepared (every statement of ours is
/// prepared once per connection, as SQLite's `prepare_cached` does).
pub(crate) struct PgConn {
    client: postgres::Client,
    /// Our schema, which every statement names (`{s}` in their text).
    schema: String,
    statements: HashMap<&'static str, Statement>,
    /// The application name of every session of the store this connection is for.
    tag: SessionTag,
}

/// The application name every PostgreSQL session of one store (one [`super::db::Db`])
/// gives itself, `asyncpay <random>`: its sessions are told from any other process's,
/// whatever role they run as (the name is visible to every role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionTag(String);

impl SessionTag {
    fn new() -> Sql<SessionTag> {
        let mut id = [0u8; 8];
        getrandom::fill(&mut id).map_err(|e| SqlError {
            message: format!("no randomness for a session name: {e}"),
            postgres: true,
        })?;
        Ok(SessionTag(format!(
            "asyncpay {}",
            crate::protocol::hex::encode(&id)
        )))
    }
}

/// The sessions that hold schema `$1`'s writer lock, with their application names.
const LOCK_HOLDERS: &str = "SELECT a.pid, a.application_name FROM pg_catalog.pg_locks l \
     JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid \
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
     AND l.classid = ((pg_catalog.hashtextextended($1::text, 7::int8) >> 32) & 4294967295)::oid \
     AND l.objid = (pg_catalog.hashtextextended($1::text, 7::int8) & 4294967295)::oid";

/// How many times a writer ends sessions of its own that hold its lock before it gives up.
const OWN_SESSIONS_ENDED: u32 = 3;

/// A PostgreSQL transaction, with its connection's prepared statements.
pub(crate) struct PgTx<'a> {
    tx: postgres::Transaction<'a>,
    schema: &'a str,
    statements: &'a mut HashMap<&'static str, Statement>,
}

impl PgTx<'_> {
    /// `sql` with `{s}` as our schema, prepared once per connection.
    fn statement(&mut self, sql: &'static str) -> Sql<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.prepare(&sql.replace("{s}", self.schema))?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }

    fn query_one(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Sql<Row> {
        let s = self.statement(sql)?;
        Ok(self.tx.query_one(&s, params)?)
    }

    fn query_opt(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Sql<Option<Row>> {
        let s = self.statement(sql)?;
        Ok(self.tx.query_opt(&s, params)?)
    }

    fn execute(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Sql<u64> {
        let s = self.statement(sql)?;
        Ok(self.tx.execute(&s, params)?)
    }
}

impl Conn {
    /// Connects to `pg`'s database as a session of the store whose sessions are named
    /// `tag` (`None`: a new store, named anew).
    pub(crate) fn postgres(pg: &Postgres, tag: Option<SessionTag>) -> Sql<Conn> {
        let tag = match tag {
            Some(tag) => tag,
            None => SessionTag::new()?,
        };
        let mut config = pg.config.clone();
        config.application_name(&tag.0);
        Ok(Conn::Postgres(Box::new(PgConn {
            client: pg.connect_as(&config)?,
            schema: pg.schema.clone(),
            statements: HashMap::new(),
            tag,
        })))
    }

    /// The name of the sessions of a PostgreSQL connection's store.
    pub(crate) fn tag(&self) -> Option<SessionTag> {
        match self {
            Conn::Sqlite(_) => None,
            Conn::Postgres(c) => Some(c.tag.clone()),
        }
    }

    /// True if the connection answers a trivial query (SQLite: always).
    pub(crate) fn answers(&mut self) -> bool {
        match self {
            Conn::Sqlite(_) => true,
            Conn::Postgres(c) => c.client.is_valid(std::time::Duration::from_secs(5)).is_ok(),
        }
    }

    /// True if the connection is gone (the server restarted, the network failed): it
    /// must be made again.
    pub(crate) fn is_closed(&self) -> bool {
        match self {
            Conn::Sqlite(_) => false,
            Conn::Postgres(c) => c.client.is_closed(),
        }
    }

    /// SQLite: copies every commit of the write-ahead log into the database file and
    /// empties the log; false if a reader kept it from completing (`wait`: for as long as
    /// the connection's busy timeout, else not at all). PostgreSQL: nothing to do (true).
    pub(crate) fn checkpoint(&mut self, wait: bool) -> Sql<bool> {
        let Conn::Sqlite(c) = self else {
            return Ok(true);
        };
        if !wait {
            c.conn.busy_timeout(std::time::Duration::ZERO)?;
        }
        let busy = c
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                r.get::<_, i64>(0)
            });
        c.conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(busy? == 0)
    }

    /// A read snapshot.
    pub(crate) fn read(&mut self) -> Sql<Tx<'_>> {
        Ok(match self {
            Conn::Sqlite(c) => Tx::Sqlite(c.conn.transaction()?),
            Conn::Postgres(c) => Tx::Postgres(RefCell::new(PgTx {
                tx: c
                    .client
                    .build_transaction()
                    .isolation_level(IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()?,
                schema: &c.schema,
                statements: &mut c.statements,
            })),
        })
    }

    /// A write transaction (SQLite: `BEGIN IMMEDIATE`, the writer's lock from the start).
    pub(crate) fn write(&mut self) -> Sql<Tx<'_>> {
        Ok(match self {
            Conn::Sqlite(c) => Tx::Sqlite(
                c.conn
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?,
            ),
            Conn::Postgres(c) => Tx::Postgres(RefCell::new(PgTx {
                tx: c
                    .client
                    .build_transaction()
                    .isolation_level(IsolationLevel::RepeatableRead)
                    .start()?,
                schema: &c.schema,
                statements: &mut c.statements,
            })),
        })
    }

    /// Lets go of the schema's writer lock (best effort: a session that fails is ended by
    /// the server, and its lock with it).
    pub(crate) fn unlock_schema(&mut self) {
        if let Conn::Postgres(c) = self {
            let _ = c.client.execute(
                "SELECT pg_catalog.pg_advisory_unlock(\
                 pg_catalog.hashtextextended($1::text, 7::int8))",
                &[&c.schema],
            );
        }
    }

    /// PostgreSQL: takes the writer lock of `pg`'s schema for as long as this connection
    /// lives; false if another connection still holds it after [`LOCK_GRACE`] (the
    /// session of a process that just ended is released by the server a moment later).
    /// `again`: the store connects again, and an earlier session of its own (named as this
    /// one), which the server may not have found dead yet (the network cut it off from us),
    /// or whose answer to taking the lock was lost, may hold the lock: such sessions are
    /// ended (up to [`OWN_SESSIONS_ENDED`] times, each waited for until it is gone), and the
    /// grace starts again after each. A lock still held by one of them at the end is an
    /// error to try again, not another process's.
    pub(crate) fn lock_schema(&mut self, again: bool) -> Sql<bool> {
        let Conn::Postgres(c) = self else {
            return Ok(true);
        };
        let mut until = std::time::Instant::now() + LOCK_GRACE;
        let mut ends = OWN_SESSIONS_ENDED;
        loop {
            let locked: bool = c
                .client
                .query_one(
                    "SELECT pg_catalog.pg_try_advisory_lock(\
                     pg_catalog.hashtextextended($1::text, 7::int8))",
                    &[&c.schema],
                )?
                .try_get(0)?;
            if locked {
                return Ok(true);
            }
            let mut ours = Vec::new();
            if again {
                for row in c.client.query(LOCK_HOLDERS, &[&c.schema])? {
                    let name: Option<String> = row.try_get(1)?;
                    if name.as_deref() == Some(c.tag.0.as_str()) {
                        ours.push(row.try_get::<_, i32>(0)?);
                    }
                }
            }
            if !ours.is_empty() && ends > 0 {
                ends -= 1;
                for pid in &ours {
                    c.client
                        .execute("SELECT pg_catalog.pg_terminate_backend($1)", &[pid])?;
                }
                let gone_by = std::time::Instant::now() + LOCK_GRACE;
                while std::time::Instant::now() < gone_by {
                    let left: i64 = c
                        .client
                        .query_one(
                            "SELECT count(*) FROM pg_catalog.pg_stat_activity \
                             WHERE pid = ANY($1)",
                            &[&ours],
                        )?
                        .try_get(0)?;
                    if left == 0 {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                until = std::time::Instant::now() + LOCK_GRACE;
                continue;
            }
            if std::time::Instant::now() >= until {
                if !ours.is_empty() {
                    return Err(SqlError {
                        message: "an earlier session of this process still holds the \
                                  schema's writer lock; try again"
                            .to_owned(),
                        postgres: true,
                    });
                }
                return Ok(false);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

/// An open transaction.
pub(crate) enum Tx<'a> {
    Sqlite(rusqlite::Transaction<'a>),
    /// In a cell: PostgreSQL's statements need the transaction mutably, ours are all `&self`.
    Postgres(RefCell<PgTx<'a>>),
}

/// The tables, as SQLite keeps their definitions (schema version 1).
pub(crate) const SQLITE_TABLES: [(&str, &str); 2] = [
    (
        "meta",
        "CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID",
    ),
    (
        "records",
        "CREATE TABLE records (coll TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL, body BLOB NOT NULL, PRIMARY KEY (coll, key)) WITHOUT ROWID",
    ),
];

/// Everything in our schema that PostgreSQL lets change what a statement reads or writes,
/// one line each, sorted bytewise: the tables, their columns and indexes, their types, and
/// any trigger, rule, row-level security policy, function, operator or other type (we make
/// none; a function or operator in our schema could be chosen over `pg_catalog`'s for
/// arguments it matches better).
///
/// The query itself is written so that nothing planted in our schema can take part in it:
/// functions are named with `pg_catalog.`, and every operator is given exactly the
/// argument types of `pg_catalog`'s own (which wins over a function of identical argument
/// types anywhere in the search path).
const PG_SCHEMA_QUERY: &str = "WITH ns AS (SELECT oid FROM pg_catalog.pg_namespace \
         WHERE nspname = '{s}'::name) \
     SELECT coalesce(pg_catalog.string_agg(x, ';'::text ORDER BY x COLLATE \"C\"), ''::text) \
     FROM ( \
       SELECT 'rel '::text || c.relname::text || ' '::text || c.relkind::text || ' '::text \
           || c.relrowsecurity::text || ' '::text || c.relpersistence::text || ' '::text \
           || c.relispartition::text || ' '::text || coalesce(am.amname::text, '-'::text) AS x \
         FROM pg_catalog.pg_class c JOIN ns ON c.relnamespace = ns.oid \
           LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam \
       UNION ALL SELECT 'col '::text || c.relname::text || '.'::text || a.attname::text \
           || ' '::text || pg_catalog.format_type(a.atttypid, a.atttypmod) || ' '::text \
           || a.attnotnull::text || ' '::text || a.atthasdef::text || ' '::text \
           || coalesce(co.collname::text, '-'::text) \
         FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
           JOIN ns ON c.relnamespace = ns.oid \
           LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation \
         WHERE c.relkind = 'r'::\"char\" AND a.attnum > 0::int2 AND NOT a.attisdropped \
       UNION ALL SELECT 'inherits '::text || i.inhrelid::text || ' '::text || i.inhparent::text \
         FROM pg_catalog.pg_inherits i, pg_catalog.pg_class c, ns \
         WHERE (c.oid = i.inhparent OR c.oid = i.inhrelid) AND c.relnamespace = ns.oid \
       UNION ALL SELECT 'trigger '::text || t.tgname::text \
         FROM pg_catalog.pg_trigger t, pg_catalog.pg_class c, ns \
         WHERE c.oid = t.tgrelid AND c.relnamespace = ns.oid \
       UNION ALL SELECT 'rule '::text || r.rulename::text \
         FROM pg_catalog.pg_rewrite r, pg_catalog.pg_class c, ns \
         WHERE c.oid = r.ev_class AND c.relnamespace = ns.oid \
       UNION ALL SELECT 'policy '::text || p.polname::text \
         FROM pg_catalog.pg_policy p, pg_catalog.pg_class c, ns \
         WHERE c.oid = p.polrelid AND c.relnamespace = ns.oid \
       UNION ALL SELECT 'constraint '::text || k.conname::text || ' '::text || k.contype::text \
         FROM pg_catalog.pg_constraint k, ns WHERE k.connamespace = ns.oid \
       UNION ALL SELECT 'function '::text || p.proname::text \
         FROM pg_catalog.pg_proc p, ns WHERE p.pronamespace = ns.oid \
       UNION ALL SELECT 'operator '::text || o.oprname::text \
         FROM pg_catalog.pg_operator o, ns WHERE o.oprnamespace = ns.oid \
       UNION ALL SELECT 'type '::text || t.typname::text \
         FROM pg_catalog.pg_type t, ns WHERE t.typnamespace = ns.oid \
     ) s";

/// What [`PG_SCHEMA_QUERY`] finds in a schema of version 1.
const PG_SCHEMA: &str = "col meta.name text true false default;\
     col meta.value bytea true false -;col records.body bytea true false -;\
     col records.coll text true false default;col records.key text true false default;\
     col records.seq bigint true false -;constraint meta_pkey p;constraint records_pkey p;\
     rel meta r false p false heap;rel meta_pkey i false p false btree;\
     rel records r false p false heap;rel records_pkey i false p false btree;\
     type _meta;type _records;type meta;type records";

impl<'a> Tx<'a> {
    fn pg(&self) -> std::cell::RefMut<'_, PgTx<'a>> {
        match self {
            Tx::Postgres(tx) => tx.borrow_mut(),
            Tx::Sqlite(_) => unreachable!("called for PostgreSQL only"),
        }
    }

    /// The `value` of meta row `name`.
    pub(crate) fn meta(&self, name: &str) -> Sql<Option<Vec<u8>>> {
        Ok(match self {
            Tx::Sqlite(tx) => tx
                .prepare_cached("SELECT value FROM meta WHERE name = ?1")?
                .query_row([name], |r| r.get(0))
                .optional()?,
            Tx::Postgres(_) => self
                .pg()
                .query_opt("SELECT value FROM ONLY {s}.meta WHERE name = $1", &[&name])?
                .map(|r| r.try_get(0))
                .transpose()?,
        })
    }

    /// Sets meta row `name`; the number of rows written.
    pub(crate) fn put_meta(&self, name: &str, value: &[u8]) -> Sql<u64> {
        Ok(match self {
            Tx::Sqlite(tx) => tx
                .prepare_cached("INSERT OR REPLACE INTO meta (name, value) VALUES (?1, ?2)")?
                .execute(params![name, value])? as u64,
            Tx::Postgres(_) => self.pg().execute(
                "INSERT INTO {s}.meta (name, value) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                &[&name, &value],
            )?,
        })
    }

    /// The body of record (`coll`, `key`) if it is at `seq`.
    pub(crate) fn body(&self, coll: &str, key: &str, seq: u64) -> Sql<Option<Vec<u8>>> {
        let seq = seq as i64;
        Ok(match self {
            Tx::Sqlite(tx) => tx
                .prepare_cached(
                    "SELECT body FROM records WHERE coll = ?1 AND key = ?2 AND seq = ?3",
                )?
                .query_row(params![coll, key, seq], |r| r.get(0))
                .optional()?,
            Tx::Postgres(_) => self
                .pg()
                .query_opt(
                    "SELECT body FROM ONLY {s}.records \
                     WHERE coll = $1 AND key = $2 AND seq = $3",
                    &[&coll, &key, &seq],
                )?
                .map(|r| r.try_get(0))
                .transpose()?,
        })
    }

    /// Writes record (`coll`, `key`) at `seq`, replacing any other version; the number of
    /// rows written.
    pub(crate) fn put(&self, coll: &str, key: &str, seq: u64, body: &[u8]) -> Sql<u64> {
        let seq = seq as i64;
        Ok(match self {
            Tx::Sqlite(tx) => tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO records (coll, key, seq, body) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![coll, key, seq, body])? as u64,
            Tx::Postgres(_) => self.pg().execute(
                "INSERT INTO {s}.records (coll, key, seq, body) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (coll, key) DO UPDATE SET seq = excluded.seq, body = excluded.body",
                &[&coll, &key, &seq, &body],
            )?,
        })
    }

    /// Deletes record (`coll`, `key`) at `seq`; the number of rows deleted.
    pub(crate) fn delete(&self, coll: &str, key: &str, seq: u64) -> Sql<u64> {
        let seq = seq as i64;
        Ok(match self {
            Tx::Sqlite(tx) => tx
                .prepare_cached("DELETE FROM records WHERE coll = ?1 AND key = ?2 AND seq = ?3")?
                .execute(params![coll, key, seq])? as u64,
            Tx::Postgres(_) => self.pg().execute(
                "DELETE FROM ONLY {s}.records WHERE coll = $1 AND key = $2 AND seq = $3",
                &[&coll, &key, &seq],
            )?,
        })
    }

    /// Calls `f` with every record's (`coll`, `key`, `seq`, `body`); a database error is
    /// turned into an `E` by `error`.
    pub(crate) fn scan<E>(
        &self,
        error: impl Fn(SqlError) -> E,
        mut f: impl FnMut(String, String, i64, Vec<u8>) -> Result<(), E>,
    ) -> Result<(), E> {
        const SCAN: &str = "SELECT coll, key, seq, body FROM records";
        const PG_SCAN: &str = "SELECT coll, key, seq, body FROM ONLY {s}.records";
        match self {
            Tx::Sqlite(tx) => {
                let mut stmt = tx.prepare(SCAN).map_err(|e| error(e.into()))?;
                let mut rows = stmt.query([]).map_err(|e| error(e.into()))?;
                while let Some(row) = rows.next().map_err(|e| error(e.into()))? {
                    let get =
                        || -> Sql<_> { Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)) };
                    let (coll, key, seq, body) = get().map_err(&error)?;
                    f(coll, key, seq, body)?;
                }
            }
            Tx::Postgres(_) => {
                use postgres::fallible_iterator::FallibleIterator;
                let mut pg = self.pg();
                let scan = PG_SCAN.replace("{s}", pg.schema);
                let mut rows = pg
                    .tx
                    .query_raw(&scan, std::iter::empty::<&str>())
                    .map_err(|e| error(e.into()))?;
                while let Some(row) = rows.next().map_err(|e| error(e.into()))? {
                    let get = || -> Sql<_> {
                        Ok((
                            row.try_get(0)?,
                            row.try_get(1)?,
                            row.try_get(2)?,
                            row.try_get(3)?,
                        ))
                    };
                    let (coll, key, seq, body) = get().map_err(&error)?;
                    f(coll, key, seq, body)?;
                }
            }
        }
        Ok(())
    }

    /// True if the schema is exactly ours: SQLite, our two tables as we define them (an
    /// index that answers with other rows, a trigger that swallows writes or a view would
    /// be someone else's); PostgreSQL, our tables, columns and primary keys, and no
    /// trigger, rule or row security policy.
    pub(crate) fn schema_is_ours(&self) -> Sql<bool> {
        match self {
            Tx::Sqlite(tx) => {
                let mut stmt = tx.prepare_cached(
                    "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name",
                )?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, Option<String>>(3)?,
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows.len() == SQLITE_TABLES.len()
                    && rows
                        .iter()
                        .zip(SQLITE_TABLES)
                        .all(|((ty, name, tbl, sql), (n, def))| {
                            ty == "table" && name == n && tbl == n && sql.as_deref() == Some(def)
                        }))
            }
            Tx::Postgres(_) => {
                let found: String = self.pg().query_one(PG_SCHEMA_QUERY, &[])?.try_get(0)?;
                Ok(found == PG_SCHEMA)
            }
        }
    }

    /// Something that changes with every change of the schema (SQLite's `schema_version`);
    /// PostgreSQL: 0, the schema is checked in every write transaction instead.
    pub(crate) fn schema_token(&self) -> Sql<i64> {
        match self {
            Tx::Sqlite(tx) => Ok(tx.pragma_query_value(None, "schema_version", |r| r.get(0))?),
            Tx::Postgres(_) => Ok(0),
        }
    }

    /// The schema version of our format (0: no tables yet).
    pub(crate) fn format_version(&self) -> Sql<u32> {
        match self {
            Tx::Sqlite(tx) => Ok(tx.pragma_query_value(None, "user_version", |r| r.get(0))?),
            Tx::Postgres(_) => {
                let mut pg = self.pg();
                let has_meta: bool = pg
                    .query_one(
                        "SELECT pg_catalog.to_regclass('{s}.meta'::text) IS NOT NULL",
                        &[],
                    )?
                    .try_get(0)?;
                if !has_meta {
                    return Ok(0);
                }
                drop(pg);
                Ok(self
                    .meta("schema_version")?
                    .and_then(|v| Some(u32::from_be_bytes(v.try_into().ok()?)))
                    .unwrap_or(u32::MAX))
            }
        }
    }

    /// True if nothing is in the schema yet (not even a half-made table).
    pub(crate) fn is_empty(&self) -> Sql<bool> {
        match self {
            Tx::Sqlite(tx) => Ok(tx.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
                r.get::<_, i64>(0)
            })? == 0),
            Tx::Postgres(_) => Ok(self
                .pg()
                .query_one(
                    "SELECT count(*) FROM pg_catalog.pg_class c, pg_catalog.pg_namespace n \
                     WHERE n.nspname = '{s}'::name AND c.relnamespace = n.oid",
                    &[],
                )?
                .try_get::<_, i64>(0)?
                == 0),
        }
    }

    /// Creates the tables of schema `version` (and, PostgreSQL, the schema itself).
    pub(crate) fn create_tables(&self, version: u32, location: &Location) -> Sql<()> {
        match self {
            Tx::Sqlite(tx) => {
                let [(_, meta), (_, records)] = SQLITE_TABLES;
                tx.execute_batch(&format!("{meta}; {records};"))?;
                tx.pragma_update(None, "user_version", version)?;
            }
            Tx::Postgres(_) => {
                let Location::Postgres(pg) = location else {
                    unreachable!("a PostgreSQL connection is made for a PostgreSQL location")
                };
                let schema = &pg.schema;
                // `schema` is one of our names (checked: a-z, 0-9 and `_`).
                self.pg().tx.batch_execute(&format!(
                    "CREATE SCHEMA {schema}; \
                     CREATE TABLE {schema}.meta (name TEXT PRIMARY KEY, value BYTEA NOT NULL); \
                     CREATE TABLE {schema}.records (coll TEXT NOT NULL, key TEXT NOT NULL, \
                     seq BIGINT NOT NULL, body BYTEA NOT NULL, PRIMARY KEY (coll, key));"
                ))?;
                self.put_meta("schema_version", &version.to_be_bytes())?;
            }
        }
        Ok(())
    }

    /// Locks our tables against any change of their definition (a trigger, rule or policy
    /// added, the table altered, a child table inheriting from it) and against anyone
    /// else's row changes until this transaction ends, before the schema is checked: what
    /// the check saw is what the writes meet. SQLite: `BEGIN IMMEDIATE` did.
    pub(crate) fn lock_tables(&self) -> Sql<()> {
        if let Tx::Postgres(_) = self {
            let mut pg = self.pg();
            let sql = format!(
                "LOCK TABLE {s}.meta, {s}.records IN SHARE ROW EXCLUSIVE MODE",
                s = pg.schema
            );
            pg.tx.batch_execute(&sql)?;
        }
        Ok(())
    }

    /// True if the connection still writes through the write-ahead log it opened with (a
    /// journal mode switched by another connection means someone else is changing the
    /// database under us); PostgreSQL: always.
    pub(crate) fn journal_is_ours(&self) -> Sql<bool> {
        match self {
            Tx::Sqlite(tx) => {
                let journal: String = tx.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
                Ok(journal.eq_ignore_ascii_case("wal"))
            }
            Tx::Postgres(_) => Ok(true),
        }
    }

    /// Commits.
    pub(crate) fn commit(self) -> Sql<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit()?,
            Tx::Postgres(tx) => tx.into_inner().tx.commit()?,
        }
        Ok(())
    }

    /// Ends a read (SQLite: commit or roll back as it decides; PostgreSQL: roll back).
    pub(crate) fn finish(self) -> Sql<()> {
        match self {
            Tx::Sqlite(tx) => tx.finish()?,
            Tx::Postgres(tx) => tx.into_inner().tx.rollback()?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `database` file of `tests/data/database-v1`: format 1, for the golden test
    /// identity. A release must keep reading it (and its tag must keep checking).
    #[test]
    fn the_golden_database_file_still_reads() {
        let identity: age::x25519::Identity = include_str!("../../tests/data/identity-file.txt")
            .lines()
            .find(|l| l.starts_with("AGE-SECRET-KEY-"))
            .unwrap()
            .parse()
            .unwrap();
        let key = RecordKey::derive(&identity);
        let golden = include_str!("../../tests/data/database-v1");
        let path = Path::new("database-v1");
        let pg = Postgres::parse_file(path, golden, Some(&key)).unwrap();
        assert_eq!(pg.file_text(&key), golden);
        assert_eq!(
            pg.label(),
            "PostgreSQL postgres://asyncpay@127.0.0.1:5432/asyncpay \
             (schema asyncpay_0123456789abcdef0123456789abcdef)"
        );
        // Another identity's tag, a changed URL, no tag: refused.
        let other = RecordKey::derive(&age::x25519::Identity::generate());
        assert!(matches!(
            Postgres::parse_file(path, golden, Some(&other)),
            Err(StoreError::Forged { .. })
        ));
        let moved = golden.replace("127.0.0.1", "10.0.0.1");
        assert!(matches!(
            Postgres::parse_file(path, &moved, Some(&key)),
            Err(StoreError::Forged { .. })
        ));
        let untagged: String = golden.lines().take(3).map(|l| format!("{l}\n")).collect();
        assert!(Postgres::parse_file(path, &untagged, Some(&key)).is_err());
        // Without a key (only to show where the records are), the tag is not checked.
        assert!(Postgres::parse_file(path, &moved, None).is_ok());
    }
}
