//! Draw attempts that found no assignment: kept with seed and input so that a supervisor
//! sees every attempt, not only the draws that succeeded, and can replay each.

use super::{Store, StoreError};
use serde::Serialize;
use sqlx::{Any, Transaction};

/// A failed attempt.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Attempt {
    /// Id.
    pub attempt_id: i64,
    /// Event id.
    pub event_id: i64,
    /// Seed (decimal text).
    pub seed: String,
    /// Engine version.
    pub engine_version: String,
    /// Hash of the input.
    pub input_hash: String,
    /// Input JSON (left out of lists).
    #[serde(skip)]
    pub input_json: String,
    /// Why no assignment exists: the engine's diagnosis as JSON (findings with rule codes).
    pub reason: String,
    /// Who.
    pub actor: String,
    /// When (stored UTC text).
    pub at: String,
}

/// Records a failed attempt; returns its id.
pub async fn insert(tx: &mut Transaction<'_, Any>, a: &Attempt) -> Result<i64, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "insert into draw_attempt (event_id, seed, engine_version, input_hash, input_json, reason, actor, at) values ($1, $2, $3, $4, $5, $6, $7, $8) returning attempt_id",
    )
    .bind(a.event_id)
    .bind(&a.seed)
    .bind(&a.engine_version)
    .bind(&a.input_hash)
    .bind(&a.input_json)
    .bind(&a.reason)
    .bind(&a.actor)
    .bind(&a.at)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// An event's failed attempts, newest first, without their inputs.
pub async fn for_event(store: &Store, event: i64) -> Result<Vec<Attempt>, StoreError> {
    Ok(sqlx::query_as(
        "select attempt_id, event_id, seed, engine_version, input_hash, '' as input_json, reason, actor, at from draw_attempt where event_id = $1 order by attempt_id desc",
    )
    .bind(event)
    .fetch_all(&store.pool)
    .await?)
}

/// One attempt with its input.
pub async fn get(store: &Store, id: i64) -> Result<Attempt, StoreError> {
    sqlx::query_as(
        "select attempt_id, event_id, seed, engine_version, input_hash, input_json, reason, actor, at from draw_attempt where attempt_id = $1",
    )
    .bind(id)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)
}
