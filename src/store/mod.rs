//! Storage: the only module that names sqlx. One SQL text runs on SQLite and PostgreSQL
//! through sqlx's `Any` driver; private row structs convert into domain types.

pub mod applications;
pub mod audit;
pub mod backup;
pub mod calls;
pub mod draw_attempts;
pub mod events;
pub mod experts;
pub mod export;
pub mod follow_up;
pub mod import;
pub mod input_profiles;
pub mod invitations;
pub mod memberships;
pub mod outbox;
pub mod people;
pub mod reference;
pub mod registrations;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod throttle;
pub mod tracking;
pub mod users;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// A storage error, already classified for the HTTP layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key exists already; the field names it.
    #[error("{field} already exists")]
    Duplicate {
        /// The field.
        field: String,
    },
    /// The row was not found.
    #[error("not found")]
    NotFound,
    /// Anything else.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The row changed since it was read (optimistic check failed).
    #[error("{0}")]
    Stale(String),
    /// Stored data that no longer parses.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database's folder cannot be written (a read-only file system, no permission).
    #[error("{0}")]
    Unwritable(String),
}

/// Maps a unique violation to `Duplicate { field }`, other errors unchanged.
pub fn on_unique(e: sqlx::Error, field: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate {
            field: field.into(),
        },
        _ => StoreError::Database(e),
    }
}

/// The connection pool.
#[derive(Clone)]
pub struct Store {
    /// The pool.
    pub pool: AnyPool,
    /// The backend.
    pub backend: Backend,
    /// The registry as last read, with the `registry_version` it was read at.
    pub(crate) registry: std::sync::Arc<std::sync::Mutex<Option<experts::CachedRegistry>>>,
    /// Every expert's participations as last read, with the `tracking_version` read at.
    pub(crate) record: std::sync::Arc<std::sync::Mutex<Option<tracking::CachedRecord>>>,
    /// The engine's view of the registry as last read (profiles and their analysis).
    pub(crate) snapshot: std::sync::Arc<
        std::sync::Mutex<Option<std::sync::Arc<crate::service::candidates::Snapshot>>>,
    >,
    /// Each pool's standings as last read, with the `membership_version` read at.
    pub(crate) standings: std::sync::Arc<std::sync::Mutex<Option<memberships::CachedStandings>>>,
    /// The expert list as last read, with the `registry_version` read at.
    pub(crate) list: std::sync::Arc<search::KeptList>,
    /// The clock of deadlines and the scheduler.
    pub clock: crate::clock::Clock,
    /// How messages reach experts (channels, the public address of answer links).
    pub messaging: std::sync::Arc<crate::config::Messaging>,
}

impl Store {
    /// Connects (creating the SQLite file and its folder when needed) and migrates.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        if backend == Backend::Sqlite {
            if let Some(path) = sqlite_path(url) {
                let dir = std::path::Path::new(&path)
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(std::path::Path::new("."));
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Unwritable(format!("cannot create {}: {e}", dir.display()))
                })?;
                // SQLite needs to write beside its file (the WAL); on a read-only file system
                // it would only say "pool timed out" after half a minute, so ask first.
                let probe = dir.join(".expertpool-write-check");
                std::fs::write(&probe, b"")
                    .and_then(|()| std::fs::remove_file(&probe))
                    .map_err(|e| {
                        StoreError::Unwritable(format!(
                            "cannot write in {}: {e} (the database needs a writable folder)",
                            dir.display()
                        ))
                    })?;
            }
        }
        // A connection whose commit or rollback failed (a full disk, a lost server) can come
        // back to the pool still inside its transaction; every later `BEGIN` on it would fail
        // until a restart. Such a connection is closed instead of reused.
        let options = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 10 })
            .after_release(|conn, _| {
                Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) })
            })
            .before_acquire(|conn, _| {
                Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) })
            });
        let options = if backend == Backend::Sqlite {
            options.after_connect(|conn, _| {
                Box::pin(async move {
                    // WAL lets readers proceed during a write; the busy timeout makes writers wait
                    // for each other instead of failing with "database is locked".
                    sqlx::query("pragma journal_mode = wal")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("pragma busy_timeout = 10000")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("pragma foreign_keys = on")
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options.connect(url).await?;
        let store = Store {
            pool,
            backend,
            registry: Default::default(),
            snapshot: Default::default(),
            record: Default::default(),
            standings: Default::default(),
            list: Default::default(),
            clock: Default::default(),
            messaging: Default::default(),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// The same store with these messaging settings.
    pub fn with_messaging(mut self, messaging: crate::config::Messaging) -> Self {
        self.messaging = std::sync::Arc::new(messaging);
        self
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so concurrent writers queue behind the busy timeout instead of
    /// failing when a read lock cannot be upgraded; PostgreSQL's row locks need nothing extra.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Runs the migrations of the backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let result = match self.backend {
            Backend::Sqlite => sqlite_migrations().run(&self.pool).await,
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await
            }
        };
        result.map_err(|e| StoreError::Database(e.into()))?;
        reference::seed_disciplines(self).await?;
        search::rebuild_if_stale(self).await
    }
}

/// The SQLite schema migrations compiled into the binary.
pub(crate) fn sqlite_migrations() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations/sqlite")
}

/// The file path of a `sqlite://PATH?…` URL.
pub fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

/// Current time as RFC 3339 UTC text (times are stored as text on both backends).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Reads an optional i64 column.
pub(crate) fn opt_i64(row: &AnyRow, col: &str) -> Result<Option<i64>, sqlx::Error> {
    row.try_get::<Option<i64>, _>(col)
}
