//! Accounts.

use super::{on_unique, Store, StoreError};
use crate::domain::user::Role;
use crate::domain::{ExpertId, UserId};
use serde::Serialize;
use sqlx::{Any, Transaction};

/// An account (without its hash).
#[derive(Debug, Clone, Serialize)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Linked expert record (expert accounts).
    pub expert_id: Option<ExpertId>,
    /// Whether the account may log in.
    pub active: bool,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    user_id: i64,
    username: String,
    role: String,
    expert_id: Option<i64>,
    active: i64,
    password_hash: String,
}

impl UserRow {
    fn into_user(self) -> Result<(User, String), StoreError> {
        let role = Role::parse(&self.role).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok((
            User {
                id: UserId(self.user_id),
                username: self.username,
                role,
                expert_id: self.expert_id.map(ExpertId),
                active: self.active != 0,
            },
            self.password_hash,
        ))
    }
}

const COLUMNS: &str = "user_id, username, role, expert_id, active, password_hash";

/// A user and their password hash, by name.
pub async fn by_username(
    store: &Store,
    username: &str,
) -> Result<Option<(User, String)>, StoreError> {
    let row: Option<UserRow> = sqlx::query_as(&format!(
        "select {COLUMNS} from app_user where username = $1"
    ))
    .bind(username)
    .fetch_optional(&store.pool)
    .await?;
    row.map(UserRow::into_user).transpose()
}

/// A user by id.
pub async fn get(store: &Store, id: UserId) -> Result<Option<User>, StoreError> {
    let row: Option<UserRow> = sqlx::query_as(&format!(
        "select {COLUMNS} from app_user where user_id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&store.pool)
    .await?;
    Ok(row.map(UserRow::into_user).transpose()?.map(|(u, _)| u))
}

/// Every user, by name.
pub async fn list(store: &Store) -> Result<Vec<User>, StoreError> {
    let rows: Vec<UserRow> =
        sqlx::query_as(&format!("select {COLUMNS} from app_user order by username"))
            .fetch_all(&store.pool)
            .await?;
    rows.into_iter()
        .map(|r| r.into_user().map(|(u, _)| u))
        .collect()
}

/// Number of users.
pub async fn count(store: &Store) -> Result<i64, StoreError> {
    let (n,): (i64,) = sqlx::query_as("select count(*) from app_user")
        .fetch_one(&store.pool)
        .await?;
    Ok(n)
}

/// Creates a user.
pub async fn insert(
    tx: &mut Transaction<'_, Any>,
    username: &str,
    hash: &str,
    role: Role,
    expert: Option<ExpertId>,
) -> Result<UserId, StoreError> {
    let (id,): (i64,) = sqlx::query_as("insert into app_user (username, password_hash, role, expert_id, active, created_at) values ($1, $2, $3, $4, 1, $5) returning user_id")
        .bind(username)
        .bind(hash)
        .bind(role.as_str())
        .bind(expert.map(|e| e.0))
        .bind(super::now())
        .fetch_one(&mut **tx)
        .await
        .map_err(unique_field)?;
    Ok(UserId(id))
}

/// Which unique rule a write broke: the user name, or one account per expert.
fn unique_field(e: sqlx::Error) -> StoreError {
    let expert = matches!(&e, sqlx::Error::Database(db)
        if db.constraint() == Some("app_user_one_per_expert") || db.message().contains("expert_id"));
    on_unique(e, if expert { "expert_code" } else { "username" })
}

/// The account already linked to an expert, other than `except`.
pub async fn linked_to(
    store: &Store,
    expert: ExpertId,
    except: Option<UserId>,
) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> =
        sqlx::query_as("select username from app_user where expert_id = $1 and user_id <> $2")
            .bind(expert.0)
            .bind(except.map(|u| u.0).unwrap_or(0))
            .fetch_optional(&store.pool)
            .await?;
    Ok(row.map(|(u,)| u))
}

/// Changes role, linked expert and active flag.
pub async fn update(
    tx: &mut Transaction<'_, Any>,
    id: UserId,
    role: Role,
    expert: Option<ExpertId>,
    active: bool,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "update app_user set role = $1, expert_id = $2, active = $3 where user_id = $4",
    )
    .bind(role.as_str())
    .bind(expert.map(|e| e.0))
    .bind(i64::from(active))
    .bind(id.0)
    .execute(&mut **tx)
    .await
    .map_err(unique_field)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Sets a new password hash.
pub async fn set_password(
    tx: &mut Transaction<'_, Any>,
    id: UserId,
    hash: &str,
) -> Result<(), StoreError> {
    sqlx::query("update app_user set password_hash = $1 where user_id = $2")
        .bind(hash)
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An account's login name.
pub async fn username(conn: &mut sqlx::AnyConnection, id: UserId) -> Result<String, StoreError> {
    let (name,): (String,) = sqlx::query_as("select username from app_user where user_id = $1")
        .bind(id.0)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(name)
}
