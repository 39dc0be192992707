//! Applications to calls: the applicant keeps a draft (profile, pledge, documents) and
//! submits it; staff review it (return with a comment, refuse with a reason, link it to an
//! existing expert, pass it to the administrator's approval); an administrator reopens a
//! closed call's draft. Every step is recorded with the application, in the audit log, and
//! reaches the applicant by message.

use crate::domain::application::{
    missing_for_submit, next_state, ApplicationAction, ApplicationState,
};
use crate::domain::call::{Call, CallStatus, DocumentKind};
use crate::domain::expert::{ExpertInput, ExpertProfile};
use crate::domain::membership::{check_entry, EntryFacts, RuleCheck};
use crate::domain::{ExpertId, UserId, ValidationError};
use crate::error::{AppError, AppResult};
use crate::service::experts as expert_service;
use crate::store::applications::{self as store_a, ApplicationRow, DocumentInfo, Step, Twin};
use crate::store::audit::{self, Actor};
use crate::store::users::User;
use crate::store::{calls as store_c, experts, memberships as store_m, Store};
use serde::Serialize;
use sqlx::{Any, Transaction};

mod draft;
mod review;

pub use draft::{document, remove_document, save, submit, upload, withdraw, Draft, MAX_DOCUMENTS};
pub use review::{link, queue, reopen, review, QueueLine, Review};

/// Who asks: the applicant (only their own applications exist for them) or staff.
#[derive(Debug, Clone, Copy)]
pub enum Viewer {
    /// The account that applied.
    Applicant(UserId),
    /// Staff, administrators, supervisors.
    Staff,
}

fn not_found(id: i64) -> AppError {
    AppError::NotFound(format!("application {id}"))
}

pub(super) async fn load(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    viewer: Viewer,
) -> AppResult<ApplicationRow> {
    let row = store_a::get(conn, id).await.map_err(|_| not_found(id))?;
    match viewer {
        // Someone else's application answers as if it did not exist.
        Viewer::Applicant(user) if row.user_id != user.0 => Err(not_found(id)),
        _ => Ok(row),
    }
}

pub(super) fn profile_input(row: &ApplicationRow) -> ExpertInput {
    serde_json::from_str(&row.profile_json).unwrap_or_default()
}

/// Everything a page shows of an application.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationView {
    /// The application.
    pub application: ApplicationRow,
    /// Its call.
    pub call: Call,
    /// The profile as typed (what the form shows).
    pub profile: ExpertInput,
    /// Whether the applicant already has an expert record (then the record is the profile).
    pub has_record: bool,
    /// The profile's first problem, if it does not parse yet.
    #[serde(skip)]
    pub profile_error: Option<ValidationError>,
    /// The entry rules, judged on the profile (empty while the profile has a problem).
    pub checks: Vec<RuleCheck>,
    /// Documents, current first.
    pub documents: Vec<DocumentInfo>,
    /// What still stops a submission (`pledge`, document kinds).
    pub missing: Vec<String>,
    /// Whether the applicant may submit today (state and dates).
    pub can_submit: bool,
    /// Steps, oldest first.
    pub steps: Vec<Step>,
    /// Experts who may be the applicant (staff only).
    pub twins: Vec<Twin>,
}

/// Whether the call takes this application's submission today.
fn dates_allow(row: &ApplicationRow, call: &Call, today: chrono::NaiveDate) -> bool {
    call.status(today) == CallStatus::Open
        || row.state == ApplicationState::Returned
        || row
            .reopened_until
            .as_deref()
            .is_some_and(|until| until >= today.to_string().as_str())
}

/// The profile the rules judge: the expert record when there is one, else the draft.
pub(super) async fn judged_profile(
    store: &Store,
    row: &ApplicationRow,
) -> AppResult<Result<ExpertProfile, ValidationError>> {
    if let Some(expert) = row.expert_id {
        let mut conn = store.pool.acquire().await?;
        return Ok(Ok(experts::get(&mut conn, ExpertId(expert)).await?.profile));
    }
    match expert_service::parse(store, profile_input(row)).await {
        Ok(p) => Ok(Ok(p)),
        Err(AppError::Validation(e)) => Ok(Err(e)),
        Err(other) => Err(other),
    }
}

/// An application as its applicant or staff see it.
pub async fn view(store: &Store, id: i64, viewer: Viewer) -> AppResult<ApplicationView> {
    let mut conn = store.pool.acquire().await?;
    let row = load(&mut conn, id, viewer).await?;
    let call = store_c::get(&mut conn, row.call_id).await?;
    let documents = store_a::documents(&mut conn, id).await?;
    let steps = store_a::steps(&mut conn, id).await?;
    let rules = store_m::rules(&mut conn, call.pool).await?;
    let exits = match row.expert_id {
        Some(e) => store_m::misconduct_exits(&mut conn, ExpertId(e)).await?,
        None => Vec::new(),
    };
    drop(conn);
    let judged = judged_profile(store, &row).await?;
    let has_record = row.expert_id.is_some() && row.profile_json.is_empty();
    let profile = match (&judged, has_record) {
        (Ok(record), true) => record.to_input(),
        _ => profile_input(&row),
    };
    let today = crate::clock::today();
    let checks = match &judged {
        Ok(profile) => check_entry(
            profile,
            &rules,
            today,
            &EntryFacts {
                misconduct_exits: exits,
                pledge_signed: row.pledge_at.clone(),
            },
        ),
        Err(_) => Vec::new(),
    };
    let current: Vec<DocumentKind> = documents
        .iter()
        .filter(|d| d.replaced_at.is_none())
        .filter_map(|d| DocumentKind::parse(&d.kind).ok())
        .collect();
    let missing = missing_for_submit(row.pledge_at.is_some(), &call.documents, &current);
    let twins = match viewer {
        Viewer::Staff => twins_of(store, &row, &profile).await?,
        Viewer::Applicant(_) => Vec::new(),
    };
    Ok(ApplicationView {
        can_submit: row.state.editable() && dates_allow(&row, &call, today),
        has_record,
        profile_error: judged.err(),
        checks,
        documents,
        missing,
        steps,
        twins,
        profile,
        call,
        application: row,
    })
}

