//! Messages to experts over the API: the outbox (administrators), the messages of one
//! invitation (staff), resending, and answering through an answer link.

use super::body::JsonBody;
use super::Page;
use crate::domain::invitation::Answer;
use crate::error::AppResult;
use crate::service::link_answers::{self, LinkView};
use crate::store::outbox::{self, Message};
use crate::store::Store;
use crate::web::guards::{Admin, Reader, Staff};
use rocket::serde::json::Json;
use rocket::State;
use serde::Deserialize;

#[get("/outbox?<status>&<page>&<per_page>")]
async fn list(
    _a: Admin,
    store: &State<Store>,
    status: Option<&str>,
    page: Option<i64>,
    per_page: Option<i64>,
) -> AppResult<Json<Page<Message>>> {
    let status = status.unwrap_or_default().trim();
    if !["", "queued", "sent", "failed"].contains(&status) {
        return Err(crate::domain::ValidationError::new(
            "status",
            format!("'{status}' is not one of queued, sent, failed"),
        )
        .into());
    }
    let page = page.unwrap_or(1).clamp(1, 100_000);
    let per_page = per_page.unwrap_or(50).clamp(1, 200);
    let (items, counts) = outbox::page(store, status, page, per_page).await?;
    let total = counts
        .iter()
        .filter(|(s, _)| status.is_empty() || s == status)
        .map(|(_, n)| n)
        .sum();
    Ok(Json(Page {
        items,
        total,
        page,
        per_page,
    }))
}

#[get("/invitations/<id>/messages")]
async fn of_invitation(_r: Reader, store: &State<Store>, id: i64) -> AppResult<Json<Vec<Message>>> {
    crate::service::invitations::get(store, id).await?;
    Ok(Json(outbox::for_invitation(store, id).await?))
}

#[post("/messages/<id>/resend")]
async fn resend(s: Staff, store: &State<Store>, id: i64) -> AppResult<Json<Message>> {
    Ok(Json(
        crate::service::delivery::resend(store, &s.0.actor(), id).await?,
    ))
}

#[get("/answer-links/<token>")]
async fn open_link(store: &State<Store>, token: &str) -> AppResult<Json<LinkView>> {
    Ok(Json(link_answers::open(store, token).await?))
}

#[derive(Deserialize)]
struct LinkAnswer {
    answer: String,
    #[serde(default)]
    pledge: bool,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    conflict_item: String,
}

#[post("/answer-links/<token>", data = "<body>")]
async fn answer_link(
    store: &State<Store>,
    token: &str,
    body: JsonBody<LinkAnswer>,
) -> AppResult<Json<LinkView>> {
    let answer = Answer::parse(&body.answer, body.pledge, &body.reason, &body.conflict_item)?;
    Ok(Json(link_answers::answer(store, token, answer).await?))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list, of_invitation, resend, open_link, answer_link]
}
