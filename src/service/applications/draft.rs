//! The applicant's side: the draft (profile, pledge, note), its documents, submitting and
//! withdrawing.

use super::{
    call_closed, judged_profile, load, move_to, not_editable, noted, record, view, Viewer,
};
use crate::domain::application::{missing_for_submit, ApplicationAction, Document};
use crate::domain::call::DocumentKind;
use crate::domain::expert::ExpertInput;
use crate::domain::{UserId, ValidationError};
use crate::error::{AppError, AppResult};
use crate::store::applications::{self as store_a, DocumentInfo};
use crate::store::audit::Actor;
use crate::store::Store;

/// What the applicant saves: the profile (kept as typed, checked when submitted), the pledge,
/// a note.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The profile (ignored for an applicant with an expert record).
    pub profile: Option<ExpertInput>,
    /// The pledge is ticked.
    pub pledge: bool,
    /// A note to the reviewers.
    pub note: String,
}

/// Saves the draft, whatever its problems (the applicant may come back later); returns the
/// profile's first problem, which a submission would refuse.
pub async fn save(
    store: &Store,
    actor: &Actor,
    user: UserId,
    id: i64,
    draft: Draft,
) -> AppResult<Option<ValidationError>> {
    let note = crate::domain::validation::optional_text("note", &draft.note, 2000)?;
    let mut tx = store.begin_write().await?;
    let row = load(&mut tx, id, Viewer::Applicant(user)).await?;
    if !row.state.editable() {
        return Err(not_editable(&row));
    }
    let profile_json = match (
        &draft.profile,
        row.profile_json.is_empty() && row.expert_id.is_some(),
    ) {
        (Some(p), false) => serde_json::to_string(p).unwrap_or_default(),
        _ => row.profile_json.clone(),
    };
    let pledge_at = match (draft.pledge, &row.pledge_at) {
        (true, Some(at)) => Some(at.clone()),
        (true, None) => Some(crate::store::now()),
        (false, _) => None,
    };
    let now = crate::store::now();
    store_a::save_draft(
        &mut tx,
        id,
        &profile_json,
        pledge_at.as_deref(),
        &note,
        &now,
    )
    .await?;
    // A save is a change (audited) but not a step of the review (the history stays readable).
    record(
        &mut tx,
        actor,
        "application.save",
        id,
        serde_json::json!({"pledge": pledge_at.is_some()}),
    )
    .await?;
    tx.commit().await?;
    let mut conn = store.pool.acquire().await?;
    let saved = store_a::get(&mut conn, id).await?;
    drop(conn);
    Ok(judged_profile(store, &saved).await?.err())
}

/// Documents an application keeps at most, replaced ones included (so that one account cannot
/// fill the database).
pub const MAX_DOCUMENTS: usize = 20;

/// Stores a checked document with the draft.
pub async fn upload(
    store: &Store,
    actor: &Actor,
    user: UserId,
    id: i64,
    document: &Document,
) -> AppResult<i64> {
    use sha2::{Digest, Sha256};
    let mut tx = store.begin_write().await?;
    let row = load(&mut tx, id, Viewer::Applicant(user)).await?;
    if !row.state.editable() {
        return Err(not_editable(&row));
    }
    let stored = store_a::documents(&mut tx, id).await?.len();
    if stored >= MAX_DOCUMENTS {
        return Err(AppError::Conflict {
            message: format!(
                "the application has {stored} documents: at most {MAX_DOCUMENTS} are kept; ask the bureau"
            ),
            field: Some("document".into()),
        });
    }
    let now = crate::store::now();
    let sha = hex::encode(Sha256::digest(&document.bytes));
    let doc = store_a::add_document(
        &mut tx,
        id,
        document.kind,
        &document.file_name,
        document.file_type.content_type(),
        &sha,
        &document.bytes,
        &actor.name,
        &now,
    )
    .await?;
    noted(
        &mut tx,
        actor,
        (id, row.state.as_str()),
        "upload",
        &document.file_name,
        serde_json::json!({"document": doc, "kind": document.kind, "file_name": document.file_name, "size": document.bytes.len(), "sha256": sha}),
    )
    .await?;
    tx.commit().await?;
    Ok(doc)
}

/// Takes a document off the draft (it stays stored, marked replaced).
pub async fn remove_document(
    store: &Store,
    actor: &Actor,
    user: UserId,
    id: i64,
    document: i64,
) -> AppResult<()> {
    let mut tx = store.begin_write().await?;
    let row = load(&mut tx, id, Viewer::Applicant(user)).await?;
    if !row.state.editable() {
        return Err(not_editable(&row));
    }
    let now = crate::store::now();
    if !store_a::retire_document(&mut tx, id, document, &now).await? {
        return Err(AppError::NotFound(format!("document {document}")));
    }
    noted(
        &mut tx,
        actor,
        (id, row.state.as_str()),
        "remove_document",
        "",
        serde_json::json!({"document": document}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A document's bytes, for the applicant or staff only.
pub async fn document(
    store: &Store,
    id: i64,
    document: i64,
    viewer: Viewer,
) -> AppResult<(DocumentInfo, Vec<u8>)> {
    let mut conn = store.pool.acquire().await?;
    load(&mut conn, id, viewer).await?;
    let (info, bytes) = store_a::document(&mut conn, document)
        .await
        .map_err(|_| AppError::NotFound(format!("document {document}")))?;
    if info.application_id != id {
        return Err(AppError::NotFound(format!("document {document}")));
    }
    Ok((info, bytes))
}

/// The applicant submits: the profile must be complete and valid, the pledge ticked, every
/// required document uploaded, and the call open (or the application returned or reopened).
pub async fn submit(store: &Store, actor: &Actor, user: UserId, id: i64) -> AppResult<()> {
    let v = view(store, id, Viewer::Applicant(user)).await?;
    if !v.application.state.editable() {
        return Err(not_editable(&v.application));
    }
    if !v.can_submit {
        return Err(call_closed(&v.call));
    }
    if let Some(e) = v.profile_error {
        return Err(e.into());
    }
    if let Some(first) = v.missing.first() {
        return Err(match first.as_str() {
            "pledge" => ValidationError::new(
                "pledge",
                "applying signs the integrity and confidentiality pledge: tick it to apply",
            ),
            kind => ValidationError::new(
                format!("documents.{kind}"),
                "this document is required: upload it before submitting",
            ),
        }
        .into());
    }
    let mut tx = store.begin_write().await?;
    let row = load(&mut tx, id, Viewer::Applicant(user)).await?;
    // The documents again, under the write lock: one removed meanwhile is not submitted.
    let current: Vec<DocumentKind> = store_a::documents(&mut tx, id)
        .await?
        .iter()
        .filter(|d| d.replaced_at.is_none())
        .filter_map(|d| DocumentKind::parse(&d.kind).ok())
        .collect();
    if let Some(kind) =
        missing_for_submit(row.pledge_at.is_some(), &v.call.documents, &current).first()
    {
        return Err(ValidationError::new(
            format!("documents.{kind}"),
            "this document is required: upload it before submitting",
        )
        .into());
    }
    move_to(&mut tx, actor, &row, ApplicationAction::Submit, "").await?;
    tx.commit().await?;
    Ok(())
}

/// The applicant takes the application back.
pub async fn withdraw(store: &Store, actor: &Actor, user: UserId, id: i64) -> AppResult<()> {
    let mut tx = store.begin_write().await?;
    let row = load(&mut tx, id, Viewer::Applicant(user)).await?;
    move_to(&mut tx, actor, &row, ApplicationAction::Withdraw, "").await?;
    tx.commit().await?;
    Ok(())
}
