//! `serve`, `migrate`, `import`, `user`, `backup` and `restore`: the commands that use the
//! database.

use super::usage;
use crate::config::{database_url_from_env, redact_url, Config};
use crate::dataset::Dataset;
use crate::domain::user::Role;
use crate::service::{auth, users};
use crate::store::audit::Actor;
use crate::store::backup::{self, DatabaseLock, LockError};
use crate::store::Store;
use std::path::{Path, PathBuf};

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

async fn open(config: &Config) -> Result<Store, String> {
    Store::connect(&config.database_url)
        .await
        .map_err(|e| format!("cannot open {}: {e}", redact_url(&config.database_url)))
}

/// Creates the first administrator if there is none, printing a generated password once.
async fn bootstrap(store: &Store, config: &Config) -> Result<(), String> {
    if let Some(password) = auth::bootstrap_admin(store, config.admin_password.as_deref())
        .await
        .map_err(|e| e.to_string())?
    {
        out!("created administrator 'admin' with password: {password}\n(shown once; set EXPERTPOOL_ADMIN_PASSWORD to choose it)")?;
    }
    Ok(())
}

/// `serve`: runs the service.
pub fn serve(raw: &[String]) -> Result<(), String> {
    usage::SERVE.parse(raw)?;
    let config = Config::from_env()?;
    // Held until the service stops, so that `restore` cannot replace the file under it.
    let _lock = match sqlite_file(&config.database_url) {
        Some(db) => Some(DatabaseLock::try_acquire(&db).map_err(|e| match e {
            LockError::Held(_) => format!(
                "another expertpool service is already running on {}",
                db.display()
            ),
            other => other.to_string(),
        })?),
        None => None,
    };
    // The segmentation dictionary loads beside the start-up, not in the first request.
    std::thread::spawn(crate::assign::text::warm_up);
    runtime()?.block_on(async {
        let store = open(&config)
            .await?
            .with_messaging(config.messaging.clone());
        bootstrap(&store, &config).await?;
        out!("expertpool on {}", redact_url(&config.database_url))?;
        crate::service::suspensions::spawn_daily(store.clone());
        crate::service::delivery::spawn(store.clone());
        crate::service::scheduler::spawn(store.clone());
        crate::build(&config, store)
            .launch()
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
}

/// `migrate`: creates or upgrades the schema.
pub fn migrate(raw: &[String]) -> Result<(), String> {
    usage::MIGRATE.parse(raw)?;
    let config = Config::from_env()?;
    // The segmentation dictionary loads beside the start-up, not in the first request.
    std::thread::spawn(crate::assign::text::warm_up);
    runtime()?.block_on(async {
        let store = open(&config).await?;
        bootstrap(&store, &config).await?;
        out!(
            "database {} is up to date",
            redact_url(&config.database_url)
        )
    })
}

/// `import DIR`: loads a sample-format folder in one transaction.
pub fn import(raw: &[String]) -> Result<(), String> {
    let args = usage::IMPORT.parse(raw)?;
    let [dir] = args.positional() else {
        return Err(usage::IMPORT.hint("give the one folder to import"));
    };
    let data = Dataset::load(Path::new(dir)).map_err(|e| format!("nothing imported: {e}"))?;
    let config = Config::from_env()?;
    // The segmentation dictionary loads beside the start-up, not in the first request.
    std::thread::spawn(crate::assign::text::warm_up);
    runtime()?.block_on(async {
        let store = open(&config).await?;
        bootstrap(&store, &config).await?;
        let counts = crate::store::import::import(&store, &data, &Actor::system("import"))
            .await
            .map_err(|e| format!("nothing imported: {e}"))?;
        out!("imported from {dir}: {counts}")
    })
}

/// `user add NAME ROLE [--expert CODE]`: creates an account from the command line.
pub fn user(raw: &[String]) -> Result<(), String> {
    let args = usage::USER.parse(raw)?;
    let [verb, name, role] = args.positional() else {
        return Err(usage::USER.hint("give add, the account's name and its role"));
    };
    if verb != "add" {
        return Err(usage::USER.hint(format!("unknown user action '{verb}' (known: add)")));
    }
    Role::parse(role).map_err(|e| e.to_string())?;
    let (password, generated) = match std::env::var("EXPERTPOOL_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => {
            use rand::RngExt;
            let mut rng = rand::rng();
            (
                format!(
                    "Ep-{}",
                    (0..12)
                        .map(|_| char::from(b'a' + rng.random_range(0..26u8)))
                        .collect::<String>()
                ),
                true,
            )
        }
    };
    let config = Config::from_env()?;
    runtime()?.block_on(async {
        let store = open(&config).await?;
        let input = users::NewUserInput {
            username: name.clone(),
            password: password.clone(),
            role: role.clone(),
            expert_code: args.get("expert").unwrap_or("").into(),
        };
        let user = users::create(&store, &Actor::system("cli"), input)
            .await
            .map_err(|e| match e {
                crate::error::AppError::Validation(v) => v.to_string(),
                other => other.to_string(),
            })?;
        out!("created {} ({})", user.username, user.role.as_str())?;
        if generated {
            out!("password: {password}")?;
        }
        Ok(())
    })
}

/// The SQLite file that a database URL names; `None` for PostgreSQL.
pub(super) fn sqlite_file(database_url: &str) -> Option<PathBuf> {
    if database_url.starts_with("postgres") {
        return None;
    }
    crate::store::sqlite_path(database_url).map(PathBuf::from)
}

/// The one positional argument `FILE` of `backup` and `restore`.
fn file_argument(raw: &[String], command: &usage::Command) -> Result<PathBuf, String> {
    match command.parse(raw)?.positional() {
        [file] => Ok(PathBuf::from(file)),
        _ => Err(command.hint("give the one file")),
    }
}

/// The SQLite file that `DATABASE_URL` names, or why the command does not apply.
fn configured_sqlite_file(postgres_tool: &str) -> Result<PathBuf, String> {
    let url = database_url_from_env();
    if url.starts_with("postgres") {
        return Err(format!(
            "DATABASE_URL names a PostgreSQL database: use {postgres_tool}, PostgreSQL's own tool"
        ));
    }
    sqlite_file(&url)
        .ok_or_else(|| format!("DATABASE_URL ({}) names no SQLite file", redact_url(&url)))
}

/// `backup FILE`: a consistent copy of the SQLite database, safe while the service runs.
pub fn backup(raw: &[String]) -> Result<(), String> {
    let file = file_argument(raw, &usage::BACKUP)?;
    let db = configured_sqlite_file("pg_dump (e.g. `pg_dump -Fc -f FILE DBNAME`)")?;
    runtime()?.block_on(backup::backup(&db, &file))?;
    out!("backed up {} to {}", db.display(), file.display())
}

/// `restore FILE`: replaces the SQLite database by a backup while the service is stopped.
pub fn restore(raw: &[String]) -> Result<(), String> {
    let file = file_argument(raw, &usage::RESTORE)?;
    let db = configured_sqlite_file("pg_restore or psql")?;
    let restored = runtime()?.block_on(backup::restore(&db, &file))?;
    out!("restored {} from {}", db.display(), file.display())?;
    if let Some(previous) = restored.previous {
        out!("the database it replaced is kept as {}", previous.display())?;
    }
    Ok(())
}
