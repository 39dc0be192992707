//! The same decision on many memberships, or many decisions at once (a rotation plan): all
//! in one transaction, all or none.

use super::{decide_in, not_found, today, DecisionInput};
use crate::domain::membership::{ExitReason, Pool};
use crate::domain::{ExpertId, ValidationError};
use crate::error::{AppError, AppResult};
use crate::store::audit::Actor;
use crate::store::memberships as store_m;
use crate::store::Store;
use chrono::NaiveDate;
use serde::Serialize;

/// Result of a bulk action.
#[derive(Debug, Serialize)]
pub struct BulkResult {
    /// Memberships changed.
    pub changed: Vec<i64>,
}

/// The same decision on several memberships, all or none.
pub async fn bulk(
    store: &Store,
    actor: &Actor,
    decider: Option<ExpertId>,
    ids: &[i64],
    input: &DecisionInput,
) -> AppResult<BulkResult> {
    if ids.is_empty() {
        return Err(ValidationError::new("ids", "select at least one membership").into());
    }
    let mut tx = store.begin_write().await?;
    for (i, &id) in ids.iter().enumerate() {
        // Errors name the expert, not the membership's number.
        let who = store_m::get(&mut tx, id)
            .await
            .map_err(not_found(id))
            .map(|m| format!("{} ({})", m.expert_name, m.expert_code))?;
        decide_in(&mut tx, store, actor, decider, id, input, today())
            .await
            .map_err(|e| match e {
                AppError::Validation(v) => AppError::Validation(ValidationError::new(
                    format!("ids[{i}].{}", v.field),
                    format!("{who}: {}", v.message),
                )),
                AppError::Conflict { message, .. } => AppError::Conflict {
                    message: format!("{who}: {message}; nothing was changed"),
                    field: Some(format!("ids[{i}]")),
                },
                other => other,
            })?;
    }
    tx.commit().await?;
    Ok(BulkResult {
        changed: ids.to_vec(),
    })
}

/// Different decisions on several memberships (a rotation plan), all or none; with `pool`
/// given, every membership must belong to it.
pub async fn decide_many(
    store: &Store,
    actor: &Actor,
    decider: Option<ExpertId>,
    pool: Option<Pool>,
    decisions: &[(i64, DecisionInput)],
) -> AppResult<usize> {
    let mut tx = store.begin_write().await?;
    for (i, (id, input)) in decisions.iter().enumerate() {
        let m = store_m::get(&mut tx, *id).await.map_err(not_found(*id))?;
        if pool.is_some_and(|p| p != m.pool) {
            return Err(ValidationError::new(
                format!("decisions[{i}]"),
                format!(
                    "membership {id} is not in the {} pool",
                    pool.map(|p| p.as_str()).unwrap_or_default()
                ),
            )
            .into());
        }
        let who = format!("{} ({})", m.expert_name, m.expert_code);
        decide_in(&mut tx, store, actor, decider, *id, input, today())
            .await
            .map_err(|e| match e {
                AppError::Validation(v) => AppError::Validation(ValidationError::new(
                    format!("decisions[{i}].{}", v.field),
                    format!("{who}: {}", v.message),
                )),
                AppError::Conflict { message, .. } => AppError::Conflict {
                    message: format!("{who}: {message}; nothing was changed"),
                    field: Some(format!("decisions[{i}]")),
                },
                other => other,
            })?;
    }
    tx.commit().await?;
    Ok(decisions.len())
}

/// Ends every term of a pool, active or suspended, that ended before `before` (reason
/// `term_expired`).
pub async fn expire_terms(
    store: &Store,
    actor: &Actor,
    pool: Pool,
    before: NaiveDate,
) -> AppResult<BulkResult> {
    let mut tx = store.begin_write().await?;
    let ids = store_m::expired(&mut tx, pool, &before.to_string()).await?;
    let input = DecisionInput {
        action: "exit".into(),
        reason_code: ExitReason::TermExpired.as_str().into(),
        reason: format!("term ended before {before}"),
        ..Default::default()
    };
    for &id in &ids {
        decide_in(&mut tx, store, actor, None, id, &input, today()).await?;
    }
    tx.commit().await?;
    Ok(BulkResult { changed: ids })
}
