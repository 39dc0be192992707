use crate::helpers::*;
use rocket::http::{ContentType, Method, Status};

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

async fn login_from(app: &TestApp, username: &str, password: &str, from: &str) -> Status {
    app.client
        .post("/api/v1/session")
        .remote(from.parse().unwrap())
        .header(rocket::http::ContentType::JSON)
        .body(serde_json::json!({"username": username, "password": password}).to_string())
        .dispatch()
        .await
        .status()
}

#[tokio::test]
async fn guesses_from_a_shared_office_address_do_not_lock_out_a_colleague() {
    let app = spawn_app().await;
    app.login_admin().await;
    app.add_user("colleague", "staff", "").await;
    app.logout().await;
    let office = "10.1.2.3:40000";
    // Someone on the office address guesses names and passwords.
    for i in 0..10 {
        let status = login_from(&app, &format!("guess{i}"), "wrong-password", office).await;
        assert_eq!(status, Status::Unauthorized, "guess {i}");
    }
    // Past ten failures, wrong answers from the address get "too many" …
    let status = login_from(&app, "guess-more", "wrong-password", office).await;
    assert_eq!(status, Status::TooManyRequests);
    let status = login_from(&app, "colleague", "wrong-password", office).await;
    assert_eq!(status, Status::TooManyRequests);
    // … but the colleague typing the right password gets in, from the same address.
    let status = login_from(&app, "colleague", PASSWORD, office).await;
    assert_eq!(status, Status::Ok);
    // Another address is not slowed down at all.
    app.logout().await;
    let status = login_from(&app, "admin", "wrong-password", "10.9.9.9:40000").await;
    assert_eq!(status, Status::Unauthorized);
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

/// A second service instance on the same database and secret key.
async fn second_instance(app: &TestApp) -> rocket::local::asynchronous::Client {
    let store = expertpool::store::Store::connect(&app.database_url)
        .await
        .unwrap();
    let config = expertpool::config::Config {
        max_document_bytes: expertpool::config::DEFAULT_MAX_DOCUMENT_BYTES,
        database_url: app.database_url.clone(),
        secret_key: vec![7u8; 64],
        admin_password: None,
        port: None,
        templates_dir: None,
        messaging: Default::default(),
    };
    rocket::local::asynchronous::Client::untracked(expertpool::build(&config, store))
        .await
        .unwrap()
}

/// Sessions live in the database: a copied cookie works on another instance until the
/// session ends — by logout, or when an administrator changes the account — everywhere.
#[tokio::test]
async fn sessions_end_on_every_instance() {
    let app = spawn_app().await;
    app.add_user("clerk", "staff", "").await;
    assert_eq!(app.login("clerk", PASSWORD).await, Status::Ok);
    let copied = app
        .client
        .cookies()
        .get("ep_session")
        .unwrap()
        .value()
        .to_string();
    let other = second_instance(&app).await;
    let whoami = || {
        other
            .get("/api/v1/session")
            .cookie(rocket::http::Cookie::new("ep_session", copied.clone()))
    };
    assert_eq!(whoami().dispatch().await.status(), Status::Ok);
    let (status, mine) = app.get_json("/api/v1/sessions").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["this_browser"], true);
    let page = app
        .client
        .get("/account")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(
        page.contains("在所有设备上退出") && page.contains("当前浏览器"),
        "the account page lists the session"
    );
    app.logout().await;
    assert_eq!(whoami().dispatch().await.status(), Status::Unauthorized);

    // Deactivating and reactivating the account ends the session it had.
    assert_eq!(app.login("clerk", PASSWORD).await, Status::Ok);
    let copied = app
        .client
        .cookies()
        .get("ep_session")
        .unwrap()
        .value()
        .to_string();
    let probe = || {
        other
            .get("/api/v1/session")
            .cookie(rocket::http::Cookie::new("ep_session", copied.clone()))
    };
    assert_eq!(probe().dispatch().await.status(), Status::Ok);
    let (_, me) = app.get_json("/api/v1/session").await;
    let id = me["id"].clone();
    app.logout().await;
    app.login_admin().await;
    for active in [false, true] {
        let (status, body) = app
            .send_json(
                Method::Patch,
                &format!("/api/v1/users/{id}"),
                &serde_json::json!({"active": active}),
            )
            .await;
        assert_eq!(status, Status::Ok, "{body}");
    }
    assert_eq!(probe().dispatch().await.status(), Status::Unauthorized);
}
