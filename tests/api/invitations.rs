//! From draw to closed event: invitations, answers, replacement, roster, attendance, ratings.

use crate::helpers::*;
use rocket::http::{ContentType, Method, Status};
use serde_json::{json, Value};

/// Twelve active review-pool experts at twelve organizations, all able to serve.
pub async fn pool_of_twelve(app: &TestApp) -> Vec<Value> {
    let orgs = [
        "lzu", "lzjtu", "nwimm", "bygroup", "gsau", "lut", "nwnu", "kust", "enfi", "bgrimm",
        "gsre", "byh1",
    ];
    let mut out = Vec::new();
    for (i, org) in orgs.iter().enumerate() {
        let mut p = profile_json(&format!("专家{i:02}"));
        p["org_id"] = json!(org);
        p["relations"] = json!([]);
        p["email"] = json!(format!("expert{i:02}@example.org"));
        p["unavailable"] = json!([]);
        p["region"] = json!(org_region(org));
        let (st, e) = app.send_json(Method::Post, "/api/v1/experts", &p).await;
        assert_eq!(st, Status::Created, "{e}");
        let (_, m) = app
            .send_json(
                Method::Post,
                "/api/v1/pools/review/memberships",
                &json!({"expert_code": e["code"], "pledge_on_paper": true}),
            )
            .await;
        let (status, _) = app
            .send_json(
                Method::Post,
                &format!("/api/v1/memberships/{}/transitions", m["id"]),
                &json!({"action": "approve"}),
            )
            .await;
        assert_eq!(status, Status::Ok);
        out.push(e);
    }
    out
}

pub async fn latest_draw(app: &TestApp, event: &Value) -> i64 {
    let (_, draws) = app.get_json(&format!("/api/v1/events/{event}/draws")).await;
    draws[0]["id"].as_i64().expect("a draw")
}

pub async fn drawn_event(app: &TestApp, title: &str, date: &str, size: u32) -> Value {
    let event = event_with_one_item(app, title, date, |rules| {
        rules["panel_size"] = json!(size);
        rules["min_count"] = json!([]);
        rules["min_share"] = json!([]);
    })
    .await;
    let (status, d) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{}/draws", event["id"]),
            &json!({"seed": 1}),
        )
        .await;
    assert_eq!(status, Status::Created, "{d}");
    event
}

