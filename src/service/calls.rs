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

/// The call's applications against the numbers sought, per discipline sought (an applicant
/// counts toward the first whose code their primary discipline starts with) and a last line
/// for the others.
pub async fn dashboard(
    store: &Store,
    id: i64,
) -> AppResult<(Call, Vec<Progress>, Vec<store_c::Answer>)> {
    let call = get(store, id).await?;
    let answers = store_c::answers(store, id).await?;
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
    for a in &answers {
        let line = call.sought_for(&a.primary).unwrap_or(others);
        *lines[line].by_state.entry(a.state.clone()).or_default() += 1;
        lines[line].total += 1;
    }
    Ok((call, lines, answers))
}
