//! Every mounted route refuses anonymous callers (except login, the language switch, static
//! files, answer links and the public calls for experts), and expert accounts reach only
//! their own pages.

use crate::helpers::*;
use rocket::http::{ContentType, Method, Status};

/// Routes anyone may call.
const PUBLIC: &[(&str, &str)] = &[
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/api/v1/session"),
    ("GET", "/lang/<code>"),
    // Answer links: the signed token is the credential (a wrong one is a 404).
    ("GET", "/a/<token>"),
    ("POST", "/a/<token>"),
    ("GET", "/api/v1/answer-links/<token>"),
    ("POST", "/api/v1/answer-links/<token>"),
    // Calls for experts are public notices.
    ("GET", "/calls"),
    ("GET", "/calls/<id>"),
    // Registration from a call's page: the form, and the activation link or SMS code, whose
    // token is the credential (a wrong one is a 404).
    ("GET", "/calls/<id>/register"),
    ("POST", "/calls/<id>/register"),
    ("GET", "/register/activate/<token>"),
    ("POST", "/register/activate/<token>"),
    ("GET", "/register/code"),
    ("POST", "/register/code"),
];

/// Routes an expert account may call.
const EXPERT_ALLOWED: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/me"),
    ("GET", "/me/edit"),
    ("POST", "/me"),
    ("POST", "/logout"),
    ("GET", "/api/v1/me"),
    ("PUT", "/api/v1/me"),
    ("GET", "/api/v1/session"),
    ("DELETE", "/api/v1/session"),
    // Own sessions only.
    ("GET", "/api/v1/sessions"),
    ("DELETE", "/api/v1/sessions"),
    ("GET", "/account"),
    ("POST", "/account/sessions/end"),
    ("GET", "/api/v1/organizations"),
    ("GET", "/api/v1/disciplines"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/me/memberships"),
    ("POST", "/api/v1/me/memberships"),
    ("POST", "/api/v1/me/memberships/<id>/leave"),
    ("POST", "/api/v1/me/memberships/<id>/pledge"),
    ("POST", "/me/apply"),
    ("POST", "/me/memberships/<id>/leave"),
    ("POST", "/me/memberships/<id>/pledge"),
    // Scoped to the expert's own memberships (others answer 404).
    ("GET", "/memberships/<id>"),
    ("GET", "/api/v1/memberships/<id>"),
    ("GET", "/api/v1/pools/<name>/rules"),
    ("GET", "/api/v1/me/invitations"),
    // Scoped to the expert's own invitations.
    ("POST", "/api/v1/invitations/<id>/answer"),
    ("POST", "/me/invitations/<id>/answer"),
    ("GET", "/api/v1/me/record"),
    // Their own applications to calls (others answer 404).
    ("POST", "/calls/<call>/apply"),
    ("GET", "/applications"),
    ("GET", "/applications/<id>"),
    ("POST", "/applications/<id>"),
    ("POST", "/applications/<id>/documents"),
    ("GET", "/applications/<id>/documents/<doc>"),
    ("POST", "/applications/<id>/documents/<doc>/remove"),
    ("POST", "/applications/<id>/withdraw"),
];

fn concrete(path: &str) -> String {
    path.split('?')
        .next()
        .unwrap_or(path)
        .split('/')
        .map(|seg| {
            if seg.starts_with('<') {
                if seg.contains("..") {
                    "x"
                } else {
                    "1"
                }
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn routes(app: &TestApp) -> Vec<(Method, String, String)> {
    app.client
        .rocket()
        .routes()
        .filter(|r| !r.uri.base().starts_with("/static"))
        .map(|r| (r.method, r.uri.path().to_string(), r.uri.to_string()))
        .collect()
}

fn listed(list: &[(&str, &str)], method: Method, path: &str) -> bool {
    list.iter()
        .any(|(m, p)| *m == method.as_str() && *p == path.split('?').next().unwrap_or(path))
}

async fn call(app: &TestApp, method: Method, path: &str) -> Status {
    let uri = concrete(path);
    let (ct, body) = if path.starts_with("/api/") {
        (ContentType::JSON, "{}")
    } else {
        (ContentType::Form, "csrf=x")
    };
    app.client
        .req(method, uri)
        .header(ct)
        .body(body)
        .dispatch()
        .await
        .status()
}

#[tokio::test]
async fn every_route_except_login_refuses_anonymous_callers() {
    let app = spawn_app().await;
    let all = routes(&app);
    assert!(all.len() > 20, "routes enumerated: {}", all.len());
    for (method, path, full) in all {
        if listed(PUBLIC, method, &path) {
            continue;
        }
        let status = call(&app, method, &path).await;
        let refused = matches!(status.code, 401 | 403 | 303)
            && (status != Status::SeeOther || path == "/" || !path.starts_with("/api"));
        assert!(
            refused,
            "{method} {full} answered {status} to an anonymous caller"
        );
    }
}

#[tokio::test]
async fn expert_accounts_cannot_reach_staff_or_admin_routes() {
    let app = spawn_app().await;
    app.login_admin().await;
    let (_, e) = app
        .send_json(Method::Post, "/api/v1/experts", &profile_json("庚"))
        .await;
    app.logout().await;
    app.add_user("geng", "expert", e["code"].as_str().unwrap())
        .await;
    assert_eq!(app.login("geng", PASSWORD).await, Status::Ok);
    for (method, path, full) in routes(&app) {
        if listed(PUBLIC, method, &path) || listed(EXPERT_ALLOWED, method, &path) {
            continue;
        }
        let status = call(&app, method, &path).await;
        assert_eq!(
            status,
            Status::Forbidden,
            "{method} {full} answered {status} to an expert"
        );
    }
}

#[tokio::test]
async fn staff_cannot_reach_admin_routes() {
    let app = spawn_app().await;
    app.add_user("staffer", "staff", "").await;
    app.login("staffer", PASSWORD).await;
    for (method, path) in [
        (Method::Get, "/api/v1/users"),
        (Method::Post, "/api/v1/users"),
        (Method::Get, "/admin/users"),
        (Method::Get, "/audit"),
    ] {
        assert_eq!(
            call(&app, method, path).await,
            Status::Forbidden,
            "{method} {path}"
        );
    }
}
