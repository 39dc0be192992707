//! Applications to calls: the draft profile, the state, each step, the documents (bytes in
//! the database, so several instances and every backup see them). Nothing is deleted: a
//! replaced document is marked replaced and kept.

use super::StoreError;
use crate::domain::application::ApplicationState;
use crate::domain::call::DocumentKind;
use sqlx::{Any, AnyConnection, Row, Transaction};

/// A stored application.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ApplicationRow {
    /// Id.
    pub id: i64,
    /// The call.
    pub call_id: i64,
    /// The applicant's account.
    pub user_id: i64,
    /// The expert record (an expert who already had one, one linked by staff, or the one made
    /// when staff passed it).
    pub expert_id: Option<i64>,
    /// State.
    pub state: ApplicationState,
    /// The profile as last saved (`ExpertInput` JSON; '' before the first save).
    pub profile_json: String,
    /// When the pledge was ticked.
    pub pledge_at: Option<String>,
    /// The applicant's note.
    pub note: String,
    /// Staff's last comment (why returned or refused).
    pub review_comment: String,
    /// A closed call's draft may be submitted until this day (`YYYY-MM-DD`).
    pub reopened_until: Option<String>,
    /// The membership application it became.
    pub membership_id: Option<i64>,
    /// Last submitted at.
    pub submitted_at: Option<String>,
    /// Created.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

const COLUMNS: &str = "application_id, call_id, user_id, expert_id, state, profile_json, pledge_at, note, review_comment, reopened_until, membership_id, submitted_at, created_at, updated_at";

