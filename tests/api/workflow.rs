//! Review events through a real week (issue 10): several events sharing experts and
//! half-days, stale draws, live replacement, withdrawals, frozen history, tamper-evident draws.
//! Shared builders for these tests and the random walk (`workflow_walk.rs`).

use crate::helpers::*;
use rocket::http::{Method, Status};
use serde_json::{json, Value};

/// Organizations of the sample, one per expert of the test pool.
const ORGS: [&str; 20] = [
    "lzu", "lzjtu", "nwimm", "bygroup", "gsau", "lut", "nwnu", "kust", "enfi", "bgrimm", "gsre",
    "byh1", "byh2", "bytcm", "hnh", "jyh", "bycdc", "byaas", "jtagri", "bykj",
];

/// `n` active review-pool experts at `n` organizations (at most 20), all free and relevant.
pub async fn review_pool(app: &TestApp, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for (i, org) in ORGS.iter().take(n).enumerate() {
        let mut p = profile_json(&format!("专家{i:02}"));
        p["org_id"] = json!(org);
        p["relations"] = json!([]);
        p["employments"] = json!([]);
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
        let (status, body) = app
            .send_json(
                Method::Post,
                &format!("/api/v1/memberships/{}/transitions", m["id"]),
                &json!({"action": "approve"}),
            )
            .await;
        assert_eq!(status, Status::Ok, "{body}");
        out.push(e["code"].as_str().unwrap().to_string());
    }
    out
}

/// A draft event with `items` items (P1…), grouped one item per panel, panels taking the
/// event's slots in turn; `rules` edits the preset (panel size `size`, no composition rules).
pub async fn event(
    app: &TestApp,
    code: &str,
    date: &str,
    slots: &str,
    items: usize,
    size: u32,
    rules: impl Fn(&mut Value),
) -> i64 {
    let (status, e) = app
        .send_json(
            Method::Post,
            "/api/v1/events",
            &json!({"code": code, "title": format!("评审 {code}"), "kind": "application", "dates": date, "slots": slots, "venue": "科技大厦 301"}),
        )
        .await;
    assert_eq!(status, Status::Created, "{e}");
    let id = e["id"].as_i64().unwrap();
    let mut r = e["rules"].clone();
    r["panel_size"] = json!(size);
    r["min_count"] = json!([]);
    r["min_share"] = json!([]);
    r["leader"] = Value::Null;
    rules(&mut r);
    let (status, body) = app
        .send_json(Method::Put, &format!("/api/v1/events/{id}/rules"), &r)
        .await;
    assert_eq!(status, Status::Ok, "{body}");
    let mut csv = String::from(
        "id,title_zh,title_en,applicant_org_id,team,disciplines,keywords_zh,abstract_zh,requested_avoid\n",
    );
    for i in 1..=items {
        csv.push_str(&format!(
            "P{i},铜冶炼烟气治理{i},,gspu,陈晨@gspu,45020,铜冶炼,摘要,\n"
        ));
    }
    upload_items(app, id, csv).await;
    let (status, body) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/panels"),
            &json!({"items_per_panel": 1}),
        )
        .await;
    assert!(status.code < 300, "panels: {body}");
    id
}

/// Adds items to an event from CSV text in the projects.csv format, expecting success.
pub async fn upload_items(app: &TestApp, id: i64, csv: String) {
    let response = app
        .client
        .post(format!("/api/v1/events/{id}/items"))
        .header(rocket::http::ContentType::CSV)
        .body(csv)
        .dispatch()
        .await;
    let status = response.status();
    assert!(
        status.code < 300,
        "items: {status:?} {:?}",
        response.into_string().await
    );
}

/// Draws with `seed`; the draw's id.
pub async fn draw(app: &TestApp, id: i64, seed: u64) -> (Status, Value) {
    app.send_json(
        Method::Post,
        &format!("/api/v1/events/{id}/draws"),
        &json!({ "seed": seed }),
    )
    .await
}

/// Confirms the latest draw.
pub async fn confirm(app: &TestApp, id: i64) -> (Status, Value) {
    let (_, draws) = app.get_json(&format!("/api/v1/events/{id}/draws")).await;
    let latest = draws[0]["id"].clone();
    app.send_json(
        Method::Post,
        &format!("/api/v1/events/{id}/confirm"),
        &json!({ "draw": latest }),
    )
    .await
}

/// The event's invitations.
pub async fn roster(app: &TestApp, id: i64) -> Vec<Value> {
    let (status, r) = app.get_json(&format!("/api/v1/events/{id}/roster")).await;
    assert_eq!(status, Status::Ok, "{r}");
    r.as_array().cloned().unwrap_or_default()
}

