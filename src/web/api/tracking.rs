//! Records, flags, rotation and the pool dashboard.

use super::body::JsonBody;
use super::pools::pool;
use crate::domain::tracking::FlagRules;
use crate::domain::ExpertId;
use crate::error::AppResult;
use crate::service::tracking::{self, Dashboard, ExpertRecord, Plan, PlanDecision};
use crate::store::Store;
use crate::web::guards::{Admin, ExpertUser, Reader};
use chrono::NaiveDate;
use rocket::serde::json::Json;
use rocket::State;
use serde::{Deserialize, Serialize};

/// A date from the query, today by default.
pub fn date_or_today(raw: Option<&str>) -> AppResult<NaiveDate> {
    match raw.filter(|d| !d.is_empty()) {
        Some(d) => Ok(crate::domain::expert::parse_date("date", d)?),
        None => Ok(crate::service::memberships::today()),
    }
}

#[get("/experts/<id>/record")]
async fn record(_r: Reader, store: &State<Store>, id: i64) -> AppResult<Json<ExpertRecord>> {
    Ok(Json(
        tracking::expert_record(store, ExpertId(id), crate::service::memberships::today()).await?,
    ))
}

#[get("/me/record")]
async fn my_record(e: ExpertUser, store: &State<Store>) -> AppResult<Json<ExpertRecord>> {
    Ok(Json(
        tracking::expert_record(store, e.expert, crate::service::memberships::today()).await?,
    ))
}

#[get("/pools/<name>/rotation?<date>")]
async fn plan(
    _r: Reader,
    store: &State<Store>,
    name: &str,
    date: Option<&str>,
) -> AppResult<Json<Plan>> {
    Ok(Json(
        tracking::plan(store, pool(name)?, date_or_today(date)?).await?,
    ))
}

#[derive(Deserialize)]
struct Decisions {
    #[serde(default)]
    date: Option<String>,
    decisions: Vec<PlanDecision>,
}

#[post("/pools/<name>/rotation/preview", data = "<body>")]
async fn preview(
    _r: Reader,
    store: &State<Store>,
    name: &str,
    body: JsonBody<Decisions>,
) -> AppResult<Json<tracking::Preview>> {
    Ok(Json(
        tracking::preview(
            store,
            pool(name)?,
            date_or_today(body.date.as_deref())?,
            &body.decisions,
        )
        .await?,
    ))
}

#[derive(Serialize)]
struct Applied {
    applied: usize,
}

#[post("/pools/<name>/rotation", data = "<body>")]
async fn apply(
    a: Admin,
    store: &State<Store>,
    name: &str,
    body: JsonBody<Decisions>,
) -> AppResult<Json<Applied>> {
    Ok(Json(Applied {
        applied: tracking::apply(
            store,
            &a.0.actor(),
            a.0 .0.expert_id,
            pool(name)?,
            &body.decisions,
        )
        .await?,
    }))
}

#[get("/pools/<name>/dashboard?<date>")]
async fn dashboard(
    _r: Reader,
    store: &State<Store>,
    name: &str,
    date: Option<&str>,
) -> AppResult<Json<Dashboard>> {
    Ok(Json(
        tracking::dashboard(store, pool(name)?, date_or_today(date)?).await?,
    ))
}

#[get("/pools/<name>/flag-rules")]
async fn get_flag_rules(
    _r: Reader,
    store: &State<Store>,
    name: &str,
) -> AppResult<Json<FlagRules>> {
    Ok(Json(
        crate::store::tracking::flag_rules(store, pool(name)?).await?,
    ))
}

#[put("/pools/<name>/flag-rules", data = "<body>")]
async fn put_flag_rules(
    a: Admin,
    store: &State<Store>,
    name: &str,
    body: JsonBody<FlagRules>,
) -> AppResult<Json<FlagRules>> {
    Ok(Json(
        tracking::set_flag_rules(store, &a.0.actor(), pool(name)?, body.into_inner()).await?,
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![
        record,
        my_record,
        plan,
        preview,
        apply,
        dashboard,
        get_flag_rules,
        put_flag_rules
    ]
}
