//! Entry, decisions, suspension, exit and bulk actions on pool memberships (DESIGN §2).
//! Each call is one transaction: the state change, its transition row and the audit entry.

use crate::domain::membership::{
    check_entry, next_state, Action, EntryFacts, EntryRules, ExitReason, MembershipState, Pool,
    RuleCheck,
};
use crate::domain::{ExpertId, ValidationError};
use crate::error::{AppError, AppResult};
use crate::store::audit::{self, Actor};
use crate::store::invitations::{self as store_i, Seat};
use crate::store::memberships::{self as store_m, Change, Membership, Transition};
use crate::store::{experts, Store};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::{Any, Transaction};

/// Today's local date: the date decisions are recorded under.
pub fn today() -> NaiveDate {
    crate::clock::today()
}

/// A membership with its timeline and, for applications, the entry-rule verdicts.
#[derive(Debug, Serialize)]
pub struct MembershipView {
    /// The membership.
    #[serde(flatten)]
    pub membership: Membership,
    /// Oldest first.
    pub transitions: Vec<Transition>,
    /// Entry rules checked today.
    pub checks: Vec<RuleCheck>,
    /// Pending invitations this decision withdrew: seats now open for staff to fill.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub withdrawn: Vec<Seat>,
    /// Seats in events not yet closed: pending, accepted (for staff to decide on when the
    /// member no longer serves) and withdrawn ones still open.
    pub seats: Vec<Seat>,
}

/// A decision as it arrives from a form or the API.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DecisionInput {
    /// approve, refuse, suspend, reinstate, exit, renew.
    pub action: String,
    /// Exit reason code (exit).
    pub reason_code: String,
    /// Free text (required for refuse, suspend, exit with `other`).
    pub reason: String,
    /// Required to approve an application that fails an entry rule.
    pub override_reason: String,
    /// Term end for approve (default: the pool's term from today) and renew (default: one
    /// more term from the current end).
    pub term_end: String,
    /// Last day of a suspension (suspend; empty: until reinstated).
    pub until: String,
}

async fn entry_checks(
    tx: &mut sqlx::AnyConnection,
    expert: ExpertId,
    pool: Pool,
    day: NaiveDate,
    pledge_signed: Option<String>,
) -> AppResult<(Vec<RuleCheck>, EntryRules)> {
    let profile = experts::get(tx, expert).await?.profile;
    let facts = EntryFacts {
        misconduct_exits: store_m::misconduct_exits(tx, expert).await?,
        pledge_signed,
    };
    let rules = store_m::rules(tx, pool).await?;
    Ok((check_entry(&profile, &rules, day, &facts), rules))
}

/// A membership with its timeline and checks.
pub async fn view(store: &Store, id: i64) -> AppResult<MembershipView> {
    let mut conn = store.pool.acquire().await?;
    let membership = store_m::get(&mut conn, id).await.map_err(not_found(id))?;
    let (checks, _) = entry_checks(
        &mut conn,
        membership.expert_id,
        membership.pool,
        today(),
        membership.pledge_at.clone(),
    )
    .await?;
    let seats =
        store_i::open_event_seats(&mut conn, membership.expert_id.0, membership.pool.as_str())
            .await?;
    drop(conn);
    Ok(MembershipView {
        transitions: store_m::transitions(store, id).await?,
        membership,
        checks,
        withdrawn: Vec::new(),
        seats,
    })
}

fn not_found(id: i64) -> impl Fn(crate::store::StoreError) -> AppError {
    move |e| match e {
        crate::store::StoreError::NotFound => AppError::NotFound(format!("membership {id}")),
        other => other.into(),
    }
}

/// What an application says: the pool, a note, whether staff nominate, the pledge, and the
/// call for experts it answers.
#[derive(Debug, Clone, Copy)]
pub struct Application<'a> {
    /// The pool.
    pub pool: Pool,
    /// The applicant's or nominator's note.
    pub note: &'a str,
    /// Staff nominate the expert.
    pub nominated: bool,
    /// The pledge is signed (own application) or on paper (nomination).
    pub pledge: bool,
    /// The call answered, if any (it must be open and for this pool).
    pub call: Option<i64>,
}

/// An expert applies (or staff nominate them) to a pool. The verdicts are stored with the
/// application's audit entry and shown to the administrator who decides. An expert's own
/// application signs the integrity and confidentiality pledge (`pledge`); for a nominee,
/// `pledge` records that staff hold the signed paper pledge, else the nominee signs it on
/// their page (`sign_pledge`).
pub async fn apply(
    store: &Store,
    actor: &Actor,
    expert: ExpertId,
    application: Application<'_>,
) -> AppResult<MembershipView> {
    let mut tx = store.begin_write().await?;
    let id = apply_in(&mut tx, actor, expert, application, true).await?;
    tx.commit().await?;
    view(store, id).await
}

