//! A full disk under the SQLite file: writes answer 503 ("nothing was saved"), never 500, and
//! work again as soon as space is freed, without a restart. The test mounts a small tmpfs,
//! so it needs root (CI runs as root); elsewhere it says so and passes.

use crate::helpers::*;
use rocket::http::{ContentType, Status};
use std::io::Write;
use std::process::Command;

struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        // Lazily: connections still closing must not keep the mount behind.
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Mounts a tmpfs with `options` on `dir`; `None` when that is not allowed (not root).
fn mount_tmpfs(dir: &std::path::Path, options: &str) -> Option<Mount> {
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", options, "tmpfs"])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: mounting a tmpfs needs root");
        return None;
    }
    Some(Mount(dir.to_path_buf()))
}

#[tokio::test]
async fn a_full_disk_answers_503_and_writes_work_again_once_space_is_freed() {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(_mount) = mount_tmpfs(dir.path(), "size=8m") else {
        return;
    };
    let url = format!("sqlite://{}/ep.db?mode=rwc", dir.path().display());
    let store = expertpool::store::Store::connect(&url).await.unwrap();
    expertpool::service::auth::bootstrap_admin(&store, Some(ADMIN_PASSWORD))
        .await
        .unwrap();
    seed_organizations(&store).await;
    let config = expertpool::config::Config {
        max_document_bytes: expertpool::config::DEFAULT_MAX_DOCUMENT_BYTES,
        database_url: url,
        secret_key: vec![7u8; 64],
        admin_password: None,
        port: None,
        templates_dir: None,
        messaging: Default::default(),
    };
    let client = rocket::local::asynchronous::Client::tracked(expertpool::build(&config, store))
        .await
        .unwrap();
    let login = client
        .post("/api/v1/session")
        .header(ContentType::JSON)
        .body(serde_json::json!({"username": "admin", "password": ADMIN_PASSWORD}).to_string())
        .dispatch()
        .await;
    assert_eq!(login.status(), Status::Ok);
    let create = |n: usize| {
        let mut p = profile_json(&format!("满盘{n}"));
        p["org_id"] = serde_json::json!("byh1");
        p["region"] = serde_json::json!("local");
        p["summary"] = serde_json::json!("长期从事铜冶炼研究。".repeat(40));
        client
            .post("/api/v1/experts")
            .header(ContentType::JSON)
            .body(p.to_string())
    };
    assert_eq!(create(0).dispatch().await.status(), Status::Created);
    // Fill the file system.
    let filler = dir.path().join("filler");
    {
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while f.write_all(&chunk).is_ok() {}
    }
    let mut refused = 0;
    for n in 1..=5 {
        let response = create(n).dispatch().await;
        let status = response.status();
        let body = response.into_string().await.unwrap_or_default();
        assert_ne!(status, Status::InternalServerError, "{body}");
        if status == Status::ServiceUnavailable {
            assert!(body.contains("nothing was saved"), "{body}");
            refused += 1;
        }
    }
    assert!(refused > 0, "a full disk refuses writes");
    // Space again: writes work at once, no restart.
    std::fs::remove_file(&filler).unwrap();
    for n in 10..13 {
        let response = create(n).dispatch().await;
        let status = response.status();
        assert_eq!(
            status,
            Status::Created,
            "{}",
            response.into_string().await.unwrap_or_default()
        );
    }
    let (status, _) = json_of(client.get("/api/v1/session").dispatch().await).await;
    assert_eq!(status, Status::Ok);
}

/// On a read-only file system the store says so at once, not "pool timed out" after 30 s.
#[tokio::test]
async fn a_read_only_folder_is_named_at_once() {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(_mount) = mount_tmpfs(dir.path(), "ro,size=1m") else {
        return;
    };
    let started = std::time::Instant::now();
    let url = format!("sqlite://{}/ep.db?mode=rwc", dir.path().display());
    let err = expertpool::store::Store::connect(&url)
        .await
        .err()
        .expect("refused");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let text = err.to_string();
    assert!(
        text.contains("cannot write in") && text.contains("Read-only"),
        "{text}"
    );
}
