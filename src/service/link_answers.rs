//! Answering from the message: the signed link opens one invitation without logging in
//! (DESIGN §4). It shows only that invitation — the event, the half-day, the venue and the
//! panel's items, never other members or events — and answers it once, before the deadline.

use crate::domain::answer_link;
use crate::domain::invitation::Answer;
use crate::domain::ExpertId;
use crate::error::{AppError, AppResult};
use crate::service::notices::{self, ExpertInvitation};
use crate::store::audit::Actor;
use crate::store::invitations as store_i;
use crate::store::Store;
use serde::Serialize;

/// Why a link does not open its invitation for answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// Open: the expert may answer.
    Open,
    /// Already answered (the answer is shown; it cannot change here).
    Answered,
    /// The deadline passed without an answer.
    Expired,
    /// The event no longer takes answers (closed, or the seat was withdrawn).
    Closed,
}

/// What the link page shows.
#[derive(Debug, Serialize)]
pub struct LinkView {
    /// The invitation as its expert sees it.
    pub invitation: ExpertInvitation,
    /// The expert's name.
    pub name: String,
    /// Whether it can be answered.
    pub state: LinkState,
}

/// The invitation a token opens, or 404 for a token that is not ours (a forged, mistyped or
/// retired link says nothing about which invitations exist).
async fn resolve(store: &Store, token: &str) -> AppResult<store_i::InvitationRow> {
    let not_found = || AppError::NotFound("answer link".into());
    let (id, nonce) =
        answer_link::verify(&store.messaging.link_key, token).map_err(|_| not_found())?;
    let mut conn = store.pool.acquire().await?;
    let row = store_i::get(&mut conn, id).await.map_err(|_| not_found())?;
    if row.answer_nonce.is_empty() || row.answer_nonce != nonce {
        return Err(not_found());
    }
    Ok(row)
}

fn state_of(store: &Store, row: &store_i::InvitationRow, inv: &ExpertInvitation) -> LinkState {
    use crate::domain::event::EventStatus;
    if !matches!(
        inv.event_status,
        EventStatus::Inviting | EventStatus::Confirmed
    ) {
        return LinkState::Closed;
    }
    match row.status.as_str() {
        "pending" => {
            let expired = row
                .answer_deadline
                .as_deref()
                .and_then(crate::clock::parse_stamp)
                .is_some_and(|due| store.clock.now() >= due);
            if expired {
                LinkState::Expired
            } else {
                LinkState::Open
            }
        }
        "withdrawn" => LinkState::Closed,
        _ => LinkState::Answered,
    }
}

/// Opens a link.
pub async fn open(store: &Store, token: &str) -> AppResult<LinkView> {
    let row = resolve(store, token).await?;
    let invitation = notices::one(store, ExpertId(row.expert_id), row.invitation_id).await?;
    Ok(LinkView {
        state: state_of(store, &row, &invitation),
        name: row.expert_name.clone(),
        invitation,
    })
}

/// Answers through a link: only an open (pending, in time) invitation; the answer is the
/// expert's own, recorded as given through the link.
pub async fn answer(store: &Store, token: &str, answer: Answer) -> AppResult<LinkView> {
    let row = resolve(store, token).await?;
    let invitation = notices::one(store, ExpertId(row.expert_id), row.invitation_id).await?;
    match state_of(store, &row, &invitation) {
        LinkState::Open => {}
        LinkState::Answered => {
            return Err(AppError::Conflict {
                message: "this invitation was already answered; the answer cannot be changed through the link".into(),
                field: Some("answer".into()),
            })
        }
        LinkState::Expired => {
            return Err(AppError::Conflict {
                message: "the answer deadline has passed".into(),
                field: Some("answer".into()),
            })
        }
        LinkState::Closed => {
            return Err(AppError::Conflict {
                message: "this invitation no longer takes answers".into(),
                field: Some("answer".into()),
            })
        }
    }
    if matches!(answer, Answer::NoResponse) {
        return Err(crate::domain::ValidationError::new("answer", "choose an answer").into());
    }
    let actor = Actor {
        user_id: None,
        name: format!("{} (answer link)", row.expert_code),
    };
    crate::service::invitations::answer(
        store,
        &actor,
        Some(ExpertId(row.expert_id)),
        row.invitation_id,
        answer,
    )
    .await?;
    open(store, token).await
}