fn row_of(row: &sqlx::any::AnyRow) -> Result<ApplicationRow, StoreError> {
    let state: String = row.try_get("state")?;
    Ok(ApplicationRow {
        id: row.try_get("application_id")?,
        call_id: row.try_get("call_id")?,
        user_id: row.try_get("user_id")?,
        expert_id: row.try_get("expert_id")?,
        state: ApplicationState::parse(&state)
            .map_err(|e| StoreError::Corrupt(format!("stored application: {e}")))?,
        profile_json: row.try_get("profile_json")?,
        pledge_at: row.try_get("pledge_at")?,
        note: row.try_get("note")?,
        review_comment: row.try_get("review_comment")?,
        reopened_until: row.try_get("reopened_until")?,
        membership_id: row.try_get("membership_id")?,
        submitted_at: row.try_get("submitted_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Starts a draft; `Duplicate` when this account already has an application to the call.
pub async fn insert(
    tx: &mut Transaction<'_, Any>,
    call: i64,
    user: i64,
    expert: Option<i64>,
    profile_json: &str,
    now: &str,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "insert into application (call_id, user_id, expert_id, state, profile_json, created_at, updated_at)
         values ($1, $2, $3, 'draft', $4, $5, $5) returning application_id",
    )
    .bind(call)
    .bind(user)
    .bind(expert)
    .bind(profile_json)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| super::on_unique(e, "call"))?;
    Ok(id)
}

/// One application.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<ApplicationRow, StoreError> {
    let row = sqlx::query(&format!(
        "select {COLUMNS} from application where application_id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    row_of(&row)
}

/// This account's application to a call.
pub async fn of_user_for_call(
    conn: &mut AnyConnection,
    user: i64,
    call: i64,
) -> Result<Option<ApplicationRow>, StoreError> {
    sqlx::query(&format!(
        "select {COLUMNS} from application where user_id = $1 and call_id = $2"
    ))
    .bind(user)
    .bind(call)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(row_of)
    .transpose()
}

/// Every application of an account, newest first.
pub async fn of_user(
    conn: &mut AnyConnection,
    user: i64,
) -> Result<Vec<ApplicationRow>, StoreError> {
    sqlx::query(&format!(
        "select {COLUMNS} from application where user_id = $1 order by application_id desc"
    ))
    .bind(user)
    .fetch_all(conn)
    .await?
    .iter()
    .map(row_of)
    .collect()
}

/// A call's applications, optionally in one state, oldest submission first.
pub async fn of_call(
    conn: &mut AnyConnection,
    call: i64,
    state: Option<ApplicationState>,
) -> Result<Vec<ApplicationRow>, StoreError> {
    sqlx::query(&format!(
        "select {COLUMNS} from application where call_id = $1 and ($2 = '' or state = $2)
         order by coalesce(submitted_at, created_at), application_id"
    ))
    .bind(call)
    .bind(state.map_or("", |s| s.as_str()))
    .fetch_all(conn)
    .await?
    .iter()
    .map(row_of)
    .collect()
}

/// The application a membership came from.
pub async fn of_membership(
    conn: &mut AnyConnection,
    membership: i64,
) -> Result<Option<ApplicationRow>, StoreError> {
    sqlx::query(&format!(
        "select {COLUMNS} from application where membership_id = $1"
    ))
    .bind(membership)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(row_of)
    .transpose()
}

/// Writes the applicant's profile, pledge and note.
pub async fn save_draft(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    profile_json: &str,
    pledge_at: Option<&str>,
    note: &str,
    now: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "update application set profile_json = $1, pledge_at = $2, note = $3, updated_at = $4 where application_id = $5",
    )
    .bind(profile_json)
    .bind(pledge_at)
    .bind(note)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Moves the application from `from` to `to` with a step; false when someone else moved it
/// first (the caller reports a conflict and nothing is written).
#[allow(clippy::too_many_arguments)]
pub async fn step(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    from: ApplicationState,
    to: ApplicationState,
    action: &str,
    comment: &str,
    actor: &str,
    now: &str,
) -> Result<bool, StoreError> {
    let submitted = (to == ApplicationState::Submitted).then_some(now);
    let done = sqlx::query(
        "update application set state = $1, updated_at = $2, submitted_at = coalesce($3, submitted_at),
                review_comment = case when $4 = '' then review_comment else $4 end
         where application_id = $5 and state = $6",
    )
    .bind(to.as_str())
    .bind(now)
    .bind(submitted)
    .bind(comment)
    .bind(id)
    .bind(from.as_str())
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    note_step(
        tx,
        id,
        action,
        from.as_str(),
        to.as_str(),
        comment,
        actor,
        now,
    )
    .await?;
    Ok(true)
}

/// Records a step that does not change the state (a save, an upload, a link, a reopening).
#[allow(clippy::too_many_arguments)]
pub async fn note_step(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    action: &str,
    from: &str,
    to: &str,
    comment: &str,
    actor: &str,
    now: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into application_step (application_id, action, from_state, to_state, comment, actor, at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(action)
    .bind(from)
    .bind(to)
    .bind(comment)
    .bind(actor)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sets the expert record (linked by staff, or made at the pass).
pub async fn set_expert(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    expert: i64,
) -> Result<(), StoreError> {
    sqlx::query("update application set expert_id = $1 where application_id = $2")
        .bind(expert)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records the membership application it became.
pub async fn set_membership(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    membership: i64,
) -> Result<(), StoreError> {
    sqlx::query("update application set membership_id = $1 where application_id = $2")
        .bind(membership)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Lets a closed call's draft be submitted until `day`.
pub async fn reopen(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    day: &str,
    now: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "update application set reopened_until = $1, updated_at = $2 where application_id = $3",
    )
    .bind(day)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One step of an application's history.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Step {
    /// What happened.
    pub action: String,
    /// State before ('' for steps that do not move it).
    pub from_state: String,
    /// State after.
    pub to_state: String,
    /// Comment or reason.
    pub comment: String,
    /// Who.
    pub actor: String,
    /// When.
    pub at: String,
}

/// An application's steps, oldest first.
pub async fn steps(conn: &mut AnyConnection, id: i64) -> Result<Vec<Step>, StoreError> {
    Ok(sqlx::query_as(
        "select action, from_state, to_state, comment, actor, at from application_step
         where application_id = $1 order by step_id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// A document without its bytes.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct DocumentInfo {
    /// Id.
    pub document_id: i64,
    /// The application.
    pub application_id: i64,
    /// Kind (`title_certificate`, `employer_recommendation`, `other`).
    pub kind: String,
    /// Name offered on download.
    pub file_name: String,
    /// MIME type (from the content).
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256, hex.
    pub sha256: String,
    /// Uploaded by.
    pub uploaded_by: String,
    /// Uploaded at.
    pub uploaded_at: String,
    /// When a newer upload of the same kind replaced it.
    pub replaced_at: Option<String>,
}

const DOC_COLUMNS: &str = "document_id, application_id, kind, file_name, content_type, size, sha256, uploaded_by, uploaded_at, replaced_at";

/// Stores a document; an earlier one of the same kind (but `other`, of which there may be
/// several) is marked replaced.
#[allow(clippy::too_many_arguments)]
pub async fn add_document(
    tx: &mut Transaction<'_, Any>,
    application: i64,
    kind: DocumentKind,
    file_name: &str,
    content_type: &str,
    sha256: &str,
    bytes: &[u8],
    actor: &str,
    now: &str,
) -> Result<i64, StoreError> {
    if kind != DocumentKind::Other {
        sqlx::query(
            "update application_document set replaced_at = $1
             where application_id = $2 and kind = $3 and replaced_at is null",
        )
        .bind(now)
        .bind(application)
        .bind(kind.as_str())
        .execute(&mut **tx)
        .await?;
    }
    let (id,): (i64,) = sqlx::query_as(
        "insert into application_document (application_id, kind, file_name, content_type, size, sha256, content, uploaded_by, uploaded_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning document_id",
    )
    .bind(application)
    .bind(kind.as_str())
    .bind(file_name)
    .bind(content_type)
    .bind(bytes.len() as i64)
    .bind(sha256)
    .bind(bytes.to_vec())
    .bind(actor)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Marks a document replaced (the applicant removed it); it stays stored.
pub async fn retire_document(
    tx: &mut Transaction<'_, Any>,
    application: i64,
    document: i64,
    now: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "update application_document set replaced_at = $1
         where document_id = $2 and application_id = $3 and replaced_at is null",
    )
    .bind(now)
    .bind(document)
    .bind(application)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An application's documents (current ones first, then replaced ones), without bytes.
pub async fn documents(
    conn: &mut AnyConnection,
    application: i64,
) -> Result<Vec<DocumentInfo>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "select {DOC_COLUMNS} from application_document where application_id = $1
         order by (replaced_at is null) desc, document_id"
    ))
    .bind(application)
    .fetch_all(conn)
    .await?)
}

/// One document with its bytes.
pub async fn document(
    conn: &mut AnyConnection,
    document: i64,
) -> Result<(DocumentInfo, Vec<u8>), StoreError> {
    let info: DocumentInfo = sqlx::query_as(&format!(
        "select {DOC_COLUMNS} from application_document where document_id = $1"
    ))
    .bind(document)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let (bytes,): (Vec<u8>,) =
        sqlx::query_as("select content from application_document where document_id = $1")
            .bind(document)
            .fetch_one(conn)
            .await?;
    Ok((info, bytes))
}

/// An existing expert who may be the applicant.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Twin {
    /// Expert id.
    pub expert_id: i64,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Employer's code.
    pub organization_code: String,
    /// Same e-mail (1/0).
    pub same_email: i64,
    /// Same mobile (1/0).
    pub same_mobile: i64,
    /// Same name and employer (1/0).
    pub same_name_employer: i64,
    /// The login name of the account linked to it, if any.
    pub username: Option<String>,
}

/// Experts with the same e-mail, the same mobile number, or the same name and employer.
pub async fn twins(
    conn: &mut AnyConnection,
    name: &str,
    org: &str,
    email: &str,
    mobile: &str,
) -> Result<Vec<Twin>, StoreError> {
    Ok(sqlx::query_as(
        "select e.expert_id, e.code, e.name, e.organization_code,
                case when $3 <> '' and lower(coalesce(e.email, '')) = $3 then 1 else 0 end as same_email,
                case when $4 <> '' and replace(replace(replace(e.phone, '-', ''), ' ', ''), '+86', '') = $4 then 1 else 0 end as same_mobile,
                case when e.name = $1 and e.organization_code = $2 then 1 else 0 end as same_name_employer,
                (select u.username from app_user u where u.expert_id = e.expert_id) as username
         from expert e
         where (e.name = $1 and e.organization_code = $2)
            or ($3 <> '' and lower(coalesce(e.email, '')) = $3)
            or ($4 <> '' and replace(replace(replace(e.phone, '-', ''), ' ', ''), '+86', '') = $4)
         order by e.code limit 20",
    )
    .bind(name)
    .bind(org)
    .bind(email)
    .bind(mobile)
    .fetch_all(conn)
    .await?)
}
