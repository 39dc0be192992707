//! Review events: create, items (CSV), panels, exclusions, eligibility overview, draws, replay.

use super::body::JsonBody;
use crate::assign::Rules;
use crate::error::AppResult;
use crate::service::draws::{self as draw_checks, Chain, Freshness};
use crate::service::events::{self, Event, EventInput, PanelOverview, Replay, StoredDraw};
use crate::store::events::{ItemRow, PanelRow};
use crate::store::Store;
use crate::web::guards::{Reader, Staff};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::State;
use serde::{Deserialize, Serialize};

#[get("/events")]
async fn list(_r: Reader, store: &State<Store>) -> AppResult<Json<Vec<Event>>> {
    Ok(Json(events::list(store).await?))
}

#[post("/events", data = "<body>")]
async fn create(
    s: Staff,
    store: &State<Store>,
    body: JsonBody<EventInput>,
) -> AppResult<(Status, Json<Event>)> {
    Ok((
        Status::Created,
        Json(events::create(store, &s.0.actor(), body.into_inner()).await?),
    ))
}

#[derive(Serialize)]
struct EventDetail {
    #[serde(flatten)]
    event: Event,
    items: Vec<ItemRow>,
    panels: Vec<PanelRow>,
    /// For a drawn event: whether its latest draw still describes the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    draw_status: Option<Freshness>,
}

#[get("/events/<id>")]
async fn read(_r: Reader, store: &State<Store>, id: i64) -> AppResult<Json<EventDetail>> {
    let event = events::get(store, id).await?;
    let (items, panels) = events::contents(store, id).await?;
    let draw_status = match event.status {
        crate::domain::event::EventStatus::Drawn => {
            match crate::store::events::draws(store, id).await?.first() {
                Some(row) => Some(draw_checks::freshness(store, &event, row).await?),
                None => None,
            }
        }
        _ => None,
    };
    Ok(Json(EventDetail {
        event,
        items,
        panels,
        draw_status,
    }))
}

#[put("/events/<id>/notice", data = "<body>")]
async fn notice(
    s: Staff,
    store: &State<Store>,
    id: i64,
    body: JsonBody<crate::service::follow_up::NoticeInput>,
) -> AppResult<Json<Event>> {
    Ok(Json(
        crate::service::follow_up::set_notice(store, &s.0.actor(), id, &body).await?,
    ))
}

/// The event's draws verified: hashes, links, and the audit log.
#[get("/events/<id>/chain")]
async fn chain(_r: Reader, store: &State<Store>, id: i64) -> AppResult<Json<Chain>> {
    let event = events::get(store, id).await?;
    Ok(Json(draw_checks::chain(store, &event).await?))
}

#[put("/events/<id>/rules", data = "<body>")]
async fn rules(
    s: Staff,
    store: &State<Store>,
    id: i64,
    body: JsonBody<Rules>,
) -> AppResult<Json<Event>> {
    Ok(Json(
        events::set_rules(store, &s.0.actor(), id, body.into_inner()).await?,
    ))
}

#[derive(Serialize)]
struct Added {
    added: usize,
}

/// The body is CSV text in the projects.csv format.
#[post("/events/<id>/items", data = "<body>")]
async fn items(
    s: Staff,
    store: &State<Store>,
    id: i64,
    body: String,
) -> AppResult<(Status, Json<Added>)> {
    Ok((
        Status::Created,
        Json(Added {
            added: events::add_items_csv(store, &s.0.actor(), id, &body).await?,
        }),
    ))
}

#[derive(Deserialize)]
struct Grouping {
    #[serde(default = "three")]
    items_per_panel: usize,
}

fn three() -> usize {
    3
}

#[derive(Serialize)]
struct Grouped {
    panels: usize,
}

#[post("/events/<id>/panels", data = "<body>")]
async fn panels(
    s: Staff,
    store: &State<Store>,
    id: i64,
    body: JsonBody<Grouping>,
) -> AppResult<Json<Grouped>> {
    Ok(Json(Grouped {
        panels: events::group_panels(store, &s.0.actor(), id, body.items_per_panel).await?,
    }))
}

#[derive(Deserialize)]
struct PanelsInput {
    panels: Vec<events::PanelInput>,
}

#[put("/events/<id>/panels", data = "<body>")]
async fn set_panels(
    s: Staff,
    store: &State<Store>,
    id: i64,
    body: JsonBody<PanelsInput>,
) -> AppResult<Json<Grouped>> {
    Ok(Json(Grouped {
        panels: events::set_panels(store, &s.0.actor(), id, body.into_inner().panels).await?,
    }))
}

