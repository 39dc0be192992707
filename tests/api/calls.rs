//! Calls for experts: published by an administrator, read by anyone, answered by experts
//! while open (and refused when closed or for another pool), followed on a dashboard whose
//! counts equal the applications.

use crate::helpers::*;
use crate::pools::expert;
use rocket::http::{ContentType, Header, Method, Status};
use serde_json::{json, Value};

async fn publish(app: &TestApp, body: String) -> (Status, String, Option<String>) {
    let page = app.page("/admin/calls").await;
    let token = csrf_token(&page);
    let r = app
        .client
        .post("/admin/calls")
        .header(ContentType::Form)
        .header(Header::new("Accept-Language", "zh-CN"))
        .body(format!("csrf={token}&{body}"))
        .dispatch()
        .await;
    let status = r.status();
    let location = r.headers().get_one("Location").map(String::from);
    (status, r.into_string().await.unwrap_or_default(), location)
}

fn today_plus(days: i64) -> String {
    (expertpool::clock::today() + chrono::Duration::days(days)).to_string()
}

#[tokio::test]
async fn a_call_is_published_read_by_anyone_answered_while_open_and_counted() {
    let app = spawn_app().await;
    app.login_admin().await;
    // A wrong line is named, in Chinese, and the form comes back as typed.
    let (status, html, _) = publish(
        &app,
        format!(
            "pool=review&title=2027年度评审专家征集&opens_on={}&closes_on={}&sought=45020+十&documents=title_certificate",
            today_plus(-1),
            today_plus(30)
        ),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        html.contains("拟征集学科（第 1 行） · 人数") || html.contains("“十”不是人数"),
        "{html}"
    );
    assert!(
        html.contains("2027年度评审专家征集"),
        "the form keeps what was typed"
    );
    let (status, _, location) = publish(
        &app,
        format!(
            "pool=review&title=2027年度评审专家征集&body=一、征集范围%0A二、申报条件&opens_on={}&closes_on={}&sought=45020+2%0A450+3&documents=title_certificate&documents=employer_recommendation",
            today_plus(-1),
            today_plus(30)
        ),
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    let call_path = location.unwrap();
    let id: i64 = call_path.trim_start_matches("/calls/").parse().unwrap();

    // Anyone reads the open calls and the call's page, without signing in.
    app.logout().await;
    let list = app.client.get("/calls").dispatch().await;
    assert_eq!(list.status(), Status::Ok);
    assert!(list
        .into_string()
        .await
        .unwrap()
        .contains("2027年度评审专家征集"));
    let page = app.page(call_path.clone()).await;
    assert!(
        page.contains("正在征集") && page.contains("职称证书") && page.contains("单位推荐意见")
    );
    assert!(
        page.contains("/login?next="),
        "a stranger is asked to sign in"
    );

    // Experts answer it: two metallurgists, one environmental engineer.
    app.login_admin().await;
    let mut codes = Vec::new();
    for (name, discipline) in [
        ("冶金甲", "45020"),
        ("冶金乙", "45020"),
        ("环工丙", "61030"),
    ] {
        let e: Value = expert(&app, name, |p| p["disciplines"] = json!([discipline])).await;
        codes.push(e["code"].as_str().unwrap().to_string());
    }
    app.add_user("callexpert", "expert", &codes[0]).await;
    for code in &codes[1..] {
        let (status, body) = app
            .send_json(
                Method::Post,
                "/api/v1/pools/review/memberships",
                &json!({"expert_code": code, "pledge_on_paper": true, "call": id}),
            )
            .await;
        assert!(status.code < 300, "{body}");
    }
    app.logout().await;
    app.login("callexpert", PASSWORD).await;
    let page = app.page(call_path.clone()).await;
    assert!(
        page.contains(&format!("action=\"/calls/{id}/apply\"")),
        "a signed-in expert applies here"
    );
    let token = csrf_token(&page);
    let applied = app
        .client
        .post(format!("/calls/{id}/apply"))
        .header(ContentType::Form)
        .body(format!("csrf={token}"))
        .dispatch()
        .await;
    assert_eq!(
        applied.status(),
        Status::SeeOther,
        "a draft with documents and review"
    );
    // Applying to a call skips neither its documents nor the review.
    let (status, body) = app
        .send_json(
            Method::Post,
            "/api/v1/me/memberships",
            &json!({"pool": "review", "pledge": true, "call": id}),
        )
        .await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    // An expert with a record applies with it: the certificate, the pledge, submitted.
    let draft = applied.headers().get_one("Location").unwrap().to_string();
    let application: i64 = draft.trim_start_matches("/applications/").parse().unwrap();
    let page = app.page(&draft).await;
    assert!(
        page.contains("/me/edit"),
        "the record is the profile: {page}"
    );
    let (status, _) = crate::recruiting::upload(
        &app,
        application,
        "title_certificate",
        "证书.pdf",
        crate::recruiting::PDF,
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    let (status, html) = crate::recruiting::upload(
        &app,
        application,
        "employer_recommendation",
        "推荐意见.pdf",
        crate::recruiting::PDF,
    )
    .await;
    assert_eq!(status, Status::SeeOther, "{html}");
    let (status, _, html) =
        crate::recruiting::post_form(&app, &draft, &draft, "app.pledge=true&app.go=submit").await;
    assert_eq!(status, Status::SeeOther, "{html}");
    let (status, _) = app
        .send_json(
            Method::Post,
            "/api/v1/me/memberships",
            &json!({"pool": "advisory", "pledge": true, "call": id}),
        )
        .await;
    assert_eq!(status, Status::UnprocessableEntity);
    app.logout().await;

    // Staff pass it: the membership is the record's, no second expert.
    app.login_admin().await;
    let (status, _, html) =
        crate::recruiting::post_form(&app, &draft, &format!("{draft}/review"), "decision=pass")
            .await;
    assert_eq!(status, Status::SeeOther, "{html}");

    // The dashboard counts the applications per discipline sought, and the CSV agrees.
    let dashboard = app.page(format!("/calls/{id}/dashboard")).await;
    assert!(
        dashboard.contains("<svg") && dashboard.contains("其他学科"),
        "{dashboard}"
    );
    let csv = app.page(format!("/calls/{id}/dashboard.csv")).await;
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    let count = |label_code: &str, state: &str| -> i64 {
        lines
            .iter()
            .filter(|l| l.contains(label_code) && l.contains(state))
            .map(|l| l.rsplit(',').next().unwrap().trim().parse::<i64>().unwrap())
            .sum()
    };
    let (_, names) = app.get_json("/api/v1/disciplines?prefix=45020").await;
    let metallurgy = names[0]["name_zh"].as_str().unwrap().to_string();
    assert_eq!(count(&metallurgy, "申请中"), 2, "{csv}");
    assert_eq!(count(&metallurgy, "草稿"), 0, "{csv}");
    assert_eq!(count("其他学科", "申请中"), 1, "{csv}");

    // Closed: no more applications; moving the closing date reopens it.
    let page = app.page(format!("/admin/calls/{id}/edit")).await;
    let token = csrf_token(&page);
    let closed = app
        .client
        .post(format!("/admin/calls/{id}"))
        .header(ContentType::Form)
        .body(format!(
            "csrf={token}&pool=review&title=2027年度评审专家征集&opens_on={}&closes_on={}&sought=45020+2&documents=title_certificate",
            today_plus(-10),
            today_plus(-1)
        ))
        .dispatch()
        .await;
    assert_eq!(closed.status(), Status::SeeOther);
    let late = expert(&app, "迟到丁", |p| p["disciplines"] = json!(["45020"])).await;
    let (status, body) = app
        .send_json(
            Method::Post,
            "/api/v1/pools/review/memberships",
            &json!({"expert_code": late["code"], "pledge_on_paper": true, "call": id}),
        )
        .await;
    assert_eq!(status, Status::Conflict, "{body}");
    app.logout().await;
    let page = app.page(call_path).await;
    assert!(page.contains("已截止"));
    let list = app.page("/calls").await;
    assert!(
        !list.contains("2027年度评审专家征集"),
        "closed calls leave the public list"
    );
}

/// The profile page's application form has no call: it must not be required.
#[tokio::test]
async fn applying_from_the_profile_page_needs_no_call() {
    let app = spawn_app().await;
    app.login_admin().await;
    let e = expert(&app, "自荐戊", |_| {}).await;
    app.add_user("selfapply", "expert", e["code"].as_str().unwrap())
        .await;
    app.logout().await;
    app.login("selfapply", PASSWORD).await;
    let me = app.page("/me").await;
    let token = csrf_token(&me);
    let applied = app
        .client
        .post("/me/apply")
        .header(ContentType::Form)
        .body(format!("csrf={token}&pool=review&note=&pledge=true"))
        .dispatch()
        .await;
    assert_eq!(applied.status(), Status::SeeOther);
}
