//! Filling a seat that opened after invitations went out. One panel at a time, against the
//! live state: the other panels' open seats never block it, and every candidate's workload,
//! 12-month window and half-day bookings are those of this moment (checked again in the
//! transaction that sends the new invitation).

use crate::assign::{self, DrawResult, Problem, ProfileIndex};
use crate::domain::event::{EventAction, HalfDay};
use crate::domain::invitation::InvitationStatus;
use crate::error::{AppError, AppResult};
use crate::service::events::{self, Event};
use crate::service::invitations::{self, get, invite, panel_slots, reopen_if_confirmed};
use crate::store::audit::{self, Actor};
use crate::store::events as store_e;
use crate::store::invitations::{self as store_i, InvitationRow};
use crate::store::Store;
use serde::Serialize;
use std::sync::Arc;

/// Who replaced whom.
#[derive(Debug, Serialize)]
pub struct Replacement {
    /// The new invitation.
    pub invitation: InvitationRow,
    /// Whom it replaces.
    pub replaces: String,
}

/// How many candidates that failed the live check are skipped before giving up.
const ATTEMPTS: usize = 4;

fn holds_seat(i: &InvitationRow) -> bool {
    InvitationStatus::parse(&i.status).is_ok_and(|s| s.holds_seat())
}

/// The engine input for one panel as it stands: its live members fixed, everyone who left it
/// kept off, experts seated on other panels of the event counted (or kept off when they are at
/// the per-event load or in the same half-day), and pins of the draw dropped (the answers
/// decide who sits now).
async fn panel_problem(
    store: &Store,
    event: &Event,
    panel: &str,
    all: &[InvitationRow],
    seed: u64,
    refused: &[String],
) -> AppResult<(Problem, Vec<String>, Arc<ProfileIndex>)> {
    let (mut problem, snapshot) = events::problem_at(store, event.id, seed).await?;
    let profiles = snapshot.index().await?;
    problem.panels.retain(|p| p.key == panel);
    let Some(spec) = problem.panels.first().cloned() else {
        return Err(AppError::Conflict {
            message: format!("panel {panel} no longer exists"),
            field: None,
        });
    };
    problem.overrides.forced.clear();
    let rules = &problem.rules;
    for c in problem.candidates.iter_mut() {
        let elsewhere: Vec<&InvitationRow> = all
            .iter()
            .filter(|i| i.expert_code == c.key && i.panel_code != panel && holds_seat(i))
            .collect();
        let same_half_day = spec.meets.as_ref().is_some_and(|meets| {
            elsewhere.iter().any(|i| {
                chrono::NaiveDate::parse_from_str(&i.slot_date, "%Y-%m-%d").is_ok_and(|date| {
                    HalfDay {
                        date,
                        part: i.slot_part.clone(),
                    }
                    .overlaps(meets)
                })
            })
        });
        if elsewhere.len() as u32 >= rules.max_panels_per_expert
            || (rules.same_slot_exclusive && same_half_day)
        {
            problem
                .overrides
                .forbidden
                .push((panel.to_string(), c.key.clone()));
        } else {
            c.recent_reviews += elsewhere.len() as u32;
        }
    }
    for i in all.iter().filter(|i| i.panel_code == panel) {
        let pair = (panel.to_string(), i.expert_code.clone());
        if holds_seat(i) {
            problem.overrides.forced.push(pair);
        } else {
            problem.overrides.forbidden.push(pair);
        }
    }
    for key in refused {
        problem
            .overrides
            .forbidden
            .push((panel.to_string(), key.clone()));
    }
    problem.overrides.forbidden.sort();
    problem.overrides.forbidden.dedup();
    // A member who sits but would not be eligible now (suspended since, a conflict found
    // since) keeps their seat for staff to decide on; the engine fills the other seats around
    // them, one seat fewer.
    let analysis = assign::analyze_with(&problem, &profiles);
    let stuck: Vec<String> = problem
        .overrides
        .forced
        .iter()
        .filter(|(_, e)| {
            problem
                .candidates
                .iter()
                .position(|c| c.key == *e)
                .is_none_or(|ci| analysis.arc_of(0, ci).is_none())
        })
        .map(|(_, e)| e.clone())
        .collect();
    problem.overrides.forced.retain(|(_, e)| !stuck.contains(e));
    // They hold their seat already: the engine must not seat them a second time.
    for e in &stuck {
        problem
            .overrides
            .forbidden
            .push((panel.to_string(), e.clone()));
    }
    let rules = &mut problem.rules;
    rules.panel_size = rules.panel_size.saturating_sub(stuck.len() as u32).max(1);
    rules.min_voting = rules.min_voting.map(|v| v.min(rules.panel_size));
    Ok((problem, stuck, profiles))
}