#[tokio::test]
async fn the_whole_flow_from_confirmation_to_a_closed_event() {
    let app = spawn_app().await;
    app.login_admin().await;
    let experts = pool_of_twelve(&app).await;
    // The event took place last week: attendance is recorded from its first day on.
    let event = drawn_event(&app, "申报评审", "2026-11-16", 5).await;
    let id = event["id"].clone();
    let (status, refused) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/confirm"),
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (Status::UnprocessableEntity, Some("draw")),
        "confirm names its draw: {refused}"
    );
    let (status, confirmed) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/confirm"),
            &json!({"draw": latest_draw(&app, &id).await}),
        )
        .await;
    assert_eq!(
        (status, confirmed["invitations"].as_u64()),
        (Status::Ok, Some(5)),
        "{confirmed}"
    );
    let (_, roster) = app.get_json(&format!("/api/v1/events/{id}/roster")).await;
    let invites = roster.as_array().unwrap().clone();
    assert_eq!(invites.iter().filter(|i| i["role"] == "leader").count(), 1);

    // Each invited expert answers from their own account: three accept, one declines, one declares a conflict.
    for (n, inv) in invites.iter().enumerate() {
        let code = inv["expert_code"].as_str().unwrap();
        let username = format!("user{}", code.to_lowercase());
        app.logout().await;
        app.add_user(&username, "expert", code).await;
        app.login(&username, PASSWORD).await;
        let (_, mine) = app.get_json("/api/v1/me/invitations").await;
        assert_eq!(mine.as_array().unwrap().len(), 1);
        assert!(
            mine[0].get("expert_code").is_none() && mine[0].get("members").is_none(),
            "no confidential data: {mine}"
        );
        assert_eq!(
            app.get_json(&format!("/api/v1/events/{id}/roster")).await.0,
            Status::Forbidden
        );
        let body = match n {
            0 => json!({"answer": "decline", "reason": "abroad that week"}),
            1 => {
                json!({"answer": "conflict", "conflict_item": "P1", "reason": "I advised the applicant"})
            }
            _ => json!({"answer": "accept", "pledge": true}),
        };
        let (status, after) = app
            .send_json(
                Method::Post,
                &format!("/api/v1/invitations/{}/answer", inv["invitation_id"]),
                &body,
            )
            .await;
        assert_eq!(status, Status::Ok, "{after}");
    }
    app.logout().await;
    app.login_admin().await;
    let accepted: Vec<String> = invites[2..]
        .iter()
        .map(|i| i["expert_code"].as_str().unwrap().to_string())
        .collect();
    // Not confirmable yet: two seats are empty.
    assert_eq!(
        app.send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/advance"),
            &json!({})
        )
        .await
        .0,
        Status::Conflict
    );
    for inv in &invites[..2] {
        let (status, r) = app
            .send_json(
                Method::Post,
                &format!("/api/v1/invitations/{}/replace", inv["invitation_id"]),
                &json!({}),
            )
            .await;
        assert_eq!(status, Status::Created, "{r}");
        assert_ne!(r["invitation"]["expert_code"], inv["expert_code"]);
        // Replacing twice is refused: the seat is filled.
        assert_eq!(
            app.send_json(
                Method::Post,
                &format!("/api/v1/invitations/{}/replace", inv["invitation_id"]),
                &json!({})
            )
            .await
            .0,
            Status::Conflict
        );
    }
    let (_, roster) = app.get_json(&format!("/api/v1/events/{id}/roster")).await;
    let live: Vec<&Value> = roster
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == "pending" || i["status"] == "accepted")
        .collect();
    assert_eq!(live.len(), 5);
    for code in &accepted {
        assert!(
            live.iter()
                .any(|i| i["expert_code"] == code.as_str() && i["status"] == "accepted"),
            "accepted members stay"
        );
    }
    assert!(
        !live
            .iter()
            .any(|i| i["expert_code"] == invites[1]["expert_code"]),
        "the declared conflict keeps them out"
    );
    // Staff record the newcomers' phone answers, then confirm.
    for inv in live.iter().filter(|i| i["status"] == "pending") {
        let (status, _) = app
            .send_json(
                Method::Post,
                &format!("/api/v1/invitations/{}/answer", inv["invitation_id"]),
                &json!({"answer": "accept", "pledge": true}),
            )
            .await;
        assert_eq!(status, Status::Ok);
    }
    let (status, event_now) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/advance"),
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, event_now["status"].as_str()),
        (Status::Ok, Some("confirmed"))
    );
    let csv = app
        .client
        .get(format!("/api/v1/events/{id}/roster.csv"))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert_eq!(
        csv.lines().count(),
        1 + 7,
        "header + 5 seats + 2 declined: {csv}"
    );
    // Attendance and ratings, then close.
    let (_, roster) = app.get_json(&format!("/api/v1/events/{id}/roster")).await;
    let mut first = true;
    for inv in roster
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == "accepted")
    {
        let body = if first {
            json!({"attendance": "no_show"})
        } else {
            json!({"attendance": "attended", "rating_expertise": 5, "rating_diligence": 4, "rating_fairness": 5})
        };
        first = false;
        let (status, r) = app
            .send_json(
                Method::Post,
                &format!("/api/v1/invitations/{}/attendance", inv["invitation_id"]),
                &body,
            )
            .await;
        assert_eq!(status, Status::Ok, "{r}");
    }
    let (status, bad) = app.send_json(Method::Post, &format!("/api/v1/invitations/{}/attendance", roster[2]["invitation_id"]), &json!({"attendance": "attended", "rating_expertise": 9, "rating_diligence": 4, "rating_fairness": 5})).await;
    assert!(
        status == Status::UnprocessableEntity || status == Status::Conflict,
        "{bad}"
    );
    let (status, closed) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/advance"),
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, closed["status"].as_str()),
        (Status::Ok, Some("closed"))
    );
    let _ = experts;
}

