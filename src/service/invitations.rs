//! From a draw to a roster: invitations, answers, replacements, attendance, ratings, closing.
//! Workload caps are checked in the same transaction as the invitations they count.

use crate::domain::event::{panel_half_day, EventAction, EventStatus, HalfDay};
use crate::domain::invitation::{Answer, Attendance, InvitationStatus, Ratings};
use crate::domain::{ExpertId, ValidationError};
use crate::error::{AppError, AppResult};
use crate::service::events::{self, Event};
use crate::service::seats;
use crate::store::audit::{self, Actor};
use crate::store::events as store_e;
use crate::store::invitations::{self as store_i, InvitationRow};
use crate::store::Store;
use sqlx::{Any, Transaction};
use std::collections::BTreeMap;

fn not_found(what: String) -> impl Fn(crate::store::StoreError) -> AppError {
    move |e| match e {
        crate::store::StoreError::NotFound => AppError::NotFound(what.clone()),
        other => other.into(),
    }
}

/// The half-day each panel of an event occupies.
pub(crate) async fn panel_slots(
    store: &Store,
    event: &Event,
) -> AppResult<BTreeMap<String, Option<HalfDay>>> {
    Ok(store_e::panels(store, event.id)
        .await?
        .into_iter()
        .map(|p| {
            let slot = panel_half_day(event.mode, &event.slots, &event.dates, p.slot.as_deref());
            (p.code, slot)
        })
        .collect())
}

/// Gives one seat inside the transaction, after the live checks (`seats::check`), and writes
/// the invitation's messages (with its answer deadline and link) in the same transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn invite(
    tx: &mut Transaction<'_, Any>,
    store: &Store,
    event: &Event,
    draw: i64,
    panel: &str,
    slot: Option<&HalfDay>,
    expert_code: &str,
    role: &str,
) -> AppResult<i64> {
    let expert = crate::store::experts::get_by_code(tx, expert_code).await?;
    seats::check(
        tx,
        event,
        &seats::SeatRequest {
            expert_id: expert.id.0,
            expert_code,
            panel,
            slot,
        },
    )
    .await?;
    let id = store_i::insert(
        tx,
        &store_i::NewInvitation {
            event: event.id,
            draw,
            panel,
            expert: expert.id.0,
            role,
            slot,
        },
    )
    .await?;
    let (date, part) = slot
        .map(|s| (s.date.to_string(), s.part.clone()))
        .unwrap_or_default();
    crate::service::notify::invitation(
        tx,
        store,
        &crate::service::notify::Seat {
            invitation: id,
            event,
            when: crate::service::notify::when(event, &date, &part),
        },
        &crate::service::notify::Recipient {
            expert_id: Some(expert.id.0),
            name: &expert.profile.name,
            email: expert.profile.email.as_ref().map(|e| e.as_str()),
            phone: &expert.profile.phone,
        },
    )
    .await?;
    Ok(id)
}