#[derive(Deserialize)]
struct PinInput {
    panel: String,
    expert: String,
    kind: String,
    reason: String,
}

#[post("/events/<id>/pins", data = "<body>")]
async fn pins(
    s: Staff,
    store: &State<Store>,
    id: i64,
    body: JsonBody<PinInput>,
) -> AppResult<Status> {
    events::pin(
        store,
        &s.0.actor(),
        id,
        &body.panel,
        &body.expert,
        &body.kind,
        &body.reason,
    )
    .await?;
    Ok(Status::Created)
}

#[derive(Deserialize)]
struct ExclusionInput {
    item: String,
    expert: String,
    #[serde(default = "staff_kind")]
    kind: String,
    reason: String,
}

fn staff_kind() -> String {
    "staff".into()
}

#[post("/events/<id>/exclusions", data = "<body>")]
async fn exclusions(
    s: Staff,
    store: &State<Store>,
    id: i64,
    body: JsonBody<ExclusionInput>,
) -> AppResult<Status> {
    events::add_exclusion(
        store,
        &s.0.actor(),
        id,
        &body.item,
        &body.expert,
        &body.kind,
        &body.reason,
    )
    .await?;
    Ok(Status::Created)
}

#[get("/events/<id>/eligibility")]
async fn eligibility(
    _r: Reader,
    store: &State<Store>,
    id: i64,
) -> AppResult<Json<Vec<PanelOverview>>> {
    Ok(Json(events::overview(store, id).await?))
}

#[derive(Deserialize, Default)]
struct DrawInput {
    /// Decimal text or a number; empty for a random seed.
    #[serde(default)]
    seed: Option<serde_json::Value>,
}

#[post("/events/<id>/draws", data = "<body>")]
async fn draw(
    s: Staff,
    store: &State<Store>,
    id: i64,
    body: JsonBody<DrawInput>,
) -> AppResult<(Status, Json<StoredDraw>)> {
    let seed = match &body.seed {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => Some(n.as_u64().ok_or_else(|| {
            crate::domain::ValidationError::new("seed", "must be a whole number ≥ 0")
        })?),
        Some(serde_json::Value::String(t)) if t.trim().is_empty() => None,
        Some(serde_json::Value::String(t)) => Some(t.trim().parse().map_err(|_| {
            crate::domain::ValidationError::new("seed", format!("'{t}' is not a whole number"))
        })?),
        Some(_) => {
            return Err(crate::domain::ValidationError::new("seed", "must be a number").into())
        }
    };
    Ok((
        Status::Created,
        Json(events::draw(store, &s.0.actor(), id, seed).await?),
    ))
}

#[get("/events/<id>/draws")]
async fn draws(_r: Reader, store: &State<Store>, id: i64) -> AppResult<Json<Vec<StoredDraw>>> {
    Ok(Json(
        crate::store::events::draws(store, id)
            .await?
            .into_iter()
            .map(StoredDraw::from)
            .collect(),
    ))
}

#[get("/draws/<id>")]
async fn read_draw(_r: Reader, store: &State<Store>, id: i64) -> AppResult<Json<DrawDetail>> {
    let row = crate::store::events::draw(store, id)
        .await
        .map_err(|_| crate::error::AppError::NotFound(format!("draw {id}")))?;
    // The whole input, profiles included, whichever way it is stored.
    let input = crate::service::stored_inputs::problem(store, row.input_json.clone())
        .await
        .ok()
        .and_then(|read| read.problem)
        .and_then(|problem| serde_json::to_value(problem).ok())
        .unwrap_or_default();
    Ok(Json(DrawDetail {
        draw: row.into(),
        input,
    }))
}

/// A stored draw with the full input it was computed from (for supervisors' checks).
#[derive(Serialize)]
struct DrawDetail {
    #[serde(flatten)]
    draw: StoredDraw,
    input: serde_json::Value,
}

#[post("/draws/<id>/replay")]
async fn replay(_r: Reader, store: &State<Store>, id: i64) -> AppResult<Json<Replay>> {
    Ok(Json(events::replay(store, id).await?))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![
        list,
        create,
        read,
        notice,
        chain,
        rules,
        set_panels,
        pins,
        items,
        panels,
        exclusions,
        eligibility,
        draw,
        draws,
        read_draw,
        replay
    ]
}
