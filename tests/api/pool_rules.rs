//! The pool rules of DESIGN §2–§6 (issue 14), each through the API.

use crate::helpers::*;
use crate::pools::{act, expert};
use crate::workflow::{answer, confirm, decline, draw, event, review_pool, roster, upload_items};
use chrono::Days;
use rocket::http::{Method, Status};
use serde_json::{json, Value};

async fn nominate(app: &TestApp, code: &Value, pledge: bool) -> Value {
    let (status, m) = app
        .send_json(
            Method::Post,
            "/api/v1/pools/review/memberships",
            &json!({"expert_code": code, "pledge_on_paper": pledge}),
        )
        .await;
    assert_eq!(status, Status::Created, "{m}");
    m
}

fn check<'a>(m: &'a Value, rule: &str) -> &'a Value {
    m["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} check in {m}"))
}

fn today() -> chrono::NaiveDate {
    expertpool::clock::today()
}

#[tokio::test]
async fn years_in_the_field_the_pledge_and_the_academician_age_are_entry_rules() {
    let app = spawn_app().await;
    app.login_admin().await;
    let year = chrono::Datelike::year(&today());
    // Three years in the field: fails ≥ 5; no pledge on file: fails too.
    let junior = expert(&app, "新人", |p| {
        p["field_since"] = json!((year - 3).to_string());
        p["employments"] = json!([]);
    })
    .await;
    let m = nominate(&app, &junior["code"], false).await;
    assert_eq!(check(&m, "years_in_field")["passed"], false, "{m}");
    assert_eq!(check(&m, "pledge")["passed"], false);
    let (status, err) = act(&app, &m["id"], json!({"action": "approve"})).await;
    assert_eq!(status, Status::UnprocessableEntity, "{err}");
    assert_eq!(err["error"]["field"], "override_reason");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("years_in_field"));
    // A written override lets these rules pass.
    let (status, after) = act(
        &app,
        &m["id"],
        json!({"action": "approve", "override_reason": "急需的稀缺专业，已收纸质承诺"}),
    )
    .await;
    assert_eq!(
        (status, after["state"].as_str()),
        (Status::Ok, Some("active"))
    );

    // 68 years old: over 65, within 70 for an academician.
    let senior = |distinction: &'static str| {
        move |p: &mut Value| {
            p["birth_year"] = json!((year - 68).to_string());
            p["distinction"] = json!(distinction);
            p["field_since"] = json!("1985");
        }
    };
    let plain = expert(&app, "年长专家", senior("")).await;
    let academician = expert(&app, "院士专家", senior("academician")).await;
    let m = nominate(&app, &plain["code"], true).await;
    assert_eq!(check(&m, "age")["passed"], false);
    let m = nominate(&app, &academician["code"], true).await;
    assert_eq!(check(&m, "age")["passed"], true, "{m}");
    assert!(m["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["passed"] == true));
    assert!(m["pledge_at"].is_string());
}

#[tokio::test]
async fn an_expert_applies_with_the_pledge_and_may_withdraw_the_application() {
    let app = spawn_app().await;
    app.login_admin().await;
    let e = expert(&app, "申请人", |_| {}).await;
    app.add_user("shenqing", "expert", e["code"].as_str().unwrap())
        .await;
    // A second account for the same expert is refused.
    let (status, err) = app
        .send_json(
            Method::Post,
            "/api/v1/users",
            &json!({"username": "shenqing2", "password": PASSWORD, "role": "expert", "expert_code": e["code"]}),
        )
        .await;
    assert_eq!(status, Status::Conflict, "{err}");
    assert_eq!(err["error"]["field"], "expert_code");
    app.logout().await;
    app.login("shenqing", PASSWORD).await;
    let (status, err) = app
        .send_json(
            Method::Post,
            "/api/v1/me/memberships",
            &json!({"pool": "review"}),
        )
        .await;
    assert_eq!(status, Status::UnprocessableEntity, "{err}");
    assert_eq!(err["error"]["field"], "pledge");
    let (status, m) = app
        .send_json(
            Method::Post,
            "/api/v1/me/memberships",
            &json!({"pool": "review", "pledge": true}),
        )
        .await;
    assert_eq!(status, Status::Created, "{m}");
    assert_eq!(check(&m, "pledge")["passed"], true);
    let (status, after) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/me/memberships/{}/leave", m["id"]),
            &json!({"reason": "暂不申请"}),
        )
        .await;
    assert_eq!(status, Status::Ok, "{after}");
    assert_eq!(after["state"], "withdrawn");
    // Withdrawn is final for that application; a new one may follow.
    let (status, again) = app
        .send_json(
            Method::Post,
            "/api/v1/me/memberships",
            &json!({"pool": "review", "pledge": true}),
        )
        .await;
    assert_eq!(status, Status::Created, "{again}");
    app.logout().await;
    app.login_admin().await;
    let (status, err) = act(&app, &m["id"], json!({"action": "approve"})).await;
    assert_eq!(status, Status::Conflict, "{err}");
    // The page of an ended membership offers no decision.
    let html = app
        .client
        .get(format!("/memberships/{}", m["id"]))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(!html.contains("value=\"approve\""), "{html}");
}

