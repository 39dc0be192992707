//! Backup and restore of the SQLite database file, and the lock by which the running service
//! says that it holds the database open. (PostgreSQL has its own tools: pg_dump, pg_restore.)
//!
//! Errors are sentences for the operator who typed the command.

use sqlx::{Connection, Row};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// `<db>.lock`: the file the service locks for as long as it runs.
pub fn lock_path(db: &Path) -> PathBuf {
    sibling(db, ".lock")
}

/// `<db><suffix>` in the same folder (`data/expertpool.db-wal` for `-wal`).
fn sibling(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    db.with_file_name(name)
}

/// An exclusive advisory lock on `<db>.lock`, held until dropped. The service holds one for
/// its whole life; `restore` takes the same lock, so it cannot replace a database in use. The
/// operating system releases the lock when the process ends, however it ends.
#[derive(Debug)]
pub struct DatabaseLock {
    _file: File,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process (the service) holds it.
    #[error("{} is locked by a running expertpool service", .0.display())]
    Held(PathBuf),
    /// The lock file cannot be created or locked.
    #[error("cannot lock {path}: {source}", path = .0.display(), source = .1)]
    Io(PathBuf, std::io::Error),
}

impl DatabaseLock {
    /// Takes the lock of the database file `db` without waiting (creating its folder if needed).
    pub fn try_acquire(db: &Path) -> Result<Self, LockError> {
        let path = lock_path(db);
        let io = |e| LockError::Io(path.clone(), e);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(DatabaseLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(LockError::Held(path)),
            Err(TryLockError::Error(e)) => Err(io(e)),
        }
    }
}

fn sqlite_url(path: &Path, mode: &str) -> String {
    format!("sqlite://{}?mode={mode}", path.display())
}

async fn open(path: &Path, mode: &str) -> Result<sqlx::AnyConnection, String> {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(&sqlite_url(path, mode))
        .await
        .map_err(|e| format!("cannot open {}: {e}", path.display()))
}

/// Writes a consistent copy of the database file `db` to the new file `target` with
/// `VACUUM INTO`, which reads one snapshot while the service goes on reading and writing.
pub async fn backup(db: &Path, target: &Path) -> Result<(), String> {
    if !db.is_file() {
        return Err(format!(
            "there is no database at {} (check DATABASE_URL): nothing to back up",
            db.display()
        ));
    }
    if target.exists() {
        return Err(format!(
            "{} exists already: a backup never overwrites a file, choose a new name",
            target.display()
        ));
    }
    let target_text = target
        .to_str()
        .ok_or_else(|| format!("{} is not a UTF-8 path", target.display()))?;
    let mut conn = open(db, "rw").await?;
    // Wait for a writer's transaction to end rather than fail while the service is busy.
    let result = async {
        sqlx::query("pragma busy_timeout = 10000")
            .execute(&mut conn)
            .await?;
        sqlx::query("vacuum into ?")
            .bind(target_text)
            .execute(&mut conn)
            .await
    }
    .await;
    let _ = conn.close().await;
    if let Err(e) = result {
        // Leave no half-written file behind that could pass for a backup.
        let _ = std::fs::remove_file(target);
        return Err(format!("backup to {} failed: {e}", target.display()));
    }
    Ok(())
}

/// Checks that `file` is a sound SQLite database holding an expertpool schema that this
/// binary can migrate (not one made by a newer version).
pub async fn check_backup(file: &Path) -> Result<(), String> {
    if !file.is_file() {
        return Err(format!("there is no backup file {}", file.display()));
    }
    let mut conn = open(file, "ro").await?;
    let result = check_open_backup(&mut conn, file).await;
    let _ = conn.close().await;
    result
}

async fn check_open_backup(conn: &mut sqlx::AnyConnection, file: &Path) -> Result<(), String> {
    let not_sqlite = |e: sqlx::Error| {
        format!(
            "{} is not a readable SQLite database ({e}); nothing was restored",
            file.display()
        )
    };
    let rows = sqlx::query("pragma integrity_check")
        .fetch_all(&mut *conn)
        .await
        .map_err(not_sqlite)?;
    let verdict: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<_, _>>()
        .map_err(not_sqlite)?;
    if verdict != ["ok"] {
        return Err(format!(
            "{} is damaged (integrity check: {}); nothing was restored",
            file.display(),
            verdict.join("; ")
        ));
    }
    let newest: Option<i64> = sqlx::query("select max(version) from _sqlx_migrations")
        .fetch_one(&mut *conn)
        .await
        .and_then(|r| r.try_get::<Option<i64>, _>(0))
        .map_err(|_| {
            format!(
                "{} is an SQLite database but not an expertpool database; nothing was restored",
                file.display()
            )
        })?;
    let known = super::sqlite_migrations()
        .migrations
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    match newest {
        Some(version) if version > known => Err(format!(
            "{} was made by a newer expertpool (schema {version}; this one knows up to {known}): \
             restore it with that version; nothing was restored",
            file.display()
        )),
        _ => Ok(()),
    }
}

/// What `restore` did.
#[derive(Debug)]
pub struct Restored {
    /// Where the database that was replaced now lies (with its `-wal` file), if there was one.
    pub previous: Option<PathBuf>,
}

/// Replaces the database file `db` by a copy of the backup `file`, unless the service holds the
/// database open. The backup is checked first; the database it replaces is kept beside it as
/// `<db>.before-restore-<time>` together with its `-wal` file, and the old `-shm` is removed
/// so that SQLite cannot apply a stale log to the restored file.
pub async fn restore(db: &Path, file: &Path) -> Result<Restored, String> {
    check_backup(file).await?;
    let _lock = DatabaseLock::try_acquire(db).map_err(|e| match e {
        LockError::Held(lock) => format!(
            "the expertpool service is running on {} (it holds {}): stop it first \
             (e.g. `systemctl stop expertpool`), then run restore again; nothing was restored",
            db.display(),
            lock.display()
        ),
        other => format!("{other}; nothing was restored"),
    })?;
    let staged = sibling(db, ".restoring");
    copy_durably(file, &staged).map_err(|e| {
        let _ = std::fs::remove_file(&staged);
        format!(
            "cannot copy {} to {}: {e}; nothing was restored",
            file.display(),
            staged.display()
        )
    })?;
    let moved = |what: &Path, e: std::io::Error| format!("cannot move {}: {e}", what.display());
    let previous = if db.exists() {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let kept = sibling(db, &format!(".before-restore-{stamp}"));
        std::fs::rename(db, &kept).map_err(|e| moved(db, e))?;
        let wal = sibling(db, "-wal");
        if wal.exists() {
            std::fs::rename(&wal, sibling(&kept, "-wal")).map_err(|e| moved(&wal, e))?;
        }
        Some(kept)
    } else {
        None
    };
    for stale in [sibling(db, "-wal"), sibling(db, "-shm")] {
        if stale.exists() {
            std::fs::remove_file(&stale)
                .map_err(|e| format!("cannot remove {}: {e}", stale.display()))?;
        }
    }
    std::fs::rename(&staged, db).map_err(|e| moved(&staged, e))?;
    Ok(Restored { previous })
}

fn copy_durably(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::copy(from, to)?;
    File::open(to)?.sync_all()
}
