//! From a draw to a roster: invitations, answers, replacements, attendance, ratings, closing.
//! Workload caps are checked in the same transaction as the invitations they count.

use crate::assign::{self, DrawResult, Problem};
use crate::domain::event::EventStatus;
use crate::domain::invitation::{Answer, Attendance, InvitationStatus, Ratings};
use crate::domain::{ExpertId, ValidationError};
use crate::error::{AppError, AppResult};
use crate::service::events::{self, Event};
use crate::store::audit::{self, Actor};
use crate::store::events as store_e;
use crate::store::invitations::{self as store_i, InvitationRow};
use crate::store::Store;
use serde::Serialize;
use sqlx::{Any, Transaction};
use std::collections::BTreeMap;

fn not_found(what: String) -> impl Fn(crate::store::StoreError) -> AppError {
    move |e| match e {
        crate::store::StoreError::NotFound => AppError::NotFound(what.clone()),
        other => other.into(),
    }
}

async fn set_status(
    tx: &mut Transaction<'_, Any>,
    event: &Event,
    status: EventStatus,
) -> AppResult<()> {
    store_e::set_status(tx, event.id, status.as_str()).await?;
    Ok(())
}

/// Invites `expert` and checks, inside the transaction, that the invitation keeps them within
/// the event's rolling 12-month cap.
async fn invite(
    tx: &mut Transaction<'_, Any>,
    event: &Event,
    draw: i64,
    panel: &str,
    expert_code: &str,
    role: &str,
) -> AppResult<i64> {
    let expert = crate::store::experts::get_by_code(tx, expert_code).await?;
    let load = store_i::load(tx, expert.id.0, event.dates[0]).await?;
    let cap = event.rules.max_reviews_per_12_months;
    if load + 1 > cap {
        return Err(AppError::Conflict {
            message: format!("{expert_code} already has {load} reviews within 12 months of {} (cap {cap}): another invitation was confirmed meanwhile; draw again", event.dates[0]),
            field: None,
        });
    }
    Ok(store_i::insert(tx, event.id, draw, panel, expert.id.0, role).await?)
}

/// Confirms the latest draw of a drawn event: one invitation per seat, leaders marked.
pub async fn confirm(store: &Store, actor: &Actor, event_id: i64) -> AppResult<usize> {
    let event = events::get(store, event_id).await?;
    if event.status != EventStatus::Drawn {
        return Err(AppError::Conflict {
            message: format!(
                "event {} is {}: only a drawn event can be confirmed",
                event.code, event.status
            ),
            field: None,
        });
    }
    let draw = store_e::draws(store, event_id)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::Conflict {
            message: "draw the panels first".into(),
            field: None,
        })?;
    let result: serde_json::Value =
        serde_json::from_str(&draw.result_json).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut tx = store.begin_write().await?;
    store_i::lock_for_workload(&mut tx, store.backend).await?;
    let mut count = 0;
    for panel in result["panels"].as_array().into_iter().flatten() {
        let code = panel["panel"].as_str().unwrap_or_default();
        let leader = panel["leader"].as_str();
        for m in panel["members"].as_array().into_iter().flatten() {
            let expert = m["expert"].as_str().unwrap_or_default();
            let role = if Some(expert) == leader {
                "leader"
            } else {
                "member"
            };
            invite(&mut tx, &event, draw.draw_id, code, expert, role).await?;
            count += 1;
        }
    }
    set_status(&mut tx, &event, EventStatus::Inviting).await?;
    audit::record(
        &mut tx,
        actor,
        "event.confirm_draw",
        "event",
        &event.code,
        None,
        Some(&serde_json::json!({"draw": draw.draw_id, "invitations": count})),
    )
    .await?;
    tx.commit().await?;
    Ok(count)
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
    let (reason, conflict) = match &answer {
        Answer::Decline(r) => (r.clone(), String::new()),
        Answer::DeclareConflict { item, reason } => (
            format!("declared a conflict with {item}"),
            format!("{item}: {reason}"),
        ),
        _ => (String::new(), String::new()),
    };
    let mut tx = store.begin_write().await?;
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

/// The problem of the draw an invitation came from, with what happened since: decliners and
/// declared conflicts excluded, accepted members fixed.
async fn problem_now(
    store: &Store,
    inv: &InvitationRow,
    all: &[InvitationRow],
) -> AppResult<Problem> {
    let draw = store_e::draw(store, inv.draw_id).await?;
    let mut problem: Problem =
        serde_json::from_str(&draw.input_json).map_err(|e| AppError::Internal(e.to_string()))?;
    for other in all {
        if matches!(other.status.as_str(), "declined" | "no_response") {
            problem
                .overrides
                .forbidden
                .push((other.panel_code.clone(), other.expert_code.clone()));
        }
    }
    // Pins steered the draw; once invitations are out, the answers decide who sits.
    crate::service::events::apply_exclusions(
        &mut problem.overrides,
        store_e::exclusions(store, inv.event_id).await?,
        false,
    );
    problem.overrides.forbidden.sort();
    problem.overrides.forbidden.dedup();
    Ok(problem)
}

/// Who replaced whom.
#[derive(Debug, Serialize)]
pub struct Replacement {
    /// The new invitation.
    pub invitation: InvitationRow,
    /// Whom it replaces.
    pub replaces: String,
}

