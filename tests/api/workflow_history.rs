//! What is done stays done (issue 10): closed events are frozen, attendance waits for the
//! event, declared conflicts name the expert's own items, the 12-month cap counts windows, and
//! stored draws show any edit.

use crate::helpers::*;
use crate::workflow::*;
use rocket::http::{Method, Status};
use serde_json::{json, Value};

async fn run_to_confirmed(app: &TestApp, id: i64) -> Vec<Value> {
    assert_eq!(draw(app, id, 11).await.0, Status::Created);
    assert_eq!(confirm(app, id).await.0, Status::Ok);
    for i in roster(app, id).await {
        assert_eq!(answer(app, &i, accept()).await.0, Status::Ok);
    }
    advance_to(app, id, "confirmed").await;
    roster(app, id).await
}

#[tokio::test]
async fn a_closed_event_is_frozen_and_attendance_waits_for_the_event() {
    let app = spawn_app().await;
    app.login_admin().await;
    review_pool(&app, 8).await;
    // Next year's event: confirmed, but attendance cannot be recorded yet.
    let later = event(&app, "EVL", "2027-03-01", "", 1, 3, |_| {}).await;
    let seats = run_to_confirmed(&app, later).await;
    let (status, r) = app
        .send_json(
            Method::Post,
            &format!(
                "/api/v1/invitations/{}/attendance",
                seats[0]["invitation_id"]
            ),
            &json!({"attendance": "attended"}),
        )
        .await;
    assert_eq!(status, Status::Conflict, "{r}");
    // Last week's event, still inviting: attendance is refused by state, typed.
    let past = event(&app, "EVP", "2026-11-16", "", 1, 3, |_| {}).await;
    assert_eq!(draw(&app, past, 1).await.0, Status::Created);
    assert_eq!(confirm(&app, past).await.0, Status::Ok);
    let first = roster(&app, past).await[0].clone();
    assert_eq!(answer(&app, &first, accept()).await.0, Status::Ok);
    let (status, r) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/invitations/{}/attendance", first["invitation_id"]),
            &json!({"attendance": "attended"}),
        )
        .await;
    assert_eq!(
        (status, r["error"]["code"].as_str()),
        (Status::Conflict, Some("event_state")),
        "{r}"
    );
    for i in roster(&app, past)
        .await
        .iter()
        .filter(|i| i["status"] == "pending")
    {
        assert_eq!(answer(&app, i, accept()).await.0, Status::Ok);
    }
    app.send_json(
        Method::Post,
        &format!("/api/v1/events/{past}/advance"),
        &json!({}),
    )
    .await;
    for i in roster(&app, past).await {
        let (status, r) = app
            .send_json(
                Method::Post,
                &format!("/api/v1/invitations/{}/attendance", i["invitation_id"]),
                &json!({"attendance": "attended", "rating_expertise": 4, "rating_diligence": 5, "rating_fairness": 5}),
            )
            .await;
        assert_eq!(status, Status::Ok, "{r}");
    }
    advance_to(&app, past, "closed").await;
    let before = roster(&app, past).await;
    let rated = &before[0];
    let tries = [
        (
            format!("/api/v1/invitations/{}/answer", rated["invitation_id"]),
            decline(),
        ),
        (
            format!("/api/v1/invitations/{}/replace", rated["invitation_id"]),
            json!({}),
        ),
        (
            format!("/api/v1/invitations/{}/waive", rated["invitation_id"]),
            json!({"reason": "x"}),
        ),
        (
            format!("/api/v1/invitations/{}/attendance", rated["invitation_id"]),
            json!({"attendance": "no_show"}),
        ),
        (format!("/api/v1/events/{past}/draws"), json!({"seed": 1})),
        (format!("/api/v1/events/{past}/advance"), json!({})),
    ];
    for (uri, body) in tries {
        let (status, r) = app.send_json(Method::Post, &uri, &body).await;
        assert_eq!(status, Status::Conflict, "{uri}: {r}");
        assert_eq!(r["error"]["code"], "event_state", "{uri}: {r}");
        assert!(
            r["error"]["message"].as_str().unwrap().contains("closed"),
            "{r}"
        );
    }
    assert_eq!(
        roster(&app, past).await,
        before,
        "nothing changed on the closed event"
    );
}

