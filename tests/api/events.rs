//! Review events through the API: create → items by CSV → group → eligibility → draw → replay.

use crate::helpers::*;
use expertpool::dataset::Dataset;
use rocket::http::{ContentType, Method, Status};
use serde_json::json;

/// The sample's projects.csv rows for the given item ids, with the header.
fn projects_csv(ids: &[&str]) -> String {
    let text = std::fs::read_to_string(sample_dir().join("projects.csv")).unwrap();
    let mut lines = text.lines();
    let mut out = vec![lines.next().unwrap().to_string()];
    out.extend(
        lines
            .filter(|l| ids.iter().any(|id| l.starts_with(&format!("{id},"))))
            .map(String::from),
    );
    out.join("\n") + "\n"
}

#[tokio::test]
async fn create_upload_group_draw_and_replay_an_acceptance_event() {
    let app = sample_app().await;
    app.login_admin().await;
    let (status, event) = app
        .send_json(Method::Post, "/api/v1/events", &json!({"title": "2027年第一批项目验收", "kind": "acceptance", "slots": "S1=2027-01-13 am;S2=2027-01-13 pm"}))
        .await;
    assert_eq!(status, Status::Created, "{event}");
    assert_eq!(event["rules"]["panel_size"], 5, "acceptance preset");
    assert_eq!(event["pool"], "review");
    assert_eq!(event["code"], "EV20270113-ACCEPTANCE");
    // A second acceptance check starting the same day gets its own code, not a refusal over
    // a code nobody typed; a code typed twice is still refused, naming the field.
    let (status, second) = app
        .send_json(Method::Post, "/api/v1/events", &json!({"title": "2027年第一批项目验收（二组）", "kind": "acceptance", "slots": "S1=2027-01-13 am"}))
        .await;
    assert_eq!(status, Status::Created, "{second}");
    assert_eq!(second["code"], "EV20270113-ACCEPTANCE-2");
    let (status, typed) = app
        .send_json(Method::Post, "/api/v1/events", &json!({"title": "重复编号", "code": "EV20270113-ACCEPTANCE-2", "kind": "acceptance", "slots": "S1=2027-01-13 am"}))
        .await;
    assert_eq!(status, Status::Conflict, "{typed}");
    assert_eq!(typed["error"]["field"], "code");
    let id = event["id"].clone();
    let data = Dataset::load(&sample_dir()).unwrap();
    let acc = data.events.iter().find(|e| e.id == "EV001-ACC").unwrap();
    let ids: Vec<&str> = acc
        .panels
        .iter()
        .flat_map(|p| p.items.iter().map(String::as_str))
        .take(12)
        .collect();
    let response = app
        .client
        .post(format!("/api/v1/events/{id}/items"))
        .header(ContentType::CSV)
        .body(projects_csv(&ids))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Created);
    let (status, grouped) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/panels"),
            &json!({"items_per_panel": 3}),
        )
        .await;
    assert_eq!(status, Status::Ok, "{grouped}");
    let (status, overview) = app
        .get_json(&format!("/api/v1/events/{id}/eligibility"))
        .await;
    assert_eq!(status, Status::Ok);
    let first = &overview[0];
    assert!(first["eligible"].as_u64().unwrap() >= 5, "{first}");
    assert!(
        first["excluded"]["inactive"].as_u64().unwrap() > 0,
        "suspended, exited and non-members are counted: {first}"
    );
    let (status, drawn) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/draws"),
            &json!({"seed": "20270113"}),
        )
        .await;
    assert_eq!(status, Status::Created, "{drawn}");
    let panels = drawn["result"]["panels"].as_array().unwrap();
    assert_eq!(panels.len() as u64, grouped["panels"].as_u64().unwrap());
    assert!(panels
        .iter()
        .all(|p| p["members"].as_array().unwrap().len() == 5 && p["leader"].is_string()));
    let (status, replay) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/draws/{}/replay", drawn["id"]),
            &json!({}),
        )
        .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(
        (
            replay["identical"].as_bool(),
            replay["input_intact"].as_bool()
        ),
        (Some(true), Some(true)),
        "{replay}"
    );
    let (_, again) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/draws"),
            &json!({"seed": 20270113}),
        )
        .await;
    assert_eq!(
        again["result_hash"], drawn["result_hash"],
        "same data and seed, same draw"
    );
    // A staff exclusion keeps the expert off the item's panel in the next draw.
    let seated = panels[0]["members"][0]["expert"]
        .as_str()
        .unwrap()
        .to_string();
    let item = drawn["result"]["panels"][0]["panel"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, detail) = app.get_json(&format!("/api/v1/events/{id}")).await;
    let item_code = detail["panels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == item.as_str())
        .unwrap()["items"][0]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/exclusions"),
            &json!({"item": item_code, "expert": seated, "reason": "reviewed the mid-term report"}),
        )
        .await;
    assert_eq!(status, Status::Created);
    let (_, third) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/draws"),
            &json!({"seed": 20270113}),
        )
        .await;
    assert!(!third["result"]["panels"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["expert"] == seated.as_str()));
    // Supervisors replay; experts never see rosters.
    app.logout().await;
    app.add_user("auditor", "supervisor", "").await;
    app.login("auditor", PASSWORD).await;
    assert_eq!(
        app.send_json(
            Method::Post,
            &format!("/api/v1/draws/{}/replay", drawn["id"]),
            &json!({})
        )
        .await
        .0,
        Status::Ok
    );
    assert_eq!(
        app.send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/draws"),
            &json!({})
        )
        .await
        .0,
        Status::Forbidden
    );
    app.logout().await;
    app.add_user("expert1", "expert", "E00001").await;
    app.login("expert1", PASSWORD).await;
    assert_eq!(
        app.get_json(&format!("/api/v1/events/{id}")).await.0,
        Status::Forbidden
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/draws/{}", drawn["id"]))
            .await
            .0,
        Status::Forbidden
    );
}

