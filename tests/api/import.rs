use crate::helpers::*;
use expertpool::dataset::Dataset;
use expertpool::store::audit::Actor;
use expertpool::store::import::import;
use rocket::http::Status;

#[tokio::test]
async fn the_sample_imports_with_its_counts_and_twice_is_idempotent() {
    let app = spawn_app().await;
    let data = Dataset::load(&sample_dir()).expect("sample loads");
    let first = import(&app.store, &data, &Actor::system("test"))
        .await
        .expect("import");
    assert_eq!(
        (
            first.organizations,
            first.disciplines,
            first.experts_created,
            first.relations
        ),
        (100, 800, 2000, 1909)
    );
    assert_eq!((first.memberships, first.history), (2424, 5729));
    let stamp = || async {
        let (at,): (String,) =
            sqlx::query_as("select updated_at from expert where code = 'E00001'")
                .fetch_one(&app.store.pool)
                .await
                .unwrap();
        at
    };
    let before = stamp().await;
    let second = import(&app.store, &data, &Actor::system("test"))
        .await
        .expect("again");
    // Nothing changed, nothing written: the "profile not updated for two years" clock of
    // every expert keeps running.
    assert_eq!(
        (
            second.experts_created,
            second.experts_updated,
            second.experts_unchanged
        ),
        (0, 0, 2000)
    );
    assert_eq!(stamp().await, before);
    app.login_admin().await;
    let (status, page) = app.get_json("/api/v1/experts?per_page=5").await;
    assert_eq!((status, page["total"].as_i64()), (Status::Ok, Some(2000)));
    let (_, e) = app
        .get_json(&format!("/api/v1/experts/{}", page["items"][0]["id"]))
        .await;
    assert_eq!(e["code"], "E00001");
    assert_eq!(e["unavailable"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_malformed_row_names_file_line_and_field_and_writes_nothing() {
    let app = spawn_app().await;
    let good = small_dataset(3);
    let data = Dataset::load(good.path()).unwrap();
    import(&app.store, &data, &Actor::system("test"))
        .await
        .unwrap();

    let bad = small_dataset(5);
    let path = bad.path().join("experts.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[5] = lines[5].replacen(",M,", ",X,", 1).replacen(",F,", ",X,", 1);
    std::fs::write(&path, lines.join("\n")).unwrap();
    let err = Dataset::load(bad.path()).unwrap_err();
    assert_eq!(
        (err.file.as_str(), err.line, err.field.as_str()),
        ("experts.csv", 6, "gender"),
        "{err}"
    );

    // A reference the database cannot satisfy fails inside the transaction: nothing is kept.
    let mut data = Dataset::load(small_dataset(5).path()).unwrap();
    data.memberships.push(expertpool::dataset::MembershipRow {
        expert_id: "E99999".into(),
        pool: "review".into(),
        state: "active".into(),
        since: "2026-01-01".into(),
        term_end: String::new(),
        reason: String::new(),
    });
    assert!(import(&app.store, &data, &Actor::system("test"))
        .await
        .is_err());
    app.login_admin().await;
    let (_, page) = app.get_json("/api/v1/experts").await;
    assert_eq!(page["total"], 3, "the failed import left no expert behind");
}

#[tokio::test]
async fn the_engine_reads_the_same_candidates_from_the_database_as_from_the_files() {
    let app = spawn_app().await;
    let data = Dataset::load(&sample_dir()).unwrap();
    import(&app.store, &data, &Actor::system("test"))
        .await
        .unwrap();
    let from_files = data.problem("EV001-APP", 1).unwrap();
    let date = *from_files.dates.iter().min().unwrap();
    let from_db = expertpool::service::candidates::for_event(
        &app.store,
        expertpool::domain::membership::Pool::Review,
        date,
        None,
    )
    .await
    .unwrap();
    let (from_db, snapshot) = from_db;
    assert_eq!(from_db.len(), from_files.candidates.len());
    let inactive = from_db
        .iter()
        .filter(|c| c.inactive_reason.is_some())
        .count();
    assert!(inactive > 300 && inactive < 1000, "{inactive} not serving");
    assert_eq!(
        from_db, from_files.candidates,
        "same profiles, same serving rule, same loads"
    );
    // The profile-only analysis the service keeps per registry snapshot gives the analysis
    // the engine computes from scratch, to the bit; a second call reuses it.
    let profiles = snapshot.index().await.unwrap();
    let again = expertpool::service::candidates::snapshot(&app.store)
        .await
        .unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&snapshot, &again),
        "kept while the registry is"
    );
    assert!(std::sync::Arc::ptr_eq(
        &profiles,
        &again.index().await.unwrap()
    ));
    assert!(profiles.describes(&from_files.candidates));
    let fresh = expertpool::assign::analyze(&from_files);
    let kept = expertpool::assign::analyze_with(&from_files, &profiles);
    assert_eq!(fresh.conflicts, kept.conflicts);
    assert_eq!(fresh.arcs, kept.arcs);
    assert!(fresh.arcs.len() > 1000, "{} arcs", fresh.arcs.len());
    for (a, b) in fresh.panels.iter().zip(&kept.panels) {
        assert_eq!(a.excluded, b.excluded);
        assert_eq!(a.unrelated_low_fit, b.unrelated_low_fit);
    }
}