/// Answers an invitation as staff (a phone call).
pub async fn answer(app: &TestApp, invitation: &Value, body: Value) -> (Status, Value) {
    app.send_json(
        Method::Post,
        &format!("/api/v1/invitations/{}/answer", invitation["invitation_id"]),
        &body,
    )
    .await
}

/// Moves the event on (inviting → confirmed → closed) and checks where it went.
pub async fn advance_to(app: &TestApp, id: i64, expected: &str) {
    let (status, e) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/advance"),
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, e["status"].as_str()),
        (Status::Ok, Some(expected)),
        "{e}"
    );
}

pub fn accept() -> Value {
    json!({"answer": "accept", "pledge": true})
}

pub fn decline() -> Value {
    json!({"answer": "decline", "reason": "出差"})
}

// ---- regressions, one per finding of issue 10 ----

/// Decliners on two panels: each seat is replaced on its own panel (the other panel's hole
/// never blocks it), and the roster then confirms.
#[tokio::test]
async fn decliners_on_two_panels_are_replaced_panel_by_panel() {
    let app = spawn_app().await;
    app.login_admin().await;
    review_pool(&app, 14).await;
    // Several seeds: in some the engine would pick another leader for the refilled panel.
    for seed in 1..=4u64 {
        decliners_replaced(&app, seed).await;
    }
}

async fn decliners_replaced(app: &TestApp, seed: u64) {
    let code = format!("EVA{seed}");
    let (p01, p02) = (format!("{code}-P01"), format!("{code}-P02"));
    let id = event(
        app,
        &code,
        &format!("2027-01-{}", 10 + seed),
        &format!("S1=2027-01-{0} am; S2=2027-01-{0} pm", 10 + seed),
        2,
        5,
        |r| r["leader"] = json!({"filter": {"title": ["正高"]}}),
    )
    .await;
    assert_eq!(draw(app, id, seed).await.0, Status::Created);
    assert_eq!(confirm(app, id).await.0, Status::Ok);
    let seats = roster(app, id).await;
    let member_of = |panel: &str| {
        seats
            .iter()
            .find(|i| i["panel_code"] == panel && i["role"] == "member")
            .unwrap()
            .clone()
    };
    let leader_of = |seats: &[Value], panel: &str| {
        seats
            .iter()
            .filter(|i| i["panel_code"] == panel && i["role"] == "leader")
            .map(|i| i["expert_code"].clone())
            .collect::<Vec<_>>()
    };
    let leaders = [leader_of(&seats, &p01), leader_of(&seats, &p02)];
    assert_eq!(leaders[0].len(), 1, "{seats:?}");
    let (p1, p2) = (member_of(&p01), member_of(&p02));
    assert_eq!(answer(app, &p1, decline()).await.0, Status::Ok);
    assert_eq!(answer(app, &p2, decline()).await.0, Status::Ok);
    for gone in [&p1, &p2] {
        let (status, r) = app
            .send_json(
                Method::Post,
                &format!("/api/v1/invitations/{}/replace", gone["invitation_id"]),
                &json!({}),
            )
            .await;
        assert_eq!(status, Status::Created, "{r}");
        assert_eq!(r["invitation"]["panel_code"], gone["panel_code"]);
        assert_eq!(r["invitation"]["role"], "member");
    }
    // A member's seat was filled: each panel keeps its leader.
    let now = roster(app, id).await;
    assert_eq!(leader_of(&now, &p01), leaders[0]);
    assert_eq!(leader_of(&now, &p02), leaders[1]);
    for i in roster(app, id)
        .await
        .iter()
        .filter(|i| i["status"] == "pending")
    {
        assert_eq!(answer(app, i, accept()).await.0, Status::Ok);
    }
    advance_to(app, id, "confirmed").await;
}

