//! Account administration.

use crate::domain::user::{NewPassword, Role, Username};
use crate::domain::{UserId, ValidationError};
use crate::error::{AppError, AppResult};
use crate::store::audit::{self, Actor};
use crate::store::users::{self, User};
use crate::store::{experts, Store, StoreError};
use serde::Deserialize;

/// Input for a new account.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewUserInput {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Role.
    pub role: String,
    /// Expert code to link (expert accounts).
    pub expert_code: String,
}

/// Input for a change.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UserChangeInput {
    /// New role (empty keeps it).
    pub role: String,
    /// Expert code to link (empty unlinks for non-expert roles; `-` unlinks).
    pub expert_code: Option<String>,
    /// Active flag.
    pub active: Option<bool>,
    /// New password (empty keeps it).
    pub password: String,
}

/// The expert record an account links to, checked: it exists, and no other account (than
/// `account`, when changing one) is linked to it — one account per expert, so that answers,
/// applications and the audit trail have one author.
async fn expert_id(
    store: &Store,
    code: &str,
    role: Role,
    account: Option<UserId>,
) -> AppResult<Option<crate::domain::ExpertId>> {
    let code = code.trim();
    if code.is_empty() || code == "-" {
        if role == Role::Expert {
            return Err(ValidationError::new(
                "expert_code",
                "an expert account must be linked to an expert record",
            )
            .into());
        }
        return Ok(None);
    }
    let mut conn = store.pool.acquire().await?;
    match experts::get_by_code(&mut conn, code).await {
        Ok(e) => {
            drop(conn);
            if let Some(other) = users::linked_to(store, e.id, account).await? {
                return Err(AppError::Conflict {
                    message: format!("expert {code} is already linked to the account '{other}': one account per expert"),
                    field: Some("expert_code".into()),
                });
            }
            Ok(Some(e.id))
        }
        Err(StoreError::NotFound) => {
            Err(ValidationError::new("expert_code", format!("no expert with code '{code}'")).into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates an account.
pub async fn create(store: &Store, actor: &Actor, input: NewUserInput) -> AppResult<User> {
    let username = Username::parse(&input.username)?;
    let password = NewPassword::parse(&input.password)?;
    let role = Role::parse(&input.role)?;
    let expert = expert_id(store, &input.expert_code, role, None).await?;
    let hash = crate::service::auth::hash_password(password.expose())?;
    let mut tx = store.begin_write().await?;
    let id = users::insert(&mut tx, username.as_str(), &hash, role, expert).await?;
    let after = serde_json::json!({"username": username.as_str(), "role": role.as_str(), "expert_code": input.expert_code.trim()});
    audit::record(
        &mut tx,
        actor,
        "user.create",
        "user",
        username.as_str(),
        None,
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    users::get(store, id)
        .await?
        .ok_or_else(|| AppError::NotFound("user".into()))
}

/// Changes an account.
pub async fn change(
    store: &Store,
    actor: &Actor,
    id: UserId,
    input: UserChangeInput,
) -> AppResult<User> {
    let before = users::get(store, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("user {id}")))?;
    let role = if input.role.trim().is_empty() {
        before.role
    } else {
        Role::parse(&input.role)?
    };
    let expert = match &input.expert_code {
        Some(code) => expert_id(store, code, role, Some(id)).await?,
        None if role == Role::Expert && before.expert_id.is_none() => {
            expert_id(store, "", role, Some(id)).await?
        }
        None => before.expert_id,
    };
    let active = input.active.unwrap_or(before.active);
    if actor.user_id == Some(id) && (role != Role::Admin || !active) {
        return Err(AppError::Conflict {
            message: "administrators cannot demote or deactivate themselves".into(),
            field: Some("role".into()),
        });
    }
    let mut tx = store.begin_write().await?;
    users::update(&mut tx, id, role, expert, active).await?;
    if !input.password.is_empty() {
        let password = NewPassword::parse(&input.password)?;
        users::set_password(
            &mut tx,
            id,
            &crate::service::auth::hash_password(password.expose())?,
        )
        .await?;
    }
    // A new password, role or status ends the account's sessions everywhere: a copied cookie
    // or a browser left open must not keep the old rights.
    if !input.password.is_empty() || role != before.role || active != before.active {
        crate::store::sessions::end_all(&mut tx, id.0, "account changed").await?;
    }
    let after = serde_json::json!({"role": role.as_str(), "expert_id": expert.map(|e| e.0), "active": active, "password_changed": !input.password.is_empty()});
    let before_json = serde_json::json!({"role": before.role.as_str(), "expert_id": before.expert_id.map(|e| e.0), "active": before.active});
    audit::record(
        &mut tx,
        actor,
        "user.update",
        "user",
        &before.username,
        Some(&before_json),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    users::get(store, id)
        .await?
        .ok_or_else(|| AppError::NotFound("user".into()))
}