/// An application inside the caller's transaction (a reviewed application to a call passes
/// here with `check_dates` off: its dates were checked when it was submitted, and staff may
/// pass it after the call closed). Returns the membership id.
pub(crate) async fn apply_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &Actor,
    expert: ExpertId,
    application: Application<'_>,
    check_dates: bool,
) -> AppResult<i64> {
    let Application {
        pool,
        note,
        nominated,
        pledge,
        call,
    } = application;
    if !nominated && !pledge {
        return Err(ValidationError::new(
            "pledge",
            "applying signs the integrity and confidentiality pledge: tick it to apply",
        )
        .into());
    }
    let day = today();
    if call.is_some() && !nominated && check_dates {
        return Err(ValidationError::new(
            "call",
            "an application to a call is made on the call's page, with its documents, and reviewed by staff",
        )
        .into());
    }
    if let Some(call) = call {
        // Checked inside the transaction: the call may close or be edited meanwhile.
        let found = crate::store::calls::get(tx, call)
            .await
            .map_err(|_| ValidationError::new("call", format!("no call {call}")))?;
        if found.pool != pool {
            return Err(ValidationError::new(
                "pool",
                format!(
                    "the call '{}' recruits for the {} pool",
                    found.title, found.pool
                ),
            )
            .into());
        }
        if check_dates && found.status(day) != crate::domain::call::CallStatus::Open {
            return Err(AppError::Conflict {
                message: format!(
                    "the call '{}' takes applications from {} to {}",
                    found.title, found.opens_on, found.closes_on
                ),
                field: Some("call".into()),
            });
        }
    }
    let signed = pledge.then(crate::store::now);
    let (checks, _) = entry_checks(tx, expert, pool, day, signed.clone()).await?;
    let today = day.to_string();
    let application = store_m::NewApplication {
        expert,
        pool,
        today: &today,
        action: if nominated { "nominate" } else { "apply" },
        note,
        pledge_at: signed.as_deref(),
        call,
    };
    let id = store_m::insert_application(tx, &application, actor)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Duplicate { .. } => AppError::Conflict {
                message: format!(
                    "the expert already has an open membership or application in the {pool} pool"
                ),
                field: Some("pool".into()),
            },
            other => other.into(),
        })?;
    let m = store_m::get(tx, id).await?;
    audit::record(
        tx,
        actor,
        if nominated {
            "membership.nominate"
        } else {
            "membership.apply"
        },
        "membership",
        &format!("{}:{pool}", m.expert_code),
        None,
        Some(&serde_json::json!({"checks": checks, "note": note, "call": call})),
    )
    .await?;
    Ok(id)
}

/// The expert signs the integrity and confidentiality pledge on their open application or
/// membership (a nominee's, or one imported without it).
pub async fn sign_pledge(
    store: &Store,
    actor: &Actor,
    expert: ExpertId,
    id: i64,
) -> AppResult<MembershipView> {
    let mut tx = store.begin_write().await?;
    let m = store_m::get(&mut tx, id).await.map_err(not_found(id))?;
    if m.expert_id != expert {
        return Err(AppError::NotFound(format!("membership {id}")));
    }
    if !matches!(
        m.state,
        MembershipState::Applied | MembershipState::Active | MembershipState::Suspended
    ) {
        return Err(AppError::Conflict {
            message: format!("the membership is {}: nothing to sign", m.state),
            field: Some("membership".into()),
        });
    }
    if m.pledge_at.is_none() {
        let at = crate::store::now();
        store_m::sign_pledge(&mut tx, id, &at).await?;
        audit::record(
            &mut tx,
            actor,
            "membership.pledge",
            "membership",
            &format!("{}:{}", m.expert_code, m.pool),
            None,
            Some(&serde_json::json!({"pledge_at": at})),
        )
        .await?;
    }
    tx.commit().await?;
    view(store, id).await
}

/// Where a stored expert can be reached.
pub(crate) fn recipient(e: &experts::StoredExpert) -> crate::service::notify::Recipient<'_> {
    crate::service::notify::Recipient {
        expert_id: Some(e.id.0),
        name: &e.profile.name,
        email: e.profile.email.as_ref().map(|x| x.as_str()),
        phone: &e.profile.phone,
    }
}

fn parse_date(field: &str, raw: &str) -> Result<Option<NaiveDate>, ValidationError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        crate::domain::expert::parse_date(field, raw).map(Some)
    }
}