/// Replaces a decliner with the best alternate that keeps every rule (or a re-solve with the
/// accepted members fixed); nobody who accepted is moved.
pub async fn replace(store: &Store, actor: &Actor, id: i64) -> AppResult<Replacement> {
    let inv = get(store, id).await?;
    if !matches!(inv.status.as_str(), "declined" | "no_response") {
        return Err(AppError::Conflict {
            message: format!(
                "invitation {id} is {}: only a decline or a missing answer is replaced",
                inv.status
            ),
            field: None,
        });
    }
    let event = events::get(store, inv.event_id).await?;
    let all = {
        let mut conn = store.pool.acquire().await?;
        store_i::for_event(&mut conn, event.id).await?
    };
    if inv.replaced_by.is_some() {
        return Err(AppError::Conflict {
            message: format!("{} was already replaced", inv.expert_code),
            field: None,
        });
    }
    let live = all
        .iter()
        .filter(|o| {
            o.panel_code == inv.panel_code && matches!(o.status.as_str(), "pending" | "accepted")
        })
        .count();
    let problem = problem_now(store, &inv, &all).await?;
    // The seating now: every live invitation plus the decliner, whose seat is to be filled.
    let mut seating: BTreeMap<String, Vec<String>> = problem
        .panels
        .iter()
        .map(|p| (p.key.clone(), Vec::new()))
        .collect();
    for o in &all {
        if matches!(o.status.as_str(), "pending" | "accepted")
            || o.invitation_id == inv.invitation_id
        {
            seating
                .entry(o.panel_code.clone())
                .or_default()
                .push(o.expert_code.clone());
        }
    }
    // Invitations already out stay where they are (accepted ones above all): only the empty
    // seat is filled.
    let keep: Vec<(String, String)> = all
        .iter()
        .filter(|o| matches!(o.status.as_str(), "pending" | "accepted"))
        .map(|o| (o.panel_code.clone(), o.expert_code.clone()))
        .collect();
    let current = DrawResult::from_seating(
        &event.code,
        problem.seed,
        f64::MAX,
        seating.clone().into_iter().collect(),
    );
    let panel = inv.panel_code.clone();
    let decliner = inv.expert_code.clone();
    // One empty seat: the best alternate that fits it. Several (two decliners on a panel): a
    // re-solve with every invitation already out fixed, taking the best newcomer for this seat.
    let single_seat = live + 1 >= event.rules.panel_size as usize;
    let outcome = tokio::task::spawn_blocking(move || {
        if single_seat {
            assign::replace(&problem, &current, &panel, &decliner, &keep)
        } else {
            let mut fixed = problem;
            fixed.overrides.forced.extend(keep);
            assign::draw(&fixed)
        }
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| match e {
        assign::DrawError::Infeasible(d) => AppError::Conflict {
            message: format!("no replacement keeps every rule:\n{d}"),
            field: None,
        },
        other => AppError::Internal(other.to_string()),
    })?;
    let before: &Vec<String> = &seating[&inv.panel_code];
    let newcomer = outcome
        .result
        .panels
        .iter()
        .find(|p| p.panel == inv.panel_code)
        .and_then(|p| p.members.iter().find(|m| !before.contains(&m.expert)))
        .map(|m| m.expert.clone())
        .ok_or_else(|| AppError::Internal("the replacement left the panel unchanged".into()))?;
    let mut tx = store.begin_write().await?;
    store_i::lock_for_workload(&mut tx, store.backend).await?;
    let leader = outcome
        .result
        .panels
        .iter()
        .find(|p| p.panel == inv.panel_code)
        .and_then(|p| p.leader.clone());
    let new_id = invite(
        &mut tx,
        &event,
        inv.draw_id,
        &inv.panel_code,
        &newcomer,
        "member",
    )
    .await?;
    store_i::mark_replaced(&mut tx, inv.invitation_id, new_id).await?;
    if let Some(leader) = leader {
        store_i::set_leader(&mut tx, event.id, &inv.panel_code, &leader).await?;
    }
    audit::record(
        &mut tx,
        actor,
        "invitation.replace",
        "invitation",
        &inv.panel_code,
        Some(&serde_json::json!({"expert": inv.expert_code, "status": inv.status})),
        Some(&serde_json::json!({"expert": newcomer, "invitation": new_id})),
    )
    .await?;
    tx.commit().await?;
    Ok(Replacement {
        invitation: get(store, new_id).await?,
        replaces: inv.expert_code,
    })
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
    let mut tx = store.begin_write().await?;
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

/// Moves an inviting event to confirmed (every seat accepted) or a confirmed one to closed
/// (every accepted member's attendance recorded).
pub async fn advance(store: &Store, actor: &Actor, event_id: i64) -> AppResult<Event> {
    let event = events::get(store, event_id).await?;
    let all = {
        let mut conn = store.pool.acquire().await?;
        store_i::for_event(&mut conn, event_id).await?
    };
    let next = match event.status {
        EventStatus::Inviting => {
            let seats = all
                .iter()
                .filter(|i| matches!(i.status.as_str(), "pending" | "accepted"))
                .count();
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
            let wanted =
                events::contents(store, event_id).await?.1.len() * event.rules.panel_size as usize;
            if seats < wanted {
                return Err(AppError::Conflict {
                    message: format!(
                        "{seats} of {wanted} seats are filled: replace the decliners first"
                    ),
                    field: None,
                });
            }
            EventStatus::Confirmed
        }
        EventStatus::Confirmed => {
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
            EventStatus::Closed
        }
        other => {
            return Err(AppError::Conflict {
                message: format!("event {} is {other}: nothing to advance", event.code),
                field: None,
            })
        }
    };
    let mut tx = store.begin_write().await?;
    set_status(&mut tx, &event, next).await?;
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

/// The roster of an event (invitations with contact), for staff.
pub async fn roster(store: &Store, event_id: i64) -> AppResult<Vec<InvitationRow>> {
    let mut conn = store.pool.acquire().await?;
    Ok(store_i::for_event(&mut conn, event_id).await?)
}
