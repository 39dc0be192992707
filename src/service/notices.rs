//! What an invited expert sees of their invitations: the event, their panel's items, when
//! and where it meets and by when to answer — never the other members.

use crate::domain::event::{panel_half_day, EventStatus, HalfDay};
use crate::domain::ExpertId;
use crate::error::AppResult;
use crate::service::events::{self, Event};
use crate::store::events as store_e;
use crate::store::invitations as store_i;
use crate::store::Store;
use serde::Serialize;
use std::collections::BTreeMap;

/// An item as an invited expert sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ItemNotice {
    /// Code.
    pub code: String,
    /// Title.
    pub title: String,
    /// Applicant organizations (names).
    pub applicants: String,
}

/// An invitation as the invited expert sees it: the event, their panel's items, when and
/// where it meets and by when to answer — never the other members.
#[derive(Debug, Clone, Serialize)]
pub struct ExpertInvitation {
    /// Invitation id.
    pub id: i64,
    /// Event code.
    pub event: String,
    /// Event title.
    pub title: String,
    /// Event kind.
    pub kind: String,
    /// Event status.
    pub event_status: EventStatus,
    /// Event dates.
    pub dates: Vec<chrono::NaiveDate>,
    /// Panel code.
    pub panel: String,
    /// The half-day the panel meets in, if it meets.
    pub slot: Option<HalfDay>,
    /// Venue.
    pub venue: String,
    /// Answer by.
    pub answer_by: Option<chrono::NaiveDate>,
    /// Role.
    pub role: String,
    /// Status.
    pub status: String,
    /// Why declined.
    pub decline_reason: String,
    /// The panel's items.
    pub items: Vec<ItemNotice>,
    /// Answer by (local time as read), once the invitation went out.
    pub deadline: Option<String>,
}

/// An expert's own invitations, newest first.
pub async fn for_expert(store: &Store, expert: ExpertId) -> AppResult<Vec<ExpertInvitation>> {
    let rows = store_i::for_expert(store, expert.0).await?;
    let orgs: BTreeMap<String, String> = crate::store::reference::organizations(store)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name_zh))
        .collect();
    let mut events_seen: BTreeMap<i64, (Event, Vec<store_e::PanelRow>, Vec<store_e::ItemRow>)> =
        BTreeMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for (r, ..) in rows {
        if let std::collections::btree_map::Entry::Vacant(slot) = events_seen.entry(r.event_id) {
            let event = events::get(store, r.event_id).await?;
            let (items, panels) = events::contents(store, r.event_id).await?;
            slot.insert((event, panels, items));
        }
        let (event, panels, items) = &events_seen[&r.event_id];
        let codes = panels
            .iter()
            .find(|p| p.code == r.panel_code)
            .map(|p| p.items.clone())
            .unwrap_or_default();
        let slot = panels
            .iter()
            .find(|p| p.code == r.panel_code)
            .and_then(|p| {
                panel_half_day(event.mode, &event.slots, &event.dates, p.slot.as_deref())
            });
        out.push(ExpertInvitation {
            id: r.invitation_id,
            event: event.code.clone(),
            title: event.title.clone(),
            kind: event.kind.as_str().into(),
            event_status: event.status,
            dates: event.dates.clone(),
            panel: r.panel_code.clone(),
            slot,
            venue: event.venue.clone(),
            answer_by: event.answer_by,
            role: r.role.clone(),
            status: r.status.clone(),
            decline_reason: r.decline_reason.clone(),
            deadline: r
                .answer_deadline
                .as_deref()
                .and_then(crate::clock::parse_stamp)
                .map(crate::service::notify::local),
            items: items
                .iter()
                .filter(|i| codes.contains(&i.code))
                .map(|i| ItemNotice {
                    code: i.code.clone(),
                    title: i.title.clone(),
                    applicants: i
                        .applicant_orgs
                        .split(';')
                        .filter(|o| !o.is_empty())
                        .map(|o| orgs.get(o).cloned().unwrap_or_else(|| o.to_string()))
                        .collect::<Vec<_>>()
                        .join("、"),
                })
                .collect(),
        });
    }
    Ok(out)
}

/// One invitation as its expert sees it.
pub async fn one(store: &Store, expert: ExpertId, invitation: i64) -> AppResult<ExpertInvitation> {
    for_expert(store, expert)
        .await?
        .into_iter()
        .find(|i| i.id == invitation)
        .ok_or_else(|| crate::error::AppError::NotFound(format!("invitation {invitation}")))
}