#[tokio::test]
async fn concurrent_confirmations_never_overbook_an_expert() {
    let app = spawn_app().await;
    app.login_admin().await;
    pool_of_twelve(&app).await;
    // A cap of one review per 12 months and two events drawn from the same twelve experts.
    let mut events = Vec::new();
    for (n, date) in ["2026-12-15", "2026-12-16"].iter().enumerate() {
        let event = event_with_one_item(&app, &format!("活动{n}"), date, |rules| {
            rules["panel_size"] = json!(8);
            rules["min_count"] = json!([]);
            rules["min_share"] = json!([]);
            rules["max_reviews_per_12_months"] = json!(1);
        })
        .await;
        let id = event["id"].clone();
        let (status, d) = app
            .send_json(
                Method::Post,
                &format!("/api/v1/events/{id}/draws"),
                &json!({"seed": n}),
            )
            .await;
        assert_eq!(status, Status::Created, "{d}");
        events.push(id.as_i64().unwrap());
    }
    // Eight of twelve in each draw: at least four experts are in both.
    let actor = expertpool::store::audit::Actor::system("test");
    let draw_a = latest_draw(&app, &json!(events[0])).await;
    let draw_b = latest_draw(&app, &json!(events[1])).await;
    let (a, b) = tokio::join!(
        expertpool::service::invitations::confirm(&app.store, &actor, events[0], draw_a),
        expertpool::service::invitations::confirm(&app.store, &actor, events[1], draw_b),
    );
    assert!(
        a.is_ok() != b.is_ok(),
        "exactly one confirmation goes through: {a:?} / {b:?}"
    );
    let a_ok = a.is_ok();
    let loser = a.err().or(b.err()).unwrap();
    assert_eq!(loser.status(), Status::Conflict, "{loser}");
    let mut conn = app.store.pool.acquire().await.unwrap();
    let (max,): (i64,) = sqlx::query_as("select cast(max(n) as bigint) from (select expert_id, count(*) as n from invitation group by expert_id) t").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(max, 1, "nobody holds two invitations under a cap of one");
    drop(conn);
    // The engine reads the same record: drawing the other event again leaves the eight invited
    // experts out as over their 12-month cap, and the diagnosis says so.
    let other = if a_ok { events[1] } else { events[0] };
    let (status, err) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{other}/draws"),
            &json!({"seed": 9}),
        )
        .await;
    assert_eq!(status, Status::Conflict, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("8 over_12_month_cap"),
        "{err}"
    );
}

#[tokio::test]
async fn the_pages_confirm_answer_replace_and_export_the_roster() {
    let app = spawn_app().await;
    app.login_admin().await;
    pool_of_twelve(&app).await;
    let event = drawn_event(&app, "页面流程", "2026-12-15", 3).await;
    let id = event["id"].clone();
    let page = app
        .client
        .get(format!("/events/{id}"))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    let token = csrf_token(&page);
    let form = |extra: &str| format!("csrf={token}{extra}");
    let draw = latest_draw(&app, &id).await;
    assert!(
        page.contains("将向 3 位专家发出邀请"),
        "confirming asks first, with the count"
    );
    assert_eq!(
        app.client
            .post(format!("/events/{id}/confirm"))
            .header(ContentType::Form)
            .body(form(&format!("&draw={draw}")))
            .dispatch()
            .await
            .status(),
        Status::SeeOther
    );
    let (_, roster) = app.get_json(&format!("/api/v1/events/{id}/roster")).await;
    let first = roster[0].clone();
    // The expert declines from their own page.
    let code = first["expert_code"].as_str().unwrap();
    app.logout().await;
    app.add_user("pageexpert", "expert", code).await;
    app.login("pageexpert", PASSWORD).await;
    let me = app
        .client
        .get("/me")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(
        me.contains("页面流程") && !me.contains(roster[1]["expert_name"].as_str().unwrap()),
        "own invitation only"
    );
    let my_token = csrf_token(&me);
    let no_pledge = app
        .client
        .post(format!("/me/invitations/{}/answer", first["invitation_id"]))
        .header(ContentType::Form)
        .body(format!("csrf={my_token}&answer=accept"))
        .dispatch()
        .await;
    assert_eq!(
        no_pledge.status(),
        Status::UnprocessableEntity,
        "accepting needs the pledge"
    );
    let declined = app
        .client
        .post(format!("/me/invitations/{}/answer", first["invitation_id"]))
        .header(ContentType::Form)
        .body(format!("csrf={my_token}&answer=decline&reason=travel"))
        .dispatch()
        .await;
    assert_eq!(declined.status(), Status::SeeOther);
    app.logout().await;
    app.login_admin().await;
    let page = app
        .client
        .get(format!("/events/{id}"))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    let token = csrf_token(&page);
    assert!(page.contains(&format!("/invitations/{}/replace", first["invitation_id"])));
    let replaced = app
        .client
        .post(format!("/invitations/{}/replace", first["invitation_id"]))
        .header(ContentType::Form)
        .body(format!("csrf={token}"))
        .dispatch()
        .await;
    assert_eq!(replaced.status(), Status::SeeOther);
    let print = app
        .client
        .get(format!("/events/{id}/roster"))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(
        !print.contains(first["expert_name"].as_str().unwrap()),
        "the printable roster lists the live seats"
    );
    let xlsx = app
        .client
        .get(format!("/events/{id}/roster.xlsx"))
        .dispatch()
        .await;
    assert_eq!(xlsx.status(), Status::Ok);
    let bytes = xlsx.into_bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK", "an XLSX file is a zip archive");
}
