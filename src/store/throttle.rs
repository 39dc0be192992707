//! Login rate limiting: failures per account and per address within a window.

use super::{Store, StoreError};

/// Failures that lock an account.
pub const MAX_FAILURES: i64 = 5;
/// Failures from one address after which each attempt from it waits longer.
pub const ADDRESS_SLOW_AFTER: i64 = 5;
/// Failures from one address after which only a right password gets an answer other than
/// "too many failed logins" (so that guessing usernames from it stops, while a colleague on
/// the same office address who types their right password still gets in).
pub const ADDRESS_LOCK: i64 = 10;
/// Lock window in minutes.
pub const WINDOW_MINUTES: i64 = 15;

fn since() -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(WINDOW_MINUTES))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// One attempt's charge: the failure rows written for it (taken back on success) and how
/// many failures its address already had in the window.
#[derive(Debug, Clone)]
pub struct Charge {
    /// Rows to take back if the password is right.
    pub ids: Vec<i64>,
    /// Earlier failures from the address in the window.
    pub address_failures: i64,
}

async fn failures(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    key: &str,
    since: &str,
) -> Result<i64, StoreError> {
    let (n,): (i64,) =
        sqlx::query_as("select count(*) from login_failure where throttle_key = $1 and at >= $2")
            .bind(key)
            .bind(since)
            .fetch_one(&mut **tx)
            .await?;
    Ok(n)
}

/// Takes one attempt for the account and the address, or refuses (`None`) when the account is
/// locked: counting and charging are one step under the write lock, so however many attempts
/// arrive at once, at most `MAX_FAILURES` passwords are checked per account and window. An
/// address is never refused here: its count slows it down and, past `ADDRESS_LOCK`, turns
/// wrong answers into "too many" (see `service::auth::login`). The charge stands as a failure
/// unless [`settle_success`] takes it back.
pub async fn charge(
    store: &Store,
    account: &str,
    address: Option<&str>,
) -> Result<Option<Charge>, StoreError> {
    let mut tx = store.begin_write().await?;
    if store.backend == super::Backend::Postgres {
        sqlx::query("lock table login_failure in share row exclusive mode")
            .execute(&mut *tx)
            .await?;
    }
    let since = since();
    if failures(&mut tx, account, &since).await? >= MAX_FAILURES {
        return Ok(None);
    }
    let address_failures = match address {
        Some(key) => failures(&mut tx, key, &since).await?,
        None => 0,
    };
    let mut ids = Vec::with_capacity(2);
    for key in std::iter::once(account).chain(address) {
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
    Ok(Some(Charge {
        ids,
        address_failures,
    }))
}

/// How long an attempt from an address with `failures` earlier failures waits before its
/// password is checked: nothing for the first few, then 200 ms more per failure, at most 3 s.
pub fn delay(failures: i64) -> std::time::Duration {
    let extra = (failures - ADDRESS_SLOW_AFTER + 1).max(0) as u64;
    std::time::Duration::from_millis((extra * 200).min(3000))
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

#[cfg(test)]
mod tests {
    #[test]
    fn an_address_slows_down_after_a_few_failures() {
        assert_eq!(super::delay(0).as_millis(), 0);
        assert_eq!(super::delay(4).as_millis(), 0);
        assert_eq!(super::delay(5).as_millis(), 200);
        assert_eq!(super::delay(9).as_millis(), 1000);
        assert_eq!(super::delay(100).as_millis(), 3000);
    }
}
