//! Per-pool settings kept as JSON, one table per kind of setting (entry rules, flag
//! thresholds): who changed them and when is recorded with the row, the audit log holds
//! the history.

use super::audit::Actor;
use super::StoreError;
use crate::domain::membership::Pool;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::{Any, AnyConnection, Transaction};

/// A table of per-pool JSON settings.
#[derive(Debug, Clone, Copy)]
pub enum Table {
    /// Entry rules and term length (`pool_rules`).
    EntryRules,
    /// Flag thresholds (`pool_flag_rules`).
    FlagRules,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::EntryRules => "pool_rules",
            Table::FlagRules => "pool_flag_rules",
        }
    }
}

/// The stored setting of a pool, `None` until an administrator saved one.
pub async fn get<T: DeserializeOwned>(
    conn: &mut AnyConnection,
    table: Table,
    pool: Pool,
) -> Result<Option<T>, StoreError> {
    let row: Option<(String,)> = sqlx::query_as(&format!(
        "select rules_json from {} where pool = $1",
        table.name()
    ))
    .bind(pool.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|(json,)| serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()
}

/// Stores the setting of a pool.
pub async fn set<T: Serialize>(
    tx: &mut Transaction<'_, Any>,
    table: Table,
    pool: Pool,
    value: &T,
    actor: &Actor,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(&format!(
        "insert into {} (pool, rules_json, updated_at, updated_by) values ($1, $2, $3, $4)
         on conflict (pool) do update set rules_json = excluded.rules_json, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        table.name()
    ))
    .bind(pool.as_str())
    .bind(json)
    .bind(super::now())
    .bind(&actor.name)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
