//! Calls for experts and the applications made in answer to them.

use super::audit::Actor;
use super::{Store, StoreError};
use crate::domain::call::{Call, DocumentKind, Sought};
use crate::domain::membership::Pool;
use sqlx::{Any, AnyConnection, Row, Transaction};

const COLUMNS: &str = "call_id, pool, title, body, opens_on, closes_on, sought_json, documents";

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("stored call: {e}"))
}

fn call_of(row: &sqlx::any::AnyRow) -> Result<Call, StoreError> {
    let date = |name: &str| -> Result<chrono::NaiveDate, StoreError> {
        let text: String = row.try_get(name)?;
        chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(corrupt)
    };
    let sought: Vec<Sought> =
        serde_json::from_str(&row.try_get::<String, _>("sought_json")?).map_err(corrupt)?;
    let documents = row
        .try_get::<String, _>("documents")?
        .split(';')
        .filter(|d| !d.is_empty())
        .map(|d| DocumentKind::parse(d).map_err(corrupt))
        .collect::<Result<_, _>>()?;
    Ok(Call {
        id: row.try_get("call_id")?,
        pool: Pool::parse(&row.try_get::<String, _>("pool")?).map_err(corrupt)?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        opens_on: date("opens_on")?,
        closes_on: date("closes_on")?,
        sought,
        documents,
    })
}

fn documents_text(call: &Call) -> String {
    call.documents
        .iter()
        .map(|d| d.as_str())
        .collect::<Vec<_>>()
        .join(";")
}

/// Stores a new call; returns its id.
pub async fn insert(
    tx: &mut Transaction<'_, Any>,
    call: &Call,
    actor: &Actor,
) -> Result<i64, StoreError> {
    let now = super::now();
    let (id,): (i64,) = sqlx::query_as(
        "insert into expert_call (pool, title, body, opens_on, closes_on, sought_json, documents, created_by, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) returning call_id",
    )
    .bind(call.pool.as_str())
    .bind(&call.title)
    .bind(&call.body)
    .bind(call.opens_on.to_string())
    .bind(call.closes_on.to_string())
    .bind(serde_json::to_string(&call.sought).map_err(corrupt)?)
    .bind(documents_text(call))
    .bind(&actor.name)
    .bind(&now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Replaces a call's fields (its pool stays: applications were made to it).
pub async fn update(tx: &mut Transaction<'_, Any>, call: &Call) -> Result<(), StoreError> {
    let done = sqlx::query(
        "update expert_call set title = $1, body = $2, opens_on = $3, closes_on = $4, sought_json = $5, documents = $6, updated_at = $7 where call_id = $8",
    )
    .bind(&call.title)
    .bind(&call.body)
    .bind(call.opens_on.to_string())
    .bind(call.closes_on.to_string())
    .bind(serde_json::to_string(&call.sought).map_err(corrupt)?)
    .bind(documents_text(call))
    .bind(super::now())
    .bind(call.id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// One call.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Call, StoreError> {
    let row = sqlx::query(&format!(
        "select {COLUMNS} from expert_call where call_id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    call_of(&row)
}

/// Every call, the latest opening first.
pub async fn all(store: &Store) -> Result<Vec<Call>, StoreError> {
    sqlx::query(&format!(
        "select {COLUMNS} from expert_call order by opens_on desc, call_id desc"
    ))
    .fetch_all(&store.pool)
    .await?
    .iter()
    .map(call_of)
    .collect()
}

/// One application made in answer to a call: its state and the applicant's primary
/// discipline.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Answer {
    /// Membership id.
    pub membership_id: i64,
    /// Expert code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Membership state.
    pub state: String,
    /// Primary discipline code ('' when none).
    pub primary: String,
    /// Employer's code.
    pub organization_code: String,
    /// Applied on.
    pub since: String,
}

/// The applications made in answer to a call.
pub async fn answers(store: &Store, call: i64) -> Result<Vec<Answer>, StoreError> {
    Ok(sqlx::query_as(
        "select m.membership_id, e.code, e.name, m.state,
                coalesce((select d.code from expert_discipline d where d.expert_id = e.expert_id and d.position = 0), '') as \"primary\",
                e.organization_code, m.since
         from membership m join expert e on e.expert_id = m.expert_id
         where m.call_id = $1 order by m.membership_id",
    )
    .bind(call)
    .fetch_all(&store.pool)
    .await?)
}
