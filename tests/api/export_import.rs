//! `export` is the inverse of `import`: the sample imported, exported and imported again into
//! an empty database gives the same registry, memberships and tracking record.

use crate::helpers::*;
use expertpool::dataset::{Dataset, ExportError};
use expertpool::service::export::snapshot;
use expertpool::store::audit::Actor;
use expertpool::store::import::import;
use expertpool::store::{experts, reference, Store};
use rocket::http::{Method, Status};
use serde_json::json;
use std::path::Path;

/// A new, empty database (SQLite in `dir`, or PostgreSQL with `TEST_DATABASE_URL`).
async fn empty_store(dir: &Path) -> Store {
    Store::connect(&fresh_database(dir).await)
        .await
        .expect("open store")
}

async fn import_folder(store: &Store, dir: &Path) {
    let data = Dataset::load(dir).expect("the folder loads");
    import(store, &data, &Actor::system("test"))
        .await
        .expect("import");
}

type MembershipLine = (String, String, String, String, Option<String>, String);

async fn memberships(store: &Store) -> Vec<MembershipLine> {
    sqlx::query_as(
        "select e.code, m.pool, m.state, m.since, m.term_end, m.reason
         from membership m join expert e on e.expert_id = m.expert_id order by e.code, m.pool",
    )
    .fetch_all(&store.pool)
    .await
    .expect("memberships")
}

type HistoryLine = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

async fn history(store: &Store) -> Vec<HistoryLine> {
    sqlx::query_as(
        "select e.code, t.event_ref, t.event_kind, t.event_date, t.response, t.decline_reason, t.attendance,
                t.rating_expertise, t.rating_diligence, t.rating_fairness
         from tracking_record t join expert e on e.expert_id = t.expert_id order by e.code, t.event_ref",
    )
    .fetch_all(&store.pool)
    .await
    .expect("history")
}

#[tokio::test]
async fn the_sample_exported_and_imported_again_gives_the_same_registry_pools_and_history() {
    // Arrange: the sample in one database.
    let dir = tempfile::tempdir().expect("temp dir");
    let (first_dir, second_dir) = (dir.path().join("first"), dir.path().join("second"));
    std::fs::create_dir_all(&first_dir).expect("dir");
    std::fs::create_dir_all(&second_dir).expect("dir");
    let first = empty_store(&first_dir).await;
    import_folder(&first, &sample_dir()).await;

    // Act: export into a folder that does not exist yet, import that into an empty database.
    let out = dir.path().join("export");
    let taken = snapshot(&first).await.expect("snapshot");
    let written = taken.data.write(&out, false).expect("export");
    let second = empty_store(&second_dir).await;
    import_folder(&second, &out).await;

    // Assert
    assert!(taken.notes.is_empty(), "{:?}", taken.notes);
    assert!(written.differences.is_empty(), "{:?}", written.differences);
    assert_eq!(
        written.files,
        [
            ("organizations.csv", 100),
            ("disciplines.csv", 800),
            ("experts.csv", 2000),
            ("relations.csv", 1909),
            ("memberships.csv", 2424),
            ("history.csv", 5729),
            ("projects.csv", 0),
            ("events.json", 0),
        ]
    );
    assert_eq!(
        reference::organizations(&second).await.expect("orgs"),
        reference::organizations(&first).await.expect("orgs")
    );
    assert_eq!(
        reference::disciplines(&second, "").await.expect("codes"),
        reference::disciplines(&first, "").await.expect("codes")
    );
    let profiles =
        |all: &[experts::StoredExpert]| all.iter().map(|e| e.profile.clone()).collect::<Vec<_>>();
    let (a, b) = (
        experts::all(&first).await.expect("registry"),
        experts::all(&second).await.expect("registry"),
    );
    assert_eq!(a.len(), 2000);
    assert!(profiles(&a) == profiles(&b), "the registries differ");
    let pools = memberships(&first).await;
    assert_eq!(pools.len(), 2424);
    assert!(
        pools == memberships(&second).await,
        "the memberships differ"
    );
    let record = history(&first).await;
    assert_eq!(record.len(), 5729);
    assert!(record == history(&second).await, "the history differs");

    // A second round changes nothing: the two exports are the same bytes.
    let again = dir.path().join("again");
    snapshot(&second)
        .await
        .expect("snapshot")
        .data
        .write(&again, false)
        .expect("export");
    for (file, _) in &written.files {
        let (x, y) = (
            std::fs::read(out.join(file)).expect("first export"),
            std::fs::read(again.join(file)).expect("second export"),
        );
        assert!(x == y, "{file} differs between the two exports");
    }
}