#[tokio::test]
async fn the_bar_after_misconduct_cannot_be_overridden() {
    let app = spawn_app().await;
    app.login_admin().await;
    let e = expert(&app, "失信者", |_| {}).await;
    let m = nominate(&app, &e["code"], true).await;
    act(&app, &m["id"], json!({"action": "approve"})).await;
    let (status, _) = act(
        &app,
        &m["id"],
        json!({"action": "exit", "reason_code": "misconduct", "reason": "伪造材料"}),
    )
    .await;
    assert_eq!(status, Status::Ok);
    let again = nominate(&app, &e["code"], true).await;
    let bar = check(&again, "misconduct");
    assert_eq!(
        (bar["passed"].clone(), bar["overridable"].clone()),
        (json!(false), json!(false))
    );
    let (status, err) = act(
        &app,
        &again["id"],
        json!({"action": "approve", "override_reason": "领导特批"}),
    )
    .await;
    assert_eq!(status, Status::Conflict, "{err}");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("cannot be overridden"));
}

#[tokio::test]
async fn a_renewal_never_shortens_and_expiry_ends_suspended_terms_too() {
    let app = spawn_app().await;
    app.login_admin().await;
    let e = expert(&app, "续聘", |_| {}).await;
    let m = nominate(&app, &e["code"], true).await;
    let end = today().checked_add_days(Days::new(800)).unwrap();
    let (_, approved) = act(
        &app,
        &m["id"],
        json!({"action": "approve", "term_end": end.to_string()}),
    )
    .await;
    assert_eq!(approved["term_end"], end.to_string());
    let shorter = today().checked_add_days(Days::new(400)).unwrap();
    let (status, err) = act(
        &app,
        &m["id"],
        json!({"action": "renew", "term_end": shorter.to_string()}),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{err}");
    assert_eq!(err["error"]["field"], "term_end");
    let (status, renewed) = act(&app, &m["id"], json!({"action": "renew"})).await;
    assert_eq!(status, Status::Ok, "{renewed}");
    let new_end =
        chrono::NaiveDate::parse_from_str(renewed["term_end"].as_str().unwrap(), "%Y-%m-%d")
            .unwrap();
    assert!(
        new_end > end,
        "one more term from the current end: {new_end}"
    );

    // A suspended member whose term ended is exited by "expire terms" like an active one.
    let s = expert(&app, "暂停到期", |_| {}).await;
    let m = nominate(&app, &s["code"], true).await;
    let soon = today().checked_add_days(Days::new(10)).unwrap();
    act(
        &app,
        &m["id"],
        json!({"action": "approve", "term_end": soon.to_string()}),
    )
    .await;
    let (status, _) = act(
        &app,
        &m["id"],
        json!({"action": "suspend", "reason": "调查中"}),
    )
    .await;
    assert_eq!(status, Status::Ok);
    let (status, done) = app
        .send_json(
            Method::Post,
            "/api/v1/pools/review/expire-terms",
            &json!({"before": today().checked_add_days(Days::new(20)).unwrap().to_string()}),
        )
        .await;
    assert_eq!(status, Status::Ok, "{done}");
    assert!(done["changed"].as_array().unwrap().contains(&m["id"]));
    let (_, view) = app
        .get_json(&format!("/api/v1/memberships/{}", m["id"]))
        .await;
    assert_eq!(
        (view["state"].as_str(), view["reason"].as_str()),
        (Some("exited"), Some("term_expired"))
    );
}

#[tokio::test]
async fn a_suspension_with_an_end_date_ends_by_itself() {
    let app = spawn_app().await;
    app.login_admin().await;
    let e = expert(&app, "暂停", |_| {}).await;
    let m = nominate(&app, &e["code"], true).await;
    act(&app, &m["id"], json!({"action": "approve"})).await;
    let (status, err) = act(
        &app,
        &m["id"],
        json!({"action": "suspend", "reason": "x", "until": "2020-01-01"}),
    )
    .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (Status::UnprocessableEntity, Some("until"))
    );
    let until = today().checked_add_days(Days::new(5)).unwrap();
    let (status, s) = act(
        &app,
        &m["id"],
        json!({"action": "suspend", "reason": "本人申请暂停", "until": until.to_string()}),
    )
    .await;
    assert_eq!(status, Status::Ok, "{s}");
    assert_eq!(s["suspended_until"], until.to_string());
    // Until the day after the end date nothing changes; then the daily task reinstates.
    let none = expertpool::service::suspensions::end_lapsed(&app.store, until)
        .await
        .unwrap();
    assert!(none.is_empty());
    let day_after = until.checked_add_days(Days::new(1)).unwrap();
    let ended = expertpool::service::suspensions::end_lapsed(&app.store, day_after)
        .await
        .unwrap();
    assert_eq!(ended, vec![m["id"].as_i64().unwrap()]);
    let (_, view) = app
        .get_json(&format!("/api/v1/memberships/{}", m["id"]))
        .await;
    assert_eq!(view["state"], "active");
    let last = view["transitions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["actor"], "system:suspensions");
    assert_eq!(last["reason_code"], "suspension_ended");
}

#[tokio::test]
async fn three_refusals_in_a_row_suspend_a_member_for_six_months() {
    let app = spawn_app().await;
    app.login_admin().await;
    // Five members, panels of five: everyone is invited to every event.
    let codes = review_pool(&app, 5).await;
    let target = &codes[0];
    let mut refused = 0;
    for n in 0..3u64 {
        let code = format!("EVS{n}");
        let date = format!("2027-0{}-10", n + 2);
        let id = event(&app, &code, &date, &format!("S1={date} am"), 1, 5, |_| {}).await;
        assert_eq!(draw(&app, id, n).await.0, Status::Created);
        assert_eq!(confirm(&app, id).await.0, Status::Ok);
        let seat = roster(&app, id)
            .await
            .into_iter()
            .find(|i| &i["expert_code"] == target)
            .expect("every member is on the panel");
        let body = if n == 1 {
            json!({"answer": "no_response"})
        } else {
            decline()
        };
        let (status, r) = answer(&app, &seat, body).await;
        assert_eq!(status, Status::Ok, "{r}");
        refused += 1;
        let (_, ms) = app
            .get_json(&format!(
                "/api/v1/experts/{}/memberships",
                seat["expert_id"]
            ))
            .await;
        let expected = if refused < 3 { "active" } else { "suspended" };
        assert_eq!(ms[0]["state"], expected, "after {refused} refusals: {ms}");
    }
    let (_, ms) = app
        .get_json(&format!("/api/v1/experts/{}/memberships", {
            let (_, e) = app.get_json(&format!("/api/v1/experts?q={target}")).await;
            e["items"][0]["id"].clone()
        }))
        .await;
    let until = ms[0]["suspended_until"].as_str().unwrap();
    let six_months = today().checked_add_months(chrono::Months::new(6)).unwrap();
    assert_eq!(until, six_months.to_string());
    let (_, view) = app
        .get_json(&format!("/api/v1/memberships/{}", ms[0]["id"]))
        .await;
    let last = view["transitions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["actor"].as_str(), last["reason_code"].as_str()),
        (Some("system:suspensions"), Some("declines"))
    );
}

#[tokio::test]
async fn the_region_follows_the_employer_and_a_changed_employer_stays_in_the_history() {
    let app = spawn_app().await;
    app.login_admin().await;
    let mut body = profile_json("外地专家");
    body["org_id"] = json!("bygroup"); // a local employer
    body["region"] = json!("outside");
    let (status, err) = app.send_json(Method::Post, "/api/v1/experts", &body).await;
    assert_eq!(status, Status::UnprocessableEntity, "{err}");
    assert_eq!(err["error"]["field"], "region");
    body["region"] = json!("local");
    let (status, e) = app.send_json(Method::Post, "/api/v1/experts", &body).await;
    assert_eq!(status, Status::Created, "{e}");
    let mut moved = body.clone();
    moved["code"] = e["code"].clone();
    set_region(&mut moved, "outside");
    let (status, after) = app
        .send_json(Method::Put, &format!("/api/v1/experts/{}", e["id"]), &moved)
        .await;
    assert_eq!(status, Status::Ok, "{after}");
    let year = chrono::Datelike::year(&today());
    assert!(
        after["employments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["org_id"] == "bygroup" && j["to"] == year),
        "{after}"
    );
}

#[tokio::test]
async fn avoidance_reasons_prior_roles_and_deputies_reach_the_draw() {
    let app = spawn_app().await;
    app.login_admin().await;
    let codes = review_pool(&app, 12).await;
    // The application review: the first panel's members review P1.
    let first = event(&app, "EVP1", "2027-02-10", "S1=2027-02-10 am", 1, 5, |_| {}).await;
    assert_eq!(draw(&app, first, 1).await.0, Status::Created);
    assert_eq!(confirm(&app, first).await.0, Status::Ok);
    let seats = roster(&app, first).await;
    let reviewer = seats[0].clone();
    let (status, _) = answer(&app, &reviewer, crate::workflow::accept()).await;
    assert_eq!(status, Status::Ok);
    // The acceptance check of the same project names it as its earlier item, asks to
    // avoid one expert with a reason and records another's prior role.
    let (status, e) = app
        .send_json(
            Method::Post,
            "/api/v1/events",
            &json!({"code": "EVP2", "title": "验收", "kind": "acceptance", "dates": "2027-04-10", "slots": "S1=2027-04-10 am"}),
        )
        .await;
    assert_eq!(status, Status::Created, "{e}");
    let id = e["id"].as_i64().unwrap();
    let mut r = e["rules"].clone();
    r["panel_size"] = json!(5);
    r["min_count"] = json!([]);
    r["min_share"] = json!([]);
    r["leader"] = json!({"filter": {"title": ["正高"]}});
    r["deputy"] = json!({"filter": {"title": ["正高", "副高"]}});
    let (status, body) = app
        .send_json(Method::Put, &format!("/api/v1/events/{id}/rules"), &r)
        .await;
    assert_eq!(status, Status::Ok, "{body}");
    let csv = format!(
        "id,title_zh,title_en,applicant_org_id,team,disciplines,keywords_zh,abstract_zh,requested_avoid,prior_role,earlier_items\n\
         P9,铜冶炼烟气治理验收,,gspu,陈晨@gspu,45020,铜冶炼,摘要,{}：与申请人有竞争关系,{}:参与起草申请书,P1\n",
        codes[1], codes[2]
    );
    upload_items(&app, id, csv).await;
    let (status, _) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/panels"),
            &json!({"items_per_panel": 1}),
        )
        .await;
    assert!(status.code < 300);
    let (status, overview) = app
        .get_json(&format!("/api/v1/events/{id}/eligibility"))
        .await;
    assert_eq!(status, Status::Ok, "{overview}");
    let excluded = &overview[0]["excluded"];
    assert_eq!(excluded["requested"], 1, "{overview}");
    assert_eq!(excluded["prior_role"], 2, "{overview}");
    let (status, d) = draw(&app, id, 3).await;
    assert_eq!(status, Status::Created, "{d}");
    // The stored input carries the reasons for the audit.
    let (_, detail) = app.get_json(&format!("/api/v1/draws/{}", d["id"])).await;
    let item = &detail["input"]["items"][0];
    assert_eq!(
        item["avoid_reasons"][&codes[1]], "与申请人有竞争关系",
        "{item}"
    );
    assert_eq!(item["prior_roles"][&codes[2]], "参与起草申请书");
    assert_eq!(
        item["prior_roles"][reviewer["expert_code"].as_str().unwrap()],
        "reviewed P1 in EVP1"
    );
    let panel = &d["result"]["panels"][0];
    let members: Vec<&str> = panel["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["expert"].as_str().unwrap())
        .collect();
    for excluded in [
        codes[1].as_str(),
        codes[2].as_str(),
        reviewer["expert_code"].as_str().unwrap(),
    ] {
        assert!(
            !members.contains(&excluded),
            "{excluded} drawn: {members:?}"
        );
    }
    let (leader, deputy) = (
        panel["leader"].as_str().unwrap(),
        panel["deputy"].as_str().unwrap(),
    );
    assert_ne!(leader, deputy);
    assert_eq!(confirm(&app, id).await.0, Status::Ok);
    let roles: Vec<String> = roster(&app, id)
        .await
        .iter()
        .map(|i| i["role"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        roles.iter().filter(|r| *r == "deputy").count(),
        1,
        "{roles:?}"
    );
}

#[tokio::test]
async fn a_correspondence_review_needs_the_expert_free_over_its_window() {
    let app = spawn_app().await;
    app.login_admin().await;
    let codes = review_pool(&app, 4).await;
    // One expert is away for three days inside the window (not on the deadline).
    let (_, found) = app
        .get_json(&format!("/api/v1/experts?q={}", codes[0]))
        .await;
    let id = found["items"][0]["id"].clone();
    let (_, mut e) = app.get_json(&format!("/api/v1/experts/{id}")).await;
    let mut input = profile_json(e["name"].as_str().unwrap());
    input["code"] = e["code"].take();
    input["org_id"] = e["org_id"].take();
    input["region"] = e["region"].take();
    input["relations"] = json!([]);
    input["employments"] = json!([]);
    input["email"] = json!("away@example.org");
    input["unavailable"] = json!(["2027-03-03..2027-03-05"]);
    let (status, body) = app
        .send_json(Method::Put, &format!("/api/v1/experts/{id}"), &input)
        .await;
    assert_eq!(status, Status::Ok, "{body}");
    let (status, err) = app
        .send_json(
            Method::Post,
            "/api/v1/events",
            &json!({"code": "EVW", "title": "通讯评审", "kind": "application", "mode": "panel", "dates": "2027-03-10", "review_window": "2027-03-01..2027-03-10"}),
        )
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (Status::UnprocessableEntity, Some("review_window"))
    );
    let (status, e) = app
        .send_json(
            Method::Post,
            "/api/v1/events",
            &json!({"code": "EVW", "title": "通讯评审", "kind": "application", "mode": "individual", "dates": "2027-03-10", "review_window": "2027-03-01..2027-03-10"}),
        )
        .await;
    assert_eq!(status, Status::Created, "{e}");
    let ev = e["id"].as_i64().unwrap();
    let csv = "id,title_zh,title_en,applicant_org_id,team,disciplines,keywords_zh,abstract_zh,requested_avoid\nP1,铜冶炼烟气治理,,gspu,陈晨@gspu,45020,铜冶炼,摘要,\n";
    upload_items(&app, ev, csv.to_string()).await;
    app.send_json(
        Method::Post,
        &format!("/api/v1/events/{ev}/panels"),
        &json!({"items_per_panel": 1}),
    )
    .await;
    let (status, overview) = app
        .get_json(&format!("/api/v1/events/{ev}/eligibility"))
        .await;
    assert_eq!(status, Status::Ok, "{overview}");
    // Free on the deadline, away inside the window: not a candidate.
    assert_eq!(overview[0]["excluded"]["unavailable"], 1, "{overview}");
    assert_eq!(overview[0]["eligible"], 3, "{overview}");
}
