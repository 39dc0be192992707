//! Login, logout, and who is logged in.

use super::body::JsonBody;
use crate::error::AppResult;
use crate::service::auth;
use crate::store::users::User;
use crate::store::Store;
use crate::web::guards::{end_session, session_token, start_session, ClientInfo, CurrentUser};
use rocket::http::{CookieJar, Status};
use rocket::serde::json::Json;
use rocket::State;
use serde::Deserialize;

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

#[post("/session", data = "<body>")]
async fn login(
    store: &State<Store>,
    cookies: &CookieJar<'_>,
    client: ClientInfo,
    body: JsonBody<Credentials>,
) -> AppResult<Json<User>> {
    let user = auth::login(store, &body.username, &body.password, client.ip.clone()).await?;
    start_session(cookies, store, user.id, &client).await?;
    Ok(Json(user))
}

#[get("/session")]
fn whoami(user: CurrentUser) -> Json<User> {
    Json(user.0)
}

#[delete("/session")]
async fn logout(
    _user: CurrentUser,
    store: &State<Store>,
    cookies: &CookieJar<'_>,
) -> AppResult<Status> {
    end_session(cookies, store).await?;
    Ok(Status::NoContent)
}

#[derive(serde::Serialize)]
struct SessionLine {
    #[serde(flatten)]
    session: crate::store::sessions::SessionRow,
    this_browser: bool,
}

/// The caller's own live sessions.
#[get("/sessions")]
async fn sessions(
    user: CurrentUser,
    store: &State<Store>,
    cookies: &CookieJar<'_>,
) -> AppResult<Json<Vec<SessionLine>>> {
    let token = session_token(cookies).unwrap_or_default();
    Ok(Json(
        crate::store::sessions::of_user(store, user.0.id.0)
            .await?
            .into_iter()
            .map(|s| SessionLine {
                this_browser: crate::service::sessions::is_token_of(&token, &s),
                session: s,
            })
            .collect(),
    ))
}

/// Signs the caller out everywhere (this browser too).
#[delete("/sessions")]
async fn end_all(
    user: CurrentUser,
    store: &State<Store>,
    cookies: &CookieJar<'_>,
) -> AppResult<Status> {
    crate::service::sessions::close_all(store, user.0.id.0).await?;
    end_session(cookies, store).await?;
    Ok(Status::NoContent)
}

pub fn routes() -> Vec<rocket::Route> {
    routes![login, whoami, logout, sessions, end_all]
}