/// Solves one panel: with one open seat, the best alternate that keeps every rule (else a
/// re-solve); with several, a re-solve with the live members fixed. `live` are the members
/// the engine seats (see `panel_problem`). Returns the newcomer and the panel's roles.
async fn solve_seat(
    problem: Problem,
    profiles: Arc<ProfileIndex>,
    event: &Event,
    inv: &InvitationRow,
    live: Vec<String>,
) -> AppResult<(String, Roles)> {
    let panel = inv.panel_code.clone();
    let decliner = inv.expert_code.clone();
    let single_seat = live.len() + 1 >= problem.rules.panel_size as usize;
    let mut seating = live.clone();
    seating.push(decliner.clone());
    let current = DrawResult::from_seating(
        &event.code,
        problem.seed,
        f64::MAX,
        vec![(panel.clone(), seating)],
    );
    let keep: Vec<(String, String)> = live.iter().map(|e| (panel.clone(), e.clone())).collect();
    let key = panel.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        if single_seat && problem.candidates.iter().any(|c| c.key == decliner) {
            assign::replace(&problem, Some(&profiles), &current, &key, &decliner, &keep)
        } else {
            assign::draw_with(&problem, &profiles, None)
        }
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| match e {
        assign::DrawError::Infeasible(d) => AppError::Conflict {
            message: format!(
                "nobody can fill the open seat on {panel} under the rules:\n{d}\nleave the seat empty with a reason, or change who is excluded"
            ),
            field: None,
        },
        assign::DrawError::Invalid(v) => AppError::Validation(v),
        other => AppError::Internal(other.to_string()),
    })?;
    let seated = outcome
        .result
        .panels
        .iter()
        .find(|p| p.panel == panel)
        .ok_or_else(|| AppError::Internal(format!("the solve lost panel {panel}")))?;
    let newcomer = seated
        .members
        .iter()
        .find(|m| !live.contains(&m.expert))
        .map(|m| m.expert.clone())
        .ok_or_else(|| AppError::Internal("the replacement left the panel unchanged".into()))?;
    Ok((
        newcomer,
        Roles {
            leader: seated.leader.clone(),
            deputy: seated.deputy.clone(),
        },
    ))
}

/// The leader and deputy the solve chose for a panel.
struct Roles {
    leader: Option<String>,
    deputy: Option<String>,
}

