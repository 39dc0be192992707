//! Downloads open safely in a spreadsheet: no cell of any CSV starts a formula, and names with
//! control characters are refused at the door.

use crate::helpers::*;
use crate::workflow::*;
use rocket::http::{Method, Status};
use serde_json::json;

#[tokio::test]
async fn formula_names_are_neutralised_in_every_csv() {
    let app = spawn_app().await;
    app.login_admin().await;
    let mut p = profile_json("=HYPERLINK(\"http://evil.example\",\"点我\")");
    p["relations"] = json!([]);
    p["employments"] = json!([]);
    p["unavailable"] = json!([]);
    p["org_id"] = json!("enfi");
    p["region"] = json!("outside");
    let (status, e) = app.send_json(Method::Post, "/api/v1/experts", &p).await;
    assert_eq!(status, Status::Created, "{e}");
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
    review_pool(&app, 6).await;
    let pool_csv = app
        .client
        .get("/api/v1/pools/review/roster.csv")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(pool_csv.contains("'=HYPERLINK"), "{pool_csv}");
    assert!(
        !pool_csv
            .lines()
            .any(|l| l.split(',').any(|c| c.trim_matches('"').starts_with('='))),
        "{pool_csv}"
    );
    // Everyone sits, so the roster holds the name too.
    let id = event(&app, "EVX", "2027-01-13", "", 1, 7, |_| {}).await;
    assert_eq!(draw(&app, id, 1).await.0, Status::Created);
    assert_eq!(confirm(&app, id).await.0, Status::Ok);
    let roster = app
        .client
        .get(format!("/api/v1/events/{id}/roster.csv"))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(roster.contains("'=HYPERLINK"), "{roster}");
    let dashboard = app
        .client
        .get("/pools/review/dashboard.csv")
        .dispatch()
        .await;
    assert!(dashboard.status().code < 500);
    // A tab or a line break in a name is refused, naming the field.
    for bad in ["王\t芳", "王\n芳"] {
        let mut p = profile_json("王芳");
        p["name"] = json!(bad);
        p["unavailable"] = json!([]);
        let (status, body) = app.send_json(Method::Post, "/api/v1/experts", &p).await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (Status::UnprocessableEntity, Some("name")),
            "{body}"
        );
    }
}

/// The API reads JSON bodies only when they are declared JSON: a cross-site form post
/// (text/plain or form encoding) is refused before anything is read.
#[tokio::test]
async fn the_api_refuses_bodies_that_are_not_declared_json() {
    let app = spawn_app().await;
    for ctype in [
        rocket::http::ContentType::Plain,
        rocket::http::ContentType::Form,
    ] {
        let response = app
            .client
            .post("/api/v1/session")
            .header(ctype)
            .body(json!({"username": "admin", "password": ADMIN_PASSWORD}).to_string())
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::UnsupportedMediaType);
        let body = response.into_string().await.unwrap();
        assert!(body.contains("unsupported_media_type"), "{body}");
    }
    assert_eq!(app.login("admin", ADMIN_PASSWORD).await, Status::Ok);
}

/// Page numbers are bounded: a huge one gives an empty page, never a 500.
#[tokio::test]
async fn huge_page_numbers_give_an_empty_page() {
    let app = spawn_app().await;
    app.login_admin().await;
    for uri in [
        "/api/v1/experts?page=9223372036854775807",
        "/api/v1/audit?page=9223372036854775807&per_page=500",
    ] {
        let (status, body) = app.get_json(uri).await;
        assert_eq!(status, Status::Ok, "{uri}: {body}");
        assert_eq!(body["items"], json!([]), "{uri}");
    }
}

/// Event codes name download files: anything but ASCII letters, digits, - and _ is refused.
#[tokio::test]
async fn event_codes_are_plain_ascii() {
    let app = spawn_app().await;
    app.login_admin().await;
    for bad in ["EV 1", "EV\"1", "评审1", "EV1\r\nX-Evil: 1"] {
        let (status, body) = app
            .send_json(
                Method::Post,
                "/api/v1/events",
                &json!({"code": bad, "title": "t", "kind": "application", "dates": "2027-01-13"}),
            )
            .await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (Status::UnprocessableEntity, Some("code")),
            "{bad}: {body}"
        );
    }
}

/// A browser request from another site is refused even with JSON and the user's cookie.
#[tokio::test]
async fn api_writes_from_another_site_are_refused() {
    let app = spawn_app().await;
    app.login_admin().await;
    let from = |origin: &'static str| {
        app.client
            .post("/api/v1/experts")
            .header(rocket::http::ContentType::JSON)
            .header(rocket::http::Header::new("Host", "ep.kjj.example"))
            .header(rocket::http::Header::new("Origin", origin))
            .body(profile_json("跨站").to_string())
    };
    assert_eq!(
        from("https://evil.example").dispatch().await.status(),
        Status::Forbidden
    );
    assert_eq!(
        from("https://ep.kjj.example").dispatch().await.status(),
        Status::Created
    );
}

/// A NUL byte in a query is bad input on every database (PostgreSQL refuses to store or
/// compare it): 400 or an empty answer, never a 500.
#[tokio::test]
async fn nul_bytes_in_queries_are_not_server_errors() {
    let app = spawn_app().await;
    app.login_admin().await;
    for uri in [
        "/api/v1/experts?q=%00abc",
        "/api/v1/experts?discipline=%C2%B1%00&type=x%00",
        "/api/v1/disciplines?prefix=%00",
    ] {
        let (status, body) = app.get_json(uri).await;
        assert!(status.code < 500, "{uri}: {status} {body}");
    }
}
