//! Self-registration from a call's page: limited per address, e-mail domain and e-mail
//! address; activated by an e-mailed link (or an SMS code where a gateway is configured);
//! a person who already has an account is told (at that account's address) how to sign in,
//! while the stranger at the keyboard always reads the same "check your mailbox".

use crate::domain::application::{RegistrationInput, RegistrationLimits};
use crate::domain::user::{NewPassword, Role};
use crate::domain::{UserId, ValidationError};
use crate::error::{AppError, AppResult};
use crate::service::{auth, notify};
use crate::store::audit::{self, Actor};
use crate::store::registrations::{self as store_r, NewRegistration};
use crate::store::{users, Store, StoreError};
use chrono::{Duration, Utc};

/// How long a link (and an SMS code) works.
pub const LINK_HOURS: i64 = 48;
/// Wrong SMS codes after which a code stops working.
pub const CODE_ATTEMPTS: i64 = 5;

fn sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn random_token() -> String {
    use rand::RngExt;
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

fn random_code() -> String {
    use rand::RngExt;
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

fn stamp(at: chrono::DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Registers a stranger (from a call's page, `call`), or tells the holder of an existing
/// account with that e-mail or mobile number how to sign in. The caller shows the same page
/// either way; only the limits and a wrong field give a different answer.
pub async fn register(
    store: &Store,
    input: &RegistrationInput,
    call: Option<i64>,
    address: &str,
    limits: RegistrationLimits,
) -> AppResult<()> {
    let person = input.parse()?;
    if let Some(call) = call {
        let found = crate::service::calls::get(store, call).await?;
        if found.status(crate::clock::today()) == crate::domain::call::CallStatus::Closed {
            return Err(AppError::Conflict {
                message: format!(
                    "the call '{}' takes applications from {} to {}",
                    found.title, found.opens_on, found.closes_on
                ),
                field: Some("call".into()),
            });
        }
    }
    let now = Utc::now();
    let mut tx = store.begin_write().await?;
    if store.backend == crate::store::Backend::Postgres {
        // Counting and writing as one step, however many registrations arrive at once.
        sqlx::query("lock table registration in share row exclusive mode")
            .execute(&mut *tx)
            .await?;
    }
    let recent = store_r::recent(
        &mut tx,
        address,
        person.domain(),
        person.email.as_str(),
        &stamp(now - Duration::hours(1)),
    )
    .await?;
    if let Some(limit) = limits.exceeded(recent) {
        return Err(AppError::TooManyRequests(format!(
            "too many registrations from this {}: try again in an hour",
            match limit {
                "address" => "network address",
                "email_domain" => "e-mail domain",
                _ => "e-mail address",
            }
        )));
    }
    let token = random_token();
    let expires = stamp(now + Duration::hours(LINK_HOURS));
    let existing =
        store_r::account_with_contact(&mut tx, person.email.as_str(), person.mobile.as_str())
            .await?;
    let code = match (&existing, store.messaging.sms_url.is_some()) {
        (None, true) => Some(random_code()),
        _ => None,
    };
    let purpose = match &existing {
        Some((_, _, email)) if !email.is_empty() => store_r::RESET,
        Some(_) => store_r::DUPLICATE,
        None => store_r::ACTIVATE,
    };
    store_r::insert(
        &mut tx,
        &NewRegistration {
            purpose,
            name: &person.name,
            email: person.email.as_str(),
            domain: person.domain(),
            mobile: person.mobile.as_str(),
            call_id: call,
            address,
            token_hash: &sha256(&token),
            code_hash: &code.as_deref().map(sha256).unwrap_or_default(),
            user_id: existing.as_ref().map(|(user, _, _)| *user),
            now: &stamp(now),
            expires_at: &expires,
        },
    )
    .await?;
    match &existing {
        // The message goes to the address on the account, not to the one typed: a stranger
        // who typed someone's mobile number learns nothing and gets no link.
        Some((_, username, email)) if !email.is_empty() => {
            let to = notify::Recipient {
                expert_id: None,
                name: &person.name,
                email: Some(email),
                phone: "",
            };
            notify::existing_account(&mut tx, store, &to, username, &token, LINK_HOURS).await?;
        }
        Some(_) => {}
        None => {
            let to = notify::Recipient {
                expert_id: None,
                name: &person.name,
                email: Some(person.email.as_str()),
                phone: person.mobile.as_str(),
            };
            notify::activation(&mut tx, store, &to, &token, code.as_deref(), LINK_HOURS).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// What an unused link is for, and for whom.
#[derive(Debug, Clone)]
pub struct LinkView {
    /// `activate` (a new account) or `reset` (a new password for an existing one).
    pub purpose: String,
    /// Name registered.
    pub name: String,
    /// The call registered from.
    pub call_id: Option<i64>,
}

fn dead_link() -> AppError {
    AppError::NotFound("this link does not work any more (used, expired or mistyped): register again from the call's page".into())
}

fn usable(row: &store_r::RegistrationRow) -> bool {
    row.used_at.is_none() && row.expires_at.as_str() > stamp(Utc::now()).as_str()
}

/// Reads a link before its password form is shown.
pub async fn link(store: &Store, token: &str) -> AppResult<LinkView> {
    let mut conn = store.pool.acquire().await?;
    let row = store_r::by_token(&mut conn, &sha256(token))
        .await?
        .filter(usable)
        .ok_or_else(dead_link)?;
    Ok(LinkView {
        purpose: row.purpose,
        name: row.name,
        call_id: row.call_id,
    })
}

/// The account a used link made or reset, for the session that starts.
#[derive(Debug, Clone)]
pub struct Activated {
    /// The account.
    pub user: UserId,
    /// Its login name.
    pub username: String,
    /// The call registered from (where the applicant goes next).
    pub call_id: Option<i64>,
}

/// Uses a link: creates the account with this password (its login name is the mobile
/// number), or sets the existing account's new password. A link works once.
pub async fn activate(store: &Store, token: &str, password: &str) -> AppResult<Activated> {
    let password = NewPassword::parse(password)?;
    let hash = auth::hash_password(password.expose())?;
    let mut tx = store.begin_write().await?;
    let row = store_r::by_token(&mut tx, &sha256(token))
        .await?
        .filter(usable)
        .ok_or_else(dead_link)?;
    let done = finish(&mut tx, &row, &hash).await?;
    tx.commit().await?;
    Ok(done)
}

/// Uses an SMS code instead of the link: the latest unused activation of the number, at most
/// `CODE_ATTEMPTS` wrong codes.
pub async fn activate_by_code(
    store: &Store,
    mobile: &str,
    code: &str,
    password: &str,
) -> AppResult<Activated> {
    let mobile = crate::domain::application::Mobile::parse(mobile)?;
    let password = NewPassword::parse(password)?;
    let hash = auth::hash_password(password.expose())?;
    let wrong = || ValidationError::new("sms_code", "the code is wrong or no longer valid");
    let mut tx = store.begin_write().await?;
    let row = store_r::latest_with_code(&mut tx, mobile.as_str())
        .await?
        .filter(|r| usable(r) && r.code_attempts < CODE_ATTEMPTS)
        .ok_or_else(wrong)?;
    if sha256(code.trim()) != row.code_hash {
        store_r::count_wrong_code(&mut tx, row.registration_id).await?;
        tx.commit().await?;
        return Err(wrong().into());
    }
    let done = finish(&mut tx, &row, &hash).await?;
    tx.commit().await?;
    Ok(done)
}

async fn finish(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    row: &store_r::RegistrationRow,
    hash: &str,
) -> AppResult<Activated> {
    let now = crate::store::now();
    let (user, action) = if row.purpose == store_r::RESET {
        let user = UserId(row.user_id.ok_or_else(dead_link)?);
        users::set_password(tx, user, hash).await?;
        crate::store::sessions::end_all(tx, user.0, "password reset").await?;
        (user, "user.password_reset")
    } else {
        // Someone may have made an account with this e-mail or number since the link left.
        if store_r::account_with_contact(tx, &row.email, &row.mobile)
            .await?
            .is_some()
        {
            return Err(AppError::Conflict {
                message: "an account with this e-mail address or mobile number exists already: sign in with it".into(),
                field: Some("email".into()),
            });
        }
        (create_account(tx, row, hash).await?, "user.register")
    };
    if !store_r::mark_used(tx, row.registration_id, user, &now).await? {
        return Err(dead_link());
    }
    let username = users::username(tx, user).await?;
    audit::record(
        tx,
        &Actor {
            user_id: Some(user),
            name: username.clone(),
        },
        action,
        "user",
        &username,
        None,
        Some(&serde_json::json!({"name": row.name, "email": row.email, "mobile": row.mobile, "call": row.call_id})),
    )
    .await?;
    Ok(Activated {
        user,
        username,
        call_id: row.call_id,
    })
}

/// An expert account without an expert record yet (the application makes one when staff pass
/// it), named by the mobile number (or the number and a suffix when that name is taken).
async fn create_account(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    row: &store_r::RegistrationRow,
    hash: &str,
) -> AppResult<UserId> {
    for suffix in ["", "-2", "-3", "-4", "-5"] {
        let name = format!("{}{suffix}", row.mobile);
        match users::insert(tx, &name, hash, Role::Expert, None).await {
            Ok(user) => {
                store_r::set_contact(tx, user, &row.name, &row.email, &row.mobile).await?;
                return Ok(user);
            }
            Err(StoreError::Duplicate { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict {
        message: "no free login name for this mobile number: ask the bureau".into(),
        field: Some("mobile".into()),
    })
}