/// Sends the invitations of a draw: one per seat, leaders and deputies marked. The draw must be the
/// event's latest and still describe the event (rules, items, panels, decisions, candidates);
/// every seat is checked live in the same transaction.
pub async fn confirm(
    store: &Store,
    actor: &Actor,
    event_id: i64,
    draw_id: i64,
) -> AppResult<usize> {
    let event = events::get(store, event_id).await?;
    events::require(&event, EventAction::Confirm)?;
    let draws = store_e::draws(store, event_id).await?;
    let latest = draws.first().ok_or_else(|| AppError::Conflict {
        message: "draw the panels first".into(),
        field: None,
    })?;
    if latest.draw_id != draw_id {
        return Err(AppError::Conflict {
            message: if draws.iter().any(|d| d.draw_id == draw_id) {
                format!(
                    "draw {draw_id} is not the latest draw of {} (draw {} is): confirm the latest",
                    event.code, latest.draw_id
                )
            } else {
                format!("draw {draw_id} is not a draw of {}", event.code)
            },
            field: Some("draw".into()),
        });
    }
    let fresh = crate::service::draws::freshness(store, &event, latest).await?;
    if !fresh.current {
        return Err(AppError::Conflict {
            message: fresh.explain(),
            field: Some("draw".into()),
        });
    }
    let result: serde_json::Value =
        serde_json::from_str(&latest.result_json).map_err(|e| AppError::Internal(e.to_string()))?;
    let slots = panel_slots(store, &event).await?;
    let (mut tx, event) = events::begin(store, event_id, EventAction::Confirm).await?;
    store_i::lock_for_workload(&mut tx, store.backend).await?;
    // A draw made since the checks above supersedes this one: read the latest again here,
    // where no other writer can add one before this transaction ends.
    let latest_now = store_e::latest_draw_in(&mut tx, event_id)
        .await?
        .map(|d| d.draw_id);
    if latest_now != Some(draw_id) {
        return Err(AppError::Conflict {
            message: format!(
                "a newer draw of {} was made meanwhile: confirm the latest",
                event.code
            ),
            field: Some("draw".into()),
        });
    }
    let mut count = 0;
    for panel in result["panels"].as_array().into_iter().flatten() {
        let code = panel["panel"].as_str().unwrap_or_default();
        let leader = panel["leader"].as_str();
        let deputy = panel["deputy"].as_str();
        let slot = slots.get(code).cloned().flatten();
        for m in panel["members"].as_array().into_iter().flatten() {
            let expert = m["expert"].as_str().unwrap_or_default();
            let role = if leader == Some(expert) {
                "leader"
            } else if deputy == Some(expert) {
                "deputy"
            } else {
                "member"
            };
            invite(
                &mut tx,
                store,
                &event,
                draw_id,
                code,
                slot.as_ref(),
                expert,
                role,
            )
            .await
            .map_err(|e| match e {
                AppError::Conflict { message, .. } => AppError::Conflict {
                    message: format!("{message}; nothing was sent: draw again"),
                    field: Some("draw".into()),
                },
                other => other,
            })?;
            count += 1;
        }
    }
    store_e::set_status(
        &mut tx,
        event.id,
        EventStatus::Drawn.as_str(),
        EventStatus::Inviting.as_str(),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        "event.confirm_draw",
        "event",
        &event.code,
        None,
        Some(&serde_json::json!({"draw": draw_id, "invitations": count})),
    )
    .await?;
    tx.commit().await?;
    Ok(count)
}

/// Reopens a confirmed event when a seat opens again (a member withdrew, a replacement went
/// out): a confirmed event has every seat settled.
pub(crate) async fn reopen_if_confirmed(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    event: &Event,
    why: &str,
) -> AppResult<()> {
    if event.status == EventStatus::Confirmed {
        store_e::set_status(
            tx,
            event.id,
            EventStatus::Confirmed.as_str(),
            EventStatus::Inviting.as_str(),
        )
        .await?;
        audit::record(
            tx,
            actor,
            "event.reopen",
            "event",
            &event.code,
            Some(&serde_json::json!({"status": "confirmed"})),
            Some(&serde_json::json!({"status": "inviting", "why": why})),
        )
        .await?;
    }
    Ok(())
}

/// An invitation.
pub async fn get(store: &Store, id: i64) -> AppResult<InvitationRow> {
    let mut conn = store.pool.acquire().await?;
    store_i::get(&mut conn, id)
        .await
        .map_err(not_found(format!("invitation {id}")))
}

