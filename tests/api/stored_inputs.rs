//! Stored draw inputs, format 2 (`assign::stored_input`): the profiles stored once per
//! registry snapshot, a draw's own text naming them; and format-1 draws stored before.

use crate::helpers::*;
use crate::workflow::*;
use rocket::http::{Method, Status};
use serde_json::{json, Value};

fn sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

async fn replay(app: &TestApp, draw: &Value) -> Value {
    let (status, replay) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/draws/{draw}/replay"),
            &json!({}),
        )
        .await;
    assert_eq!(status, Status::Ok, "{replay}");
    replay
}

async fn texts(app: &TestApp, sql: &str) -> Vec<String> {
    let mut conn = app.store.pool.acquire().await.unwrap();
    sqlx::query_as::<_, (String,)>(sql)
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .into_iter()
        .map(|(t,)| t)
        .collect()
}

async fn execute(app: &TestApp, sql: &str, binds: &[&str]) {
    let mut conn = app.store.pool.acquire().await.unwrap();
    let mut query = sqlx::query(sql);
    for b in binds {
        query = query.bind(*b);
    }
    query.execute(&mut *conn).await.unwrap();
}

#[tokio::test]
async fn draws_of_one_registry_share_their_profiles_and_an_edit_of_them_shows() {
    let app = spawn_app().await;
    app.login_admin().await;
    review_pool(&app, 8).await;
    let id = event(&app, "EVS", "2027-01-13", "", 1, 3, |_| {}).await;
    for seed in 1..=3 {
        assert_eq!(draw(&app, id, seed).await.0, Status::Created);
    }
    let (_, draws) = app.get_json(&format!("/api/v1/events/{id}/draws")).await;
    let inputs = texts(&app, "select input_json from draw order by draw_id").await;
    assert_eq!(inputs.len(), 3);
    let profiles = texts(&app, "select profiles_hash from input_profiles").await;
    assert_eq!(
        profiles.len(),
        1,
        "three draws of one registry store its profiles once"
    );
    for (text, d) in inputs.iter().zip(draws.as_array().unwrap().iter().rev()) {
        assert!(text.starts_with("{\"stored_input\":2,"), "{}", &text[..60]);
        assert!(text.contains(&profiles[0]));
        assert_eq!(
            d["input_hash"],
            sha256(text),
            "the input hash is the stored text's"
        );
        let r = replay(&app, &d["id"]).await;
        assert_eq!(r["identical"], true, "{r}");
    }
    // A supervisor reads the whole input back, every candidate's profile included.
    let (_, detail) = app
        .get_json(&format!("/api/v1/draws/{}", draws[0]["id"]))
        .await;
    let candidates = detail["input"]["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 8, "{}", detail["input"]);
    assert!(candidates.iter().all(|c| c["name"].is_string()));

    // Someone with database access edits one stored profile: every draw made from it shows.
    let (text,) = (texts(&app, "select profiles_json from input_profiles").await)
        .into_iter()
        .map(|t| (t,))
        .next()
        .unwrap();
    let name = candidates[2]["name"].as_str().unwrap();
    let edited = text.replacen(name, "某某", 1);
    assert_ne!(edited, text);
    execute(
        &app,
        "update input_profiles set profiles_json = $1",
        &[&edited],
    )
    .await;
    let r = replay(&app, &draws[1]["id"]).await;
    assert_eq!(
        (r["input_intact"].as_bool(), r["identical"].as_bool()),
        (Some(false), Some(false)),
        "{r}"
    );
    let (_, chain) = app.get_json(&format!("/api/v1/events/{id}/chain")).await;
    assert_eq!(chain["intact"], false, "{chain}");
    let links = chain["links"].as_array().unwrap();
    assert!(
        links
            .iter()
            .all(|l| l["input_intact"] == false && l["linked"] == true),
        "{chain}"
    );
    // Put back, all holds again.
    execute(
        &app,
        "update input_profiles set profiles_json = $1",
        &[&text],
    )
    .await;
    let (_, chain) = app.get_json(&format!("/api/v1/events/{id}/chain")).await;
    assert_eq!(chain["intact"], true, "{chain}");

    // A new expert in the registry: the latest draw is out of date in its candidates, and the
    // next draw stores the new snapshot's profiles beside the first.
    let (_, e) = app.get_json(&format!("/api/v1/events/{id}")).await;
    assert_eq!(e["draw_status"]["current"], true, "{e}");
    let mut p = profile_json("新来的专家");
    p["email"] = json!("newcomer@example.org");
    let (status, body) = app.send_json(Method::Post, "/api/v1/experts", &p).await;
    assert_eq!(status, Status::Created, "{body}");
    let (_, e) = app.get_json(&format!("/api/v1/events/{id}")).await;
    assert_eq!(e["draw_status"]["changed"], json!(["candidates"]), "{e}");
    assert_eq!(draw(&app, id, 9).await.0, Status::Created);
    assert_eq!(
        texts(&app, "select profiles_hash from input_profiles")
            .await
            .len(),
        2
    );
    let (_, e) = app.get_json(&format!("/api/v1/events/{id}")).await;
    assert_eq!(e["draw_status"]["current"], true, "{e}");
}

#[tokio::test]
async fn a_draw_stored_in_format_1_still_replays_and_checks() {
    let app = spawn_app().await;
    app.login_admin().await;
    review_pool(&app, 8).await;
    let id = event(&app, "EVF", "2027-01-13", "", 1, 3, |_| {}).await;
    assert_eq!(draw(&app, id, 5).await.0, Status::Created);
    let (_, draws) = app.get_json(&format!("/api/v1/events/{id}/draws")).await;
    let d = &draws[0];
    let (_, detail) = app.get_json(&format!("/api/v1/draws/{}", d["id"])).await;
    // The row as a draw before format 2 stored it: the whole input inline, hashed as it is.
    let whole = serde_json::to_string(&detail["input"]).unwrap();
    let old_hash = d["input_hash"].as_str().unwrap();
    let new_hash = sha256(&whole);
    let result = texts(&app, "select result_json from draw").await.remove(0);
    assert!(result.contains(old_hash));
    let result = result.replace(old_hash, &new_hash);
    let draw_id = d["id"].to_string();
    execute(
        &app,
        "update draw set input_json = $1, input_hash = $2, result_json = $3, result_hash = $4 where draw_id = cast($5 as integer)",
        &[&whole, &new_hash, &result, &sha256(&result), &draw_id],
    )
    .await;
    execute(&app, "delete from input_profiles", &[]).await;
    let r = replay(&app, &d["id"]).await;
    assert_eq!(
        (
            r["input_intact"].as_bool(),
            r["result_intact"].as_bool(),
            r["identical"].as_bool()
        ),
        (Some(true), Some(true), Some(true)),
        "{r}"
    );
    let (_, detail) = app.get_json(&format!("/api/v1/draws/{}", d["id"])).await;
    assert_eq!(
        detail["input"]["candidates"].as_array().map(Vec::len),
        Some(8)
    );
}

async fn chain_intact(app: &TestApp, event: i64) -> Value {
    let path = format!("/api/v1/events/{event}/chain");
    app.get_json(&path).await.1["intact"].clone()
}

#[tokio::test]
async fn deleted_or_edited_profiles_are_reported_and_put_back_by_a_later_draw() {
    let app = spawn_app().await;
    app.login_admin().await;
    review_pool(&app, 8).await;
    let id = event(&app, "EVR", "2027-01-13", "", 1, 3, |_| {}).await;
    assert_eq!(draw(&app, id, 1).await.0, Status::Created);
    let (_, draws) = app.get_json(&format!("/api/v1/events/{id}/draws")).await;
    let first = draws[0]["id"].clone();

    // Deleted: the replay says so (nothing to replay), and the next draw stores them again.
    execute(&app, "delete from input_profiles", &[]).await;
    let r = replay(&app, &first).await;
    assert_eq!(
        (
            r["input_intact"].as_bool(),
            r["identical"].as_bool(),
            r["replayed_hash"].as_str()
        ),
        (Some(false), Some(false), Some("")),
        "{r}"
    );
    assert_eq!(chain_intact(&app, id).await, false);
    assert_eq!(draw(&app, id, 2).await.0, Status::Created);
    assert_eq!(
        texts(&app, "select profiles_hash from input_profiles")
            .await
            .len(),
        1
    );
    assert_eq!(chain_intact(&app, id).await, true);
    assert_eq!(replay(&app, &first).await["identical"], true);

    // Edited: shown, and put back by the first draw of a later snapshot with the same
    // profiles (a phone number is no part of them), which the audit log records.
    let text = texts(&app, "select profiles_json from input_profiles")
        .await
        .remove(0);
    let edited = text.replacen("专家01", "专家99", 1);
    execute(
        &app,
        "update input_profiles set profiles_json = $1",
        &[&edited],
    )
    .await;
    assert_eq!(chain_intact(&app, id).await, false);
    execute(&app, "update expert set phone = phone || '1'", &[]).await;
    assert_eq!(draw(&app, id, 3).await.0, Status::Created);
    assert_eq!(
        texts(&app, "select profiles_json from input_profiles").await,
        vec![text]
    );
    assert_eq!(chain_intact(&app, id).await, true);
    let (_, log) = app
        .get_json("/api/v1/audit?action=input_profiles.repaired")
        .await;
    assert_eq!(log["items"].as_array().map(Vec::len), Some(1), "{log}");
}
