//! `expertpool backup` and `restore` on SQLite files, run as the operator runs them.

use crate::helpers::small_dataset;
use expertpool::config::Config;
use expertpool::store::audit::Actor;
use expertpool::store::backup::DatabaseLock;
use expertpool::store::Store;
use rocket::http::Status;
use rocket::local::asynchronous::Client;
use std::path::{Path, PathBuf};
use std::process::Output;

fn url_of(db: &Path) -> String {
    format!("sqlite://{}?mode=rwc", db.display())
}

/// Runs the binary with `DATABASE_URL` naming `db`.
async fn expertpool(db: &Path, args: &[&str]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_expertpool"));
    command
        .args(args)
        .env("DATABASE_URL", url_of(db))
        .env("EXPERTPOOL_SECRET_KEY", "ab".repeat(64));
    tokio::task::spawn_blocking(move || command.output().expect("run expertpool"))
        .await
        .expect("join")
}

/// A migrated database file holding the first `experts` experts of the sample.
async fn database_with(dir: &Path, experts: usize) -> (PathBuf, Store) {
    let db = dir.join("expertpool.db");
    let store = Store::connect(&url_of(&db)).await.expect("open store");
    if experts > 0 {
        let data =
            expertpool::dataset::Dataset::load(small_dataset(experts).path()).expect("dataset");
        expertpool::store::import::import(&store, &data, &Actor::system("test"))
            .await
            .expect("import");
    }
    (db, store)
}

async fn expert_count(db: &Path) -> i64 {
    let store = Store::connect(&url_of(db)).await.expect("open");
    let (count,): (i64,) = sqlx::query_as("select count(*) from expert")
        .fetch_one(&store.pool)
        .await
        .expect("count");
    store.pool.close().await;
    count
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn backup_while_the_service_runs_copies_every_expert() {
    // Arrange: a running app on a file with 12 experts, its log not yet checkpointed.
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, store) = database_with(dir.path(), 12).await;
    let config = Config {
        max_document_bytes: expertpool::config::DEFAULT_MAX_DOCUMENT_BYTES,
        database_url: url_of(&db),
        secret_key: vec![5u8; 64],
        admin_password: None,
        port: None,
        templates_dir: None,
        messaging: Default::default(),
    };
    let client = Client::tracked(expertpool::build(&config, store.clone()))
        .await
        .expect("rocket");
    assert_eq!(client.get("/login").dispatch().await.status(), Status::Ok);
    let target = dir.path().join("backup.db");

    // Act
    let output = expertpool(&db, &["backup", target.to_str().expect("utf-8")]).await;

    // Assert
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(expert_count(&target).await, 12);
    let again = expertpool(&db, &["backup", target.to_str().expect("utf-8")]).await;
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("exists already"),
        "{}",
        stderr(&again)
    );
}

#[tokio::test]
async fn restore_is_refused_while_the_service_holds_the_database() {
    // Arrange: a backup without experts, a database with five, and the service's lock held.
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, store) = database_with(dir.path(), 0).await;
    let backup = dir.path().join("empty.db");
    expertpool::store::backup::backup(&db, &backup)
        .await
        .expect("backup");
    let data = expertpool::dataset::Dataset::load(small_dataset(5).path()).expect("dataset");
    expertpool::store::import::import(&store, &data, &Actor::system("test"))
        .await
        .expect("import");
    store.pool.close().await;
    let lock = DatabaseLock::try_acquire(&db).expect("the service's lock");

    // Act
    let output = expertpool(&db, &["restore", backup.to_str().expect("utf-8")]).await;

    // Assert
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("stop it first"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("panicked"));
    drop(lock);
    assert_eq!(expert_count(&db).await, 5);
}

#[tokio::test]
async fn restore_replaces_a_stopped_database_and_keeps_the_old_one() {
    // Arrange: a backup without experts; then five experts, a stale shared-memory file.
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, store) = database_with(dir.path(), 0).await;
    let backup = dir.path().join("empty.db");
    expertpool::store::backup::backup(&db, &backup)
        .await
        .expect("backup");
    let data = expertpool::dataset::Dataset::load(small_dataset(5).path()).expect("dataset");
    expertpool::store::import::import(&store, &data, &Actor::system("test"))
        .await
        .expect("import");
    store.pool.close().await;
    // A new file, not a rewrite: a closing connection may still map the old one.
    let shm = dir.path().join("expertpool.db-shm");
    let _ = std::fs::remove_file(&shm);
    std::fs::write(&shm, b"stale").expect("write");

    // Act
    let output = expertpool(&db, &["restore", backup.to_str().expect("utf-8")]).await;

    // Assert
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!dir.path().join("expertpool.db-shm").exists());
    assert_eq!(expert_count(&db).await, 0);
    let kept: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with("expertpool.db.before-restore-")
                    && !n.ends_with("-wal")
                    && !n.ends_with("-shm")
            })
        })
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(expert_count(&kept[0]).await, 5);
}

#[tokio::test]
async fn restore_refuses_a_file_that_is_not_an_expertpool_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, store) = database_with(dir.path(), 3).await;
    store.pool.close().await;
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "not a database at all, just some text".repeat(200)).expect("write");

    let output = expertpool(&db, &["restore", junk.to_str().expect("utf-8")]).await;

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("nothing was restored"),
        "{}",
        stderr(&output)
    );
    assert_eq!(expert_count(&db).await, 3);
}
