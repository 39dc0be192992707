//! The audit log: who did what, when, with the before and after state. Append-only.

use super::{Store, StoreError};
use crate::domain::UserId;
use serde::Serialize;
use sqlx::{Any, Transaction};

/// Who acts: a user, or the system (import, bootstrap).
#[derive(Debug, Clone)]
pub struct Actor {
    /// User id, `None` for the command line.
    pub user_id: Option<UserId>,
    /// Name shown in the log.
    pub name: String,
}

impl Actor {
    /// The command line / system actor.
    pub fn system(what: &str) -> Self {
        Actor {
            user_id: None,
            name: format!("system:{what}"),
        }
    }
}

/// One entry.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    /// Id.
    pub audit_id: i64,
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub actor: String,
    /// What: `expert.create`, `expert.update`, `user.create`, `session.login` …
    pub action: String,
    /// Entity kind.
    pub entity: String,
    /// Entity reference (code or id).
    pub entity_ref: String,
    /// State before (JSON).
    pub before_json: Option<String>,
    /// State after (JSON).
    pub after_json: Option<String>,
}

/// Appends an entry inside the caller's transaction, so the log and the change commit together.
pub async fn record(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_ref: &str,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Result<(), StoreError> {
    sqlx::query("insert into audit (at, actor_user_id, actor, action, entity, entity_ref, before_json, after_json) values ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(super::now())
        .bind(actor.user_id.map(|u| u.0))
        .bind(&actor.name)
        .bind(action)
        .bind(entity)
        .bind(entity_ref)
        .bind(before.map(|v| v.to_string()))
        .bind(after.map(|v| v.to_string()))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The entries of one entity whose action starts with `action`, oldest first.
pub async fn of_entity(
    store: &Store,
    entity: &str,
    entity_ref: &str,
    action: &str,
) -> Result<Vec<AuditEntry>, StoreError> {
    Ok(sqlx::query_as("select audit_id, at, actor, action, entity, entity_ref, before_json, after_json from audit where entity = $1 and entity_ref = $2 and action like $3 order by audit_id")
        .bind(entity)
        .bind(entity_ref)
        .bind(format!("{action}%"))
        .fetch_all(&store.pool)
        .await?)
}

/// Filters of the audit view.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Actor name part.
    pub actor: String,
    /// Action prefix (`expert`, `expert.update`).
    pub action: String,
    /// Entity reference.
    pub entity_ref: String,
    /// From date (inclusive, `YYYY-MM-DD`).
    pub from: String,
    /// To date (inclusive).
    pub to: String,
    /// Page, 1-based.
    pub page: i64,
    /// Page size.
    pub per_page: i64,
    /// Column to sort by: `at` (default), `actor`, `action`, `entity`.
    pub sort: String,
    /// Oldest (or A to Z) first; the default is newest first.
    pub ascending: bool,
}

/// A page of entries, newest first, and the total.
pub async fn search(store: &Store, f: &AuditFilter) -> Result<(Vec<AuditEntry>, i64), StoreError> {
    let conditions = "($1 = '' or lower(actor) like $2) and ($3 = '' or action like $4) and ($5 = '' or entity_ref = $5) and ($6 = '' or at >= $6) and ($7 = '' or at < $8)";
    let to_next = chrono::NaiveDate::parse_from_str(f.to.trim(), "%Y-%m-%d")
        .map(|d| (d + chrono::Duration::days(1)).to_string())
        .unwrap_or_default();
    macro_rules! bind_filter {
        ($q:expr) => {
            $q.bind(f.actor.trim().to_string())
                .bind(format!("%{}%", f.actor.trim().to_lowercase()))
                .bind(f.action.trim().to_string())
                .bind(format!("{}%", f.action.trim()))
                .bind(f.entity_ref.trim().to_string())
                .bind(f.from.trim().to_string())
                .bind(f.to.trim().to_string())
                .bind(to_next.clone())
        };
    }
    let count_sql = format!("select count(*) from audit where {conditions}");
    let (total,): (i64,) = bind_filter!(sqlx::query_as(&count_sql))
        .fetch_one(&store.pool)
        .await?;
    let per_page = f.per_page.clamp(1, 500);
    // Bounded, so that no page number can overflow the offset.
    let offset = (f.page.clamp(1, 100_000) - 1) * per_page;
    // (a fixed list: nothing typed reaches the statement)
    let column = match f.sort.as_str() {
        "actor" => "actor",
        "action" => "action",
        "entity" => "entity_ref",
        _ => "audit_id",
    };
    let dir = if f.ascending { "asc" } else { "desc" };
    let sql = format!("select audit_id, at, actor, action, entity, entity_ref, before_json, after_json from audit where {conditions} order by {column} {dir}, audit_id {dir} limit {per_page} offset {offset}");
    let rows: Vec<AuditEntry> = bind_filter!(sqlx::query_as(&sql))
        .fetch_all(&store.pool)
        .await?;
    Ok((rows, total))
}
