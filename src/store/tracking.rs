//! The participations behind every expert's record: past history rows and the service's own
//! invitations, in one shape (`domain::tracking::Participation`).

use super::{Store, StoreError};
use crate::domain::membership::Pool;
use crate::domain::tracking::{FlagRules, Participation};
use chrono::NaiveDate;
use sqlx::AnyConnection;
use std::collections::HashMap;

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

/// Every expert's participations.
pub async fn all(store: &Store) -> Result<HashMap<i64, Vec<Participation>>, StoreError> {
    let mut out = HashMap::new();
    convert(
        sqlx::query_as(HISTORY).fetch_all(&store.pool).await?,
        &mut out,
    );
    convert(
        sqlx::query_as(INVITATIONS).fetch_all(&store.pool).await?,
        &mut out,
    );
    Ok(out)
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
