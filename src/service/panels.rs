//! Panels of an event: grouped by discipline or by hand, and members pinned or removed.

use super::events::{begin, get, require};
use crate::domain::event::EventAction;
use crate::domain::event::EventMode;
use crate::domain::ValidationError;
use crate::error::AppResult;
use crate::store::audit::{self, Actor};
use crate::store::events as store_e;
use crate::store::Store;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};

/// Groups the items into panels by primary first-level discipline, at most `size` items per
/// panel (individual mode: one item per panel); panels take the event's slots in turn.
pub async fn group_panels(store: &Store, actor: &Actor, id: i64, size: usize) -> AppResult<usize> {
    let event = get(store, id).await?;
    require(&event, EventAction::EditPanels)?;
    let items = store_e::items(store, id).await?;
    if items.is_empty() {
        return Err(
            ValidationError::new("items", "add items before grouping them into panels").into(),
        );
    }
    let size = if event.mode == EventMode::Individual {
        1
    } else {
        size.clamp(1, 50)
    };
    let mut groups: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in &items {
        let first = r.disciplines.get(..3).unwrap_or("000").to_string();
        groups.entry(first).or_default().push(r.item_id);
    }
    let mut panels = Vec::new();
    for ids in groups.values() {
        // Split a large group evenly rather than leaving a small remainder panel.
        let parts = ids.len().div_ceil(size);
        let per = ids.len().div_ceil(parts);
        for chunk in ids.chunks(per) {
            let n = panels.len();
            let slot = (event.mode == EventMode::Panel && !event.slots.is_empty())
                .then(|| event.slots[n % event.slots.len()].id.clone());
            panels.push((
                format!("{}-P{:02}", event.code, n + 1),
                slot,
                chunk.to_vec(),
            ));
        }
    }
    let (mut tx, event) = begin(store, id, EventAction::EditPanels).await?;
    store_e::replace_panels(&mut tx, id, &panels).await?;
    audit::record(
        &mut tx,
        actor,
        "event.panels",
        "event",
        &event.code,
        None,
        Some(&serde_json::json!({"panels": panels.len(), "items_per_panel": size})),
    )
    .await?;
    tx.commit().await?;
    Ok(panels.len())
}

/// A panel as staff set it by hand.
#[derive(Debug, Clone, Deserialize)]
pub struct PanelInput {
    /// Code, e.g. `EV002-APP-P01`.
    pub code: String,
    /// Slot id (panel mode), if any.
    #[serde(default)]
    pub slot: Option<String>,
    /// Item codes.
    pub items: Vec<String>,
}

/// Parses panels written one per line: `CODE [SLOT]: ITEM, ITEM, …`.
pub fn parse_panel_lines(text: &str) -> Result<Vec<PanelInput>, ValidationError> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, line)| {
            let (head, items) = line.split_once(':').ok_or_else(|| {
                ValidationError::new(
                    format!("panels[{i}]"),
                    format!("'{line}' is not CODE [SLOT]: ITEM, ITEM"),
                )
            })?;
            let mut words = head.split_whitespace();
            let code = words.next().unwrap_or_default().to_string();
            let slot = words.next().map(String::from);
            let items = items
                .split([',', '，', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            Ok(PanelInput { code, slot, items })
        })
        .collect()
}

/// Sets the panels by hand: every item exactly once, codes unique, slots known.
pub async fn set_panels(
    store: &Store,
    actor: &Actor,
    id: i64,
    panels: Vec<PanelInput>,
) -> AppResult<usize> {
    let event = get(store, id).await?;
    require(&event, EventAction::EditPanels)?;
    let items = store_e::items(store, id).await?;
    let item_ids: BTreeMap<&str, i64> =
        items.iter().map(|i| (i.code.as_str(), i.item_id)).collect();
    let mut seen: BTreeMap<&str, String> = BTreeMap::new();
    let mut codes = HashSet::new();
    let mut rows = Vec::new();
    for (p, panel) in panels.iter().enumerate() {
        let field = |f: &str| format!("panels[{p}].{f}");
        if panel.code.trim().is_empty() || !codes.insert(panel.code.trim()) {
            return Err(ValidationError::new(
                field("code"),
                format!("'{}' is empty or used twice", panel.code),
            )
            .into());
        }
        if let Some(slot) = &panel.slot {
            if !event.slots.iter().any(|s| &s.id == slot) {
                return Err(ValidationError::new(
                    field("slot"),
                    format!("the event has no slot '{slot}'"),
                )
                .into());
            }
        }
        if panel.items.is_empty() || (event.mode == EventMode::Individual && panel.items.len() > 1)
        {
            return Err(ValidationError::new(
                field("items"),
                "a panel needs items (individual mode: exactly one)",
            )
            .into());
        }
        let mut ids = Vec::new();
        for (j, code) in panel.items.iter().enumerate() {
            let &item = item_ids.get(code.as_str()).ok_or_else(|| {
                ValidationError::new(
                    format!("panels[{p}].items[{j}]"),
                    format!("no item {code} in this event"),
                )
            })?;
            if let Some(other) = seen.insert(code.as_str(), panel.code.clone()) {
                return Err(ValidationError::new(
                    format!("panels[{p}].items[{j}]"),
                    format!("{code} is already in panel {other}"),
                )
                .into());
            }
            ids.push(item);
        }
        rows.push((panel.code.trim().to_string(), panel.slot.clone(), ids));
    }
    if let Some(missing) = items.iter().find(|i| !seen.contains_key(i.code.as_str())) {
        return Err(ValidationError::new(
            "panels",
            format!("item {} is in no panel", missing.code),
        )
        .into());
    }
    let (mut tx, event) = begin(store, id, EventAction::EditPanels).await?;
    store_e::replace_panels(&mut tx, id, &rows).await?;
    audit::record(
        &mut tx,
        actor,
        "event.panels",
        "event",
        &event.code,
        None,
        Some(&serde_json::json!({"panels": rows.len(), "by_hand": true})),
    )
    .await?;
    tx.commit().await?;
    Ok(rows.len())
}

/// Staff pin an expert to a panel (`pin`) or keep them off it (`remove`) for the next draw.
pub async fn pin(
    store: &Store,
    actor: &Actor,
    id: i64,
    panel: &str,
    expert: &str,
    kind: &str,
    reason: &str,
) -> AppResult<()> {
    let event = get(store, id).await?;
    require(&event, EventAction::Pin)?;
    if !["pin", "remove"].contains(&kind) {
        return Err(ValidationError::new("kind", "must be pin or remove").into());
    }
    if !store_e::panels(store, id)
        .await?
        .iter()
        .any(|p| p.code == panel)
    {
        return Err(
            ValidationError::new("panel", format!("no panel {panel} in this event")).into(),
        );
    }
    let mut conn = store.pool.acquire().await?;
    crate::store::experts::get_by_code(&mut conn, expert)
        .await
        .map_err(|_| ValidationError::new("expert", format!("no expert {expert}")))?;
    drop(conn);
    let reason = crate::domain::validation::required_text("reason", reason, 500)?;
    let (mut tx, event) = begin(store, id, EventAction::Pin).await?;
    store_e::insert_exclusion(&mut tx, id, panel, expert, kind, &reason, actor).await?;
    audit::record(
        &mut tx,
        actor,
        &format!("event.{kind}"),
        "event",
        &event.code,
        None,
        Some(&serde_json::json!({"panel": panel, "expert": expert, "reason": reason})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
