//! Registrations of strangers and the one-time links (and SMS codes) that activate their
//! accounts or let an existing account set a new password. Each row is also what the
//! per-address and per-domain limits count.

use super::StoreError;
use crate::domain::application::RecentRegistrations;
use crate::domain::UserId;
use sqlx::{Any, AnyConnection, Transaction};

/// What a link is for.
pub const ACTIVATE: &str = "activate";
/// A link sent to someone who already has an account: set a new password.
pub const RESET: &str = "reset";
/// A registration refused as a duplicate (no usable link; counted by the limits).
pub const DUPLICATE: &str = "duplicate";

/// A registration to write.
#[derive(Debug, Clone)]
pub struct NewRegistration<'a> {
    /// `activate`, `reset` or `duplicate`.
    pub purpose: &'a str,
    /// Name as typed.
    pub name: &'a str,
    /// E-mail (lower case).
    pub email: &'a str,
    /// Its domain.
    pub domain: &'a str,
    /// Mobile number.
    pub mobile: &'a str,
    /// The call registered from.
    pub call_id: Option<i64>,
    /// The client's address.
    pub address: &'a str,
    /// SHA-256 of the link token.
    pub token_hash: &'a str,
    /// SHA-256 of the SMS code ('' without one).
    pub code_hash: &'a str,
    /// The account a reset link is for.
    pub user_id: Option<UserId>,
    /// Written at.
    pub now: &'a str,
    /// The link stops working at.
    pub expires_at: &'a str,
}

/// A stored registration.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RegistrationRow {
    /// Id.
    pub registration_id: i64,
    /// What the link is for.
    pub purpose: String,
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Mobile.
    pub mobile: String,
    /// Call registered from.
    pub call_id: Option<i64>,
    /// SHA-256 of the SMS code.
    pub code_hash: String,
    /// Wrong codes entered so far.
    pub code_attempts: i64,
    /// The account (reset links; activated registrations).
    pub user_id: Option<i64>,
    /// The link stops working at.
    pub expires_at: String,
    /// When the link was used.
    pub used_at: Option<String>,
}

const COLUMNS: &str = "registration_id, purpose, name, email, mobile, call_id, code_hash, code_attempts, user_id, expires_at, used_at";

/// Registrations started since `since` from this address, to this domain, this e-mail and
/// this mobile number.
pub async fn recent(
    tx: &mut Transaction<'_, Any>,
    address: &str,
    domain: &str,
    email: &str,
    mobile: &str,
    since: &str,
) -> Result<RecentRegistrations, StoreError> {
    let (address, domain, email, mobile): (i64, i64, i64, i64) = sqlx::query_as(
        "select
           (select count(*) from registration where address = $1 and created_at >= $4),
           (select count(*) from registration where email_domain = $2 and created_at >= $4),
           (select count(*) from registration where email = $3 and created_at >= $4),
           (select count(*) from registration where mobile = $5 and created_at >= $4)",
    )
    .bind(address)
    .bind(domain)
    .bind(email)
    .bind(since)
    .bind(mobile)
    .fetch_one(&mut **tx)
    .await?;
    Ok(RecentRegistrations {
        address,
        domain,
        email,
        mobile,
    })
}

/// Writes a registration.
pub async fn insert(
    tx: &mut Transaction<'_, Any>,
    r: &NewRegistration<'_>,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "insert into registration (purpose, name, email, email_domain, mobile, call_id, address, token_hash, code_hash, user_id, created_at, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning registration_id",
    )
    .bind(r.purpose)
    .bind(r.name)
    .bind(r.email)
    .bind(r.domain)
    .bind(r.mobile)
    .bind(r.call_id)
    .bind(r.address)
    .bind(r.token_hash)
    .bind(r.code_hash)
    .bind(r.user_id.map(|u| u.0))
    .bind(r.now)
    .bind(r.expires_at)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// The registration a link's token belongs to.
pub async fn by_token(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<RegistrationRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from registration where token_hash = $1 and purpose <> 'duplicate'"
    ))
    .bind(token_hash)
    .fetch_optional(conn)
    .await?)
}

