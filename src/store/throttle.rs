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

/// Takes one attempt for every key, or refuses when any key is locked: counting and charging
/// are one step under the write lock, so however many attempts arrive at once, at most
/// `MAX_FAILURES` passwords are checked per key and window. The charge stands as a failure
/// unless [`settle_success`] takes it back.
pub async fn charge(store: &Store, keys: &[String]) -> Result<Option<Vec<i64>>, StoreError> {
    let mut tx = store.begin_write().await?;
    if store.backend == super::Backend::Postgres {
        sqlx::query("lock table login_failure in share row exclusive mode")
            .execute(&mut *tx)
            .await?;
    }
    let since = since();
    for key in keys {
        let (n,): (i64,) = sqlx::query_as(
            "select count(*) from login_failure where throttle_key = $1 and at >= $2",
        )
        .bind(key)
        .bind(&since)
        .fetch_one(&mut *tx)
        .await?;
        if n >= MAX_FAILURES {
            return Ok(None);
        }
    }
    let mut ids = Vec::with_capacity(keys.len());
    for key in keys {
        let (id,): (i64,) = sqlx::query_as(
            "insert into login_failure (throttle_key, at) values ($1, $2) returning login_failure_id",
        )
        .bind(key)
        .bind(super::now())
        .fetch_one(&mut *tx)
        .await?;
        ids.push(id);
    }
    tx.commit().await?;
    Ok(Some(ids))
}

/// After a right password: takes back this attempt's charges and clears the account's
/// earlier failures (the address keeps its own).
pub async fn settle_success(
    store: &Store,
    charges: &[i64],
    account: &str,
) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    for id in charges {
        sqlx::query("delete from login_failure where login_failure_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("delete from login_failure where throttle_key = $1")
        .bind(account)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
