//! Calls for experts: administrators publish and edit them (audited); anyone reads the open
//! ones; staff follow each call's applications against the numbers sought.

use crate::domain::call::{Call, CallInput, CallStatus};
use crate::domain::ValidationError;
use crate::error::{AppError, AppResult};
use crate::store::audit::{self, Actor};
use crate::store::calls as store_c;
use crate::store::{reference, Store};
use serde::Serialize;
use std::collections::BTreeMap;

fn not_found(id: i64) -> impl FnOnce(crate::store::StoreError) -> AppError {
    move |e| match e {
        crate::store::StoreError::NotFound => AppError::NotFound(format!("call {id}")),
        other => other.into(),
    }
}

/// Checks that every discipline sought is in the classification.
async fn check_disciplines(store: &Store, call: &Call) -> AppResult<()> {
    let known = reference::disciplines(store, "").await?;
    for (i, s) in call.sought.iter().enumerate() {
        if !known.iter().any(|d| d.code == s.discipline) {
            return Err(ValidationError::new(
                format!("sought[{i}]"),
                format!("{} is not in the classification", s.discipline.as_str()),
            )
            .into());
        }
    }
    Ok(())
}

/// Publishes a call.
pub async fn create(store: &Store, actor: &Actor, input: &CallInput) -> AppResult<Call> {
    let mut call = input.parse()?;
    check_disciplines(store, &call).await?;
    let mut tx = store.begin_write().await?;
    call.id = store_c::insert(&mut tx, &call, actor).await?;
    audit::record(
        &mut tx,
        actor,
        "call.create",
        "call",
        &call.id.to_string(),
        None,
        Some(&serde_json::to_value(&call).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(call)
}

/// Edits a call: text, dates (an administrator reopens a closed call by moving its closing
/// date), disciplines sought, documents. Its pool stays.
pub async fn update(store: &Store, actor: &Actor, id: i64, input: &CallInput) -> AppResult<Call> {
    let mut tx = store.begin_write().await?;
    let before = store_c::get(&mut tx, id).await.map_err(not_found(id))?;
    let mut call = CallInput {
        pool: before.pool.as_str().into(),
        ..input.clone()
    }
    .parse()?;
    call.id = id;
    check_disciplines(store, &call).await?;
    store_c::update(&mut tx, &call).await?;
    audit::record(
        &mut tx,
        actor,
        "call.update",
        "call",
        &id.to_string(),
        Some(&serde_json::to_value(&before).unwrap_or_default()),
        Some(&serde_json::to_value(&call).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(call)
}

/// One call.
pub async fn get(store: &Store, id: i64) -> AppResult<Call> {
    let mut conn = store.pool.acquire().await?;
    store_c::get(&mut conn, id).await.map_err(not_found(id))
}

/// A call with where it stands today.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    /// The call.
    #[serde(flatten)]
    pub call: Call,
    /// Upcoming, open or closed today.
    pub status: CallStatus,
}

/// Every call (staff), or only those open or about to open (the public page).
pub async fn list(store: &Store, public: bool) -> AppResult<Vec<Listed>> {
    let today = crate::clock::today();
    Ok(store_c::all(store)
        .await?
        .into_iter()
        .map(|call| Listed {
            status: call.status(today),
            call,
        })
        .filter(|l| !public || l.status != CallStatus::Closed)
        .collect())
}

/// A line of a call's dashboard: a discipline sought, the number sought, the applications by
/// state.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    /// Discipline code (or `""` for applications outside every discipline sought).
    pub discipline: String,
    /// How many are sought (0 for the "others" line).
    pub sought: u32,
    /// Applications by membership state (`applied`, `active`, `refused`, `withdrawn` …).
    pub by_state: BTreeMap<String, usize>,
    /// Every application of the line.
    pub total: usize,
}

/// One applicant on a call's dashboard: a membership application (passed by staff, or made
/// directly), or an application still with the applicant or staff (state `app_…`).
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Where staff open it.
    pub href: String,
    /// Expert code ('' before the application is passed).
    pub code: String,
    /// Name.
    pub name: String,
    /// Membership state, or `app_` and the application's state.
    pub state: String,
    /// Primary discipline code.
    pub primary: String,
    /// Employer's code.
    pub organization_code: String,
    /// Since (`YYYY-MM-DD` or a stored time).
    pub since: String,
}

/// The call's applications against the numbers sought, per discipline sought (an applicant
/// counts toward the first whose code their primary discipline starts with) and a last line
/// for the others. Applications not passed yet count by their own state; passed ones by
/// their membership's.
pub async fn dashboard(store: &Store, id: i64) -> AppResult<(Call, Vec<Progress>, Vec<Entry>)> {
    let call = get(store, id).await?;
    let mut entries: Vec<Entry> = store_c::answers(store, id)
        .await?
        .into_iter()
        .map(|a| Entry {
            href: format!("/memberships/{}", a.membership_id),
            code: a.code,
            name: a.name,
            state: a.state,
            primary: a.primary,
            organization_code: a.organization_code,
            since: a.since,
        })
        .collect();
    let mut conn = store.pool.acquire().await?;
    for a in crate::store::applications::of_call(&mut conn, id, None).await? {
        if a.membership_id.is_some() {
            continue;
        }
        let p: crate::domain::expert::ExpertInput =
            serde_json::from_str(&a.profile_json).unwrap_or_default();
        let (code, name, primary, org) = match a.expert_id {
            Some(e) if a.profile_json.is_empty() => {
                let r = crate::store::experts::get(&mut conn, crate::domain::ExpertId(e))
                    .await?
                    .profile;
                let primary = r
                    .disciplines
                    .first()
                    .map(|d| d.as_str().to_string())
                    .unwrap_or_default();
                (r.code, r.name, primary, r.org_id)
            }
            _ => (
                String::new(),
                p.name,
                p.disciplines.first().cloned().unwrap_or_default(),
                p.org_id,
            ),
        };
        entries.push(Entry {
            href: format!("/applications/{}", a.id),
            code,
            name,
            state: format!("app_{}", a.state),
            primary,
            organization_code: org,
            since: a.submitted_at.unwrap_or(a.created_at),
        });
    }
    drop(conn);
    let mut lines: Vec<Progress> = call
        .sought
        .iter()
        .map(|s| Progress {
            discipline: s.discipline.as_str().to_string(),
            sought: s.count,
            by_state: BTreeMap::new(),
            total: 0,
        })
        .collect();
    lines.push(Progress {
        discipline: String::new(),
        sought: 0,
        by_state: BTreeMap::new(),
        total: 0,
    });
    let others = lines.len() - 1;
    for a in &entries {
        let line = call.sought_for(&a.primary).unwrap_or(others);
        *lines[line].by_state.entry(a.state.clone()).or_default() += 1;
        lines[line].total += 1;
    }
    Ok((call, lines, entries))
}
