//! An expert on a phone: signs in, adds a discipline and a past employer with the pickers,
//! applies to the advisory pool, and answers an invitation.

use super::Walk;
use crate::helpers::*;
use rocket::http::Method;
use serde_json::{json, Value};

/// A drawn and confirmed event of the sample: returns the code of an invited expert.
async fn invited_expert(app: &TestApp) -> String {
    let (_, event) = app
        .send_json(
            Method::Post,
            "/api/v1/events",
            &json!({"title": "项目立项评审（手机演练）", "kind": "application", "dates": "2026-12-20"}),
        )
        .await;
    let id = event["id"].clone();
    let text = std::fs::read_to_string(sample_dir().join("projects.csv")).unwrap();
    let csv: Vec<&str> = text.lines().take(4).collect();
    let response = app
        .client
        .post(format!("/api/v1/events/{id}/items"))
        .header(rocket::http::ContentType::CSV)
        .body(csv.join("\n"))
        .dispatch()
        .await;
    assert!(response.status().code < 300);
    app.send_json(
        Method::Post,
        &format!("/api/v1/events/{id}/panels"),
        &json!({"items_per_panel": 3}),
    )
    .await;
    let (status, draw) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/draws"),
            &json!({"seed": 5}),
        )
        .await;
    assert!(status.code < 300, "{draw}");
    let (status, sent) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/confirm"),
            &json!({"draw": draw["id"]}),
        )
        .await;
    assert!(status.code < 300, "{sent}");
    let (_, roster) = app.get_json(&format!("/api/v1/events/{id}/roster")).await;
    roster[0]["expert_code"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver; run by .ci/run with --ignored"]
async fn an_expert_edits_the_profile_applies_and_answers_on_a_phone() {
    let app = sample_app().await;
    app.login_admin().await;
    let code = invited_expert(&app).await;
    app.add_user("prof", "expert", &code).await;
    let (_, found) = app.get_json(&format!("/api/v1/experts?q={code}")).await;
    let expert_id = found["items"][0]["id"].clone();
    let (_, before) = app.get_json(&format!("/api/v1/experts/{expert_id}")).await;
    let (_, disciplines) = app.get_json("/api/v1/disciplines?prefix=45020").await;
    let metallurgy = format!("45020 {}", disciplines[0]["name_zh"].as_str().unwrap());
    let walk = Walk::start(app, "expert").await;
    walk.browser.set_window_size(390, 844).await.unwrap();
    walk.login("prof", PASSWORD).await;
    walk.look("me").await;

    // The profile with pickers: one more discipline, one more past employer.
    walk.goto("/me/edit").await;
    walk.look("profile-form").await;
    let n = before["disciplines"].as_array().unwrap().len();
    let rows = walk
        .browser
        .find_all(fantoccini::Locator::Css("input[name^='disciplines[']"))
        .await
        .unwrap()
        .len();
    assert_eq!(rows, n + 2, "the disciplines and two empty rows");
    walk.find("fieldset[data-rows] button[data-add-row]")
        .await
        .click()
        .await
        .unwrap();
    walk.fill(
        &format!("input[name='disciplines[{}]']", n + 2),
        &metallurgy,
    )
    .await;
    let jobs = before["employments"].as_array().unwrap().len();
    walk.fill(&format!("input[name='jobs[{jobs}].org']"), "兰州大学")
        .await;
    walk.fill(&format!("input[name='jobs[{jobs}].from']"), "2001")
        .await;
    walk.fill(&format!("input[name='jobs[{jobs}].to']"), "2005")
        .await;
    walk.click("form.profile-form button[type=submit]").await;
    walk.look("profile-saved").await;
    let (_, after) = walk
        .app
        .get_json(&format!("/api/v1/experts/{expert_id}"))
        .await;
    let codes: Vec<&str> = after["disciplines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(codes.contains(&"45020"), "{after}");
    assert!(
        after["employments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["org_id"] == "lzu"),
        "{after}"
    );

    // Applying to the advisory pool signs the pledge.
    walk.goto("/me").await;
    walk.choose("form[action='/me/apply'] select[name=pool]", "advisory")
        .await;
    walk.find("form[action='/me/apply'] input[name=pledge]")
        .await
        .click()
        .await
        .unwrap();
    walk.click("form[action='/me/apply'] button[type=submit]")
        .await;
    walk.look("membership").await;

    // The invitation, answered on the phone.
    walk.goto("/me").await;
    walk.choose(
        "form[action^='/me/invitations/'] select[name=answer]",
        "accept",
    )
    .await;
    walk.find("form[action^='/me/invitations/'] input[name=pledge]")
        .await
        .click()
        .await
        .unwrap();
    walk.click("form[action^='/me/invitations/'] button[type=submit]")
        .await;
    walk.look("invitation-answered").await;
    let (_, mine) = walk.app.get_json("/api/v1/events").await;
    assert!(!mine.as_array().unwrap().is_empty());
    walk.finish().await;
}