/// Answers an invitation: the expert for themself (`own` set), or staff recording a phone call.
pub async fn answer(
    store: &Store,
    actor: &Actor,
    own: Option<ExpertId>,
    id: i64,
    answer: Answer,
) -> AppResult<InvitationRow> {
    let inv = get(store, id).await?;
    if own.is_some_and(|e| e.0 != inv.expert_id) {
        return Err(AppError::NotFound(format!("invitation {id}")));
    }
    let from =
        InvitationStatus::parse(&inv.status).map_err(|e| AppError::Internal(e.to_string()))?;
    let allowed = match (&answer, from) {
        (Answer::NoResponse, InvitationStatus::Pending) => own.is_none(),
        (Answer::NoResponse, _) => false,
        (_, InvitationStatus::Pending) => true,
        // A member who accepted may still withdraw or declare a conflict before the event.
        (Answer::Decline(_) | Answer::DeclareConflict { .. }, InvitationStatus::Accepted) => true,
        _ => false,
    };
    if !allowed {
        return Err(AppError::Conflict {
            message: format!("invitation {id} is {from}: that answer is not possible now"),
            field: Some("answer".into()),
        });
    }
    let event = events::get(store, inv.event_id).await?;
    events::require(&event, EventAction::Answer)?;
    if let Answer::DeclareConflict { item, .. } = &answer {
        let panel = store_e::panels(store, event.id)
            .await?
            .into_iter()
            .find(|p| p.code == inv.panel_code)
            .map(|p| p.items)
            .unwrap_or_default();
        if !panel.contains(item) {
            return Err(ValidationError::new(
                "conflict_item",
                format!(
                    "{item} is not on panel {} (its items: {})",
                    inv.panel_code,
                    panel.join(", ")
                ),
            )
            .into());
        }
    }
    let (reason, conflict) = match &answer {
        Answer::Decline(r) => (r.clone(), String::new()),
        Answer::DeclareConflict { item, reason } => (
            format!("declared a conflict with {item}"),
            format!("{item}: {reason}"),
        ),
        _ => (String::new(), String::new()),
    };
    let (mut tx, event) = events::begin(store, inv.event_id, EventAction::Answer).await?;
    store_i::answer(
        &mut tx,
        id,
        from.as_str(),
        &store_i::AnswerRecord {
            status: answer.status().as_str(),
            reason: &reason,
            conflict: &conflict,
            pledge: answer == Answer::Accept,
            by: &actor.name,
        },
    )
    .await?;
    if answer.status().opens_seat() {
        reopen_if_confirmed(
            &mut tx,
            actor,
            &event,
            &format!("{} answered {}", inv.expert_code, answer.status()),
        )
        .await?;
    }
    if matches!(answer, Answer::Decline(_) | Answer::NoResponse) {
        crate::service::suspensions::after_refusal(
            &mut tx,
            store,
            ExpertId(inv.expert_id),
            event.pool,
            crate::clock::today(),
        )
        .await?;
    }
    if let Answer::DeclareConflict { item, reason } = &answer {
        // The declaration becomes a `declared` conflict for every later draw or replacement.
        store_e::insert_exclusion(
            &mut tx,
            event.id,
            item,
            &inv.expert_code,
            "declared",
            reason,
            actor,
        )
        .await?;
    }
    audit::record(
        &mut tx,
        actor,
        "invitation.answer",
        "invitation",
        &format!("{}:{}", inv.panel_code, inv.expert_code),
        Some(&serde_json::json!({"status": inv.status})),
        Some(
            &serde_json::json!({"status": answer.status(), "reason": reason, "conflict": conflict}),
        ),
    )
    .await?;
    tx.commit().await?;
    get(store, id).await
}

/// Staff record attendance and, for those who came, ratings.
pub async fn record_attendance(
    store: &Store,
    actor: &Actor,
    id: i64,
    attendance: Attendance,
    ratings: Option<Ratings>,
) -> AppResult<InvitationRow> {
    let inv = get(store, id).await?;
    let event = events::get(store, inv.event_id).await?;
    events::require(&event, EventAction::Attendance)?;
    let today = crate::clock::today();
    if today < event.dates[0] {
        return Err(AppError::Conflict {
            message: format!(
                "{} starts on {}: attendance and ratings are recorded from that day on",
                event.code, event.dates[0]
            ),
            field: Some("attendance".into()),
        });
    }
    if inv.status != "accepted" {
        return Err(AppError::Conflict {
            message: format!(
                "invitation {id} is {}: attendance is recorded for accepted invitations",
                inv.status
            ),
            field: None,
        });
    }
    if attendance == Attendance::NoShow && ratings.is_some() {
        return Err(ValidationError::new("rating_expertise", "no ratings for a no-show").into());
    }
    let (mut tx, _) = events::begin(store, inv.event_id, EventAction::Attendance).await?;
    store_i::attendance(
        &mut tx,
        id,
        attendance.as_str(),
        ratings.map(|r| (r.expertise as i64, r.diligence as i64, r.fairness as i64)),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        "invitation.attendance",
        "invitation",
        &format!("{}:{}", inv.panel_code, inv.expert_code),
        None,
        Some(&serde_json::json!({"attendance": attendance, "ratings": ratings})),
    )
    .await?;
    tx.commit().await?;
    get(store, id).await
}

/// The open seats of an event: declined, unanswered or withdrawn invitations that were
/// neither replaced nor left empty by staff.
pub fn open_seats(all: &[InvitationRow]) -> Vec<&InvitationRow> {
    all.iter()
        .filter(|i| {
            matches!(i.status.as_str(), "declined" | "no_response" | "withdrawn")
                && i.replaced_by.is_none()
                && i.waived_reason.is_empty()
        })
        .collect()
}

