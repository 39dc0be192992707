//! Experts: list and search, read, create, edit; an expert's own profile.

use super::body::JsonBody;
use super::Page;
use crate::domain::expert::ExpertInput;
use crate::domain::ExpertId;
use crate::error::AppResult;
use crate::service::experts::{self, Editor};
use crate::store::experts::{search, ExpertFilter, ExpertSummary, StoredExpert};
use crate::store::Store;
use crate::web::guards::{ExpertUser, Reader, Staff};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::State;

/// Query parameters of the list, shared with the HTML page.
#[derive(Debug, Default, FromForm)]
pub struct ListQuery {
    pub q: Option<String>,
    pub discipline: Option<String>,
    pub org: Option<String>,
    pub title: Option<String>,
    pub region: Option<String>,
    #[field(name = "type")]
    pub expert_type: Option<String>,
    pub to_verify: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// `code`, `name`, `title`, `org`, `region` or `updated`.
    pub sort: Option<String>,
    /// `asc` (default) or `desc`.
    pub dir: Option<String>,
}

impl ListQuery {
    /// The store filter (page size 20 by default, at most 200).
    pub fn filter(&self) -> ExpertFilter {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        ExpertFilter {
            q: s(&self.q),
            discipline: s(&self.discipline),
            org: s(&self.org),
            title: s(&self.title),
            region: s(&self.region),
            expert_type: s(&self.expert_type),
            to_verify: self.to_verify.unwrap_or(false),
            page: self.page.unwrap_or(1).clamp(1, 100_000),
            per_page: self.per_page.unwrap_or(20).clamp(1, 200),
            sort: s(&self.sort),
            desc: self.dir.as_deref() == Some("desc"),
        }
    }
}

#[get("/experts?<query..>")]
async fn list(
    _r: Reader,
    store: &State<Store>,
    query: ListQuery,
) -> AppResult<Json<Page<ExpertSummary>>> {
    let f = query.filter();
    let (items, total) = search(store, &f).await?;
    Ok(Json(Page {
        items,
        total,
        page: f.page,
        per_page: f.per_page,
    }))
}

#[get("/experts/<id>")]
async fn read(_r: Reader, store: &State<Store>, id: i64) -> AppResult<Json<StoredExpert>> {
    Ok(Json(experts::get(store, ExpertId(id)).await?))
}

#[post("/experts", data = "<body>")]
async fn create(
    staff: Staff,
    store: &State<Store>,
    body: JsonBody<ExpertInput>,
) -> AppResult<(Status, Json<StoredExpert>)> {
    Ok((
        Status::Created,
        Json(experts::create(store, &staff.0.actor(), body.into_inner()).await?),
    ))
}

#[put("/experts/<id>", data = "<body>")]
async fn update(
    staff: Staff,
    store: &State<Store>,
    id: i64,
    body: JsonBody<ExpertInput>,
) -> AppResult<Json<StoredExpert>> {
    Ok(Json(
        experts::update(
            store,
            &staff.0.actor(),
            ExpertId(id),
            body.into_inner(),
            Editor::Staff,
        )
        .await?,
    ))
}

#[get("/me")]
async fn me(expert: ExpertUser, store: &State<Store>) -> AppResult<Json<StoredExpert>> {
    Ok(Json(experts::own_view(
        experts::get(store, expert.expert).await?,
    )))
}

#[derive(serde::Deserialize)]
struct Verification {
    /// `accept` or `reject`.
    decision: String,
}

/// Staff accept or reject an expert's own changes to title, types, region, birth year or
/// employer.
#[post("/experts/<id>/verification", data = "<body>")]
async fn verification(
    s: Staff,
    store: &State<Store>,
    id: i64,
    body: JsonBody<Verification>,
) -> AppResult<Json<StoredExpert>> {
    let accept = match body.decision.trim() {
        "accept" => true,
        "reject" => false,
        other => {
            return Err(crate::domain::ValidationError::new(
                "decision",
                format!("'{other}' is not accept or reject"),
            )
            .into())
        }
    };
    Ok(Json(
        experts::verify(store, &s.0.actor(), ExpertId(id), accept).await?,
    ))
}

#[put("/me", data = "<body>")]
async fn update_me(
    expert: ExpertUser,
    store: &State<Store>,
    body: JsonBody<ExpertInput>,
) -> AppResult<Json<StoredExpert>> {
    Ok(Json(
        experts::update(
            store,
            &expert.user.actor(),
            expert.expert,
            body.into_inner(),
            Editor::SelfService,
        )
        .await
        .map(experts::own_view)?,
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list, read, create, update, me, update_me, verification]
}
