//! The registry kept in memory follows every write, from this instance or another one.

use crate::helpers::*;
use expertpool::store::{experts, Store};
use rocket::http::{Method, Status};

#[tokio::test]
async fn the_registry_in_memory_follows_writes_from_any_instance() {
    let app = spawn_app().await;
    app.add_user("staff1", "staff", "").await;
    assert_eq!(app.login("staff1", PASSWORD).await, Status::Ok);
    let (status, created) = app
        .send_json(Method::Post, "/api/v1/experts", &profile_json("林晓"))
        .await;
    assert_eq!(status, Status::Created, "{created}");
    let first = experts::all(&app.store).await.unwrap();
    assert_eq!(first.len(), 1);
    // Unchanged: the same copy is served again.
    let again = experts::all(&app.store).await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &again));

    // An edit through the API is seen at once, child rows included.
    let id = created["id"].as_i64().unwrap();
    let mut changed = profile_json("林晓");
    changed["disciplines"] = serde_json::json!(["45030"]);
    let (status, _) = app
        .send_json(Method::Put, &format!("/api/v1/experts/{id}"), &changed)
        .await;
    assert_eq!(status, Status::Ok);
    let edited = experts::all(&app.store).await.unwrap();
    assert_eq!(edited[0].profile.disciplines[0].as_str(), "45030");

    // Another instance (or the command line) imports experts into the same database.
    let other = Store::connect(&app.database_url).await.unwrap();
    let data = expertpool::dataset::Dataset::load(small_dataset(3).path()).unwrap();
    expertpool::store::import::import(
        &other,
        &data,
        &expertpool::store::audit::Actor::system("test"),
    )
    .await
    .unwrap();
    let imported = experts::all(&app.store).await.unwrap();
    assert!(!std::sync::Arc::ptr_eq(&edited, &imported));
    assert_eq!(
        imported.len() as i64,
        experts::count(&app.store).await.unwrap()
    );
    // The import replaced E00001 by code: its disciplines are the sample's again.
    let e1 = imported
        .iter()
        .find(|e| e.profile.code == "E00001")
        .unwrap();
    assert_ne!(e1.profile.disciplines[0].as_str(), "45030");
}