#[tokio::test]
async fn a_declared_conflict_names_an_item_of_the_experts_own_panel() {
    let app = spawn_app().await;
    app.login_admin().await;
    review_pool(&app, 8).await;
    let id = event(
        &app,
        "EVC",
        "2027-01-13",
        "S1=2027-01-13 am; S2=2027-01-13 pm",
        2,
        3,
        |_| {},
    )
    .await;
    assert_eq!(draw(&app, id, 1).await.0, Status::Created);
    assert_eq!(confirm(&app, id).await.0, Status::Ok);
    let seat = roster(&app, id)
        .await
        .into_iter()
        .find(|i| i["panel_code"] == "EVC-P01")
        .unwrap();
    for other in ["P99999", "P2"] {
        let (status, r) = answer(
            &app,
            &seat,
            json!({"answer": "conflict", "conflict_item": other, "reason": "曾指导申报人"}),
        )
        .await;
        assert_eq!(
            (status, r["error"]["field"].as_str()),
            (Status::UnprocessableEntity, Some("conflict_item")),
            "{r}"
        );
    }
    let (status, r) = answer(
        &app,
        &seat,
        json!({"answer": "conflict", "conflict_item": "P1", "reason": "曾指导申报人"}),
    )
    .await;
    assert_eq!(status, Status::Ok, "{r}");
    // The expert sees their panel's items, slot and venue, and nobody else's name.
    let code = seat["expert_code"].as_str().unwrap();
    app.logout().await;
    app.add_user("own", "expert", code).await;
    app.login("own", PASSWORD).await;
    let (_, mine) = app.get_json("/api/v1/me/invitations").await;
    assert_eq!(mine[0]["items"][0]["code"], "P1", "{mine}");
    assert_eq!(mine[0]["slot"], json!({"date": "2027-01-13", "part": "am"}));
    assert_eq!(mine[0]["venue"], "科技大厦 301");
    assert!(
        !mine.to_string().contains("专家0"),
        "no other member: {mine}"
    );
}