#[tokio::test]
async fn export_refuses_a_folder_that_holds_files_and_leaves_it_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = empty_store(dir.path()).await;
    import_folder(&store, small_dataset(3).path()).await;
    let out = tempfile::tempdir().expect("out");
    std::fs::write(out.path().join("experts.csv"), "not ours\n").expect("write");

    let taken = snapshot(&store).await.expect("snapshot");
    let refused = taken.data.write(out.path(), false);

    assert!(
        matches!(&refused, Err(ExportError::NotEmpty(p)) if p == out.path()),
        "{refused:?}"
    );
    assert!(refused
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
        .contains("--force"));
    assert_eq!(
        std::fs::read_to_string(out.path().join("experts.csv")).expect("read"),
        "not ours\n"
    );
    let forced = taken.data.write(out.path(), true).expect("forced");
    assert_eq!(forced.files[2], ("experts.csv", 3));
    assert_eq!(
        Dataset::load(out.path()).expect("loads").experts.len(),
        3,
        "--force replaced the file"
    );
}

#[tokio::test]
async fn export_carries_events_and_answered_invitations() {
    // Arrange: a confirmed event whose five invitations got three answers.
    let app = spawn_app().await;
    app.login_admin().await;
    crate::invitations::pool_of_twelve(&app).await;
    let event = crate::invitations::drawn_event(&app, "申报评审", "2026-11-16", 5).await;
    let id = event["id"].clone();
    let draw = crate::invitations::latest_draw(&app, &id).await;
    let (status, _) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/confirm"),
            &json!({"draw": draw}),
        )
        .await;
    assert_eq!(status, Status::Ok);
    let (_, roster) = app.get_json(&format!("/api/v1/events/{id}/roster")).await;
    let invites = roster.as_array().expect("roster").clone();
    let answers = [
        json!({"answer": "accept", "pledge": true}),
        json!({"answer": "accept", "pledge": true}),
        json!({"answer": "decline", "reason": "abroad that week"}),
    ];
    for (inv, body) in invites.iter().zip(&answers) {
        let (status, r) = app
            .send_json(
                Method::Post,
                &format!("/api/v1/invitations/{}/answer", inv["invitation_id"]),
                body,
            )
            .await;
        assert_eq!(status, Status::Ok, "{r}");
    }

    // Act
    let taken = snapshot(&app.store).await.expect("snapshot");
    let out = tempfile::tempdir().expect("out");
    let written = taken.data.write(out.path(), false).expect("export");

    // Assert: the event and its item, the three answers as history, the two open ones named.
    assert!(written.differences.is_empty(), "{:?}", written.differences);
    let code = event["code"].as_str().expect("code");
    let data = Dataset::load(out.path()).expect("the export loads");
    let problem = data.problem(code, 1).expect("the event is in events.json");
    assert_eq!(problem.items.len(), 1);
    assert_eq!(problem.items[0].key, "P1");
    assert_eq!(problem.panels.len(), 1);
    let mut responses: Vec<&str> = data.history.iter().map(|h| h.response.as_str()).collect();
    responses.sort_unstable();
    assert_eq!(responses, ["accepted", "accepted", "declined"]);
    assert!(data.history.iter().all(|h| h.event_id == code
        && h.event_date == "2026-11-16"
        && h.event_kind == "application"));
    assert!(
        taken.notes.iter().any(|n| n.contains("2 invitations")),
        "{:?}",
        taken.notes
    );
}