/// The latest unused activation of a mobile number that has an SMS code.
pub async fn latest_with_code(
    conn: &mut AnyConnection,
    mobile: &str,
) -> Result<Option<RegistrationRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from registration
         where mobile = $1 and purpose = 'activate' and code_hash <> '' and used_at is null
         order by registration_id desc limit 1"
    ))
    .bind(mobile)
    .fetch_optional(conn)
    .await?)
}

/// Counts a wrong SMS code.
pub async fn count_wrong_code(conn: &mut AnyConnection, id: i64) -> Result<(), StoreError> {
    sqlx::query(
        "update registration set code_attempts = code_attempts + 1 where registration_id = $1",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a link used (by the account it made or reset); false when it was used meanwhile.
pub async fn mark_used(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    user: UserId,
    now: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "update registration set used_at = $1, user_id = $2 where registration_id = $3 and used_at is null",
    )
    .bind(now)
    .bind(user.0)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An existing account that a registration's e-mail or mobile number leads to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Holder {
    /// The account.
    pub user_id: i64,
    /// Its login name.
    pub username: String,
    /// The holder's own name (the expert record's, else the registered one).
    pub name: String,
    /// The e-mail on file ('' when none).
    pub email: String,
    /// The mobile number on file ('' when none).
    pub phone: String,
    /// Whether the account may sign in (1/0).
    pub active: i64,
}

const HOLDER: &str = "select u.user_id, u.username, coalesce(e.name, u.display_name) as name,
        coalesce(nullif(u.email, ''), e.email, '') as email,
        coalesce(nullif(u.mobile, ''), e.phone, '') as phone, u.active
     from app_user u left join expert e on e.expert_id = u.expert_id";

/// The account registered with this e-mail, or linked to an expert record that has it.
pub async fn account_by_email(
    tx: &mut Transaction<'_, Any>,
    email: &str,
) -> Result<Option<Holder>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "{HOLDER} where u.email = $1 or lower(coalesce(e.email, '')) = $1 order by u.active desc, u.user_id limit 1"
    ))
    .bind(email)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The account that proved this mobile number (by SMS code), or is linked to an expert record
/// that has it.
pub async fn account_by_mobile(
    tx: &mut Transaction<'_, Any>,
    mobile: &str,
) -> Result<Option<Holder>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "{HOLDER} where (u.mobile = $1 and u.mobile_verified = 1)
            or replace(replace(replace(coalesce(e.phone, ''), '-', ''), ' ', ''), '+86', '') = $1
         order by u.active desc, u.user_id limit 1"
    ))
    .bind(mobile)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Stores what a self-registered account was registered with, and which of the e-mail
/// (`by_link`) or the mobile number (else) it proved.
pub async fn set_contact(
    tx: &mut Transaction<'_, Any>,
    user: UserId,
    name: &str,
    email: &str,
    mobile: &str,
    by_link: bool,
) -> Result<(), StoreError> {
    sqlx::query(
        "update app_user set display_name = $1, email = $2, mobile = $3, email_verified = $4, mobile_verified = $5 where user_id = $6",
    )
    .bind(name)
    .bind(email)
    .bind(mobile)
    .bind(i64::from(by_link))
    .bind(i64::from(!by_link))
    .bind(user.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What a self-registered account was registered with: name, e-mail, mobile.
pub async fn contact(
    conn: &mut AnyConnection,
    user: UserId,
) -> Result<(String, String, String), StoreError> {
    Ok(
        sqlx::query_as("select display_name, email, mobile from app_user where user_id = $1")
            .bind(user.0)
            .fetch_one(conn)
            .await?,
    )
}

/// The contact details an account proved: the e-mail and the mobile number ('' for one it
/// did not prove).
pub async fn proven_contact(
    conn: &mut AnyConnection,
    user: UserId,
) -> Result<(String, String), StoreError> {
    Ok(sqlx::query_as(
        "select case when email_verified = 1 then email else '' end,
                case when mobile_verified = 1 then mobile else '' end
         from app_user where user_id = $1",
    )
    .bind(user.0)
    .fetch_one(conn)
    .await?)
}
