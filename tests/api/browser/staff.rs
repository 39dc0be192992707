//! Staff run an event from creation to closing: items pasted from a sheet, panels, the
//! eligible experts, two draws compared, invitations sent, two decliners in different panels
//! replaced, the roster confirmed and printed, attendance recorded, the event closed.

use super::{sample_walk, Walk};
use crate::helpers::*;
use rocket::http::Method;
use serde_json::{json, Value};

/// Six items of the sample's acceptance event, as tab-separated cells copied from Excel.
fn items_as_cells() -> String {
    let data = expertpool::dataset::Dataset::load(&sample_dir()).unwrap();
    let acc = data.events.iter().find(|e| e.id == "EV001-ACC").unwrap();
    let ids: Vec<&str> = acc
        .panels
        .iter()
        .flat_map(|p| p.items.iter().map(String::as_str))
        .take(6)
        .collect();
    let text = std::fs::read_to_string(sample_dir().join("projects.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let mut lines = vec![header.join("\t")];
    for record in reader.records() {
        let record = record.unwrap();
        if ids.contains(&&record[0]) {
            lines.push(record.iter().collect::<Vec<_>>().join("\t"));
        }
    }
    lines.join("\n")
}

async fn roster(walk: &Walk, id: &str) -> Vec<Value> {
    let (_, r) = walk
        .app
        .get_json(&format!("/api/v1/events/{id}/roster"))
        .await;
    r.as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver; run by .ci/run with --ignored"]
async fn staff_run_an_event_from_creation_to_closing() {
    let walk = sample_walk("staff").await;
    walk.app.login_admin().await;
    walk.login("staffer", PASSWORD).await;
    walk.look("home").await;

    // A new acceptance check, held today (so that attendance can be recorded at the end).
    walk.goto("/events").await;
    walk.look("events").await;
    walk.fill(
        "form[action='/events'] input[name=title]",
        "科技项目验收（浏览器演练）",
    )
    .await;
    walk.choose("form[action='/events'] select[name=kind]", "acceptance")
        .await;
    let today = expertpool::clock::today().to_string();
    walk.fill("form[action='/events'] input[name=dates]", &today)
        .await;
    walk.fill("form[action='/events'] input[name=code]", "EV-WALK")
        .await;
    walk.click("form[method=post][action='/events'] button[type=submit]")
        .await;
    let event_path = walk.path().await;
    let id = event_path.trim_start_matches("/events/").to_string();
    walk.look("event-new").await;

    // Items pasted as cells copied from Excel.
    walk.paste("textarea[name=csv]", &items_as_cells()).await;
    walk.click("form[action$='/items'] button[type=submit]")
        .await;
    let page = walk.browser.source().await.unwrap();
    assert!(page.contains("项目已添加"), "a success message");
    walk.look("event-items").await;

    walk.goto(&format!("{event_path}?step=panels")).await;
    walk.click("form[action$='/panels'] button[type=submit]")
        .await;
    walk.look("event-panels").await;
    walk.goto(&format!("{event_path}?step=eligible")).await;
    walk.look("event-eligible").await;

    // Two draws, the second compared with the first.
    walk.goto(&format!("{event_path}?step=draw")).await;
    walk.fill("form[action$='/draws'] input[name=seed]", "2027")
        .await;
    walk.click("form[action$='/draws'] button[type=submit]")
        .await;
    walk.look("event-draw").await;
    walk.fill("form[action$='/draws'] input[name=seed]", "2028")
        .await;
    walk.click_confirming("form[action$='/draws'] button[type=submit]", "")
        .await;
    walk.click("a[href*='compare=']").await;
    let page = walk.browser.source().await.unwrap();
    assert!(page.contains("对比"), "the comparison is shown");
    walk.look("event-draw-compare").await;

    // Invitations go out after a question that names how many.
    walk.goto(&format!("{event_path}?step=draw")).await;
    let (_, draws) = walk
        .app
        .get_json(&format!("/api/v1/events/{id}/draws"))
        .await;
    let seats: usize = draws[0]["result"]["panels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["members"].as_array().unwrap().len())
        .sum();
    walk.click_confirming(
        "form[action$='/confirm'] button[type=submit]",
        &format!("{seats} 位"),
    )
    .await;
    walk.look("event-invite").await;

    // Two experts in different panels decline by phone; staff record it and replace them.
    let seats = roster(&walk, &id).await;
    let mut decliners: Vec<Value> = Vec::new();
    for seat in &seats {
        if decliners
            .iter()
            .all(|d| d["panel_code"] != seat["panel_code"])
        {
            decliners.push(seat.clone());
        }
    }
    decliners.truncate(2);
    assert_eq!(decliners.len(), 2);
    for d in &decliners {
        let form = format!("form[action='/invitations/{}/answer']", d["invitation_id"]);
        walk.choose(&format!("{form} select[name=answer]"), "decline")
            .await;
        walk.fill(&format!("{form} input[name=reason]"), "出差")
            .await;
        walk.click(&format!("{form} button[type=submit]")).await;
    }
    walk.look("event-declined").await;
    for d in &decliners {
        walk.click_confirming(
            &format!(
                "form[action='/invitations/{}/replace'] button[type=submit]",
                d["invitation_id"]
            ),
            "",
        )
        .await;
    }
    let page = walk.browser.source().await.unwrap();
    assert!(page.contains("已替补并发出邀请"), "a success message");
    walk.look("event-replaced").await;

    // Everyone else accepts (through the API, as their answer links would).
    for seat in roster(&walk, &id).await {
        if seat["status"] == "pending" {
            let (status, body) = walk
                .app
                .send_json(
                    Method::Post,
                    &format!("/api/v1/invitations/{}/answer", seat["invitation_id"]),
                    &json!({"answer": "accept", "pledge": true}),
                )
                .await;
            assert!(status.code < 300, "{body}");
        }
    }
    walk.goto(&format!("{event_path}?step=roster")).await;
    walk.look("event-roster").await;
    let all = roster(&walk, &id).await.len().to_string();
    walk.click_confirming("form[action$='/advance'] button[type=submit]", &all)
        .await;
    walk.goto(&format!("/events/{id}/roster")).await;
    walk.look("roster-print").await;

    // After the review: one attendance by hand, the rest through the API, then closing.
    walk.goto(&format!("{event_path}?step=after")).await;
    let accepted: Vec<Value> = roster(&walk, &id)
        .await
        .into_iter()
        .filter(|s| s["status"] == "accepted")
        .collect();
    let first = &accepted[0];
    let form = format!(
        "form[action='/invitations/{}/attendance']",
        first["invitation_id"]
    );
    walk.choose(&format!("{form} select[name=attendance]"), "attended")
        .await;
    for field in ["rating_expertise", "rating_diligence", "rating_fairness"] {
        walk.fill(&format!("{form} input[name={field}]"), "5").await;
    }
    walk.click(&format!("{form} button[type=submit]")).await;
    walk.look("event-after").await;
    for seat in &accepted[1..] {
        let (status, body) = walk
            .app
            .send_json(
                Method::Post,
                &format!("/api/v1/invitations/{}/attendance", seat["invitation_id"]),
                &json!({"attendance": "attended", "rating_expertise": 4, "rating_diligence": 4, "rating_fairness": 4}),
            )
            .await;
        assert!(status.code < 300, "{body}");
    }
    walk.goto(&format!("{event_path}?step=after")).await;
    walk.click_confirming("form[action$='/advance'] button[type=submit]", "")
        .await;
    let page = walk.browser.source().await.unwrap();
    assert!(page.contains("活动已关闭"), "the event is closed");
    walk.look("event-closed").await;
    walk.finish().await;
}