#[tokio::test]
async fn the_12_month_cap_counts_windows_not_two_years() {
    let app = spawn_app().await;
    app.login_admin().await;
    let experts = review_pool(&app, 6).await;
    // The first expert reviewed 354 days before the event and will review 354 days after:
    // 708 days apart, never in one window with each other. With a cap of 2 they may sit.
    let mut conn = app.store.pool.acquire().await.unwrap();
    let (expert_id,): (i64,) = sqlx::query_as("select expert_id from expert where code = $1")
        .bind(&experts[0])
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    for (n, date) in ["2026-01-24", "2028-01-02"].iter().enumerate() {
        sqlx::query("insert into tracking_record (expert_id, event_ref, event_kind, event_date, response) values ($1, $2, 'application', $3, 'accepted')")
            .bind(expert_id)
            .bind(format!("H{n}"))
            .bind(*date)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    drop(conn);
    let id = event(&app, "EVW", "2027-01-13", "", 1, 6, |r| {
        r["max_reviews_per_12_months"] = json!(2);
    })
    .await;
    let (status, d) = draw(&app, id, 1).await;
    assert_eq!(status, Status::Created, "{d}");
    assert!(d.to_string().contains(&experts[0]), "all six sit: {d}");
}

#[tokio::test]
async fn an_edited_or_deleted_draw_shows_in_replay_and_in_the_chain() {
    let app = spawn_app().await;
    app.login_admin().await;
    review_pool(&app, 8).await;
    let id = event(&app, "EVT", "2027-01-13", "", 1, 3, |_| {}).await;
    for seed in 1..=3 {
        assert_eq!(draw(&app, id, seed).await.0, Status::Created);
    }
    let (_, chain) = app.get_json(&format!("/api/v1/events/{id}/chain")).await;
    assert_eq!(chain["intact"], true, "{chain}");
    let (_, draws) = app.get_json(&format!("/api/v1/events/{id}/draws")).await;
    let (newest, middle, oldest) = (
        draws[0]["id"].clone(),
        draws[1]["id"].clone(),
        draws[2]["id"].clone(),
    );
    // Someone with database access swaps two members in the newest stored result.
    let mut conn = app.store.pool.acquire().await.unwrap();
    let (text,): (String,) = sqlx::query_as("select result_json from draw where draw_id = $1")
        .bind(newest.as_i64().unwrap())
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let edited = text.replacen("\"fit\":", "\"fit\": ", 1);
    sqlx::query("update draw set result_json = $1 where draw_id = $2")
        .bind(edited)
        .bind(newest.as_i64().unwrap())
        .execute(&mut *conn)
        .await
        .unwrap();
    let (status, replay) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/draws/{newest}/replay"),
            &json!({}),
        )
        .await;
    assert_eq!(status, Status::Ok, "{replay}");
    assert_eq!(
        (
            replay["input_intact"].as_bool(),
            replay["result_intact"].as_bool(),
            replay["identical"].as_bool()
        ),
        (Some(true), Some(false), Some(false)),
        "{replay}"
    );
    // … and deletes the middle draw: the newest no longer links to its predecessor.
    sqlx::query("delete from draw where draw_id = $1")
        .bind(middle.as_i64().unwrap())
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let (_, chain) = app.get_json(&format!("/api/v1/events/{id}/chain")).await;
    assert_eq!(chain["intact"], false, "{chain}");
    assert_eq!(chain["missing"], json!([middle]), "{chain}");
    let links = chain["links"].as_array().unwrap();
    assert_eq!(links[0]["draw"], oldest);
    assert_eq!(links[0]["linked"], true);
    assert_eq!(links[1]["linked"], false, "{chain}");
    assert_eq!(links[1]["result_intact"], false, "{chain}");
    let page = app
        .client
        .get(format!("/events/{id}"))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(
        page.contains("链已断开"),
        "the event page shows the broken chain"
    );
}

/// A panel that rules bind only together: "≥ 2 legal experts from outside the province" and
/// "≤ 1 per organization", with the four eligible legal experts all at 清华大学. The diagnosis
/// names both rules and the organization.
#[tokio::test]
async fn an_infeasible_panel_names_the_rules_that_bind_together() {
    let app = spawn_app().await;
    app.login_admin().await;
    review_pool(&app, 8).await;
    for i in 0..4 {
        let mut p = profile_json(&format!("法律专家{i}"));
        p["org_id"] = json!("tsinghua");
        p["types"] = json!(["legal"]);
        p["region"] = json!("outside");
        p["relations"] = json!([]);
        p["employments"] = json!([]);
        p["unavailable"] = json!([]);
        p["email"] = json!(format!("legal{i}@example.org"));
        let (st, e) = app.send_json(Method::Post, "/api/v1/experts", &p).await;
        assert_eq!(st, Status::Created, "{e}");
        let (_, m) = app
            .send_json(
                Method::Post,
                "/api/v1/pools/review/memberships",
                &json!({"expert_code": e["code"], "pledge_on_paper": true}),
            )
            .await;
        app.send_json(
            Method::Post,
            &format!("/api/v1/memberships/{}/transitions", m["id"]),
            &json!({"action": "approve"}),
        )
        .await;
    }
    let id = event(&app, "EVD", "2027-01-13", "", 1, 5, |r| {
        r["max_per_org"] = json!(1);
        r["min_count"] =
            json!([{"filter": {"type": ["legal"], "region": ["outside"]}, "count": 2}]);
    })
    .await;
    let (status, r) = draw(&app, id, 1).await;
    assert_eq!(status, Status::Conflict, "{r}");
    let message = r["error"]["message"].as_str().unwrap();
    assert!(message.contains("清华大学"), "{message}");
    assert!(message.contains("per organization"), "{message}");
    assert!(!message.contains("not all at once"), "{message}");
}
