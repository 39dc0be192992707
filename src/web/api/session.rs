//! Login, logout, and who is logged in.

use super::body::JsonBody;
use crate::error::AppResult;
use crate::service::auth;
use crate::store::users::User;
use crate::store::Store;
use crate::web::guards::{end_session, start_session, ClientIp, CurrentUser};
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
    ip: ClientIp,
    body: JsonBody<Credentials>,
) -> AppResult<Json<User>> {
    let user = auth::login(store, &body.username, &body.password, ip.0).await?;
    start_session(cookies, user.id);
    Ok(Json(user))
}

#[get("/session")]
fn whoami(user: CurrentUser) -> Json<User> {
    Json(user.0)
}

#[delete("/session")]
fn logout(_user: CurrentUser, cookies: &CookieJar<'_>) -> Status {
    end_session(cookies);
    Status::NoContent
}

pub fn routes() -> Vec<rocket::Route> {
    routes![login, whoami, logout]
}
