//! Pool memberships end to end (issue: the two pools).

use crate::helpers::*;
use rocket::http::{ContentType, Method, Status};
use serde_json::{json, Value};

pub async fn expert(app: &TestApp, name: &str, edit: impl Fn(&mut Value)) -> Value {
    let mut body = profile_json(name);
    edit(&mut body);
    let (status, e) = app.send_json(Method::Post, "/api/v1/experts", &body).await;
    assert_eq!(status, Status::Created, "{e}");
    e
}

async fn nominate(app: &TestApp, pool: &str, code: &Value) -> Value {
    let (status, m) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/pools/{pool}/memberships"),
            &json!({"expert_code": code, "note": "recommended by the bureau", "pledge_on_paper": true}),
        )
        .await;
    assert_eq!(status, Status::Created, "{m}");
    m
}

pub async fn act(app: &TestApp, id: &Value, body: Value) -> (Status, Value) {
    app.send_json(
        Method::Post,
        &format!("/api/v1/memberships/{id}/transitions"),
        &body,
    )
    .await
}

#[tokio::test]
async fn apply_approve_suspend_reinstate_exit_keeps_the_whole_timeline() {
    let app = spawn_app().await;
    app.login_admin().await;
    let e = expert(&app, "周敏", |_| {}).await;
    app.logout().await;
    app.add_user("zhoumin", "expert", e["code"].as_str().unwrap())
        .await;
    app.login("zhoumin", PASSWORD).await;
    let (status, m) = app
        .send_json(
            Method::Post,
            "/api/v1/me/memberships",
            &json!({"pool": "review", "note": "申请加入评审库", "pledge": true}),
        )
        .await;
    assert_eq!(status, Status::Created, "{m}");
    assert!(
        m["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["passed"] == true),
        "{m}"
    );
    let id = m["id"].clone();
    app.logout().await;
    app.login_admin().await;
    for (body, state) in [
        (json!({"action": "approve"}), "active"),
        (
            json!({"action": "suspend", "reason": "misconduct under investigation"}),
            "suspended",
        ),
        (json!({"action": "reinstate"}), "active"),
        (
            json!({"action": "exit", "reason_code": "no_shows", "reason": "three no-shows"}),
            "exited",
        ),
    ] {
        let (status, after) = act(&app, &id, body.clone()).await;
        assert_eq!(status, Status::Ok, "{body}: {after}");
        assert_eq!(after["state"], state);
    }
    let (_, view) = app.get_json(&format!("/api/v1/memberships/{id}")).await;
    let actions: Vec<&str> = view["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["apply", "approve", "suspend", "reinstate", "exit"]
    );
    assert_eq!(view["reason"], "no_shows");
    // An exited member cannot be reinstated: 409 with a clear message.
    let (status, err) = act(&app, &id, json!({"action": "reinstate"})).await;
    assert_eq!(status, Status::Conflict);
    assert_eq!(
        err["error"]["message"],
        "cannot reinstate a membership that is exited"
    );
    // The pages show the timeline and the checks.
    let page = app
        .client
        .get(format!("/memberships/{id}"))
        .dispatch()
        .await;
    assert_eq!(page.status(), Status::Ok);
    let html = page.into_string().await.unwrap();
    assert!(
        html.contains("three no-shows") && html.contains("从业年限"),
        "{html}"
    );
    let profile = app.page(format!("/experts/{}", e["id"])).await;
    assert!(profile.contains(&format!("/memberships/{id}")));
    assert!(
        profile.contains("three no-shows"),
        "the whole timeline is on the expert page"
    );
    // The expert page lists the membership.
    let (_, list) = app
        .get_json(&format!("/api/v1/experts/{}/memberships", e["id"]))
        .await;
    assert_eq!(list[0]["state"], "exited");
}

#[tokio::test]
async fn refusal_is_final_and_needs_a_reason() {
    let app = spawn_app().await;
    app.login_admin().await;
    let e = expert(&app, "吴刚", |_| {}).await;
    let m = nominate(&app, "advisory", &e["code"]).await;
    let (status, err) = act(&app, &m["id"], json!({"action": "refuse"})).await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (Status::UnprocessableEntity, Some("reason"))
    );
    let (status, after) = act(
        &app,
        &m["id"],
        json!({"action": "refuse", "reason": "not enough strategy experience"}),
    )
    .await;
    assert_eq!(
        (status, after["state"].as_str()),
        (Status::Ok, Some("refused"))
    );
    assert_eq!(
        act(&app, &m["id"], json!({"action": "approve"})).await.0,
        Status::Conflict
    );
    // A new application is possible after a refusal.
    nominate(&app, "advisory", &e["code"]).await;
}

