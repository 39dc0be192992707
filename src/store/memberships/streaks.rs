//! What the automatic suspension after refusals reads: the member's open membership, when
//! it last became active, and their answers since.

use super::{Membership, MembershipRowDb, SELECT};
use crate::domain::membership::Pool;
use crate::domain::ExpertId;
use crate::store::StoreError;
use sqlx::{Any, Transaction};

/// The expert's answers to invitations in events of `pool` given at or after `since` (an
/// RFC 3339 time), oldest first: true for a decline or a missed answer, false for an
/// acceptance. A declared conflict is a reason to step aside, not a refusal, and does not
/// count.
pub async fn answers_since(
    tx: &mut Transaction<'_, Any>,
    expert: ExpertId,
    pool: Pool,
    since: &str,
) -> Result<Vec<bool>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "select i.status from invitation i join event e on e.event_id = i.event_id
          where i.expert_id = $1 and e.pool = $2 and i.responded_at is not null and i.responded_at >= $3
            and i.declared_conflict = '' and i.status in ('accepted', 'declined', 'no_response')
          order by i.responded_at, i.invitation_id",
    )
    .bind(expert.0)
    .bind(pool.as_str())
    .bind(since)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|(s,)| s != "accepted").collect())
}

/// When the membership last became active (approval, reinstatement or import).
pub async fn active_since(
    tx: &mut Transaction<'_, Any>,
    membership: i64,
) -> Result<String, StoreError> {
    let (at,): (Option<String>,) = sqlx::query_as(
        "select max(at) from membership_transition where membership_id = $1 and to_state = 'active'",
    )
    .bind(membership)
    .fetch_one(&mut **tx)
    .await?;
    Ok(at.unwrap_or_default())
}

/// The expert's open membership in a pool, if any.
pub async fn open_in(
    tx: &mut Transaction<'_, Any>,
    expert: ExpertId,
    pool: Pool,
) -> Result<Option<Membership>, StoreError> {
    let row: Option<MembershipRowDb> = sqlx::query_as(&format!(
        "{SELECT} where m.expert_id = $1 and m.pool = $2 and m.state in ('applied', 'active', 'suspended')"
    ))
    .bind(expert.0)
    .bind(pool.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    row.map(Membership::try_from).transpose()
}