#[tokio::test]
async fn a_bad_item_row_names_its_line_and_adds_nothing() {
    let app = spawn_app().await;
    app.login_admin().await;
    let (_, event) = app
        .send_json(
            Method::Post,
            "/api/v1/events",
            &json!({"title": "申报评审", "kind": "application", "dates": "2026-12-15"}),
        )
        .await;
    let id = event["id"].clone();
    let csv = "id,title_zh,title_en,applicant_org_id,team,disciplines,keywords_zh,abstract_zh,requested_avoid\n\
               P1,铜冶炼烟气治理,,bygroup,王芳@bygroup,45020,铜冶炼,摘要,\n\
               P2,稀土材料,,nowhere,李娜@gsre,43015,稀土,摘要,\n";
    let (status, err) = json_of(
        app.client
            .post(format!("/api/v1/events/{id}/items"))
            .header(ContentType::CSV)
            .body(csv)
            .dispatch()
            .await,
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{err}");
    assert_eq!(err["error"]["field"], "line 3: applicant_org_id");
    let (_, detail) = app.get_json(&format!("/api/v1/events/{id}")).await;
    assert_eq!(detail["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn an_infeasible_event_names_the_panel_and_the_binding_rule() {
    let app = spawn_app().await;
    app.login_admin().await;
    // Three technical experts, no finance expert: an acceptance panel cannot be filled.
    for i in 0..3 {
        let (_, e) = app
            .send_json(
                Method::Post,
                "/api/v1/experts",
                &profile_json(&format!("技术{i}")),
            )
            .await;
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
    let (_, event) = app
        .send_json(
            Method::Post,
            "/api/v1/events",
            &json!({"title": "验收", "kind": "acceptance", "dates": "2027-01-13"}),
        )
        .await;
    let id = event["id"].clone();
    let csv = "id,title_zh,title_en,applicant_org_id,team,disciplines,keywords_zh,abstract_zh,requested_avoid\nP1,铜冶炼烟气治理,,bygroup,陈晨@bygroup,45020,铜冶炼,摘要,\n";
    app.client
        .post(format!("/api/v1/events/{id}/items"))
        .header(ContentType::CSV)
        .body(csv)
        .dispatch()
        .await;
    app.send_json(
        Method::Post,
        &format!("/api/v1/events/{id}/panels"),
        &json!({}),
    )
    .await;
    let (status, err) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/draws"),
            &json!({}),
        )
        .await;
    assert_eq!(status, Status::Conflict, "{err}");
    let message = err["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("-P01 needs 5 experts: 3 eligible"),
        "{message}"
    );
    assert!(message.contains("type=finance: 0 eligible"), "{message}");
}

#[tokio::test]
async fn the_event_pages_walk_from_creation_to_a_replayed_draw() {
    let app = sample_app().await;
    app.login_admin().await;
    let page = app.page("/events").await;
    let token = csrf_token(&page);
    let form = format!("csrf={token}&title=%E7%94%B3%E6%8A%A5%E8%AF%84%E5%AE%A1&kind=application&mode=panel&dates=&slots=S1%3D2026-12-15+am%3BS2%3D2026-12-15+pm&code=EV-PAGE");
    let created = app
        .client
        .post("/events")
        .header(ContentType::Form)
        .body(form)
        .dispatch()
        .await;
    assert_eq!(created.status(), Status::SeeOther);
    let location = created.headers().get_one("Location").unwrap().to_string();
    let data = Dataset::load(&sample_dir()).unwrap();
    let app_event = data.events.iter().find(|e| e.id == "EV001-APP").unwrap();
    let ids: Vec<&str> = app_event
        .panels
        .iter()
        .flat_map(|p| p.items.iter().map(String::as_str))
        .take(6)
        .collect();
    let csv = projects_csv(&ids);
    let body = format!(
        "csrf={token}&csv={}",
        csv.bytes().map(|b| format!("%{b:02X}")).collect::<String>()
    );
    assert_eq!(
        app.client
            .post(format!("{location}/items"))
            .header(ContentType::Form)
            .body(body)
            .dispatch()
            .await
            .status(),
        Status::SeeOther
    );
    assert_eq!(
        app.client
            .post(format!("{location}/panels"))
            .header(ContentType::Form)
            .body(format!("csrf={token}&items_per_panel=3"))
            .dispatch()
            .await
            .status(),
        Status::SeeOther
    );
    assert_eq!(
        app.client
            .post(format!("{location}/draws"))
            .header(ContentType::Form)
            .body(format!("csrf={token}&seed=42"))
            .dispatch()
            .await
            .status(),
        Status::SeeOther
    );
    let html = app.page(location.clone()).await;
    assert!(
        html.contains("EV-PAGE-P01") && html.contains("/replay"),
        "{html}"
    );
    assert!(
        html.contains("满足的组成要求") && !html.contains("title="),
        "each member's satisfied rules are shown in words"
    );
    // Staff edit the rules in a form; a wrong value is refused with the field named, in Chinese.
    let rules_form = |panel_size: &str| {
        format!(
            "csrf={token}&panel_size={panel_size}&max_per_org=1&max_panels_per_expert=1&max_reviews_per_12_months=10&alternate_ratio=2&conflict_mode=strict&min_fit=0.1&past_org_years=3&relation_years=3&max_requested_avoid=3&randomness=0.2&fairness_weight=0.1&minimum%5B0%5D.kind=count&minimum%5B0%5D.value=1&minimum%5B0%5D.filter.title=%E6%AD%A3%E9%AB%98&leader.enabled=true&leader.filter.title=%E6%AD%A3%E9%AB%98"
        )
    };
    let bad = app
        .client
        .post(format!("{location}/rules"))
        .header(ContentType::Form)
        .body(rules_form("0"))
        .dispatch()
        .await;
    assert_eq!(bad.status(), Status::UnprocessableEntity);
    let bad = bad.into_string().await.unwrap();
    assert!(bad.contains("每组人数：须在 1 到 50 之间"), "{bad}");
    let good = app
        .client
        .post(format!("{location}/rules"))
        .header(ContentType::Form)
        .body(rules_form("4"))
        .dispatch()
        .await;
    assert_eq!(good.status(), Status::SeeOther);
    let (_, detail) = app.get_json(&format!("/api/v1{location}")).await;
    assert_eq!(detail["rules"]["panel_size"], 4);
    assert_eq!(
        detail["rules"]["min_count"][0]["filter"]["title"][0],
        "正高"
    );
    assert_eq!(detail["rules"]["leader"]["filter"]["title"][0], "正高");
    let draw_id = html
        .split("/draws/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let replay = app
        .client
        .post(format!("/draws/{draw_id}/replay"))
        .header(ContentType::Form)
        .body(format!("csrf={token}"))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(replay.contains("ok-box"), "{replay}");
}

#[tokio::test]
async fn panels_by_hand_and_pinned_or_removed_members() {
    let app = sample_app().await;
    app.login_admin().await;
    let (_, event) = app.send_json(Method::Post, "/api/v1/events", &json!({"title": "申报", "kind": "application", "slots": "S1=2026-12-15 am;S2=2026-12-15 pm"})).await;
    let id = event["id"].clone();
    let data = Dataset::load(&sample_dir()).unwrap();
    let ids: Vec<&str> = data.events[0].panels[0]
        .items
        .iter()
        .chain(&data.events[0].panels[1].items)
        .map(String::as_str)
        .collect();
    app.client
        .post(format!("/api/v1/events/{id}/items"))
        .header(ContentType::CSV)
        .body(projects_csv(&ids))
        .dispatch()
        .await;
    let (first, rest) = ids.split_at(2);
    let doubled: Vec<&str> = rest.iter().copied().chain([first[0]]).collect();
    // An item left out, then an item twice: both named.
    let (status, err) = app
        .send_json(
            Method::Put,
            &format!("/api/v1/events/{id}/panels"),
            &json!({"panels": [{"code": "A", "slot": "S1", "items": first}]}),
        )
        .await;
    assert_eq!(status, Status::UnprocessableEntity, "{err}");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("is in no panel"));
    let (status, err) = app
        .send_json(Method::Put, &format!("/api/v1/events/{id}/panels"), &json!({"panels": [{"code": "A", "slot": "S1", "items": first}, {"code": "B", "slot": "S2", "items": doubled}]}))
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (
            Status::UnprocessableEntity,
            Some(format!("panels[1].items[{}]", rest.len()).as_str())
        ),
        "{err}"
    );
    let (status, ok) = app.send_json(Method::Put, &format!("/api/v1/events/{id}/panels"), &json!({"panels": [{"code": "A", "slot": "S1", "items": first}, {"code": "B", "slot": "S2", "items": rest}]})).await;
    assert_eq!(
        (status, ok["panels"].as_u64()),
        (Status::Ok, Some(2)),
        "{ok}"
    );
    let (_, drawn) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/draws"),
            &json!({"seed": 5}),
        )
        .await;
    let removed = drawn["result"]["panels"][0]["members"][0]["expert"]
        .as_str()
        .unwrap()
        .to_string();
    let pinned = drawn["result"]["panels"][0]["alternates"][0]["expert"]
        .as_str()
        .unwrap()
        .to_string();
    for (kind, expert) in [("remove", &removed), ("pin", &pinned)] {
        let (status, e) = app.send_json(Method::Post, &format!("/api/v1/events/{id}/pins"), &json!({"panel": "A", "expert": expert, "kind": kind, "reason": "chair's decision"})).await;
        assert_eq!(status, Status::Created, "{e}");
    }
    let (_, again) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/draws"),
            &json!({"seed": 5}),
        )
        .await;
    let members: Vec<&str> = again["result"]["panels"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["expert"].as_str().unwrap())
        .collect();
    assert!(
        members.contains(&pinned.as_str()) && !members.contains(&removed.as_str()),
        "{members:?}"
    );
}

