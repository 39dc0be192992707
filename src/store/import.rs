//! Bulk import of a sample-format folder, idempotent, in one transaction.

use super::audit::{self, Actor};
use super::{experts, reference, Store, StoreError};
use crate::dataset::Dataset;
use crate::domain::expert::ExpertProfile;
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;

/// What an import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    /// Organizations written.
    pub organizations: usize,
    /// Disciplines written.
    pub disciplines: usize,
    /// Experts created.
    pub experts_created: usize,
    /// Experts updated.
    pub experts_updated: usize,
    /// Experts already stored exactly as in the file (not written).
    pub experts_unchanged: usize,
    /// Relations (inside the experts).
    pub relations: usize,
    /// Memberships written.
    pub memberships: usize,
    /// Tracking records written.
    pub history: usize,
}

impl std::fmt::Display for ImportCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "organizations {}, disciplines {}, experts {} created + {} updated + {} unchanged, relations {}, memberships {}, history records {}",
            self.organizations, self.disciplines, self.experts_created, self.experts_updated, self.experts_unchanged, self.relations, self.memberships, self.history
        )
    }
}

/// Writes the dataset; on any error nothing is written.
pub async fn import(
    store: &Store,
    data: &Dataset,
    actor: &Actor,
) -> Result<ImportCounts, StoreError> {
    let mut counts = ImportCounts::default();
    // Read before the write transaction: an expert whose row is unchanged is not written,
    // so that re-importing the same file does not restart their "profile not updated for
    // two years" clock.
    let stored: HashMap<String, ExpertProfile> = experts::all(store)
        .await?
        .iter()
        .map(|e| (e.profile.code.clone(), e.profile.clone()))
        .collect();
    let mut tx = store.begin_write().await?;
    for o in &data.organizations {
        reference::upsert_organization(&mut tx, o).await?;
        counts.organizations += 1;
    }
    for d in &data.disciplines {
        reference::upsert_discipline(&mut tx, d).await?;
        counts.disciplines += 1;
    }
    let existing: HashMap<String, i64> = sqlx::query("select code, expert_id from expert")
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>("code")?,
                r.try_get::<i64, _>("expert_id")?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()?;
    let mut ids: HashMap<&str, i64> = HashMap::new();
    // New experts' keyword postings are written together, in key order, after the loop.
    let mut grams = experts::GramBatch::default();
    for p in &data.experts {
        counts.relations += p.relations.len();
        match existing.get(&p.code) {
            Some(&id) if stored.get(&p.code) == Some(p) => {
                ids.insert(&p.code, id);
                counts.experts_unchanged += 1;
            }
            Some(&id) => {
                experts::update(&mut tx, crate::domain::ExpertId(id), p, &Default::default())
                    .await?;
                ids.insert(&p.code, id);
                counts.experts_updated += 1;
            }
            None => {
                let id = experts::insert_batched(&mut tx, p, &mut grams).await?;
                ids.insert(&p.code, id.0);
                counts.experts_created += 1;
            }
        }
    }
    grams.write(&mut tx).await?;
    for m in &data.memberships {
        let id = ids
            .get(m.expert_id.as_str())
            .copied()
            .or_else(|| existing.get(&m.expert_id).copied())
            .ok_or(StoreError::NotFound)?;
        super::memberships::import_row(&mut tx, id, m, actor).await?;
        counts.memberships += 1;
    }
    for h in &data.history {
        let id = ids
            .get(h.expert_id.as_str())
            .copied()
            .or_else(|| existing.get(&h.expert_id).copied())
            .ok_or(StoreError::NotFound)?;
        let rating = |v: &str| v.parse::<i64>().ok();
        sqlx::query(
            "insert into tracking_record (expert_id, event_ref, event_kind, event_date, response, decline_reason, attendance, rating_expertise, rating_diligence, rating_fairness)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             on conflict (expert_id, event_ref) do update set event_kind = excluded.event_kind, event_date = excluded.event_date, response = excluded.response,
               decline_reason = excluded.decline_reason, attendance = excluded.attendance, rating_expertise = excluded.rating_expertise,
               rating_diligence = excluded.rating_diligence, rating_fairness = excluded.rating_fairness",
        )
        .bind(id)
        .bind(&h.event_id)
        .bind(&h.event_kind)
        .bind(&h.event_date)
        .bind(&h.response)
        .bind(&h.decline_reason)
        .bind(&h.attendance)
        .bind(rating(&h.rating_expertise))
        .bind(rating(&h.rating_diligence))
        .bind(rating(&h.rating_fairness))
        .execute(&mut *tx)
        .await?;
        counts.history += 1;
    }
    let summary = serde_json::to_value(&counts).unwrap_or_default();
    audit::record(
        &mut tx,
        actor,
        "import",
        "dataset",
        "import",
        None,
        Some(&summary),
    )
    .await?;
    tx.commit().await?;
    Ok(counts)
}