#[tokio::test]
async fn a_failed_rule_is_named_and_approval_needs_an_override_reason() {
    let app = spawn_app().await;
    app.login_admin().await;
    let e = expert(&app, "郑老", |p| {
        p["birth_year"] = json!("1955");
        p["title"] = json!("中级");
    })
    .await;
    let m = nominate(&app, "review", &e["code"]).await;
    let failed: Vec<&str> = m["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| c["rule"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["title_rank", "age"]);
    let (status, err) = act(&app, &m["id"], json!({"action": "approve"})).await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (Status::UnprocessableEntity, Some("override_reason"))
    );
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("title_rank, age"));
    let (status, after) = act(&app, &m["id"], json!({"action": "approve", "override_reason": "national award winner, needed for rare-earth panels"})).await;
    assert_eq!(status, Status::Ok, "{after}");
    let last = after["transitions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last["override_reason"],
        "national award winner, needed for rare-earth panels"
    );
}

#[tokio::test]
async fn bulk_term_expiry_ends_only_expired_terms_and_bulk_approval_is_all_or_none() {
    let app = spawn_app().await;
    app.login_admin().await;
    let mut ids = Vec::new();
    for (i, term_end) in ["2027-01-31", "2027-03-31", "2030-01-01"]
        .iter()
        .enumerate()
    {
        let e = expert(&app, &format!("任期{i}"), |_| {}).await;
        let m = nominate(&app, "review", &e["code"]).await;
        let (status, _) = act(
            &app,
            &m["id"],
            json!({"action": "approve", "term_end": term_end}),
        )
        .await;
        assert_eq!(status, Status::Ok);
        ids.push(m["id"].clone());
    }
    let (status, result) = app
        .send_json(
            Method::Post,
            "/api/v1/pools/review/expire-terms",
            &json!({"before": "2027-06-30"}),
        )
        .await;
    assert_eq!(status, Status::Ok, "{result}");
    assert_eq!(result["changed"], json!([ids[0], ids[1]]));
    let (_, roster) = app
        .get_json("/api/v1/pools/review/memberships?state=exited")
        .await;
    assert!(roster["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["reason"] == "term_expired"));
    assert_eq!(roster["counts"]["active"], 1);

    let a = nominate(
        &app,
        "review",
        &expert(&app, "批量甲", |_| {}).await["code"],
    )
    .await;
    let old = expert(&app, "批量乙", |p| p["birth_year"] = json!("1950")).await;
    let b = nominate(&app, "review", &old["code"]).await;
    let (status, err) = app
        .send_json(
            Method::Post,
            "/api/v1/memberships/bulk",
            &json!({"action": "approve", "ids": [a["id"], b["id"]]}),
        )
        .await;
    assert_eq!(status, Status::UnprocessableEntity, "{err}");
    assert_eq!(err["error"]["field"], "ids[1].override_reason");
    let (_, still) = app
        .get_json(&format!("/api/v1/memberships/{}", a["id"]))
        .await;
    assert_eq!(
        still["state"], "applied",
        "the first approval was rolled back"
    );
}

#[tokio::test]
async fn two_admins_acting_at_once_cannot_both_transition() {
    let app = spawn_app().await;
    app.login_admin().await;
    let e = expert(&app, "并发", |_| {}).await;
    let m = nominate(&app, "review", &e["code"]).await;
    let id = m["id"].as_i64().unwrap();
    let actor = expertpool::store::audit::Actor::system("test");
    let approve = expertpool::service::memberships::DecisionInput {
        action: "approve".into(),
        ..Default::default()
    };
    let refuse = expertpool::service::memberships::DecisionInput {
        action: "refuse".into(),
        reason: "duplicate".into(),
        ..Default::default()
    };
    let (a, b) = tokio::join!(
        expertpool::service::memberships::decide(&app.store, &actor, None, id, &approve),
        expertpool::service::memberships::decide(&app.store, &actor, None, id, &refuse),
    );
    let loser = match (a, b) {
        (Ok(_), Err(e)) | (Err(e), Ok(_)) => e,
        (a, b) => panic!("exactly one decision must win: {a:?} / {b:?}"),
    };
    assert_eq!(loser.status(), Status::Conflict, "{loser}");
    let (_, view) = app.get_json(&format!("/api/v1/memberships/{id}")).await;
    assert_eq!(
        view["transitions"].as_array().unwrap().len(),
        2,
        "one application and one decision"
    );
}

#[tokio::test]
async fn nobody_decides_on_their_own_membership() {
    let app = spawn_app().await;
    app.login_admin().await;
    let e = expert(&app, "管理员本人", |_| {}).await;
    let m = nominate(&app, "review", &e["code"]).await;
    // An administrator account linked to that expert record.
    app.add_user("boss", "admin", e["code"].as_str().unwrap())
        .await;
    app.logout().await;
    app.login("boss", PASSWORD).await;
    let (status, err) = act(&app, &m["id"], json!({"action": "approve"})).await;
    assert_eq!(status, Status::Forbidden, "{err}");
}

#[tokio::test]
async fn the_roster_export_matches_the_filter() {
    let app = spawn_app().await;
    app.login_admin().await;
    for (name, region) in [("甲地", "local"), ("乙地", "outside"), ("丙地", "outside")] {
        let e = expert(&app, name, |p| set_region(p, region)).await;
        let m = nominate(&app, "review", &e["code"]).await;
        act(&app, &m["id"], json!({"action": "approve"})).await;
    }
    let (_, roster) = app
        .get_json("/api/v1/pools/review/memberships?region=outside&state=active")
        .await;
    assert_eq!(roster["total"], 2);
    let csv = app
        .page("/api/v1/pools/review/roster.csv?region=outside&state=active")
        .await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    // A byte order mark first, so that Excel on a Chinese Windows reads UTF-8.
    assert!(lines[0].starts_with("\u{feff}membership_id,expert_id,name"));
    let names: Vec<&str> = roster["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    for name in names {
        assert!(csv.contains(name));
    }
    assert!(!csv.contains("甲地"));
    // The page offers the same filter and the download.
    let page = app.page("/pools/review?region=outside").await;
    assert!(
        page.contains("乙地") && !page.contains("甲地") && page.contains("roster.csv"),
        "{page}"
    );
}

#[tokio::test]
async fn entry_rules_are_configurable_and_audited() {
    let app = spawn_app().await;
    app.login_admin().await;
    let (_, rules) = app.get_json("/api/v1/pools/review/rules").await;
    assert_eq!(rules["max_entry_age"], 65);
    let mut changed = rules.clone();
    changed["term_years"] = json!(5);
    let (status, _) = app
        .send_json(Method::Put, "/api/v1/pools/review/rules", &changed)
        .await;
    assert_eq!(status, Status::Ok);
    changed["term_years"] = json!(0);
    let (status, err) = app
        .send_json(Method::Put, "/api/v1/pools/review/rules", &changed)
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (Status::UnprocessableEntity, Some("term_years"))
    );
    // The pool page's form saves the same rules.
    let page = app.page("/pools/review").await;
    let token = csrf_token(&page);
    let form = format!("csrf={token}&titles=%E6%AD%A3%E9%AB%98&max_entry_age=60&term_years=5&misconduct_bar_years=5&min_years_in_field=5&max_entry_age_distinguished=70&require_pledge=true&suspend_after_declines=3&suspension_months=6&newcomer_share_percent=25");
    let saved = app
        .client
        .post("/pools/review/rules")
        .header(rocket::http::ContentType::Form)
        .body(form)
        .dispatch()
        .await;
    assert_eq!(saved.status(), Status::SeeOther);
    let (_, rules) = app.get_json("/api/v1/pools/review/rules").await;
    assert_eq!(
        (rules["max_entry_age"].as_i64(), rules["titles"].clone()),
        (Some(60), json!(["正高"]))
    );
    let (_, log) = app.get_json("/api/v1/audit?action=pool.rules").await;
    assert_eq!(log["total"], 2);
    let e = expert(&app, "五年", |_| {}).await;
    let m = nominate(&app, "review", &e["code"]).await;
    let (_, after) = act(&app, &m["id"], json!({"action": "approve"})).await;
    let year: i32 = after["term_end"].as_str().unwrap()[..4].parse().unwrap();
    assert_eq!(
        year,
        expertpool::service::memberships::today()
            .format("%Y")
            .to_string()
            .parse::<i32>()
            .unwrap()
            + 5
    );
}

#[tokio::test]
async fn the_pool_page_pages_sorts_and_previews_ending_terms_before_ending_them() {
    let app = sample_app().await;
    app.login_admin().await;
    let (_, all) = app.get_json("/api/v1/pools/review/memberships").await;
    let total = all["total"].as_i64().unwrap();
    assert!(total > 100);
    // Paged on the server: fifty lines, the page count, the next page keeps filter and order.
    let page = app.page("/pools/review?sort=name&dir=desc").await;
    assert_eq!(
        page.matches("/memberships/").count(),
        50,
        "fifty lines a page"
    );
    let pages = (total + 49) / 50;
    assert!(page.contains(&format!("第 1 &#x2F; {pages} 页")), "{pages}");
    let next = page
        .split("href=\"")
        .find(|h| h.contains("page=2"))
        .unwrap();
    assert!(
        next.contains("sort=name") && next.contains("dir=desc"),
        "{next}"
    );
    assert!(
        page.contains("data-select-all"),
        "bulk actions can select all"
    );
    // The API pages and sorts the same way.
    let (_, first) = app
        .get_json("/api/v1/pools/review/memberships?sort=name&dir=desc&per_page=5")
        .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 5);
    assert_eq!(first["total"].as_i64().unwrap(), total);
    let names: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(names, sorted, "sorted by name, descending");
    // Ending terms: a preview lists who and how many; nothing changes until confirmed.
    let preview = app
        .page("/pools/review/expire-terms?before=2027-06-30")
        .await;
    let (_, due) = app
        .get_json("/api/v1/pools/review/memberships?term_before=2027-06-30")
        .await;
    let serving = due["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["state"] == "active" || m["state"] == "suspended")
        .count();
    assert!(serving > 0, "the sample has terms ending by mid-2027");
    assert!(
        preview.contains(&format!("结束 {serving} 位成员的任期？")),
        "the confirmation names the count"
    );
    let (_, unchanged) = app
        .get_json("/api/v1/pools/review/memberships?term_before=2027-06-30")
        .await;
    assert_eq!(unchanged, due, "a preview changes nothing");
    let token = csrf_token(&preview);
    let done = app
        .client
        .post("/pools/review/expire-terms")
        .header(ContentType::Form)
        .body(format!("csrf={token}&before=2027-06-30"))
        .dispatch()
        .await;
    assert_eq!(done.status(), Status::SeeOther);
    let after = app
        .page(done.headers().get_one("Location").unwrap().to_string())
        .await;
    assert!(
        after.contains("任期已结束。"),
        "a success message follows the action"
    );
}
