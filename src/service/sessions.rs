//! Sessions: a random token in the (private) cookie, its hash in the database. A session ends
//! at logout, after two idle hours, twelve hours after login, and whenever the account's
//! password, role or status changes — on every instance, since they all read the table.

use crate::error::AppResult;
use crate::store::sessions::{self, SessionRow};
use crate::store::Store;
use chrono::{DateTime, Duration, Utc};

/// Idle time after which a session ends.
pub const IDLE: Duration = Duration::hours(2);
/// Time after login at which a session ends however busy.
pub const ABSOLUTE: Duration = Duration::hours(12);

fn hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Opens a session for `user`; returns the token for the cookie.
pub async fn open(store: &Store, user: i64, address: &str, user_agent: &str) -> AppResult<String> {
    use rand::RngExt;
    let bytes: [u8; 32] = rand::rng().random();
    let token = hex::encode(bytes);
    let agent: String = user_agent.chars().take(200).collect();
    sessions::insert(store, &hash(&token), user, address, &agent).await?;
    Ok(token)
}

fn parse(at: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The live session of a token, or `None` (ending it when it timed out).
pub async fn resolve(store: &Store, token: &str) -> AppResult<Option<SessionRow>> {
    let key = hash(token);
    let Some(session) = sessions::live(store, &key).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    let idle = parse(&session.last_seen).is_none_or(|t| now - t > IDLE);
    let old = parse(&session.issued_at).is_none_or(|t| now - t > ABSOLUTE);
    if idle || old {
        sessions::end(store, &key, if idle { "idle" } else { "expired" }).await?;
        return Ok(None);
    }
    let stale = (now - Duration::minutes(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    sessions::touch(store, &key, &stale).await?;
    Ok(Some(session))
}

/// Ends the session of a token (logout).
pub async fn close(store: &Store, token: &str) -> AppResult<()> {
    sessions::end(store, &hash(token), "logout").await?;
    Ok(())
}

/// Ends every session of an account ("sign out everywhere").
pub async fn close_all(store: &Store, user: i64) -> AppResult<u64> {
    let mut tx = store.begin_write().await?;
    let n = sessions::end_all(&mut tx, user, "signed out everywhere").await?;
    tx.commit().await?;
    Ok(n)
}

/// Whether a session row is the one a token opened (to mark "this browser" on the page).
pub fn is_token_of(token: &str, session: &SessionRow) -> bool {
    hash(token) == session.session_hash
}
