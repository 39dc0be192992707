//! Server-side sessions (the cookie holds a token; the table its hash).

use super::{Store, StoreError};
use serde::Serialize;
use sqlx::{Any, Transaction};

/// A session as its user sees it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SessionRow {
    /// Hash of the token (an id for the page; never the token).
    pub session_hash: String,
    /// Account.
    pub user_id: i64,
    /// Started.
    pub issued_at: String,
    /// Last request.
    pub last_seen: String,
    /// Client address.
    pub address: String,
    /// Browser.
    pub user_agent: String,
}

/// Opens a session.
pub async fn insert(
    store: &Store,
    hash: &str,
    user: i64,
    address: &str,
    user_agent: &str,
) -> Result<(), StoreError> {
    let now = super::now();
    sqlx::query("insert into app_session (session_hash, user_id, issued_at, last_seen, address, user_agent) values ($1, $2, $3, $3, $4, $5)")
        .bind(hash)
        .bind(user)
        .bind(now)
        .bind(address)
        .bind(user_agent)
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// A live session by its hash.
pub async fn live(store: &Store, hash: &str) -> Result<Option<SessionRow>, StoreError> {
    Ok(sqlx::query_as("select session_hash, user_id, issued_at, last_seen, address, user_agent from app_session where session_hash = $1 and ended_at is null")
        .bind(hash)
        .fetch_optional(&store.pool)
        .await?)
}

/// Notes a request (at most once a minute per session, to keep writes rare).
pub async fn touch(store: &Store, hash: &str, stale_before: &str) -> Result<(), StoreError> {
    sqlx::query("update app_session set last_seen = $1 where session_hash = $2 and last_seen < $3")
        .bind(super::now())
        .bind(hash)
        .bind(stale_before)
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// Ends one session.
pub async fn end(store: &Store, hash: &str, reason: &str) -> Result<(), StoreError> {
    sqlx::query("update app_session set ended_at = $1, end_reason = $2 where session_hash = $3 and ended_at is null")
        .bind(super::now())
        .bind(reason)
        .bind(hash)
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// Ends every session of an account, inside the transaction that changed it.
pub async fn end_all(
    tx: &mut Transaction<'_, Any>,
    user: i64,
    reason: &str,
) -> Result<u64, StoreError> {
    let done = sqlx::query("update app_session set ended_at = $1, end_reason = $2 where user_id = $3 and ended_at is null")
        .bind(super::now())
        .bind(reason)
        .bind(user)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// An account's live sessions, newest first.
pub async fn of_user(store: &Store, user: i64) -> Result<Vec<SessionRow>, StoreError> {
    Ok(sqlx::query_as("select session_hash, user_id, issued_at, last_seen, address, user_agent from app_session where user_id = $1 and ended_at is null order by issued_at desc")
        .bind(user)
        .fetch_all(&store.pool)
        .await?)
}
