//! Creating and editing experts: parse at the edge, check references, write with audit.

use crate::domain::expert::PendingAttributes;
use crate::domain::expert::{ExpertInput, ExpertProfile};
use crate::domain::{ExpertId, ValidationError};
use crate::error::{AppError, AppResult};
use crate::store::audit::{self, Actor};
use crate::store::experts::{self, StoredExpert};
use crate::store::{reference, Store};

/// Parses input and checks that every code and organization exists.
pub async fn parse(store: &Store, input: ExpertInput) -> AppResult<ExpertProfile> {
    let profile = ExpertProfile::try_from(input)?;
    if let Some(&i) = reference::unknown_codes(store, &profile.disciplines)
        .await?
        .first()
    {
        return Err(ValidationError::new(
            format!("disciplines[{i}]"),
            format!("{} is not in the classification", profile.disciplines[i]),
        )
        .into());
    }
    match reference::organization_region(store, &profile.org_id).await? {
        None => {
            return Err(ValidationError::new(
                "org_id",
                format!("unknown organization '{}'", profile.org_id),
            )
            .into())
        }
        Some(region) => profile.check_region(region)?,
    }
    for (i, e) in profile.employments.iter().enumerate() {
        if !reference::organization_exists(store, &e.org_id).await? {
            return Err(ValidationError::new(
                format!("employments[{i}].org_id"),
                format!("unknown organization '{}'", e.org_id),
            )
            .into());
        }
    }
    Ok(profile)
}

fn json(p: &ExpertProfile) -> serde_json::Value {
    serde_json::to_value(p).unwrap_or_default()
}

/// Staff create an expert; an empty code gets the next free one.
pub async fn create(store: &Store, actor: &Actor, input: ExpertInput) -> AppResult<StoredExpert> {
    let mut profile = parse(store, input).await?;
    let mut tx = store.begin_write().await?;
    if profile.code.is_empty() {
        profile.code = experts::next_code(&mut tx).await?;
    }
    let id = experts::insert(&mut tx, &profile).await?;
    audit::record(
        &mut tx,
        actor,
        "expert.create",
        "expert",
        &profile.code,
        None,
        Some(&json(&profile)),
    )
    .await?;
    tx.commit().await?;
    get(store, id).await
}

/// The expert's own view of their record: the verified profile with their pending proposal
/// applied (what their edit form starts from); `pending` still says what waits.
pub fn own_view(e: StoredExpert) -> StoredExpert {
    StoredExpert {
        profile: e.profile.with(&e.pending),
        ..e
    }
}

/// Staff accept or reject the changes an expert made to attributes that need verification.
pub async fn verify(
    store: &Store,
    actor: &Actor,
    id: ExpertId,
    accept: bool,
) -> AppResult<StoredExpert> {
    let before = get(store, id).await?;
    if before.pending.is_empty() {
        return Err(AppError::Conflict {
            message: format!(
                "{} has no changes waiting for verification",
                before.profile.code
            ),
            field: None,
        });
    }
    let profile = if accept {
        let year = chrono::Datelike::year(&crate::clock::today());
        before
            .profile
            .with(&before.pending)
            .keeping_past_employer(&before.profile, year)
    } else {
        before.profile.clone()
    };
    let mut tx = store.begin_write().await?;
    experts::update(&mut tx, id, &profile, &PendingAttributes::default()).await?;
    audit::record(
        &mut tx,
        actor,
        if accept {
            "expert.verify"
        } else {
            "expert.reject_changes"
        },
        "expert",
        &profile.code,
        Some(&json(&before.profile)),
        Some(&serde_json::json!({"pending": before.pending, "accepted": accept})),
    )
    .await?;
    tx.commit().await?;
    get(store, id).await
}

/// An expert by id.
pub async fn get(store: &Store, id: ExpertId) -> AppResult<StoredExpert> {
    let mut conn = store.pool.acquire().await?;
    experts::get(&mut conn, id).await.map_err(|e| match e {
        crate::store::StoreError::NotFound => AppError::NotFound(format!("expert {id}")),
        other => other.into(),
    })
}

/// Who edits a profile: staff verify what they write; an expert's own changes to
/// eligibility fields are flagged for verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Editor {
    /// Staff or an administrator.
    Staff,
    /// The expert themself.
    SelfService,
}

/// Replaces a profile.
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: ExpertId,
    input: ExpertInput,
    editor: Editor,
) -> AppResult<StoredExpert> {
    let before = get(store, id).await?;
    let mut input = input;
    if editor == Editor::SelfService || input.code.trim().is_empty() {
        // Experts cannot change their public code; an omitted code keeps it.
        input.code = before.profile.code.clone();
    }
    let proposed = parse(store, input).await?;
    // An expert's own change to title, types, region, birth year or employer waits for staff:
    // the stored profile keeps the verified values, the proposal is held beside it. Staff
    // write what they verify; what they did not touch stays pending.
    let (profile, pending) = match editor {
        // The expert edits their own view (verified values with their pending proposal), so
        // what they submit is their whole proposal.
        Editor::SelfService => (
            proposed.keeping_verified(&before.profile),
            PendingAttributes::between(&before.profile, &proposed),
        ),
        Editor::Staff => {
            let touched = PendingAttributes::between(&before.profile, &proposed);
            let mut left = before.pending.clone();
            if touched.title.is_some() {
                left.title = None;
            }
            if touched.types.is_some() {
                left.types = None;
            }
            if touched.region.is_some() {
                left.region = None;
            }
            if touched.birth_year.is_some() {
                left.birth_year = None;
            }
            if touched.org_id.is_some() {
                left.org_id = None;
            }
            if touched.field_since.is_some() {
                left.field_since = None;
            }
            if touched.distinction.is_some() {
                left.distinction = None;
            }
            let year = chrono::Datelike::year(&crate::clock::today());
            (proposed.keeping_past_employer(&before.profile, year), left)
        }
    };
    let mut tx = store.begin_write().await?;
    experts::update(&mut tx, id, &profile, &pending).await?;
    let action = if editor == Editor::Staff {
        "expert.update"
    } else {
        "expert.self_update"
    };
    audit::record(
        &mut tx,
        actor,
        action,
        "expert",
        &profile.code,
        Some(&json(&before.profile)),
        Some(&json(&profile)),
    )
    .await?;
    tx.commit().await?;
    get(store, id).await
}
