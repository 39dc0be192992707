use crate::helpers::*;
use rocket::http::{ContentType, Status};

#[tokio::test]
async fn login_whoami_logout() {
    let app = spawn_app().await;
    assert_eq!(
        app.get_json("/api/v1/session").await.0,
        Status::Unauthorized
    );
    app.login_admin().await;
    let (status, me) = app.get_json("/api/v1/session").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(me["role"], "admin");
    app.logout().await;
    assert_eq!(
        app.get_json("/api/v1/experts").await.0,
        Status::Unauthorized
    );
}

#[tokio::test]
async fn wrong_password_is_401_with_a_json_error() {
    let app = spawn_app().await;
    let response = app
        .client
        .post("/api/v1/session")
        .header(ContentType::JSON)
        .body(r#"{"username":"admin","password":"nope"}"#)
        .dispatch()
        .await;
    let (status, body) = json_of(response).await;
    assert_eq!(status, Status::Unauthorized);
    assert_eq!(body["error"]["code"], "unauthorized");
}

#[tokio::test]
async fn five_failures_lock_the_account_even_for_the_right_password() {
    let app = spawn_app().await;
    for _ in 0..5 {
        assert_eq!(
            app.login("admin", "wrong-password").await,
            Status::Unauthorized
        );
    }
    assert_eq!(
        app.login("admin", ADMIN_PASSWORD).await,
        Status::TooManyRequests
    );
}

#[tokio::test]
async fn html_login_needs_the_csrf_token_and_then_works() {
    let app = spawn_app().await;
    let page = app
        .client
        .get("/login")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    let token = csrf_token(&page);
    let forged = app
        .client
        .post("/login")
        .header(ContentType::Form)
        .body(format!(
            "username=admin&password={ADMIN_PASSWORD}&csrf=forged"
        ))
        .dispatch()
        .await;
    assert_eq!(forged.status(), Status::Forbidden);
    let ok = app
        .client
        .post("/login")
        .header(ContentType::Form)
        .body(format!(
            "username=admin&password={ADMIN_PASSWORD}&csrf={token}"
        ))
        .dispatch()
        .await;
    assert_eq!(ok.status(), Status::SeeOther);
    let home = app.client.get("/").dispatch().await;
    assert_eq!(home.status(), Status::Ok);
}

#[tokio::test]
async fn pages_follow_accept_language_and_the_switch_cookie() {
    let app = spawn_app().await;
    let en = app
        .client
        .get("/login")
        .header(rocket::http::Header::new(
            "Accept-Language",
            "en-US,en;q=0.9",
        ))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(en.contains("Log in to the expert pool"));
    let zh = app
        .client
        .get("/login")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(zh.contains("登录专家库"));
    app.client.get("/lang/en?next=/login").dispatch().await;
    let switched = app
        .client
        .get("/login")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(switched.contains("Log in to the expert pool"));
}
