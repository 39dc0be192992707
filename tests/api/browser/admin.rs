//! An administrator pages and sorts the pool, approves applications in bulk (select-all, a
//! question with the count), and previews then applies a rotation.

use super::sample_walk;
use crate::helpers::*;
use rocket::http::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver; run by .ci/run with --ignored"]
async fn an_administrator_pages_approves_in_bulk_and_rotates_the_pool() {
    let walk = sample_walk("admin").await;
    walk.app.login_admin().await;
    // Three fresh applications to the advisory pool that pass its entry rules.
    let (_, experts) = walk
        .app
        .get_json("/api/v1/experts?title=%E6%AD%A3%E9%AB%98&per_page=200")
        .await;
    let mut applied = 0;
    for e in experts["items"].as_array().unwrap() {
        if applied == 3 {
            break;
        }
        let (status, m) = walk
            .app
            .send_json(
                Method::Post,
                "/api/v1/pools/advisory/memberships",
                &json!({"expert_code": e["code"], "pledge_on_paper": true}),
            )
            .await;
        let passes = m["checks"]
            .as_array()
            .is_some_and(|c| c.iter().all(|c| c["passed"] == true));
        if status.code < 300 && passes {
            applied += 1;
        } else if status.code < 300 {
            // (an application that fails a rule is withdrawn again)
            walk.app
                .send_json(
                    Method::Post,
                    &format!("/api/v1/memberships/{}/transitions", m["id"]),
                    &json!({"action": "refuse", "reason": "不符合条件"}),
                )
                .await;
        }
    }
    assert_eq!(applied, 3, "three applications that pass the rules");

    walk.login("admin", ADMIN_PASSWORD).await;
    walk.goto("/pools/review").await;
    walk.look("pool").await;
    walk.click("nav.pager a[href*='page=2']").await;
    walk.look("pool-page-2").await;
    walk.click("table.members th a[href*='sort=name']").await;
    assert!(walk.browser.source().await.unwrap().contains("▲"));
    walk.look("pool-sorted").await;

    // Bulk approval: select all, the question counts them.
    walk.goto("/pools/advisory?state=applied").await;
    walk.find("input[data-select-all]")
        .await
        .click()
        .await
        .unwrap();
    walk.click_confirming("#bulk button[type=submit]", "3")
        .await;
    let page = walk.browser.source().await.unwrap();
    assert!(page.contains("已批准"), "a success message");
    walk.look("pool-approved").await;

    // Rotation: a plan previewed, then applied after a question with its count.
    walk.goto("/pools/review/rotation?date=2027-06-30").await;
    walk.look("rotation").await;
    // A long section is folded: its summary opens it.
    let section = walk.find("details").await;
    if section.attr("open").await.unwrap().is_none() {
        walk.find("details summary").await.click().await.unwrap();
    }
    let select = walk
        .find("select[name^='decisions[']")
        .await
        .attr("name")
        .await
        .unwrap()
        .unwrap();
    walk.choose(&format!("select[name='{select}']"), "renew")
        .await;
    walk.click("form[method=post][action$='/rotation'] button[type=submit]:not([name=apply])")
        .await;
    walk.look("rotation-preview").await;
    walk.click_confirming("button[name=apply]", "1").await;
    let page = walk.browser.source().await.unwrap();
    assert!(page.contains("ok-box"), "the plan was applied");
    walk.look("rotation-applied").await;
    walk.finish().await;
}
