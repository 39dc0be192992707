//! Passwords, login with rate limiting, and the first administrator.

use crate::error::{AppError, AppResult};
use crate::store::audit::{self, Actor};
use crate::store::users::{self, User};
use crate::store::{throttle, Store};
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;

/// An argon2id hash with its own salt.
pub fn hash_password(password: &str) -> AppResult<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("hashing failed: {e}")))
}

/// Whether `password` matches the stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so that the answer takes as
/// long as for a real account and does not tell which usernames exist.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("no such account").unwrap_or_default())
}

/// Checks credentials. Five failures of an account within 15 minutes lock that account,
/// whatever the address. Failures from one address slow that address down, and past ten
/// only a right password gets through from it: a colleague on the same office address is not
/// locked out by someone else's guesses, while guessing from it stops. The attempt is charged
/// before the password is checked (see `throttle::charge`).
pub async fn login(
    store: &Store,
    username: &str,
    password: &str,
    ip: Option<String>,
) -> AppResult<User> {
    let account = format!("user:{}", username.trim().to_lowercase());
    let address = ip.map(|ip| format!("ip:{ip}"));
    let Some(charge) = throttle::charge(store, &account, address.as_deref()).await? else {
        return Err(AppError::TooManyRequests(format!(
            "too many failed logins for this account: try again in {} minutes",
            throttle::WINDOW_MINUTES
        )));
    };
    tokio::time::sleep(throttle::delay(charge.address_failures)).await;
    // Self-registered accounts sign in with their e-mail address, in any case.
    let name = if username.contains('@') {
        username.trim().to_lowercase()
    } else {
        username.trim().to_string()
    };
    let found = users::by_username(store, &name).await?;
    let (hash, user) = match found {
        Some((user, hash)) => (hash, Some(user)),
        None => (dummy_hash().to_string(), None),
    };
    let password = password.to_string();
    let right = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    match user {
        Some(user) if right && user.active => {
            throttle::settle_success(store, &charge.ids, &account).await?;
            let mut tx = store.begin_write().await?;
            audit::record(
                &mut tx,
                &Actor {
                    user_id: Some(user.id),
                    name: user.username.clone(),
                },
                "session.login",
                "user",
                &user.username,
                None,
                None,
            )
            .await?;
            tx.commit().await?;
            Ok(user)
        }
        _ if charge.address_failures >= throttle::ADDRESS_LOCK => {
            Err(AppError::TooManyRequests(format!(
                "too many failed logins from this address: try again in {} minutes",
                throttle::WINDOW_MINUTES
            )))
        }
        _ => Err(AppError::Unauthorized("wrong username or password".into())),
    }
}

/// Creates the first administrator when there is no user at all. Returns the generated
/// password when none was configured, so the caller can print it once.
pub async fn bootstrap_admin(store: &Store, password: Option<&str>) -> AppResult<Option<String>> {
    if users::count(store).await? > 0 {
        return Ok(None);
    }
    let (password, generated) = match password {
        Some(p) => (p.to_string(), false),
        None => {
            use rand::RngExt;
            let alphabet: Vec<char> = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
                .chars()
                .collect();
            let mut rng = rand::rng();
            (
                (0..16)
                    .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                    .collect(),
                true,
            )
        }
    };
    let hash = hash_password(&password)?;
    let mut tx = store.begin_write().await?;
    users::insert(
        &mut tx,
        "admin",
        &hash,
        crate::domain::user::Role::Admin,
        None,
    )
    .await?;
    audit::record(
        &mut tx,
        &Actor::system("bootstrap"),
        "user.create",
        "user",
        "admin",
        None,
        Some(&serde_json::json!({"role": "admin"})),
    )
    .await?;
    tx.commit().await?;
    Ok(generated.then_some(password))
}
