//! The participations behind every expert's record: past history rows and the service's own
//! invitations, in one shape (`domain::tracking::Participation`).

use super::{Store, StoreError};
use crate::domain::membership::Pool;
use crate::domain::tracking::{FlagRules, Participation};
use chrono::NaiveDate;
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::sync::Arc;

type Row = (
    i64,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

const HISTORY: &str = "select expert_id, event_ref, event_date, response, attendance, rating_expertise, rating_diligence, rating_fairness from tracking_record";
const INVITATIONS: &str = "select v.expert_id, ev.code, substr(ev.dates, 1, 10), v.status, v.attendance, v.rating_expertise, v.rating_diligence, v.rating_fairness
    from invitation v join event ev on ev.event_id = v.event_id";

fn convert(rows: Vec<Row>, out: &mut HashMap<i64, Vec<Participation>>) {
    for (expert, event, date, response, attendance, a, b, c) in rows {
        let Ok(date) = NaiveDate::parse_from_str(&date, "%Y-%m-%d") else {
            continue;
        };
        let ratings = match (a, b, c) {
            (Some(a), Some(b), Some(c)) => Some([a as u8, b as u8, c as u8]),
            _ => None,
        };
        out.entry(expert).or_default().push(Participation {
            event,
            date,
            response,
            attendance,
            ratings,
        });
    }
}

/// Every expert's participations, as read at one `tracking_version`.
pub(crate) type CachedRecord = (i64, Arc<HashMap<i64, Vec<Participation>>>);

/// Every expert's participations. A draw needs all of them (at 30,000 experts, hundreds of
/// milliseconds to read), so the store keeps the last read in memory; triggers bump
/// `tracking_version` in every writer's transaction, and the version is read before the rows,
/// so a copy is never older than its version.
pub async fn all(store: &Store) -> Result<Arc<HashMap<i64, Vec<Participation>>>, StoreError> {
    let mut conn = store.pool.acquire().await?;
    let (version,): (i64,) = sqlx::query_as("select version from tracking_version where id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let cached = store.record.lock().ok().and_then(|slot| {
        slot.as_ref()
            .filter(|(v, _)| *v == version)
            .map(|(_, all)| all.clone())
    });
    if let Some(all) = cached {
        return Ok(all);
    }
    let mut out = HashMap::new();
    convert(
        sqlx::query_as(HISTORY).fetch_all(&mut *conn).await?,
        &mut out,
    );
    convert(
        sqlx::query_as(INVITATIONS).fetch_all(&mut *conn).await?,
        &mut out,
    );
    let all = Arc::new(out);
    if let Ok(mut slot) = store.record.lock() {
        *slot = Some((version, all.clone()));
    }
    Ok(all)
}

/// One expert's participations (inside a transaction too, for the workload check).
pub async fn of_expert(
    conn: &mut AnyConnection,
    expert: i64,
) -> Result<Vec<Participation>, StoreError> {
    let mut out = HashMap::new();
    convert(
        sqlx::query_as(&format!("{HISTORY} where expert_id = $1"))
            .bind(expert)
            .fetch_all(&mut *conn)
            .await?,
        &mut out,
    );
    convert(
        sqlx::query_as(&format!("{INVITATIONS} where v.expert_id = $1"))
            .bind(expert)
            .fetch_all(&mut *conn)
            .await?,
        &mut out,
    );
    Ok(out.remove(&expert).unwrap_or_default())
}

/// A pool's flag thresholds (the pool's defaults until an administrator changes them).
pub async fn flag_rules(store: &Store, pool: Pool) -> Result<FlagRules, StoreError> {
    let mut conn = store.pool.acquire().await?;
    Ok(
        super::settings::get(&mut conn, super::settings::Table::FlagRules, pool)
            .await?
            .unwrap_or_else(|| FlagRules::default_for(pool)),
    )
}

/// Stores a pool's flag thresholds.
pub async fn set_flag_rules(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    pool: Pool,
    rules: &FlagRules,
    actor: &super::audit::Actor,
) -> Result<(), StoreError> {
    super::settings::set(tx, super::settings::Table::FlagRules, pool, rules, actor).await
}
