//! Organizations and disciplines (read by every account, e.g. for profile forms).

use crate::domain::discipline::Discipline;
use crate::domain::organization::Organization;
use crate::error::AppResult;
use crate::store::{reference, Store};
use crate::web::guards::CurrentUser;
use rocket::serde::json::Json;
use rocket::State;

#[get("/organizations")]
async fn organizations(
    _u: CurrentUser,
    store: &State<Store>,
) -> AppResult<Json<Vec<Organization>>> {
    Ok(Json(reference::organizations(store).await?))
}

#[get("/disciplines?<prefix>")]
async fn disciplines(
    _u: CurrentUser,
    store: &State<Store>,
    prefix: Option<&str>,
) -> AppResult<Json<Vec<Discipline>>> {
    Ok(Json(
        reference::disciplines(store, prefix.unwrap_or("")).await?,
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![organizations, disciplines]
}