/// An event's invitations are listed a hundred to a page, in the order chosen.
#[tokio::test]
async fn the_invitations_of_a_large_event_are_paged_and_sorted() {
    let app = sample_app().await;
    app.login_admin().await;
    let (_, event) = app
        .send_json(
            Method::Post,
            "/api/v1/events",
            &json!({"title": "大批验收", "kind": "acceptance", "dates": "2026-12-21", "code": "EV-MANY"}),
        )
        .await;
    let id = event["id"].clone();
    let data = Dataset::load(&sample_dir()).unwrap();
    let acc = data.events.iter().find(|e| e.id == "EV001-ACC").unwrap();
    let ids: Vec<&str> = acc
        .panels
        .iter()
        .flat_map(|p| p.items.iter().map(String::as_str))
        .collect();
    let text = std::fs::read_to_string(sample_dir().join("projects.csv")).unwrap();
    let mut lines = text.lines();
    let mut csv = vec![lines.next().unwrap().to_string()];
    csv.extend(
        lines
            .filter(|l| ids.iter().any(|i| l.starts_with(&format!("{i},"))))
            .map(String::from),
    );
    let r = app
        .client
        .post(format!("/api/v1/events/{id}/items"))
        .header(ContentType::CSV)
        .body(csv.join("\n"))
        .dispatch()
        .await;
    assert!(r.status().code < 300);
    app.send_json(
        Method::Post,
        &format!("/api/v1/events/{id}/panels"),
        &json!({"items_per_panel": 2}),
    )
    .await;
    let (status, draw) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/draws"),
            &json!({"seed": 3}),
        )
        .await;
    assert_eq!(status, Status::Created, "{draw}");
    let (status, sent) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/confirm"),
            &json!({"draw": draw["id"]}),
        )
        .await;
    assert_eq!(status, Status::Ok, "{sent}");
    let seats = sent["invitations"].as_u64().unwrap();
    assert!(seats > 100, "{seats} seats");
    let first = app
        .page(format!("/events/{id}?step=invite&sort=name&page=1"))
        .await;
    let rows = |html: &str| html.matches("/answer\"").count();
    assert_eq!(rows(&first), 100, "a hundred to a page");
    assert!(first.contains("sort=name&amp;page=2") || first.contains("sort=name&page=2"));
    let second = app
        .page(format!("/events/{id}?step=invite&sort=name&page=2"))
        .await;
    assert_eq!(rows(&second) as u64, seats - 100);
}