/// Experts who may be the applicant: the same proven e-mail or mobile number (the ones the
/// registration proved; what the draft says is the applicant's word only), or the same name
/// and employer.
async fn twins_of(store: &Store, row: &ApplicationRow, p: &ExpertInput) -> AppResult<Vec<Twin>> {
    let mut conn = store.pool.acquire().await?;
    let (email, mobile) =
        crate::store::registrations::proven_contact(&mut conn, UserId(row.user_id)).await?;
    Ok(
        store_a::twins(&mut conn, p.name.trim(), p.org_id.trim(), &email, &mobile)
            .await?
            .into_iter()
            .filter(|t| Some(t.expert_id) != row.expert_id)
            .collect(),
    )
}

/// Opens this account's application to a call (or returns the one it has): a draft with the
/// registered name, e-mail and mobile, or, for an expert who has a record, the record.
pub async fn start(store: &Store, actor: &Actor, user: &User, call: i64) -> AppResult<i64> {
    let mut tx = store.begin_write().await?;
    let found = store_c::get(&mut tx, call)
        .await
        .map_err(|_| AppError::NotFound(format!("call {call}")))?;
    if let Some(existing) = store_a::of_user_for_call(&mut tx, user.id.0, call).await? {
        return Ok(existing.id);
    }
    if found.status(crate::clock::today()) != CallStatus::Open {
        return Err(call_closed(&found));
    }
    let profile_json = match user.expert_id {
        Some(_) => String::new(),
        None => {
            let (name, email, mobile) =
                crate::store::registrations::contact(&mut tx, user.id).await?;
            serde_json::to_string(&ExpertInput {
                name,
                email,
                phone: mobile,
                ..Default::default()
            })
            .unwrap_or_default()
        }
    };
    let now = crate::store::now();
    let id = store_a::insert(
        &mut tx,
        call,
        user.id.0,
        user.expert_id.map(|e| e.0),
        &profile_json,
        &now,
    )
    .await?;
    noted(
        &mut tx,
        actor,
        (id, "draft"),
        "create",
        "",
        serde_json::json!({"call": call}),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub(super) fn call_closed(call: &Call) -> AppError {
    AppError::Conflict {
        message: format!(
            "the call '{}' takes applications from {} to {}",
            call.title, call.opens_on, call.closes_on
        ),
        field: Some("call".into()),
    }
}

/// A step that does not move the state (created, a document added or taken off, linked,
/// reopened), kept with the application and in the audit log as `application.<action>`.
pub(super) async fn noted(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    (id, state): (i64, &str),
    action: &str,
    comment: &str,
    details: serde_json::Value,
) -> AppResult<()> {
    let now = crate::store::now();
    store_a::note_step(tx, id, action, "", state, comment, &actor.name, &now).await?;
    record(tx, actor, &format!("application.{action}"), id, details).await
}

pub(super) async fn record(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    action: &str,
    id: i64,
    details: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        tx,
        actor,
        action,
        "application",
        &id.to_string(),
        None,
        Some(&details),
    )
    .await?;
    Ok(())
}

pub(super) fn not_editable(row: &ApplicationRow) -> AppError {
    AppError::Conflict {
        message: format!(
            "the application is {}: it can be changed only as a draft or when returned",
            row.state
        ),
        field: Some("state".into()),
    }
}

/// Moves an application one step; the caller's checks done.
pub(super) async fn move_to(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    row: &ApplicationRow,
    action: ApplicationAction,
    comment: &str,
) -> AppResult<ApplicationState> {
    let to = next_state(row.state, action).map_err(|e| AppError::Conflict {
        message: e.to_string(),
        field: Some("state".into()),
    })?;
    let now = crate::store::now();
    if !store_a::step(
        tx,
        row.id,
        row.state,
        to,
        action.name(),
        comment,
        &actor.name,
        &now,
    )
    .await?
    {
        return Err(AppError::Conflict {
            message: "the application changed meanwhile: reload the page".into(),
            field: Some("state".into()),
        });
    }
    record(
        tx,
        actor,
        &format!("application.{}", action.name()),
        row.id,
        serde_json::json!({"from": row.state, "to": to, "comment": comment}),
    )
    .await?;
    Ok(to)
}

/// This account's applications, newest first, with their calls' titles.
pub async fn mine(store: &Store, user: UserId) -> AppResult<Vec<(ApplicationRow, Call)>> {
    let mut conn = store.pool.acquire().await?;
    let rows = store_a::of_user(&mut conn, user.0).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let call = store_c::get(&mut conn, row.call_id).await?;
        out.push((row, call));
    }
    Ok(out)
}