/// A replacement reads workloads of this moment: an expert who reached the cap in another
/// event since the draw is not picked, and the seat still fills.
#[tokio::test]
async fn replacement_skips_experts_capped_since_the_draw() {
    let app = spawn_app().await;
    app.login_admin().await;
    review_pool(&app, 12).await;
    let cap_one = |r: &mut Value| r["max_reviews_per_12_months"] = json!(1);
    let a = event(&app, "EVA", "2027-01-13", "", 1, 4, cap_one).await;
    let b = event(&app, "EVB", "2027-01-20", "", 1, 7, cap_one).await;
    assert_eq!(draw(&app, a, 1).await.0, Status::Created);
    assert_eq!(confirm(&app, a).await.0, Status::Ok);
    assert_eq!(draw(&app, b, 2).await.0, Status::Created);
    assert_eq!(confirm(&app, b).await.0, Status::Ok);
    let in_b: Vec<Value> = roster(&app, b)
        .await
        .iter()
        .map(|i| i["expert_code"].clone())
        .collect();
    let first = roster(&app, a).await[0].clone();
    assert_eq!(answer(&app, &first, decline()).await.0, Status::Ok);
    let (status, r) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/invitations/{}/replace", first["invitation_id"]),
            &json!({}),
        )
        .await;
    assert_eq!(status, Status::Created, "{r}");
    assert!(!in_b.contains(&r["invitation"]["expert_code"]), "{r}");
    // Everyone is now taken (4 + 7 + the newcomer = 12 experts, cap 1): the next decliner's
    // seat cannot be filled, the answer names why, and staff leave it empty with a reason.
    let second = roster(&app, a)
        .await
        .into_iter()
        .find(|i| i["status"] == "pending")
        .unwrap();
    assert_eq!(answer(&app, &second, decline()).await.0, Status::Ok);
    let (status, r) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/invitations/{}/replace", second["invitation_id"]),
            &json!({}),
        )
        .await;
    assert_eq!(status, Status::Conflict, "{r}");
    let (status, r) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/invitations/{}/waive", second["invitation_id"]),
            &json!({"reason": ""}),
        )
        .await;
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (Status::UnprocessableEntity, Some("reason"))
    );
    let (status, r) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/invitations/{}/waive", second["invitation_id"]),
            &json!({"reason": "本组三人足以评审"}),
        )
        .await;
    assert_eq!(status, Status::Ok, "{r}");
    for i in roster(&app, a)
        .await
        .iter()
        .filter(|i| i["status"] == "pending")
    {
        assert_eq!(answer(&app, i, accept()).await.0, Status::Ok);
    }
    advance_to(&app, a, "confirmed").await;
    let (_, log) = app.get_json("/api/v1/audit?action=invitation.waive").await;
    assert!(log.to_string().contains("本组三人足以评审"), "{log}");
}

/// Editing rules or exclusions after a draw marks it out of date: the API says so, confirm
/// refuses it (even when the new draw failed), and a fresh draw confirms.
#[tokio::test]
async fn a_draw_made_before_an_edit_cannot_be_confirmed() {
    let app = spawn_app().await;
    app.login_admin().await;
    let experts = review_pool(&app, 10).await;
    let id = event(&app, "EVS", "2027-01-13", "", 1, 5, |_| {}).await;
    assert_eq!(draw(&app, id, 3).await.0, Status::Created);
    let (_, e) = app.get_json(&format!("/api/v1/events/{id}")).await;
    assert_eq!(e["draw_status"]["current"], true, "{e}");
    // New rules that no draw can meet: the draw fails, the old draw stays, and is stale.
    let mut rules = e["rules"].clone();
    rules["panel_size"] = json!(11);
    let (status, _) = app
        .send_json(Method::Put, &format!("/api/v1/events/{id}/rules"), &rules)
        .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(draw(&app, id, 4).await.0, Status::Conflict);
    let (_, e) = app.get_json(&format!("/api/v1/events/{id}")).await;
    assert_eq!(e["draw_status"]["current"], false, "{e}");
    assert_eq!(e["draw_status"]["changed"], json!(["rules"]), "{e}");
    let (status, r) = confirm(&app, id).await;
    assert_eq!(status, Status::Conflict, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("out of date"),
        "{r}"
    );
    assert!(roster(&app, id).await.is_empty(), "nothing was sent");
    // Back to five, drawn again: current. Then an exclusion makes it stale again.
    rules["panel_size"] = json!(5);
    app.send_json(Method::Put, &format!("/api/v1/events/{id}/rules"), &rules)
        .await;
    assert_eq!(draw(&app, id, 5).await.0, Status::Created);
    let (status, _) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/exclusions"),
            &json!({"item": "P1", "expert": experts[0], "kind": "staff", "reason": "曾参与该项目论证"}),
        )
        .await;
    assert!(status.code < 300);
    let (_, e) = app.get_json(&format!("/api/v1/events/{id}")).await;
    assert_eq!(e["draw_status"]["changed"], json!(["decisions"]), "{e}");
    let page = app
        .client
        .get(format!("/events/{id}"))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(
        page.contains("此抽取已过期"),
        "the page marks the stale draw"
    );
    assert_eq!(confirm(&app, id).await.0, Status::Conflict);
    assert_eq!(draw(&app, id, 6).await.0, Status::Created);
    // An older draw is refused by id even when it is current in content.
    let (_, draws) = app.get_json(&format!("/api/v1/events/{id}/draws")).await;
    let (status, r) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/confirm"),
            &json!({"draw": draws[1]["id"]}),
        )
        .await;
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (Status::Conflict, Some("draw")),
        "{r}"
    );
    assert_eq!(confirm(&app, id).await.0, Status::Ok);
}

