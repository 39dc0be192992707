//! Invitations: confirm a draw, answer, replace, attendance and ratings, advance the event,
//! the roster.

use super::body::JsonBody;
use crate::domain::invitation::{Answer, Attendance, Ratings};
use crate::domain::user::Role;
use crate::error::{AppError, AppResult};
use crate::service::events::Event;
use crate::service::invitations;
use crate::service::notices::{self, ExpertInvitation};
use crate::service::replacement::{self, Replacement};
use crate::store::invitations::InvitationRow;
use crate::store::Store;
use crate::web::guards::{CurrentUser, ExpertUser, Reader, Staff};
use rocket::http::{ContentType, Status};
use rocket::serde::json::Json;
use rocket::State;
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct Confirmed {
    invitations: usize,
}

#[derive(Deserialize)]
struct ConfirmInput {
    /// The draw to send: the event's latest, still current.
    draw: Option<i64>,
}

#[post("/events/<id>/confirm", data = "<body>")]
async fn confirm(
    s: Staff,
    store: &State<Store>,
    id: i64,
    body: JsonBody<ConfirmInput>,
) -> AppResult<Json<Confirmed>> {
    let draw = body.draw.ok_or_else(|| {
        crate::domain::ValidationError::new("draw", "name the draw to confirm (its id)")
    })?;
    Ok(Json(Confirmed {
        invitations: invitations::confirm(store, &s.0.actor(), id, draw).await?,
    }))
}

#[post("/events/<id>/advance")]
async fn advance(s: Staff, store: &State<Store>, id: i64) -> AppResult<Json<Event>> {
    Ok(Json(invitations::advance(store, &s.0.actor(), id).await?))
}

#[get("/events/<id>/roster")]
async fn roster(_r: Reader, store: &State<Store>, id: i64) -> AppResult<Json<Vec<InvitationRow>>> {
    Ok(Json(invitations::roster(store, id).await?))
}

/// The roster as CSV (members, organization, title, contact, panel, role, status).
pub fn roster_csv(rows: &[InvitationRow]) -> AppResult<String> {
    crate::web::export::csv_document(
        &[
            "panel",
            "role",
            "expert_id",
            "name",
            "title",
            "org_id",
            "email",
            "phone",
            "status",
            "attendance",
        ],
        rows.iter().map(|r| {
            [
                r.panel_code.as_str(),
                r.role.as_str(),
                r.expert_code.as_str(),
                r.expert_name.as_str(),
                r.title.as_str(),
                r.organization_code.as_str(),
                r.email.as_deref().unwrap_or(""),
                r.phone.as_str(),
                r.status.as_str(),
                r.attendance.as_str(),
            ]
        }),
    )
}

#[get("/events/<id>/roster.csv")]
async fn roster_export(
    _r: Reader,
    store: &State<Store>,
    id: i64,
) -> AppResult<(ContentType, String)> {
    Ok((
        ContentType::CSV,
        roster_csv(&invitations::roster(store, id).await?)?,
    ))
}

/// An expert sees their own invitations with their panel's items, never the other members.
#[get("/me/invitations")]
async fn mine(e: ExpertUser, store: &State<Store>) -> AppResult<Json<Vec<ExpertInvitation>>> {
    Ok(Json(notices::for_expert(store, e.expert).await?))
}

#[derive(Deserialize)]
struct AnswerInput {
    answer: String,
    #[serde(default)]
    pledge: bool,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    conflict_item: String,
}

#[post("/invitations/<id>/answer", data = "<body>")]
async fn answer(
    user: CurrentUser,
    store: &State<Store>,
    id: i64,
    body: JsonBody<AnswerInput>,
) -> AppResult<Json<InvitationRow>> {
    let own = match user.0.role {
        Role::Expert => Some(user.0.expert_id.ok_or_else(|| {
            AppError::Forbidden("this account is not linked to an expert record".into())
        })?),
        Role::Admin | Role::Staff => None,
        Role::Supervisor => return Err(AppError::Forbidden("supervisors only read".into())),
    };
    let a = Answer::parse(&body.answer, body.pledge, &body.reason, &body.conflict_item)?;
    Ok(Json(
        invitations::answer(store, &user.actor(), own, id, a).await?,
    ))
}

#[post("/invitations/<id>/replace")]
async fn replace(
    s: Staff,
    store: &State<Store>,
    id: i64,
) -> AppResult<(Status, Json<Replacement>)> {
    Ok((
        Status::Created,
        Json(replacement::replace(store, &s.0.actor(), id).await?),
    ))
}

#[derive(Deserialize)]
struct WaiveInput {
    #[serde(default)]
    reason: String,
}

#[post("/invitations/<id>/waive", data = "<body>")]
async fn waive(
    s: Staff,
    store: &State<Store>,
    id: i64,
    body: JsonBody<WaiveInput>,
) -> AppResult<Json<InvitationRow>> {
    Ok(Json(
        invitations::waive(store, &s.0.actor(), id, &body.reason).await?,
    ))
}

#[derive(Deserialize)]
struct AttendanceInput {
    attendance: String,
    rating_expertise: Option<i64>,
    rating_diligence: Option<i64>,
    rating_fairness: Option<i64>,
}

#[post("/invitations/<id>/attendance", data = "<body>")]
async fn attendance(
    s: Staff,
    store: &State<Store>,
    id: i64,
    body: JsonBody<AttendanceInput>,
) -> AppResult<Json<InvitationRow>> {
    let attendance = Attendance::parse(&body.attendance)?;
    let ratings = match (
        body.rating_expertise,
        body.rating_diligence,
        body.rating_fairness,
    ) {
        (None, None, None) => None,
        (a, b, c) => Some(Ratings::parse(
            a.unwrap_or(0),
            b.unwrap_or(0),
            c.unwrap_or(0),
        )?),
    };
    Ok(Json(
        invitations::record_attendance(store, &s.0.actor(), id, attendance, ratings).await?,
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![
        confirm,
        advance,
        roster,
        roster_export,
        mine,
        answer,
        replace,
        waive,
        attendance
    ]
}
