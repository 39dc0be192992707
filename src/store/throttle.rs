//! Login rate limiting: failures per account and per address within a window.

use super::{Store, StoreError};

/// Failures that lock a key.
pub const MAX_FAILURES: i64 = 5;
/// Lock window in minutes.
pub const WINDOW_MINUTES: i64 = 15;

fn since() -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(WINDOW_MINUTES))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Whether any of the keys is locked.
pub async fn locked(store: &Store, keys: &[String]) -> Result<bool, StoreError> {
    for key in keys {
        let (n,): (i64,) = sqlx::query_as(
            "select count(*) from login_failure where throttle_key = $1 and at >= $2",
        )
        .bind(key)
        .bind(since())
        .fetch_one(&store.pool)
        .await?;
        if n >= MAX_FAILURES {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Records a failure for each key.
pub async fn fail(store: &Store, keys: &[String]) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    for key in keys {
        sqlx::query("insert into login_failure (throttle_key, at) values ($1, $2)")
            .bind(key)
            .bind(super::now())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Clears an account's failures after a successful login.
pub async fn clear(store: &Store, key: &str) -> Result<(), StoreError> {
    sqlx::query("delete from login_failure where throttle_key = $1")
        .bind(key)
        .execute(&store.pool)
        .await?;
    Ok(())
}
