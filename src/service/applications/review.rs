//! Staff's side: the review (return, refuse, pass), linking to an existing expert, reopening a
//! closed call's draft, and the queue per call.

use super::{load, move_to, noted, profile_input, record, view, Viewer};
use crate::domain::application::{ApplicationAction, ApplicationState};
use crate::domain::call::Call;
use crate::domain::user::Role;
use crate::domain::{ExpertId, UserId, ValidationError};
use crate::error::{AppError, AppResult};
use crate::service::{experts as expert_service, memberships, notify};
use crate::store::applications::{self as store_a, ApplicationRow};
use crate::store::audit::{self, Actor};
use crate::store::{calls as store_c, experts, Store};
use serde::Serialize;
use sqlx::{Any, Transaction};

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

/// The account linked to an expert record, if any.
async fn account_of(
    tx: &mut Transaction<'static, Any>,
    expert: ExpertId,
) -> AppResult<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as("select user_id from app_user where expert_id = $1")
        .bind(expert.0)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(|(u,)| u))
}

fn another_account() -> AppError {
    AppError::Conflict {
        message: "this expert already has another account: the applicant should sign in with it"
            .into(),
        field: Some("expert".into()),
    }
}

/// The applicant's account now belongs to the expert record (unless it already did).
async fn link_account(
    tx: &mut Transaction<'static, Any>,
    row: &ApplicationRow,
    expert: ExpertId,
) -> AppResult<()> {
    let user = UserId(row.user_id);
    match account_of(tx, expert).await? {
        Some(h) if h == user.0 => Ok(()),
        Some(_) => Err(another_account()),
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
    if account_of(&mut tx, expert.id)
        .await?
        .is_some_and(|h| h != row.user_id)
    {
        return Err(another_account());
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
    noted(
        &mut tx,
        actor,
        (id, row.state.as_str()),
        "reopen",
        &until,
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
