//! Records, flags, rotation and the dashboard on the sample data and constructed histories.

use crate::helpers::*;
use rocket::http::{ContentType, Method, Status};
use serde_json::{json, Value};

#[tokio::test]
async fn records_and_flags_come_from_the_history() {
    let app = sample_app().await;
    app.login_admin().await;
    // The expert with the most no-shows in the sample history.
    let mut conn = app.store.pool.acquire().await.unwrap();
    let (expert, no_shows): (i64, i64) = sqlx::query_as("select expert_id, count(*) as n from tracking_record where attendance = 'no_show' group by expert_id order by n desc, expert_id limit 1")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let (status, record) = app
        .get_json(&format!("/api/v1/experts/{expert}/record"))
        .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(record["record"]["no_shows"].as_i64(), Some(no_shows));
    let (direct,): (i64,) = sqlx::query_as(
        "select count(*) from tracking_record where expert_id = $1 and response = 'accepted'",
    )
    .bind(expert)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(record["record"]["accepted"].as_i64(), Some(direct));
}

#[tokio::test]
async fn the_dashboard_numbers_equal_a_direct_count() {
    let app = sample_app().await;
    app.login_admin().await;
    let (status, d) = app
        .get_json("/api/v1/pools/review/dashboard?date=2026-11-24")
        .await;
    assert_eq!(status, Status::Ok);
    let mut conn = app.store.pool.acquire().await.unwrap();
    let counts: Vec<(String, i64)> = sqlx::query_as(
        "select state, count(*) from membership where pool = 'review' group by state",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for (state, n) in counts {
        assert_eq!(d["by_state"][&state].as_i64(), Some(n), "{state}");
    }
    let (outside,): (i64,) = sqlx::query_as("select count(*) from membership m join expert e on e.expert_id = m.expert_id where m.pool = 'review' and m.state = 'active' and e.region = 'outside'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(
        d["composition"]["region"]["outside"].as_i64(),
        Some(outside)
    );
    let active: i64 = d["by_state"]["active"].as_i64().unwrap();
    let histogram_total: i64 = d["reviews_histogram"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .sum();
    assert_eq!(
        histogram_total, active,
        "every active member is in the histogram once"
    );
    let page = app.page("/pools/review/dashboard?date=2026-11-24").await;
    assert_eq!(page.matches("<svg").count(), 7, "seven charts, plain SVG");
    let csv = app
        .page("/pools/review/dashboard.csv?date=2026-11-24")
        .await;
    assert!(
        csv.lines()
            .any(|l| l.starts_with("region,") && l.ends_with(&format!(",{outside}"))),
        "{csv}"
    );
}

#[tokio::test]
async fn the_rotation_plan_lists_expiring_flagged_and_applicants_and_applies_atomically() {
    let app = sample_app().await;
    app.login_admin().await;
    let (status, plan) = app
        .get_json("/api/v1/pools/review/rotation?date=2026-11-24")
        .await;
    assert_eq!(status, Status::Ok);
    let expiring = plan["expiring"].as_array().unwrap();
    let flagged = plan["flagged"].as_array().unwrap();
    let applicants = plan["applicants"].as_array().unwrap();
    assert!(
        !expiring.is_empty() && !flagged.is_empty() && !applicants.is_empty(),
        "the sample plants all three"
    );
    assert!(expiring
        .iter()
        .all(|m| m["term_end"].as_str().unwrap() <= "2026-11-24"));
    assert!(flagged
        .iter()
        .all(|m| !m["flags"].as_array().unwrap().is_empty()));
    let scores: Vec<f64> = applicants
        .iter()
        .map(|m| m["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "applicants ranked by gap score"
    );
    // One good decision and one impossible one (approving an active member): nothing changes.
    let renew = expiring[0]["membership_id"].clone();
    let active_flagged = flagged[0]["membership_id"].clone();
    let (status, err) = app
        .send_json(Method::Post, "/api/v1/pools/review/rotation", &json!({"decisions": [{"membership_id": renew, "action": "exit", "reason_code": "term_expired"}, {"membership_id": active_flagged, "action": "approve"}]}))
        .await;
    assert_eq!(status, Status::Conflict, "{err}");
    let (_, still) = app.get_json(&format!("/api/v1/memberships/{renew}")).await;
    assert_eq!(still["state"], "active", "the plan was not half applied");
    let (status, preview) = app.send_json(Method::Post, "/api/v1/pools/review/rotation/preview", &json!({"date": "2026-11-24", "decisions": [{"membership_id": renew, "action": "exit", "reason_code": "term_expired"}]})).await;
    assert_eq!(status, Status::Ok);
    let total = |c: &Value| {
        c["region"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_i64().unwrap())
            .sum::<i64>()
    };
    assert_eq!(total(&preview["after"]), total(&preview["before"]) - 1);
    let (status, ok) = app
        .send_json(Method::Post, "/api/v1/pools/review/rotation", &json!({"decisions": [{"membership_id": renew, "action": "exit", "reason_code": "term_expired", "reason": "end of term"}, {"membership_id": applicants[0]["membership_id"], "action": "approve", "override_reason": "fills a thin discipline"}]}))
        .await;
    assert_eq!(
        (status, ok["applied"].as_u64()),
        (Status::Ok, Some(2)),
        "{ok}"
    );
    let page = app.page("/pools/review/rotation?date=2026-11-24").await;
    assert!(
        page.contains("decisions["),
        "the planner page offers a decision per line"
    );
}

#[tokio::test]
async fn flag_thresholds_are_configurable_per_pool() {
    let app = spawn_app().await;
    app.login_admin().await;
    let (_, rules) = app.get_json("/api/v1/pools/advisory/flag-rules").await;
    assert_eq!(rules["max_age"], 75);
    let mut changed = rules.clone();
    changed["no_shows_12_months"] = json!(1);
    assert_eq!(
        app.send_json(Method::Put, "/api/v1/pools/advisory/flag-rules", &changed)
            .await
            .0,
        Status::Ok
    );
    changed["decline_rate_above"] = json!(7);
    assert_eq!(
        app.send_json(Method::Put, "/api/v1/pools/advisory/flag-rules", &changed)
            .await
            .0,
        Status::UnprocessableEntity
    );
    let _ = ContentType::JSON;
}

#[tokio::test]
async fn the_pool_page_edits_the_flag_thresholds_naming_a_wrong_field() {
    let app = spawn_app().await;
    app.login_admin().await;
    let page = app.page("/pools/review").await;
    assert!(
        page.contains("预警阈值"),
        "the thresholds are on the pool page"
    );
    let token = csrf_token(&page);
    let form = |no_shows: &str| {
        format!("csrf={token}&no_shows_12_months={no_shows}&low_rating_below=3.5&low_rating_last=4&decline_rate_percent=40&decline_last=6&max_age=68&term_ending_days=45&profile_stale_years=2")
    };
    let bad = app
        .client
        .post("/pools/review/flag-rules")
        .header(rocket::http::ContentType::Form)
        .body(form("两次"))
        .dispatch()
        .await;
    assert_eq!(bad.status(), Status::UnprocessableEntity);
    assert!(bad.into_string().await.unwrap().contains("缺席次数"));
    let good = app
        .client
        .post("/pools/review/flag-rules")
        .header(rocket::http::ContentType::Form)
        .body(form("3"))
        .dispatch()
        .await;
    assert_eq!(good.status(), Status::SeeOther);
    let (_, rules) = app.get_json("/api/v1/pools/review/flag-rules").await;
    assert_eq!(rules["no_shows_12_months"], 3);
    assert_eq!(rules["max_age"], 68);
    assert!((rules["decline_rate_above"].as_f64().unwrap() - 0.4).abs() < 1e-9);
}

/// A section-wide choice decides every line of the section left without its own, and a line
/// chosen one by one keeps its choice.
#[tokio::test]
async fn a_section_wide_choice_fills_the_lines_left_open() {
    let app = sample_app().await;
    app.login_admin().await;
    let (_, plan) = app
        .get_json("/api/v1/pools/review/rotation?date=2026-11-24")
        .await;
    let expiring: Vec<i64> = plan["expiring"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["membership_id"].as_i64().unwrap())
        .collect();
    assert!(expiring.len() > 1, "the sample has several ending terms");
    let page = app.page("/pools/review/rotation?date=2026-11-24").await;
    assert!(page.contains("name=\"all_expiring\""));
    let token = csrf_token(&page);
    let r = app
        .client
        .post("/pools/review/rotation")
        .header(ContentType::Form)
        .body(format!(
            "csrf={token}&date=2026-11-24&all_expiring=renew&decisions[{}]=exit:term_expired",
            expiring[0]
        ))
        .dispatch()
        .await;
    assert_eq!(r.status(), Status::Ok);
    let html = r.into_string().await.unwrap();
    let renewed = html.matches("value=\"renew\" selected").count();
    let exited = html.matches("value=\"exit:term_expired\" selected").count();
    assert_eq!(
        (renewed, exited),
        (expiring.len(), 1),
        "every other ending term renewed (and the section's own choice shown), the one chosen kept"
    );
}