/// Applies one decision inside a transaction; `decider` is the acting user's own expert record,
/// if any (nobody decides on their own membership).
pub(crate) async fn decide_in(
    tx: &mut Transaction<'_, Any>,
    store: &Store,
    actor: &Actor,
    decider: Option<ExpertId>,
    id: i64,
    input: &DecisionInput,
    day: NaiveDate,
) -> AppResult<(Membership, Vec<Seat>)> {
    let m = store_m::get(tx, id).await.map_err(not_found(id))?;
    if decider == Some(m.expert_id) {
        return Err(AppError::Forbidden(
            "nobody may decide on their own membership".into(),
        ));
    }
    let (checks, rules) =
        entry_checks(&mut *tx, m.expert_id, m.pool, day, m.pledge_at.clone()).await?;
    let requested_end = parse_date("term_end", &input.term_end)?;
    let action = match input.action.trim() {
        "approve" => Action::Approve {
            term_end: requested_end.unwrap_or_else(|| rules.term_end(day)),
        },
        "refuse" => Action::Refuse,
        "suspend" => {
            let until = parse_date("until", &input.until)?;
            if until.is_some_and(|u| u < day) {
                return Err(
                    ValidationError::new("until", "a suspension cannot end in the past").into(),
                );
            }
            Action::Suspend { until }
        }
        "reinstate" => Action::Reinstate,
        "exit" => Action::Exit {
            reason: ExitReason::parse(&input.reason_code)?,
        },
        "renew" => {
            let current = m
                .term_end
                .as_deref()
                .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok());
            Action::Renew {
                term_end: rules.renewed_end(current, day, requested_end)?,
            }
        }
        "withdraw" => Action::Withdraw,
        other => {
            return Err(ValidationError::new(
                "action",
                format!(
                    "'{other}' is not one of: approve, refuse, suspend, reinstate, exit, renew, withdraw"
                ),
            )
            .into())
        }
    };
    let term_end = match action {
        Action::Approve { term_end } | Action::Renew { term_end } => term_end,
        _ => day,
    };
    let to = next_state(m.state, &action).map_err(|e| AppError::Conflict {
        message: e.to_string(),
        field: Some("action".into()),
    })?;
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.rule)
        .collect();
    let absolute: Vec<&str> = checks
        .iter()
        .filter(|c| !c.passed && !c.overridable)
        .map(|c| c.rule)
        .collect();
    if matches!(action, Action::Approve { .. }) && !absolute.is_empty() {
        let detail = checks
            .iter()
            .filter(|c| !c.passed && !c.overridable)
            .map(|c| c.detail.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        return Err(AppError::Conflict {
            message: format!(
                "the application fails {} ({detail}): this bar cannot be overridden",
                absolute.join(", ")
            ),
            field: Some("override_reason".into()),
        });
    }
    if matches!(action, Action::Approve { .. })
        && !failed.is_empty()
        && input.override_reason.trim().is_empty()
    {
        return Err(ValidationError::new(
            "override_reason",
            format!(
                "the application fails entry rule(s) {}: approving needs a written override reason",
                failed.join(", ")
            ),
        )
        .into());
    }
    let needs_text = matches!(
        action,
        Action::Refuse
            | Action::Suspend { .. }
            | Action::Exit {
                reason: ExitReason::Other
            }
    );
    if needs_text && input.reason.trim().is_empty() {
        return Err(
            ValidationError::new("reason", format!("{} needs a reason", action.name())).into(),
        );
    }
    if matches!(action, Action::Approve { .. }) && term_end <= day {
        return Err(ValidationError::new("term_end", "the term must end after today").into());
    }
    let reason_code = match &action {
        Action::Exit { reason } => reason.as_str().to_string(),
        Action::Refuse => failed.first().copied().unwrap_or("refused").to_string(),
        Action::Suspend { .. } | Action::Reinstate | Action::Withdraw => {
            input.reason_code.trim().to_string()
        }
        _ => String::new(),
    };
    let override_reason = if failed.is_empty() {
        String::new()
    } else {
        input.override_reason.trim().to_string()
    };
    let change = Change {
        from: m.state,
        to,
        action: action.name(),
        since: matches!(action, Action::Approve { .. }).then(|| day.to_string()),
        term_end: matches!(action, Action::Approve { .. } | Action::Renew { .. })
            .then(|| term_end.to_string()),
        reason_code: &reason_code,
        reason_text: input.reason.trim(),
        override_reason: &override_reason,
        suspended_until: match action {
            Action::Suspend { until } => until.map(|d| d.to_string()),
            _ => None,
        },
    };
    store_m::change(tx, id, &change, actor).await?;
    // A member who may no longer serve cannot keep seats they were only asked for: the
    // pending invitations are withdrawn (audited) and staff see which seats opened.
    let withdrawn = if matches!(to, MembershipState::Suspended | MembershipState::Exited) {
        let seats =
            store_i::withdraw_pending(tx, m.expert_id.0, m.pool.as_str(), &actor.name).await?;
        let expert = experts::get(tx, m.expert_id).await?;
        for seat in &seats {
            let title = crate::store::events::title_of(tx, seat.event_id).await?;
            crate::service::notify::cancellation(
                tx,
                store,
                seat.invitation_id,
                &title,
                &recipient(&expert),
            )
            .await?;
            audit::record(
                tx,
                actor,
                "invitation.withdraw",
                "invitation",
                &format!("{}:{}", seat.panel, m.expert_code),
                Some(&serde_json::json!({"status": "pending"})),
                Some(&serde_json::json!({"status": "withdrawn", "event": seat.event, "why": format!("membership {}", to)})),
            )
            .await?;
        }
        seats
    } else {
        Vec::new()
    };
    let after = store_m::get(tx, id).await?;
    if matches!(action, Action::Approve { .. } | Action::Refuse) {
        let expert = experts::get(tx, m.expert_id).await?;
        crate::service::notify::application_result(
            tx,
            store,
            &crate::service::notify::pool_name(m.pool),
            matches!(action, Action::Approve { .. }),
            after.term_end.as_deref().unwrap_or_default(),
            &recipient(&expert),
        )
        .await?;
    }
    let before_json = serde_json::json!({"state": m.state, "term_end": m.term_end, "suspended_until": m.suspended_until});
    let after_json = serde_json::json!({"state": after.state, "term_end": after.term_end, "suspended_until": after.suspended_until, "reason_code": reason_code, "reason": input.reason.trim(), "override_reason": override_reason, "failed_rules": failed});
    audit::record(
        tx,
        actor,
        &format!("membership.{}", action.name()),
        "membership",
        &format!("{}:{}", m.expert_code, m.pool),
        Some(&before_json),
        Some(&after_json),
    )
    .await?;
    Ok((after, withdrawn))
}