/// Moves an inviting event to confirmed (nobody pending, every open seat filled or left empty
/// with a reason) or a confirmed one to closed (attendance recorded for every member).
pub async fn advance(store: &Store, actor: &Actor, event_id: i64) -> AppResult<Event> {
    let event = events::get(store, event_id).await?;
    let all = {
        let mut conn = store.pool.acquire().await?;
        store_i::for_event(&mut conn, event_id).await?
    };
    let (action, next) = match event.status {
        EventStatus::Inviting => (EventAction::ConfirmRoster, EventStatus::Confirmed),
        _ => (EventAction::Close, EventStatus::Closed),
    };
    events::require(&event, action)?;
    if next == EventStatus::Confirmed {
        let pending: Vec<&str> = all
            .iter()
            .filter(|i| i.status == "pending")
            .map(|i| i.expert_code.as_str())
            .collect();
        if !pending.is_empty() {
            return Err(AppError::Conflict {
                message: format!("still waiting for: {}", pending.join(", ")),
                field: None,
            });
        }
        let open: Vec<String> = open_seats(&all)
            .iter()
            .map(|i| format!("{} ({} {})", i.panel_code, i.expert_code, i.status))
            .collect();
        if !open.is_empty() {
            return Err(AppError::Conflict {
                message: format!(
                    "{} seat(s) are open: {}; replace them or leave them empty with a reason",
                    open.len(),
                    open.join(", ")
                ),
                field: None,
            });
        }
    } else {
        if crate::clock::today() < event.dates[0] {
            return Err(AppError::Conflict {
                message: format!(
                    "{} starts on {}: close it after it took place",
                    event.code, event.dates[0]
                ),
                field: None,
            });
        }
        let open: Vec<&str> = all
            .iter()
            .filter(|i| i.status == "accepted" && i.attendance.is_empty())
            .map(|i| i.expert_code.as_str())
            .collect();
        if !open.is_empty() {
            return Err(AppError::Conflict {
                message: format!("record attendance first for: {}", open.join(", ")),
                field: None,
            });
        }
    }
    let (mut tx, event) = events::begin(store, event_id, action).await?;
    store_e::set_status(&mut tx, event.id, event.status.as_str(), next.as_str()).await?;
    audit::record(
        &mut tx,
        actor,
        &format!("event.{next}"),
        "event",
        &event.code,
        Some(&serde_json::json!({"status": event.status})),
        Some(&serde_json::json!({"status": next})),
    )
    .await?;
    tx.commit().await?;
    events::get(store, event_id).await
}

/// Staff leave an open seat empty (nobody can or should fill it), with a written reason; the
/// panel then sits with fewer members.
pub async fn waive(
    store: &Store,
    actor: &Actor,
    id: i64,
    reason: &str,
) -> AppResult<InvitationRow> {
    let inv = get(store, id).await?;
    let event = events::get(store, inv.event_id).await?;
    events::require(&event, EventAction::WaiveSeat)?;
    let reason = crate::domain::validation::required_text("reason", reason, 500)?;
    let status =
        InvitationStatus::parse(&inv.status).map_err(|e| AppError::Internal(e.to_string()))?;
    if !status.opens_seat() || inv.replaced_by.is_some() || !inv.waived_reason.is_empty() {
        return Err(AppError::Conflict {
            message: format!("invitation {id} does not leave an open seat"),
            field: None,
        });
    }
    let (mut tx, event) = events::begin(store, inv.event_id, EventAction::WaiveSeat).await?;
    store_i::waive(&mut tx, id, &reason).await?;
    let seated = store_i::for_event(&mut tx, event.id)
        .await?
        .iter()
        .filter(|i| {
            i.panel_code == inv.panel_code
                && InvitationStatus::parse(&i.status).is_ok_and(|s| s.holds_seat())
        })
        .count();
    audit::record(
        &mut tx,
        actor,
        "invitation.waive",
        "invitation",
        &format!("{}:{}", inv.panel_code, inv.expert_code),
        Some(&serde_json::json!({"status": inv.status})),
        Some(&serde_json::json!({"reason": reason, "panel_seats": seated, "panel_size": event.rules.panel_size})),
    )
    .await?;
    tx.commit().await?;
    get(store, id).await
}

/// The roster of an event (invitations with contact), for staff.
pub async fn roster(store: &Store, event_id: i64) -> AppResult<Vec<InvitationRow>> {
    let mut conn = store.pool.acquire().await?;
    Ok(store_i::for_event(&mut conn, event_id).await?)
}
