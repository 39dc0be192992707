//! A supervisor reads every draw of an event (a failed attempt included), replays one, and
//! filters and exports the audit log.

use super::sample_walk;
use crate::helpers::*;
use rocket::http::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver; run by .ci/run with --ignored"]
async fn a_supervisor_reads_every_draw_replays_and_exports_the_audit_log() {
    let walk = sample_walk("supervisor").await;
    let app = &walk.app;
    app.login_admin().await;
    let (_, event) = app
        .send_json(
            Method::Post,
            "/api/v1/events",
            &json!({"title": "成果鉴定（监督演练）", "kind": "appraisal", "dates": "2026-12-22"}),
        )
        .await;
    let id = event["id"].clone();
    let text = std::fs::read_to_string(sample_dir().join("projects.csv")).unwrap();
    let csv: Vec<&str> = text.lines().take(4).collect();
    app.client
        .post(format!("/api/v1/events/{id}/items"))
        .header(rocket::http::ContentType::CSV)
        .body(csv.join("\n"))
        .dispatch()
        .await;
    app.send_json(
        Method::Post,
        &format!("/api/v1/events/{id}/panels"),
        &json!({"items_per_panel": 3}),
    )
    .await;
    for seed in [1, 2] {
        let (status, d) = app
            .send_json(
                Method::Post,
                &format!("/api/v1/events/{id}/draws"),
                &json!({"seed": seed}),
            )
            .await;
        assert!(status.code < 300, "{d}");
    }
    // An attempt the rules make impossible is on record too.
    let mut rules = event["rules"].clone();
    rules["panel_size"] = json!(40);
    app.send_json(Method::Put, &format!("/api/v1/events/{id}/rules"), &rules)
        .await;
    let (status, _) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{id}/draws"),
            &json!({"seed": 3}),
        )
        .await;
    assert_eq!(status.code, 409);

    walk.login("watcher", PASSWORD).await;
    walk.goto(&format!("/events/{id}?step=draw")).await;
    let page = walk.browser.source().await.unwrap();
    assert!(page.contains("无可行方案"), "the failed attempt is listed");
    assert_eq!(
        walk.browser
            .find_all(fantoccini::Locator::Css("#draws ~ table tbody tr"))
            .await
            .unwrap()
            .len(),
        3,
        "two draws and one attempt"
    );
    walk.look("draws").await;
    walk.click("form[action^='/draws/'] button[type=submit]")
        .await;
    assert!(walk.browser.source().await.unwrap().contains("ok-box"));
    walk.look("replay").await;

    walk.goto("/audit").await;
    walk.look("audit").await;
    walk.choose("form[action='/audit'] select[name=action]", "event.draw")
        .await;
    walk.click("form[action='/audit'] button[type=submit]")
        .await;
    walk.look("audit-draws").await;
    let csv = walk
        .browser
        .execute_async(
            "const done = arguments[0]; fetch('/audit.csv?action=event.draw').then(r => r.arrayBuffer()).then(b => { const bytes = new Uint8Array(b); done([Array.from(bytes.slice(0, 3)), new TextDecoder().decode(bytes)]); });",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        csv[0],
        serde_json::json!([0xEF, 0xBB, 0xBF]),
        "a byte order mark for Excel"
    );
    let csv = csv[1].as_str().unwrap();
    assert!(csv.contains("操作人") && csv.contains("抽取"), "{csv}");
    walk.finish().await;
}