/// An expert holding a seat in one event's morning is not drawn for another event's panel in
/// the same morning, and a confirmation racing against it is refused.
#[tokio::test]
async fn nobody_is_booked_twice_in_one_half_day() {
    let app = spawn_app().await;
    app.login_admin().await;
    review_pool(&app, 12).await;
    let morning = "S1=2027-01-13 am";
    let a = event(&app, "EVA", "2027-01-13", morning, 1, 5, |_| {}).await;
    let b = event(&app, "EVB", "2027-01-13", morning, 1, 5, |_| {}).await;
    let c = event(&app, "EVC", "2027-01-13", "S1=2027-01-13 pm", 1, 5, |_| {}).await;
    // B is drawn before A confirms, with the same seed: the same five.
    assert_eq!(draw(&app, a, 1).await.0, Status::Created);
    assert_eq!(draw(&app, b, 1).await.0, Status::Created);
    assert_eq!(confirm(&app, a).await.0, Status::Ok);
    let (status, r) = confirm(&app, b).await;
    assert_eq!(status, Status::Conflict, "{r}");
    assert!(
        r["error"]["message"].as_str().unwrap().contains("EVA"),
        "{r}"
    );
    // Drawn again, B leaves A's five out; the afternoon event may take them.
    assert_eq!(draw(&app, b, 2).await.0, Status::Created);
    assert_eq!(confirm(&app, b).await.0, Status::Ok);
    let in_a: Vec<Value> = roster(&app, a)
        .await
        .iter()
        .map(|i| i["expert_code"].clone())
        .collect();
    for i in roster(&app, b).await {
        assert!(!in_a.contains(&i["expert_code"]), "{i}");
    }
    let (_, overview) = app
        .get_json(&format!("/api/v1/events/{c}/eligibility"))
        .await;
    assert!(
        overview[0]["excluded"].get("busy_elsewhere").is_none(),
        "{overview}"
    );
    // Suspending a member withdraws their pending seats and says which.
    let (_, ms) = app.get_json("/api/v1/pools/review/memberships").await;
    let member = in_a[0].as_str().unwrap();
    let m = ms["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["code"] == member)
        .unwrap()
        .clone();
    let (status, view) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/memberships/{}/transitions", m["membership_id"]),
            &json!({"action": "suspend", "reason": "涉嫌违规，暂停"}),
        )
        .await;
    assert_eq!(status, Status::Ok, "{view}");
    assert_eq!(view["withdrawn"][0]["event"], "EVA", "{view}");
    let seat = roster(&app, a)
        .await
        .into_iter()
        .find(|i| i["expert_code"] == member)
        .unwrap();
    assert_eq!(seat["status"], "withdrawn");
    let page = app
        .client
        .get(format!("/memberships/{}", m["membership_id"]))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(
        page.contains("席位已空出"),
        "the membership page lists the opened seat"
    );
    let (status, r) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/invitations/{}/replace", seat["invitation_id"]),
            &json!({}),
        )
        .await;
    assert_eq!(status, Status::Created, "{r}");
    assert!(!in_a.contains(&r["invitation"]["expert_code"]));
}

/// Panels without a slot meet on the event's first day: a draw that may seat an expert on
/// two panels never puts them on two of those at once, so its confirmation goes through.
#[tokio::test]
async fn panels_without_a_slot_share_their_day_in_the_draw_as_at_confirmation() {
    let app = spawn_app().await;
    app.login_admin().await;
    review_pool(&app, 12).await;
    // Three panels of three on twelve experts, two panels each allowed: without the shared
    // day the engine would happily seat people twice.
    let id = event(&app, "EVNOSLOT", "2027-01-20", "", 3, 3, |r| {
        r["max_panels_per_expert"] = json!(2);
        r["max_per_org"] = json!(3);
    })
    .await;
    for seed in 1..=5 {
        let (status, body) = draw(&app, id, seed).await;
        assert_eq!(status, Status::Created, "{body}");
        let mut seated: Vec<String> = body["result"]["panels"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["members"].as_array().unwrap().clone())
            .map(|m| m["expert"].as_str().unwrap().to_string())
            .collect();
        let all = seated.len();
        seated.sort();
        seated.dedup();
        assert_eq!(
            seated.len(),
            all,
            "nobody sits twice on one day (seed {seed})"
        );
    }
    let (status, body) = confirm(&app, id).await;
    assert_eq!(status, Status::Ok, "{body}");
}