/// One decision.
pub async fn decide(
    store: &Store,
    actor: &Actor,
    decider: Option<ExpertId>,
    id: i64,
    input: &DecisionInput,
) -> AppResult<MembershipView> {
    let mut tx = store.begin_write().await?;
    let (_, withdrawn) = decide_in(&mut tx, store, actor, decider, id, input, today()).await?;
    tx.commit().await?;
    let mut view = view(store, id).await?;
    view.withdrawn = withdrawn;
    Ok(view)
}

/// The expert leaves a pool (exit with `own_request`), or takes back an application that is
/// not decided yet (withdraw).
pub async fn leave(
    store: &Store,
    actor: &Actor,
    expert: ExpertId,
    id: i64,
    reason: &str,
) -> AppResult<MembershipView> {
    let mut tx = store.begin_write().await?;
    let m = store_m::get(&mut tx, id).await.map_err(not_found(id))?;
    if m.expert_id != expert {
        return Err(AppError::NotFound(format!("membership {id}")));
    }
    let input = if m.state == MembershipState::Applied {
        DecisionInput {
            action: "withdraw".into(),
            reason: reason.into(),
            ..Default::default()
        }
    } else {
        DecisionInput {
            action: "exit".into(),
            reason_code: ExitReason::OwnRequest.as_str().into(),
            reason: reason.into(),
            ..Default::default()
        }
    };
    let (_, withdrawn) = decide_in(&mut tx, store, actor, None, id, &input, today()).await?;
    tx.commit().await?;
    let mut view = view(store, id).await?;
    view.withdrawn = withdrawn;
    Ok(view)
}

/// Replaces a pool's entry rules.
pub async fn set_rules(
    store: &Store,
    actor: &Actor,
    pool: Pool,
    rules: EntryRules,
) -> AppResult<EntryRules> {
    rules.validate()?;
    let mut tx = store.begin_write().await?;
    let before = store_m::rules(&mut tx, pool).await?;
    store_m::set_rules(&mut tx, pool, &rules, actor).await?;
    audit::record(
        &mut tx,
        actor,
        "pool.rules",
        "pool",
        pool.as_str(),
        serde_json::to_value(&before).ok().as_ref(),
        serde_json::to_value(&rules).ok().as_ref(),
    )
    .await?;
    tx.commit().await?;
    Ok(rules)
}

/// A pool's entry rules.
pub async fn rules(store: &Store, pool: Pool) -> AppResult<EntryRules> {
    let mut conn = store.pool.acquire().await?;
    Ok(store_m::rules(&mut conn, pool).await?)
}

mod bulk;
pub use bulk::{bulk, decide_many, expire_terms, BulkResult};
