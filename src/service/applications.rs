//! Applications to calls: the applicant keeps a draft (profile, pledge, documents) and
//! submits it; staff review it (return with a comment, refuse with a reason, link it to an
//! existing expert, pass it to the administrator's approval); an administrator reopens a
//! closed call's draft. Every step is recorded with the application, in the audit log, and
//! reaches the applicant by message.

use crate::domain::application::{
    missing_for_submit, next_state, ApplicationAction, ApplicationState, Document,
};
use crate::domain::call::{Call, CallStatus, DocumentKind};
use crate::domain::expert::{ExpertInput, ExpertProfile};
use crate::domain::membership::{check_entry, EntryFacts, RuleCheck};
use crate::domain::user::Role;
use crate::domain::{ExpertId, UserId, ValidationError};
use crate::error::{AppError, AppResult};
use crate::service::{experts as expert_service, memberships, notify};
use crate::store::applications::{self as store_a, ApplicationRow, DocumentInfo, Step, Twin};
use crate::store::audit::{self, Actor};
use crate::store::users::User;
use crate::store::{calls as store_c, experts, memberships as store_m, Store};
use serde::Serialize;
use sqlx::{Any, Transaction};

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

async fn load(
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

fn profile_input(row: &ApplicationRow) -> ExpertInput {
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
async fn judged_profile(
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
    store_a::note_step(&mut tx, id, "create", "", "draft", "", &actor.name, &now).await?;
    record(
        &mut tx,
        actor,
        "application.create",
        id,
        serde_json::json!({"call": call}),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

fn call_closed(call: &Call) -> AppError {
    AppError::Conflict {
        message: format!(
            "the call '{}' takes applications from {} to {}",
            call.title, call.opens_on, call.closes_on
        ),
        field: Some("call".into()),
    }
}

async fn record(
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

fn not_editable(row: &ApplicationRow) -> AppError {
    AppError::Conflict {
        message: format!(
            "the application is {}: it can be changed only as a draft or when returned",
            row.state
        ),
        field: Some("state".into()),
    }
}

/// What the applicant saves: the profile (kept as typed, checked when submitted), the pledge,
/// a note.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The profile (ignored for an applicant with an expert record).
    pub profile: Option<ExpertInput>,
    /// The pledge is ticked.
    pub pledge: bool,
    /// A note to the reviewers.
    pub note: String,
}

/// Saves the draft, whatever its problems (the applicant may come back later); returns the
/// profile's first problem, which a submission would refuse.
pub async fn save(
    store: &Store,
    actor: &Actor,
    user: UserId,
    id: i64,
    draft: Draft,
) -> AppResult<Option<ValidationError>> {
    let note = crate::domain::validation::optional_text("note", &draft.note, 2000)?;
    let mut tx = store.begin_write().await?;
    let row = load(&mut tx, id, Viewer::Applicant(user)).await?;
    if !row.state.editable() {
        return Err(not_editable(&row));
    }
    let profile_json = match (
        &draft.profile,
        row.profile_json.is_empty() && row.expert_id.is_some(),
    ) {
        (Some(p), false) => serde_json::to_string(p).unwrap_or_default(),
        _ => row.profile_json.clone(),
    };
    let pledge_at = match (draft.pledge, &row.pledge_at) {
        (true, Some(at)) => Some(at.clone()),
        (true, None) => Some(crate::store::now()),
        (false, _) => None,
    };
    let now = crate::store::now();
    store_a::save_draft(
        &mut tx,
        id,
        &profile_json,
        pledge_at.as_deref(),
        &note,
        &now,
    )
    .await?;
    // A save is a change (audited) but not a step of the review (the history stays readable).
    record(
        &mut tx,
        actor,
        "application.save",
        id,
        serde_json::json!({"pledge": pledge_at.is_some()}),
    )
    .await?;
    tx.commit().await?;
    let mut conn = store.pool.acquire().await?;
    let saved = store_a::get(&mut conn, id).await?;
    drop(conn);
    Ok(judged_profile(store, &saved).await?.err())
}

/// Documents an application keeps at most, replaced ones included (so that one account cannot
/// fill the database).
pub const MAX_DOCUMENTS: usize = 20;

/// Stores a checked document with the draft.
pub async fn upload(
    store: &Store,
    actor: &Actor,
    user: UserId,
    id: i64,
    document: &Document,
) -> AppResult<i64> {
    use sha2::{Digest, Sha256};
    let mut tx = store.begin_write().await?;
    let row = load(&mut tx, id, Viewer::Applicant(user)).await?;
    if !row.state.editable() {
        return Err(not_editable(&row));
    }
    let stored = store_a::documents(&mut tx, id).await?.len();
    if stored >= MAX_DOCUMENTS {
        return Err(AppError::Conflict {
            message: format!(
                "the application has {stored} documents: at most {MAX_DOCUMENTS} are kept; ask the bureau"
            ),
            field: Some("document".into()),
        });
    }
    let now = crate::store::now();
    let sha = hex::encode(Sha256::digest(&document.bytes));
    let doc = store_a::add_document(
        &mut tx,
        id,
        document.kind,
        &document.file_name,
        document.file_type.content_type(),
        &sha,
        &document.bytes,
        &actor.name,
        &now,
    )
    .await?;
    store_a::note_step(
        &mut tx,
        id,
        "upload",
        "",
        row.state.as_str(),
        &document.file_name,
        &actor.name,
        &now,
    )
    .await?;
    record(
        &mut tx,
        actor,
        "application.upload",
        id,
        serde_json::json!({"document": doc, "kind": document.kind, "file_name": document.file_name, "size": document.bytes.len(), "sha256": sha}),
    )
    .await?;
    tx.commit().await?;
    Ok(doc)
}

/// Takes a document off the draft (it stays stored, marked replaced).
pub async fn remove_document(
    store: &Store,
    actor: &Actor,
    user: UserId,
    id: i64,
    document: i64,
) -> AppResult<()> {
    let mut tx = store.begin_write().await?;
    let row = load(&mut tx, id, Viewer::Applicant(user)).await?;
    if !row.state.editable() {
        return Err(not_editable(&row));
    }
    let now = crate::store::now();
    if !store_a::retire_document(&mut tx, id, document, &now).await? {
        return Err(AppError::NotFound(format!("document {document}")));
    }
    store_a::note_step(
        &mut tx,
        id,
        "remove_document",
        "",
        row.state.as_str(),
        "",
        &actor.name,
        &now,
    )
    .await?;
    record(
        &mut tx,
        actor,
        "application.remove_document",
        id,
        serde_json::json!({"document": document}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A document's bytes, for the applicant or staff only.
pub async fn document(
    store: &Store,
    id: i64,
    document: i64,
    viewer: Viewer,
) -> AppResult<(DocumentInfo, Vec<u8>)> {
    let mut conn = store.pool.acquire().await?;
    load(&mut conn, id, viewer).await?;
    let (info, bytes) = store_a::document(&mut conn, document)
        .await
        .map_err(|_| AppError::NotFound(format!("document {document}")))?;
    if info.application_id != id {
        return Err(AppError::NotFound(format!("document {document}")));
    }
    Ok((info, bytes))
}

/// Moves an application one step; the caller's checks done.
async fn move_to(
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

/// The applicant submits: the profile must be complete and valid, the pledge ticked, every
/// required document uploaded, and the call open (or the application returned or reopened).
pub async fn submit(store: &Store, actor: &Actor, user: UserId, id: i64) -> AppResult<()> {
    let v = view(store, id, Viewer::Applicant(user)).await?;
    if !v.application.state.editable() {
        return Err(not_editable(&v.application));
    }
    if !v.can_submit {
        return Err(call_closed(&v.call));
    }
    if let Some(e) = v.profile_error {
        return Err(e.into());
    }
    if let Some(first) = v.missing.first() {
        return Err(match first.as_str() {
            "pledge" => ValidationError::new(
                "pledge",
                "applying signs the integrity and confidentiality pledge: tick it to apply",
            ),
            kind => ValidationError::new(
                format!("documents.{kind}"),
                "this document is required: upload it before submitting",
            ),
        }
        .into());
    }
    let mut tx = store.begin_write().await?;
    let row = load(&mut tx, id, Viewer::Applicant(user)).await?;
    // The documents again, under the write lock: one removed meanwhile is not submitted.
    let current: Vec<DocumentKind> = store_a::documents(&mut tx, id)
        .await?
        .iter()
        .filter(|d| d.replaced_at.is_none())
        .filter_map(|d| DocumentKind::parse(&d.kind).ok())
        .collect();
    if let Some(kind) =
        missing_for_submit(row.pledge_at.is_some(), &v.call.documents, &current).first()
    {
        return Err(ValidationError::new(
            format!("documents.{kind}"),
            "this document is required: upload it before submitting",
        )
        .into());
    }
    move_to(&mut tx, actor, &row, ApplicationAction::Submit, "").await?;
    tx.commit().await?;
    Ok(())
}

/// The applicant takes the application back.
pub async fn withdraw(store: &Store, actor: &Actor, user: UserId, id: i64) -> AppResult<()> {
    let mut tx = store.begin_write().await?;
    let row = load(&mut tx, id, Viewer::Applicant(user)).await?;
    move_to(&mut tx, actor, &row, ApplicationAction::Withdraw, "").await?;
    tx.commit().await?;
    Ok(())
}

/// A staff decision on a submitted application.
#[derive(Debug, Clone)]
pub enum Review {
    /// Back to the applicant for changes, with what to change.
    Return(String),
    /// Refused, with the reason.
    Refuse(String),
    /// Passed to the administrator's approval.
    Pass,
}

/// Who is told, from the application's contact details.
async fn applicant(
    tx: &mut Transaction<'static, Any>,
    row: &ApplicationRow,
) -> AppResult<(String, String, String)> {
    let (name, email, mobile) =
        crate::store::registrations::contact(tx, UserId(row.user_id)).await?;
    if !email.is_empty() {
        return Ok((name, email, mobile));
    }
    // An expert who applied with their record: its contact details.
    match row.expert_id {
        Some(e) => {
            let p = experts::get(tx, ExpertId(e)).await?.profile;
            Ok((
                p.name,
                p.email.map(|e| e.as_str().to_string()).unwrap_or_default(),
                p.phone,
            ))
        }
        None => Ok((name, email, mobile)),
    }
}

async fn tell(
    tx: &mut Transaction<'static, Any>,
    store: &Store,
    row: &ApplicationRow,
    call: &Call,
    step: &str,
    comment: &str,
) -> AppResult<()> {
    let (name, email, mobile) = applicant(tx, row).await?;
    let to = notify::Recipient {
        expert_id: row.expert_id,
        name: &name,
        email: Some(&email),
        phone: &mobile,
    };
    notify::application_step(tx, store, &to, step, &call.title, row.id, comment).await
}

/// Staff review a submitted application. Passing it makes (or uses the linked) expert record,
/// links the applicant's account to it and opens the membership application for the
/// administrator's approval, all in one transaction.
pub async fn review(store: &Store, actor: &Actor, id: i64, decision: Review) -> AppResult<()> {
    let comment = match &decision {
        Review::Return(c) | Review::Refuse(c) => {
            crate::domain::validation::required_text("comment", c, 2000)?
        }
        Review::Pass => String::new(),
    };
    // Parsed before the transaction (it reads the reference tables).
    let mut conn = store.pool.acquire().await?;
    let before = load(&mut conn, id, Viewer::Staff).await?;
    drop(conn);
    let parsed = match (&decision, before.expert_id) {
        (Review::Pass, None) => Some(expert_service::parse(store, profile_input(&before)).await?),
        _ => None,
    };
    let mut tx = store.begin_write().await?;
    let row = load(&mut tx, id, Viewer::Staff).await?;
    if row.expert_id != before.expert_id {
        return Err(AppError::Conflict {
            message: "the application changed meanwhile: reload the page".into(),
            field: Some("state".into()),
        });
    }
    let call = store_c::get(&mut tx, row.call_id).await?;
    let (action, step) = match decision {
        Review::Return(_) => (ApplicationAction::Return, "returned"),
        Review::Refuse(_) => (ApplicationAction::Refuse, "refused"),
        Review::Pass => (ApplicationAction::Pass, "passed"),
    };
    move_to(&mut tx, actor, &row, action, &comment).await?;
    if action == ApplicationAction::Pass {
        let expert = match (row.expert_id, parsed) {
            (Some(e), _) => ExpertId(e),
            (None, Some(mut profile)) => {
                profile.code = experts::next_code(&mut tx).await?;
                let e = experts::insert(&mut tx, &profile).await?;
                audit::record(
                    &mut tx,
                    actor,
                    "expert.create",
                    "expert",
                    &profile.code,
                    None,
                    Some(&serde_json::to_value(&profile).unwrap_or_default()),
                )
                .await?;
                store_a::set_expert(&mut tx, id, e.0).await?;
                e
            }
            (None, None) => return Err(AppError::Internal("profile not parsed".into())),
        };
        link_account(&mut tx, &row, expert).await?;
        let membership = memberships::apply_in(
            &mut tx,
            actor,
            expert,
            memberships::Application {
                pool: call.pool,
                note: &row.note,
                nominated: false,
                pledge: row.pledge_at.is_some(),
                call: Some(call.id),
            },
            false,
        )
        .await?;
        store_a::set_membership(&mut tx, id, membership).await?;
    }
    let row = store_a::get(&mut tx, id).await?;
    tell(&mut tx, store, &row, &call, step, &comment).await?;
    tx.commit().await?;
    Ok(())
}

/// The applicant's account now belongs to the expert record (unless it already did).
async fn link_account(
    tx: &mut Transaction<'static, Any>,
    row: &ApplicationRow,
    expert: ExpertId,
) -> AppResult<()> {
    let user = UserId(row.user_id);
    let (holder,): (Option<i64>,) =
        sqlx::query_as("select user_id from app_user where expert_id = $1")
            .bind(expert.0)
            .fetch_optional(&mut **tx)
            .await?
            .unwrap_or((None,));
    match holder {
        Some(h) if h == user.0 => Ok(()),
        Some(_) => Err(AppError::Conflict {
            message:
                "this expert already has another account: the applicant should sign in with it"
                    .into(),
            field: Some("expert".into()),
        }),
        None => {
            crate::store::users::update(tx, user, Role::Expert, Some(expert), true).await?;
            Ok(())
        }
    }
}

/// Staff link a submitted application to an existing expert record (the applicant is that
/// expert): passing it then uses the record instead of making a second one.
pub async fn link(store: &Store, actor: &Actor, id: i64, expert_code: &str) -> AppResult<()> {
    let mut tx = store.begin_write().await?;
    let row = load(&mut tx, id, Viewer::Staff).await?;
    if row.state != ApplicationState::Submitted {
        return Err(AppError::Conflict {
            message: format!(
                "the application is {}: only a submitted one is linked",
                row.state
            ),
            field: Some("state".into()),
        });
    }
    if let Some(linked) = row.expert_id {
        let code = experts::get(&mut tx, ExpertId(linked)).await?.profile.code;
        return Err(AppError::Conflict {
            message: format!("the expert {code} is linked already: an application is linked once"),
            field: Some("expert".into()),
        });
    }
    let expert = experts::get_by_code(&mut tx, expert_code.trim())
        .await
        .map_err(|_| ValidationError::new("expert", format!("no expert {}", expert_code.trim())))?;
    let (holder,): (Option<i64>,) =
        sqlx::query_as("select user_id from app_user where expert_id = $1")
            .bind(expert.id.0)
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or((None,));
    if holder.is_some_and(|h| h != row.user_id) {
        return Err(AppError::Conflict {
            message:
                "this expert already has another account: the applicant should sign in with it"
                    .into(),
            field: Some("expert".into()),
        });
    }
    store_a::set_expert(&mut tx, id, expert.id.0).await?;
    let now = crate::store::now();
    store_a::note_step(
        &mut tx,
        id,
        "link",
        "",
        row.state.as_str(),
        &expert.profile.code,
        &actor.name,
        &now,
    )
    .await?;
    record(
        &mut tx,
        actor,
        "application.link",
        id,
        serde_json::json!({"expert": expert.profile.code}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An administrator lets a closed call's unfinished application be submitted until `until`.
pub async fn reopen(
    store: &Store,
    actor: &Actor,
    id: i64,
    until: chrono::NaiveDate,
) -> AppResult<()> {
    let today = crate::clock::today();
    if until < today {
        return Err(ValidationError::new("until", "choose today or a later day").into());
    }
    let mut tx = store.begin_write().await?;
    let row = load(&mut tx, id, Viewer::Staff).await?;
    if row.state != ApplicationState::Draft {
        return Err(AppError::Conflict {
            message: format!(
                "the application is {}: only an unfinished draft is reopened",
                row.state
            ),
            field: Some("state".into()),
        });
    }
    let call = store_c::get(&mut tx, row.call_id).await?;
    let until = until.to_string();
    let now = crate::store::now();
    store_a::reopen(&mut tx, id, &until, &now).await?;
    store_a::note_step(
        &mut tx,
        id,
        "reopen",
        "",
        row.state.as_str(),
        &until,
        &actor.name,
        &now,
    )
    .await?;
    record(
        &mut tx,
        actor,
        "application.reopen",
        id,
        serde_json::json!({"until": until}),
    )
    .await?;
    tell(&mut tx, store, &row, &call, "reopened", &until).await?;
    tx.commit().await?;
    Ok(())
}

/// One line of a call's review queue.
#[derive(Debug, Clone, Serialize)]
pub struct QueueLine {
    /// The application.
    pub id: i64,
    /// Name as applied.
    pub name: String,
    /// Employer as applied (code).
    pub org: String,
    /// Primary discipline as applied (code).
    pub discipline: String,
    /// State.
    pub state: ApplicationState,
    /// Last submitted.
    pub submitted_at: Option<String>,
    /// Current documents.
    pub documents: usize,
    /// Entry rules failed (names), empty when all pass or the profile is incomplete.
    pub failed: Vec<&'static str>,
    /// Possible duplicates of existing experts.
    pub twins: usize,
    /// The membership it became.
    pub membership_id: Option<i64>,
}

/// A call's applications, optionally in one state, with their checks.
pub async fn queue(
    store: &Store,
    call: i64,
    state: Option<ApplicationState>,
) -> AppResult<Vec<QueueLine>> {
    let mut conn = store.pool.acquire().await?;
    let rows = store_a::of_call(&mut conn, call, state).await?;
    drop(conn);
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let v = view(store, row.id, Viewer::Staff).await?;
        let p = &v.profile;
        out.push(QueueLine {
            id: row.id,
            name: p.name.clone(),
            org: p.org_id.clone(),
            discipline: p.disciplines.first().cloned().unwrap_or_default(),
            state: row.state,
            submitted_at: row.submitted_at.clone(),
            documents: v
                .documents
                .iter()
                .filter(|d| d.replaced_at.is_none())
                .count(),
            failed: v
                .checks
                .iter()
                .filter(|c| !c.passed)
                .map(|c| c.rule)
                .collect(),
            twins: v.twins.len(),
            membership_id: row.membership_id,
        });
    }
    Ok(out)
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