/// Fills the seat an invitation left open (declined, unanswered or withdrawn).
pub async fn replace(store: &Store, actor: &Actor, id: i64) -> AppResult<Replacement> {
    let inv = get(store, id).await?;
    let event = events::get(store, inv.event_id).await?;
    events::require(&event, EventAction::Replace)?;
    let status =
        InvitationStatus::parse(&inv.status).map_err(|e| AppError::Internal(e.to_string()))?;
    if !status.opens_seat() {
        return Err(AppError::Conflict {
            message: format!(
                "invitation {id} is {}: only a declined, unanswered or withdrawn invitation is replaced",
                inv.status
            ),
            field: None,
        });
    }
    if inv.replaced_by.is_some() || !inv.waived_reason.is_empty() {
        return Err(AppError::Conflict {
            message: format!(
                "the seat of {} on {} was already filled or left empty",
                inv.expert_code, inv.panel_code
            ),
            field: None,
        });
    }
    let seed: u64 = store_e::draw(store, inv.draw_id)
        .await?
        .seed
        .parse()
        .unwrap_or_default();
    let slot = panel_slots(store, &event)
        .await?
        .remove(&inv.panel_code)
        .flatten();
    let mut refused: Vec<String> = Vec::new();
    let mut last_refusal = None;
    for _ in 0..ATTEMPTS {
        let all = invitations::roster(store, event.id).await?;
        let live: Vec<String> = all
            .iter()
            .filter(|i| i.panel_code == inv.panel_code && holds_seat(i))
            .map(|i| i.expert_code.clone())
            .collect();
        let holder = |role: &str| {
            all.iter()
                .find(|i| i.panel_code == inv.panel_code && holds_seat(i) && i.role == role)
                .map(|i| i.expert_code.clone())
        };
        let (leader_now, deputy_now) = (holder("leader"), holder("deputy"));
        // Another replacement may have filled the seat since the checks above.
        let now_filled = all
            .iter()
            .any(|i| i.invitation_id == inv.invitation_id && i.replaced_by.is_some());
        if now_filled || live.len() >= event.rules.panel_size as usize {
            return Err(AppError::Conflict {
                message: format!(
                    "the seat of {} on {} was filled meanwhile",
                    inv.expert_code, inv.panel_code
                ),
                field: None,
            });
        }
        let (problem, stuck, profiles) =
            panel_problem(store, &event, &inv.panel_code, &all, seed, &refused).await?;
        let seated: Vec<String> = live.into_iter().filter(|e| !stuck.contains(e)).collect();
        let (newcomer, roles) = solve_seat(problem, profiles, &event, &inv, seated).await?;
        let (mut tx, now) = events::begin(store, event.id, EventAction::Replace).await?;
        store_i::lock_for_workload(&mut tx, store.backend).await?;
        let new_id = match invite(
            &mut tx,
            store,
            &now,
            inv.draw_id,
            &inv.panel_code,
            slot.as_ref(),
            &newcomer,
            "member",
        )
        .await
        {
            Ok(new_id) => new_id,
            // Someone else gave this expert a seat meanwhile: try the next best.
            Err(AppError::Conflict { message, .. }) => {
                refused.push(newcomer);
                last_refusal = Some(message);
                continue;
            }
            Err(e) => return Err(e),
        };
        store_i::mark_replaced(&mut tx, inv.invitation_id, new_id).await?;
        // A leader or deputy who still holds their seat keeps the role; only the role whose
        // seat opened goes to the solve's choice (never to the one who keeps the other role).
        let leader = match (&leader_now, roles.leader.clone()) {
            (None, Some(chosen)) => {
                store_i::set_role(&mut tx, event.id, &inv.panel_code, &chosen, "leader").await?;
                Some(chosen)
            }
            (kept, _) => kept.clone(),
        };
        if deputy_now.is_none() && event.rules.deputy.is_some() {
            let chosen = match roles.deputy {
                Some(d) if Some(&d) == leader.as_ref() => roles.leader,
                other => other,
            };
            if let Some(chosen) = chosen.filter(|c| Some(c) != leader.as_ref()) {
                store_i::set_role(&mut tx, event.id, &inv.panel_code, &chosen, "deputy").await?;
            }
        }
        reopen_if_confirmed(
            &mut tx,
            actor,
            &now,
            &format!("{newcomer} invited to {}", inv.panel_code),
        )
        .await?;
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
        return Ok(Replacement {
            invitation: get(store, new_id).await?,
            replaces: inv.expert_code,
        });
    }
    Err(AppError::Conflict {
        message: format!(
            "the seat on {} could not be filled: {} candidates were taken meanwhile (last: {})",
            inv.panel_code,
            refused.len(),
            last_refusal.unwrap_or_default()
        ),
        field: None,
    })
}
