//! `export`: the database as the content of a sample-format folder, the inverse of `import`.
//! What the format cannot hold is named in the notes rather than dropped unseen.

use crate::assign::problem::Item;
use crate::dataset::events::{EventPanel, SlotSpec, WindowSpec};
use crate::dataset::{Dataset, EventSpec, HistoryRow};
use crate::error::AppResult;
use crate::service::events::{item_of, Event};
use crate::store::{self, Store};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The folder's content, and what the format could not carry.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Everything the files hold.
    pub data: Dataset,
    /// One sentence per thing left out or folded, naming the file.
    pub notes: Vec<String>,
}

/// Reads the database. The service may be writing meanwhile and reads here are not one
/// transaction, so rows that name others are read before what they name (nothing is ever
/// deleted): every expert, organization or item a row names is there when read later.
pub async fn snapshot(store: &Store) -> AppResult<Snapshot> {
    let mut notes = Vec::new();
    let (projects, events) = events(store, &mut notes).await?;
    let memberships = store::export::memberships(store).await?;
    let history = history(store, &mut notes).await?;
    let experts = store::experts::all(store)
        .await?
        .iter()
        .map(|e| e.profile.clone())
        .collect();
    let organizations = store::reference::organizations(store).await?;
    let disciplines = store::reference::disciplines(store, "").await?;
    Ok(Snapshot {
        data: Dataset {
            organizations,
            disciplines,
            experts,
            memberships,
            history,
            projects,
            events,
        },
        notes,
    })
}

/// The tracking record as history.csv rows: the imported history, and the answers to the
/// service's own invitations, so that a database filled from the export counts the same
/// reviews, no-shows and ratings for every expert.
async fn history(store: &Store, notes: &mut Vec<String>) -> AppResult<Vec<HistoryRow>> {
    let mut rows = store::export::history(store).await?;
    let (answered, open) = store::export::answered_invitations(store).await?;
    let recorded: HashSet<(String, String)> = rows
        .iter()
        .map(|h| (h.expert_id.clone(), h.event_id.clone()))
        .collect();
    // The format holds one row per expert and event. Of several invitations (two panels of
    // one event, a replacement) an acceptance is kept, since it is what counts against the
    // cap and carries attendance and ratings; otherwise the latest answer.
    let mut by_pair: BTreeMap<(String, String), HistoryRow> = BTreeMap::new();
    let (mut folded, mut clashing) = (0, 0);
    for h in answered {
        let key = (h.expert_id.clone(), h.event_id.clone());
        if recorded.contains(&key) {
            clashing += 1;
            continue;
        }
        if let Some(kept) = by_pair.get(&key) {
            folded += 1;
            if kept.response == "accepted" && h.response != "accepted" {
                continue;
            }
        }
        by_pair.insert(key, h);
    }
    rows.extend(by_pair.into_values());
    rows.sort_by(|a, b| {
        (&a.expert_id, &a.event_date, &a.event_id).cmp(&(&b.expert_id, &b.event_date, &b.event_id))
    });
    if open > 0 {
        notes.push(format!(
            "history.csv: {open} invitations that are pending or were withdrawn are not in it (only answers are history)"
        ));
    }
    if folded > 0 {
        notes.push(format!(
            "history.csv: {folded} further invitations of an expert to the same event are folded into that event's one row"
        ));
    }
    if clashing > 0 {
        notes.push(format!(
            "history.csv: {clashing} answered invitations are left out: the imported history has a row for the same expert and event code"
        ));
    }
    Ok(rows)
}

/// The events (events.json) and their items (projects.csv), oldest event first. projects.csv
/// holds one project per id, so an event whose item differs from an earlier event's item of
/// the same id is left out (with a note) rather than pointed at the other item.
async fn events(store: &Store, notes: &mut Vec<String>) -> AppResult<(Vec<Item>, Vec<EventSpec>)> {
    let mut rows = store::events::list(store).await?;
    rows.sort_by_key(|e| e.event_id);
    let mut projects: Vec<Item> = Vec::new();
    let mut position: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for row in rows {
        let id = row.event_id;
        let event = Event::try_from(row)?;
        let items = store::events::items(store, id)
            .await?
            .iter()
            .map(item_of)
            .collect::<AppResult<Vec<Item>>>()?;
        let clash = items.iter().find(|i| {
            position
                .get(&i.key)
                .is_some_and(|&n| projects.get(n) != Some(*i))
        });
        if let Some(item) = clash {
            notes.push(format!(
                "events.json: event {} is left out: its item {} differs from an earlier event's item {} (projects.csv holds one project per id)",
                event.code, item.key, item.key
            ));
            continue;
        }
        let Some(&date) = event.dates.first() else {
            notes.push(format!(
                "events.json: event {} is left out: it has no date",
                event.code
            ));
            continue;
        };
        for item in items {
            if !position.contains_key(&item.key) {
                position.insert(item.key.clone(), projects.len());
                projects.push(item);
            }
        }
        let panels = store::events::panels(store, id)
            .await?
            .into_iter()
            .map(|p| EventPanel {
                id: p.code,
                slot: p.slot,
                items: p.items,
            })
            .collect();
        out.push(EventSpec {
            id: event.code,
            kind: event.kind.as_str().into(),
            pool: event.pool.as_str().into(),
            mode: event.mode.as_str().into(),
            date,
            dates: event.dates,
            slots: event
                .slots
                .into_iter()
                .map(|s| SlotSpec {
                    id: s.id,
                    date: s.date,
                    part: s.part,
                })
                .collect(),
            window: event.review_window.map(|w| WindowSpec {
                from: w.from,
                to: w.to,
            }),
            rules: event.rules,
            panels,
        });
    }
    Ok((projects, out))
}
