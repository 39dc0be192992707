//! Accounts, for administrators.

use super::body::JsonBody;
use crate::domain::UserId;
use crate::error::AppResult;
use crate::service::users::{self, NewUserInput, UserChangeInput};
use crate::store::users::{list as all_users, User};
use crate::store::Store;
use crate::web::guards::Admin;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::State;

#[get("/users")]
async fn list(_a: Admin, store: &State<Store>) -> AppResult<Json<Vec<User>>> {
    Ok(Json(all_users(store).await?))
}

#[post("/users", data = "<body>")]
async fn create(
    admin: Admin,
    store: &State<Store>,
    body: JsonBody<NewUserInput>,
) -> AppResult<(Status, Json<User>)> {
    Ok((
        Status::Created,
        Json(users::create(store, &admin.0.actor(), body.into_inner()).await?),
    ))
}

#[patch("/users/<id>", data = "<body>")]
async fn change(
    admin: Admin,
    store: &State<Store>,
    id: i64,
    body: JsonBody<UserChangeInput>,
) -> AppResult<Json<User>> {
    Ok(Json(
        users::change(store, &admin.0.actor(), UserId(id), body.into_inner()).await?,
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list, create, change]
}
