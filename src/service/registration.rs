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

/// How long an activation link (and an SMS code) works.
pub const LINK_HOURS: i64 = 48;
/// How long a link to set a new password works.
pub const RESET_HOURS: i64 = 2;
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

/// Registers a stranger (from a call's page, `call`). Only the e-mail decides what is sent:
/// a new address gets its activation link; an address that already belongs to an account gets
/// (at that same address) the login name and a link to set a new password. A known mobile
/// number with a new e-mail changes nothing for the stranger (it is not proven yet); the
/// holder of that number is told at their own address. So the page, and the mailbox of the
/// person registering, read the same whoever is known. Only the limits and a wrong field
/// answer differently.
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
        if found.status(crate::clock::today()) != crate::domain::call::CallStatus::Open {
            return Err(AppError::Conflict {
                message: format!(
                    "the call '{}' takes applications from {} to {}",
                    found.title, found.opens_on, found.closes_on
                ),
                field: Some("call".into()),
            });
        }
    }
    let address = crate::domain::application::throttle_address(address);
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
        &address,
        person.domain(),
        person.email.as_str(),
        person.mobile.as_str(),
        &stamp(now - Duration::hours(1)),
    )
    .await?;
    if let Some(limit) = limits.exceeded(recent) {
        return Err(AppError::TooManyRequests(format!(
            "too many registrations from this {}: try again in an hour",
            match limit {
                "address" => "network address",
                "email_domain" => "e-mail domain",
                "mobile" => "mobile number",
                _ => "e-mail address",
            }
        )));
    }
    let token = random_token();
    let holder = store_r::account_by_email(&mut tx, person.email.as_str()).await?;
    let code = match (&holder, store.messaging.sms_url.is_some()) {
        (None, true) => Some(random_code()),
        _ => None,
    };
    let purpose = match &holder {
        Some(h) if h.active == 1 => store_r::RESET,
        // A deactivated account: nothing is sent, nothing is made (the bureau decides).
        Some(_) => store_r::DUPLICATE,
        None => store_r::ACTIVATE,
    };
    let hours = if purpose == store_r::RESET {
        RESET_HOURS
    } else {
        LINK_HOURS
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
            address: &address,
            token_hash: &sha256(&token),
            code_hash: &code.as_deref().map(sha256).unwrap_or_default(),
            user_id: holder.as_ref().map(|h| UserId(h.user_id)),
            now: &stamp(now),
            expires_at: &stamp(now + Duration::hours(hours)),
        },
    )
    .await?;
    match &holder {
        Some(h) if h.active == 1 => {
            // To the holder, by their own name (not what the stranger typed).
            // (By SMS when the holder has no e-mail on file: the login name, no link.)
            let to = notify::Recipient {
                expert_id: None,
                name: &h.name,
                email: Some(&h.email),
                phone: if h.email.is_empty() { &h.phone } else { "" },
            };
            notify::existing_account(&mut tx, store, &to, &h.username, &token, hours).await?;
        }
        Some(_) => {}
        None => {
            let to = notify::Recipient {
                expert_id: None,
                name: &person.name,
                email: Some(person.email.as_str()),
                phone: person.mobile.as_str(),
            };
            notify::activation(&mut tx, store, &to, &token, code.as_deref(), hours).await?;
            if let Some(h) = store_r::account_by_mobile(&mut tx, person.mobile.as_str())
                .await?
                .filter(|h| h.active == 1)
            {
                let to = notify::Recipient {
                    expert_id: None,
                    name: &h.name,
                    email: (!h.email.is_empty()).then_some(h.email.as_str()),
                    phone: &h.phone,
                };
                notify::mobile_used(&mut tx, store, &to, &h.username).await?;
            }
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

/// Uses a link: creates the account with this password (its login name is the e-mail
/// address, now proven), or sets the existing account's new password. A link works once.
pub async fn activate(store: &Store, token: &str, password: &str) -> AppResult<Activated> {
    let password = NewPassword::parse(password)?;
    let hash = auth::hash_password(password.expose())?;
    let mut tx = store.begin_write().await?;
    let row = store_r::by_token(&mut tx, &sha256(token))
        .await?
        .filter(usable)
        .ok_or_else(dead_link)?;
    let done = finish(&mut tx, &row, &hash, true).await?;
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
    let wrong = || ValidationError::new("sms_code", "the code is wrong or no longer valid");
    let mut tx = store.begin_write().await?;
    if store.backend == crate::store::Backend::Postgres {
        // One guess at a time per database: parallel guesses cannot pass the attempt limit.
        sqlx::query("lock table registration in share row exclusive mode")
            .execute(&mut *tx)
            .await?;
    }
    let row = store_r::latest_with_code(&mut tx, mobile.as_str())
        .await?
        .filter(|r| usable(r) && r.code_attempts < CODE_ATTEMPTS)
        .ok_or_else(wrong)?;
    if sha256(code.trim()) != row.code_hash {
        store_r::count_wrong_code(&mut tx, row.registration_id).await?;
        tx.commit().await?;
        return Err(wrong().into());
    }
    // Hashed only for a right code: wrong guesses cost the service nothing.
    let hash = auth::hash_password(password.expose())?;
    let done = finish(&mut tx, &row, &hash, false).await?;
    tx.commit().await?;
    Ok(done)
}

/// Makes the account (or sets the new password) for a used link (`by_link`) or SMS code.
async fn finish(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    row: &store_r::RegistrationRow,
    hash: &str,
    by_link: bool,
) -> AppResult<Activated> {
    let now = crate::store::now();
    let (user, action) = if row.purpose == store_r::RESET {
        let user = UserId(row.user_id.ok_or_else(dead_link)?);
        users::set_password(tx, user, hash).await?;
        crate::store::sessions::end_all(tx, user.0, "password reset").await?;
        (user, "user.password_reset")
    } else {
        // Someone may have made an account with this e-mail since the link left.
        if store_r::account_by_email(tx, &row.email).await?.is_some() {
            return Err(AppError::Conflict {
                message: "an account with this e-mail address exists already: sign in with it"
                    .into(),
                field: Some("email".into()),
            });
        }
        // No second account for a number that already has one (its holder was told when this
        // registration came in). Only someone holding the mailbox reads this, never the
        // registration page.
        if store_r::account_by_mobile(tx, &row.mobile).await?.is_some() {
            return Err(AppError::Conflict {
                message: "an account with this mobile number exists already: sign in with it (its holder has been told)".into(),
                field: Some("mobile".into()),
            });
        }
        (
            create_account(tx, row, hash, by_link).await?,
            "user.register",
        )
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
/// it), whose login name is the e-mail address.
async fn create_account(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    row: &store_r::RegistrationRow,
    hash: &str,
    by_link: bool,
) -> AppResult<UserId> {
    let user = users::insert(tx, &row.email, hash, Role::Expert, None)
        .await
        .map_err(|e| match e {
            StoreError::Duplicate { .. } => AppError::Conflict {
                message: "an account with this e-mail address exists already: sign in with it"
                    .into(),
                field: Some("email".into()),
            },
            other => other.into(),
        })?;
    store_r::set_contact(tx, user, &row.name, &row.email, &row.mobile, by_link).await?;
    Ok(user)
}
