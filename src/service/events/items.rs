//! An event's items: parsed from CSV in the projects.csv format, stored as text, read back
//! as the engine's items.

use super::{begin, corrupt, get, require};
use crate::assign::problem::Item;
use crate::domain::event::EventAction;
use crate::domain::{DisciplineCode, ValidationError};
use crate::error::{AppError, AppResult};
use crate::store::audit::{self, Actor};
use crate::store::events::{self as store_e, ItemRow};
use crate::store::{reference, Store};
use std::collections::{BTreeMap, HashSet};

fn item_row(i: &Item) -> ItemRow {
    ItemRow {
        item_id: 0,
        code: i.key.clone(),
        title: i.title.clone(),
        applicant_orgs: i.applicant_orgs.join(";"),
        team: i
            .team
            .iter()
            .map(|m| format!("{}@{}", m.name, m.org_id))
            .collect::<Vec<_>>()
            .join(";"),
        disciplines: i
            .disciplines
            .iter()
            .map(|d| d.as_str())
            .collect::<Vec<_>>()
            .join(";"),
        keywords: i.keywords.join(";"),
        abstract_text: i.abstract_text.clone(),
        requested_avoid: i.requested_avoid.join(";"),
        avoid_reasons: notes_json(&i.avoid_reasons),
        prior_roles: notes_json(&i.prior_roles),
        earlier_items: i.earlier_items.join(";"),
    }
}

fn notes_json(notes: &BTreeMap<String, String>) -> String {
    if notes.is_empty() {
        String::new()
    } else {
        serde_json::to_string(notes).unwrap_or_default()
    }
}

fn notes_of(text: &str) -> AppResult<BTreeMap<String, String>> {
    if text.is_empty() {
        Ok(BTreeMap::new())
    } else {
        serde_json::from_str(text).map_err(corrupt)
    }
}

fn split(text: &str) -> Vec<String> {
    text.split(';')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// An item as the engine takes it, from its stored row.
pub(crate) fn item_of(r: &ItemRow) -> AppResult<Item> {
    Ok(Item {
        key: r.code.clone(),
        title: r.title.clone(),
        applicant_orgs: split(&r.applicant_orgs),
        team: crate::dataset::parse_team(&r.team).map_err(corrupt)?,
        disciplines: split(&r.disciplines)
            .iter()
            .map(|c| DisciplineCode::parse(c).map_err(corrupt))
            .collect::<AppResult<_>>()?,
        keywords: split(&r.keywords),
        abstract_text: r.abstract_text.clone(),
        requested_avoid: split(&r.requested_avoid),
        avoid_reasons: notes_of(&r.avoid_reasons)?,
        prior_roles: notes_of(&r.prior_roles)?,
        earlier_items: split(&r.earlier_items),
    })
}

/// Adds items from CSV text (the projects.csv format), all or none.
pub async fn add_items_csv(
    store: &Store,
    actor: &Actor,
    id: i64,
    csv_text: &str,
) -> AppResult<usize> {
    let event = get(store, id).await?;
    require(&event, EventAction::EditItems)?;
    let disciplines = reference::disciplines(store, "").await?;
    let orgs = reference::organizations(store).await?;
    let codes: HashSet<&str> = disciplines.iter().map(|d| d.code.as_str()).collect();
    let org_ids: HashSet<&str> = orgs.iter().map(|o| o.id.as_str()).collect();
    // Office sheets name columns in Chinese and applicants by name.
    let by_name: BTreeMap<&str, &str> = orgs
        .iter()
        .flat_map(|o| {
            [
                (o.name_zh.as_str(), o.id.as_str()),
                (o.name_en.as_str(), o.id.as_str()),
            ]
        })
        .filter(|(name, _)| !name.is_empty())
        .collect();
    let csv_text = crate::dataset::sheet::normalize_items(csv_text, &|name| {
        by_name.get(name).map(|c| c.to_string())
    });
    let items =
        crate::dataset::parse_items("items.csv", &csv_text, &codes, &org_ids).map_err(|e| {
            AppError::Validation(ValidationError::new(
                format!("line {}: {}", e.line, e.field),
                e.message,
            ))
        })?;
    for (n, item) in items.iter().enumerate() {
        if item.requested_avoid.len() as i32 > event.rules.max_requested_avoid {
            return Err(ValidationError::new(
                format!("line {}: requested_avoid", n + 2),
                format!(
                    "at most {} avoidance requests per item",
                    event.rules.max_requested_avoid
                ),
            )
            .into());
        }
    }
    let (mut tx, event) = begin(store, id, EventAction::EditItems).await?;
    for (n, item) in items.iter().enumerate() {
        store_e::insert_item(&mut tx, id, &item_row(item))
            .await
            .map_err(|e| match e {
                crate::store::StoreError::Duplicate { .. } => AppError::Conflict {
                    message: format!("line {}: item {} is already in the event", n + 2, item.key),
                    field: Some("id".into()),
                },
                other => other.into(),
            })?;
    }
    audit::record(
        &mut tx,
        actor,
        "event.items",
        "event",
        &event.code,
        None,
        Some(&serde_json::json!({"added": items.iter().map(|i| &i.key).collect::<Vec<_>>()})),
    )
    .await?;
    tx.commit().await?;
    Ok(items.len())
}

/// Removes an item entered by mistake, while the event is still a draft (no draw has used
/// it); its panel loses it. The audit log keeps the whole row.
pub async fn remove_item(store: &Store, actor: &Actor, id: i64, code: &str) -> AppResult<()> {
    let (mut tx, event) = begin(store, id, EventAction::EditItems).await?;
    // (checked inside the transaction, so a draw cannot slip in between)
    if event.status != crate::domain::event::EventStatus::Draft {
        return Err(AppError::Conflict {
            message: format!(
                "item {code} cannot be removed: the event has been drawn (items are removed only while it is a draft)"
            ),
            field: Some("item".into()),
        });
    }
    let row = store_e::delete_item(&mut tx, id, code)
        .await?
        .ok_or_else(|| ValidationError::new("item", format!("no item {code} in this event")))?;
    audit::record(
        &mut tx,
        actor,
        "event.item_removed",
        "event",
        &event.code,
        Some(&serde_json::json!(row)),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
