//! Pools and memberships: applications, decisions, rosters, bulk actions, entry rules.

use super::body::JsonBody;
use crate::domain::membership::{EntryRules, Pool};
use crate::domain::ExpertId;
use crate::error::{AppError, AppResult};
use crate::service::memberships::{self, BulkResult, DecisionInput, MembershipView};
use crate::store::memberships::{roster as load_roster, Membership, RosterFilter, RosterLine};
use crate::store::{experts, Store};
use crate::web::guards::{Admin, CurrentUser, ExpertUser, Reader, Staff};
use rocket::http::{ContentType, Status};
use rocket::serde::json::Json;
use rocket::State;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A pool from the path, or 404.
pub fn pool(raw: &str) -> AppResult<Pool> {
    Pool::parse(raw)
        .map_err(|_| AppError::NotFound(format!("pool '{raw}' (pools: advisory, review)")))
}

/// Roster query parameters, shared with the page.
#[derive(Debug, Default, FromForm)]
pub struct RosterQuery {
    pub state: Option<String>,
    pub term_before: Option<String>,
    pub discipline: Option<String>,
    pub region: Option<String>,
    pub title: Option<String>,
    pub q: Option<String>,
    /// `code`, `name`, `title`, `org`, `region`, `state`, `since` or `term_end`.
    pub sort: Option<String>,
    /// `asc` (default) or `desc`.
    pub dir: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl RosterQuery {
    /// The store filter; unpaged unless `per_page` is given (`default_per_page` 0).
    pub fn filter_paged(&self, default_per_page: i64) -> RosterFilter {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        RosterFilter {
            state: s(&self.state),
            term_before: s(&self.term_before),
            discipline: s(&self.discipline),
            region: s(&self.region),
            title: s(&self.title),
            q: s(&self.q),
            sort: s(&self.sort),
            desc: self.dir.as_deref() == Some("desc"),
            page: self.page.unwrap_or(1).clamp(1, 100_000),
            per_page: self.per_page.unwrap_or(default_per_page).clamp(0, 1000),
        }
    }

    /// Every matching line (exports), in the chosen order.
    pub fn filter(&self) -> RosterFilter {
        RosterFilter {
            per_page: 0,
            ..self.filter_paged(0)
        }
    }
}

#[derive(Serialize)]
struct Roster {
    items: Vec<RosterLine>,
    total: usize,
    counts: BTreeMap<String, i64>,
}

#[get("/pools/<name>/memberships?<query..>")]
async fn roster(
    _r: Reader,
    store: &State<Store>,
    name: &str,
    query: RosterQuery,
) -> AppResult<Json<Roster>> {
    let page = load_roster(store, pool(name)?, &query.filter_paged(0)).await?;
    Ok(Json(Roster {
        total: page.total as usize,
        items: page.lines,
        counts: page.counts,
    }))
}

/// The roster as CSV, same filter.
pub fn roster_csv(lines: &[RosterLine]) -> AppResult<String> {
    crate::web::export::csv_document(
        &[
            "membership_id",
            "expert_id",
            "name",
            "title",
            "org_id",
            "region",
            "state",
            "since",
            "term_end",
            "reason",
        ],
        lines.iter().map(|l| {
            [
                l.membership_id.to_string(),
                l.code.clone(),
                l.name.clone(),
                l.title.clone(),
                l.organization_code.clone(),
                l.region.clone(),
                l.state.clone(),
                l.since.clone(),
                l.term_end.clone().unwrap_or_default(),
                l.reason.clone(),
            ]
        }),
    )
}

#[get("/pools/<name>/roster.csv?<query..>")]
async fn roster_export(
    _r: Reader,
    store: &State<Store>,
    name: &str,
    query: RosterQuery,
) -> AppResult<(ContentType, String)> {
    let page = load_roster(store, pool(name)?, &query.filter()).await?;
    Ok((ContentType::CSV, roster_csv(&page.lines)?))
}

#[derive(Deserialize)]
struct Nomination {
    expert_code: String,
    #[serde(default)]
    note: String,
    /// Staff hold the nominee's signed paper pledge.
    #[serde(default)]
    pledge_on_paper: bool,
    /// The call for experts the nomination answers.
    #[serde(default)]
    call: Option<i64>,
}

#[post("/pools/<name>/memberships", data = "<body>")]
async fn nominate(
    staff: Staff,
    store: &State<Store>,
    name: &str,
    body: JsonBody<Nomination>,
) -> AppResult<(Status, Json<MembershipView>)> {
    let pool = pool(name)?;
    let mut conn = store.pool.acquire().await?;
    let expert = experts::get_by_code(&mut conn, body.expert_code.trim())
        .await
        .map_err(|_| {
            crate::domain::ValidationError::new(
                "expert_code",
                format!("no expert with code '{}'", body.expert_code.trim()),
            )
        })?;
    drop(conn);
    Ok((
        Status::Created,
        Json(
            memberships::apply(
                store,
                &staff.0.actor(),
                expert.id,
                memberships::Application {
                    pool,
                    note: &body.note,
                    nominated: true,
                    pledge: body.pledge_on_paper,
                    call: body.call,
                },
            )
            .await?,
        ),
    ))
}

#[derive(Deserialize)]
struct Application {
    pool: String,
    #[serde(default)]
    note: String,
    /// The integrity and confidentiality pledge, ticked.
    #[serde(default)]
    pledge: bool,
    /// A call for experts is answered on its page, with documents and staff review: named
    /// here it is refused (422 `call`) rather than silently dropped.
    #[serde(default)]
    call: Option<i64>,
}

#[post("/me/memberships", data = "<body>")]
async fn apply(
    e: ExpertUser,
    store: &State<Store>,
    body: JsonBody<Application>,
) -> AppResult<(Status, Json<MembershipView>)> {
    let pool = Pool::parse(&body.pool)?;
    Ok((
        Status::Created,
        Json(
            memberships::apply(
                store,
                &e.user.actor(),
                e.expert,
                memberships::Application {
                    pool,
                    note: &body.note,
                    nominated: false,
                    pledge: body.pledge,
                    call: body.call,
                },
            )
            .await?,
        ),
    ))
}

#[get("/me/memberships")]
async fn my_memberships(e: ExpertUser, store: &State<Store>) -> AppResult<Json<Vec<Membership>>> {
    Ok(Json(
        crate::store::memberships::for_expert(store, e.expert).await?,
    ))
}

#[derive(Deserialize)]
struct Leave {
    #[serde(default)]
    reason: String,
}

#[post("/me/memberships/<id>/leave", data = "<body>")]
async fn leave(
    e: ExpertUser,
    store: &State<Store>,
    id: i64,
    body: JsonBody<Leave>,
) -> AppResult<Json<MembershipView>> {
    Ok(Json(
        memberships::leave(store, &e.user.actor(), e.expert, id, &body.reason).await?,
    ))
}

#[post("/me/memberships/<id>/pledge")]
async fn sign_pledge(
    e: ExpertUser,
    store: &State<Store>,
    id: i64,
) -> AppResult<Json<MembershipView>> {
    Ok(Json(
        memberships::sign_pledge(store, &e.user.actor(), e.expert, id).await?,
    ))
}

#[get("/experts/<id>/memberships")]
async fn of_expert(_r: Reader, store: &State<Store>, id: i64) -> AppResult<Json<Vec<Membership>>> {
    Ok(Json(
        crate::store::memberships::for_expert(store, ExpertId(id)).await?,
    ))
}

#[get("/memberships/<id>")]
async fn read(user: CurrentUser, store: &State<Store>, id: i64) -> AppResult<Json<MembershipView>> {
    let view = memberships::view(store, id).await?;
    // Experts see their own memberships only.
    if !user.0.role.can_read_all() && user.0.expert_id != Some(view.membership.expert_id) {
        return Err(AppError::NotFound(format!("membership {id}")));
    }
    Ok(Json(view))
}

#[post("/memberships/<id>/transitions", data = "<body>")]
async fn decide(
    admin: Admin,
    store: &State<Store>,
    id: i64,
    body: JsonBody<DecisionInput>,
) -> AppResult<Json<MembershipView>> {
    Ok(Json(
        memberships::decide(store, &admin.0.actor(), admin.0 .0.expert_id, id, &body).await?,
    ))
}

#[derive(Deserialize)]
struct Bulk {
    #[serde(default)]
    ids: Vec<i64>,
    #[serde(flatten)]
    decision: DecisionInput,
}

#[post("/memberships/bulk", data = "<body>")]
async fn bulk(
    admin: Admin,
    store: &State<Store>,
    body: JsonBody<Bulk>,
) -> AppResult<Json<BulkResult>> {
    Ok(Json(
        memberships::bulk(
            store,
            &admin.0.actor(),
            admin.0 .0.expert_id,
            &body.ids,
            &body.decision,
        )
        .await?,
    ))
}

#[derive(Deserialize)]
struct Expiry {
    before: String,
}

#[post("/pools/<name>/expire-terms", data = "<body>")]
async fn expire(
    admin: Admin,
    store: &State<Store>,
    name: &str,
    body: JsonBody<Expiry>,
) -> AppResult<Json<BulkResult>> {
    let before = crate::domain::expert::parse_date("before", &body.before)?;
    Ok(Json(
        memberships::expire_terms(store, &admin.0.actor(), pool(name)?, before).await?,
    ))
}

#[get("/pools/<name>/rules")]
async fn get_rules(
    _u: CurrentUser,
    store: &State<Store>,
    name: &str,
) -> AppResult<Json<EntryRules>> {
    Ok(Json(memberships::rules(store, pool(name)?).await?))
}

#[put("/pools/<name>/rules", data = "<body>")]
async fn put_rules(
    admin: Admin,
    store: &State<Store>,
    name: &str,
    body: JsonBody<EntryRules>,
) -> AppResult<Json<EntryRules>> {
    Ok(Json(
        memberships::set_rules(store, &admin.0.actor(), pool(name)?, body.into_inner()).await?,
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![
        roster,
        roster_export,
        nominate,
        apply,
        my_memberships,
        leave,
        sign_pledge,
        of_expert,
        read,
        decide,
        bulk,
        expire,
        get_rules,
        put_rules
    ]
}
