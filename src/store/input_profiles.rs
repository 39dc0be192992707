//! The profiles of stored inputs (format 2), one row per registry snapshot drawn from.

use super::{Store, StoreError};

/// Whether the profiles named `hash` are stored.
pub async fn exists(store: &Store, hash: &str) -> Result<bool, StoreError> {
    let found: Option<(i64,)> =
        sqlx::query_as("select 1 from input_profiles where profiles_hash = $1")
            .bind(hash)
            .fetch_optional(&store.pool)
            .await?;
    Ok(found.is_some())
}

/// Stores profiles under their hash; storing them again changes nothing (the name is the
/// content's hash, so two writers can only write the same text).
pub async fn insert(store: &Store, hash: &str, json: &str) -> Result<(), StoreError> {
    sqlx::query(
        "insert into input_profiles (profiles_hash, profiles_json, at) values ($1, $2, $3) on conflict (profiles_hash) do nothing",
    )
    .bind(hash)
    .bind(json)
    .bind(super::now())
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// Puts back the text its name dictates over a stored text that no longer hashes to it, and
/// records that in the audit log, in one transaction.
pub async fn repair(store: &Store, hash: &str, json: &str) -> Result<(), StoreError> {
    let mut tx = store.pool.begin().await?;
    sqlx::query("update input_profiles set profiles_json = $1 where profiles_hash = $2")
        .bind(json)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    super::audit::record(
        &mut tx,
        &super::audit::Actor::system("draw"),
        "input_profiles.repaired",
        "input_profiles",
        hash,
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The profiles' text named `hash`.
pub async fn get(store: &Store, hash: &str) -> Result<String, StoreError> {
    let row: Option<(String,)> =
        sqlx::query_as("select profiles_json from input_profiles where profiles_hash = $1")
            .bind(hash)
            .fetch_optional(&store.pool)
            .await?;
    row.map(|(json,)| json).ok_or(StoreError::NotFound)
}
