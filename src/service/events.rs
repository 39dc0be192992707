//! Review events: creation with preset rules, items from CSV, panels by discipline, the
//! eligibility overview, the draw (stored with seed, input and result) and its replay.

use crate::assign::problem::{Item, Overrides, PairNote, PanelSpec, Problem};
use crate::assign::{presets, Rules};
use crate::domain::event::{
    panel_half_day, parse_slots, EventAction, EventKind, EventMode, EventStatus, Slot,
};
use crate::domain::membership::Pool;
use crate::domain::ValidationError;
use crate::error::{AppError, AppResult};
use crate::service::candidates::Snapshot;
use crate::store::audit::{self, Actor};
use crate::store::events::{self as store_e, EventRow, ItemRow};
use crate::store::{reference, Store};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An event as the service sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// Id.
    pub id: i64,
    /// Code.
    pub code: String,
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: EventKind,
    /// Pool.
    pub pool: Pool,
    /// Mode.
    pub mode: EventMode,
    /// Dates.
    pub dates: Vec<NaiveDate>,
    /// Slots.
    pub slots: Vec<Slot>,
    /// Rules.
    pub rules: Rules,
    /// Status.
    pub status: EventStatus,
    /// Where the panels meet.
    pub venue: String,
    /// Answer invitations by this date.
    pub answer_by: Option<NaiveDate>,
    /// Correspondence review: the days experts work on their items.
    pub review_window: Option<crate::domain::expert::DateRange>,
    /// Hours an invited expert has to answer.
    pub answer_hours: u32,
    /// Decliners and missed answers are replaced automatically (else staff decide).
    pub auto_replace: bool,
}

pub(crate) fn corrupt(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("stored event does not parse: {e}"))
}

impl TryFrom<EventRow> for Event {
    type Error = AppError;
    fn try_from(r: EventRow) -> AppResult<Self> {
        Ok(Event {
            id: r.event_id,
            code: r.code,
            title: r.title,
            kind: EventKind::parse(&r.kind).map_err(corrupt)?,
            pool: Pool::parse(&r.pool).map_err(corrupt)?,
            mode: EventMode::parse(&r.mode).map_err(corrupt)?,
            dates: r
                .dates
                .split(';')
                .filter(|d| !d.is_empty())
                .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(corrupt))
                .collect::<AppResult<_>>()?,
            slots: serde_json::from_str(&r.slots_json).map_err(corrupt)?,
            rules: serde_json::from_str(&r.rules_json).map_err(corrupt)?,
            status: EventStatus::parse(&r.status).map_err(corrupt)?,
            venue: r.venue,
            answer_by: match r.answer_by.as_str() {
                "" => None,
                d => Some(NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(corrupt)?),
            },
            answer_hours: u32::try_from(r.answer_hours).map_err(corrupt)?,
            auto_replace: r.auto_replace != 0,
            review_window: match r.review_window.as_str() {
                "" => None,
                w => Some(
                    crate::domain::expert::DateRange::parse("review_window", w).map_err(corrupt)?,
                ),
            },
        })
    }
}

/// Event input from a form or the API (text, parsed here).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EventInput {
    /// Code (empty: generated from the date and kind).
    pub code: String,
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: String,
    /// Pool (empty: advisory for consulting, review otherwise).
    pub pool: String,
    /// Mode.
    pub mode: String,
    /// Dates `YYYY-MM-DD;…`.
    pub dates: String,
    /// Slots `S1=YYYY-MM-DD am;…`.
    pub slots: String,
    /// Rules (empty: the preset for the kind and mode).
    pub rules: Option<Rules>,
    /// Where the panels meet (shown on invitations).
    pub venue: String,
    /// Answer invitations by `YYYY-MM-DD` (empty: no deadline).
    pub answer_by: String,
    /// Correspondence review (individual mode): `YYYY-MM-DD..YYYY-MM-DD`, the days experts
    /// work on their items, ending by the last date (empty: the dates only).
    pub review_window: String,
    /// Hours an invited expert has to answer (empty: the preset of the kind).
    pub answer_hours: Option<u32>,
    /// Replace decliners and missed answers automatically (empty: yes).
    pub auto_replace: Option<bool>,
}

/// Venue and answer deadline, checked: the deadline is a date before the event.
pub(crate) fn notice(
    venue: &str,
    answer_by: &str,
    first: NaiveDate,
) -> AppResult<(String, String)> {
    let venue = venue.trim();
    if venue.chars().count() > 200 {
        return Err(ValidationError::new("venue", "at most 200 characters").into());
    }
    let answer_by = match answer_by.trim() {
        "" => String::new(),
        d => {
            let date = crate::domain::expert::parse_date("answer_by", d)?;
            if date > first {
                return Err(ValidationError::new(
                    "answer_by",
                    format!("the answer deadline {date} is after the event ({first})"),
                )
                .into());
            }
            date.to_string()
        }
    };
    Ok((venue.to_string(), answer_by))
}

/// Loads an event.
pub async fn get(store: &Store, id: i64) -> AppResult<Event> {
    store_e::get(store, id)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound => AppError::NotFound(format!("event {id}")),
            other => other.into(),
        })?
        .try_into()
}

/// Creates an event in `draft`.
pub async fn create(store: &Store, actor: &Actor, input: EventInput) -> AppResult<Event> {
    let kind = EventKind::parse(&input.kind)?;
    let mode = if input.mode.trim().is_empty() {
        EventMode::Panel
    } else {
        EventMode::parse(&input.mode)?
    };
    let pool = match input.pool.trim() {
        "" if kind == EventKind::Consulting => Pool::Advisory,
        "" => Pool::Review,
        other => Pool::parse(other)?,
    };
    let title = crate::domain::validation::required_text("title", &input.title, 200)?;
    let mut dates: Vec<NaiveDate> = input
        .dates
        .split([';', ',', ' '])
        .filter(|d| !d.trim().is_empty())
        .enumerate()
        .map(|(i, d)| crate::domain::expert::parse_date(&format!("dates[{i}]"), d))
        .collect::<Result<_, _>>()?;
    let slots = parse_slots(&input.slots)?;
    dates.extend(slots.iter().map(|s| s.date));
    dates.sort();
    dates.dedup();
    if dates.is_empty() {
        return Err(ValidationError::new("dates", "give at least one date").into());
    }
    let rules = input
        .rules
        .unwrap_or_else(|| presets::default_rules(kind, mode));
    rules.validate().map_err(|e| e.within("rules"))?;
    let (venue, answer_by) = notice(&input.venue, &input.answer_by, dates[0])?;
    let review_window = match input.review_window.trim() {
        "" => String::new(),
        _ if mode != EventMode::Individual => {
            return Err(ValidationError::new(
                "review_window",
                "only correspondence (individual) review has a review window",
            )
            .into())
        }
        raw => {
            let window = crate::domain::expert::DateRange::parse("review_window", raw)?;
            let last = dates[dates.len() - 1];
            if window.to > last {
                return Err(ValidationError::new(
                    "review_window",
                    format!("the window ends after the event's last date ({last})"),
                )
                .into());
            }
            window.to_string()
        }
    };
    let answer_hours = crate::service::follow_up::answer_hours(
        input
            .answer_hours
            .unwrap_or_else(|| presets::answer_hours(kind)),
    )?;
    let generated = input.code.trim().is_empty();
    let mut code = if generated {
        format!(
            "EV{}-{}",
            dates[0].format("%Y%m%d"),
            kind.as_str().to_uppercase()
        )
    } else {
        event_code(&input.code)?
    };
    let row = EventRow {
        event_id: 0,
        code: code.clone(),
        title,
        kind: kind.as_str().into(),
        pool: pool.as_str().into(),
        mode: mode.as_str().into(),
        dates: dates
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(";"),
        slots_json: serde_json::to_string(&slots).map_err(corrupt)?,
        rules_json: serde_json::to_string(&rules).map_err(corrupt)?,
        status: EventStatus::Draft.as_str().into(),
        venue,
        answer_by,
        review_window,
        answer_hours: answer_hours.into(),
        auto_replace: i64::from(input.auto_replace.unwrap_or(true)),
    };
    let mut tx = store.begin_write().await?;
    if generated {
        // A second event of the same kind starting the same day gets `-2`, `-3` … rather
        // than a refusal over a code nobody typed (checked under the write lock).
        let base = code.clone();
        let mut n = 1;
        while store_e::code_taken(&mut tx, &code).await? {
            n += 1;
            code = format!("{base}-{n}");
        }
    }
    let mut row = row;
    row.code = code.clone();
    let id = store_e::insert(&mut tx, &row).await?;
    audit::record(
        &mut tx,
        actor,
        "event.create",
        "event",
        &code,
        None,
        serde_json::to_value(&row).ok().as_ref(),
    )
    .await?;
    tx.commit().await?;
    get(store, id).await
}

/// An event code as staff give it: ASCII letters, digits, `-` and `_` (it names download
/// files and appears in links), at most 40.
fn event_code(raw: &str) -> Result<String, ValidationError> {
    let code = raw.trim();
    let fine = !code.is_empty()
        && code.len() <= 40
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if fine {
        Ok(code.to_string())
    } else {
        Err(ValidationError::new(
            "code",
            format!("'{code}' is not 1–40 ASCII letters, digits, - or _"),
        ))
    }
}

/// Refuses `action` unless the event's state allows it (a typed 409 naming the state).
pub(crate) fn require(event: &Event, action: EventAction) -> AppResult<()> {
    Ok(event.status.check(action)?)
}

/// Opens the write transaction of an action on an event and checks its state there, where no
/// other writer can move it before this one commits.
pub(crate) async fn begin(
    store: &Store,
    id: i64,
    action: EventAction,
) -> AppResult<(sqlx::Transaction<'static, sqlx::Any>, Event)> {
    let mut tx = store.begin_write().await?;
    let event: Event = store_e::get_in(&mut tx, id, store.backend)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound => AppError::NotFound(format!("event {id}")),
            other => other.into(),
        })?
        .try_into()?;
    require(&event, action)?;
    Ok((tx, event))
}

/// Replaces the rules of a draft event.
pub async fn set_rules(store: &Store, actor: &Actor, id: i64, rules: Rules) -> AppResult<Event> {
    rules.validate().map_err(|e| e.within("rules"))?;
    let (mut tx, event) = begin(store, id, EventAction::EditRules).await?;
    store_e::set_rules(
        &mut tx,
        id,
        &serde_json::to_string(&rules).map_err(corrupt)?,
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        "event.rules",
        "event",
        &event.code,
        serde_json::to_value(&event.rules).ok().as_ref(),
        serde_json::to_value(&rules).ok().as_ref(),
    )
    .await?;
    tx.commit().await?;
    get(store, id).await
}

/// Staff exclude an expert for an item (`staff`) or clear a possible name-only conflict.
pub async fn add_exclusion(
    store: &Store,
    actor: &Actor,
    id: i64,
    item: &str,
    expert: &str,
    kind: &str,
    reason: &str,
) -> AppResult<()> {
    let event = get(store, id).await?;
    require(&event, EventAction::Exclude)?;
    if !["staff", "cleared"].contains(&kind) {
        return Err(ValidationError::new(
            "kind",
            "must be staff (exclude) or cleared (clear a possible conflict)",
        )
        .into());
    }
    let reason = crate::domain::validation::required_text("reason", reason, 500)?;
    if !store_e::items(store, id)
        .await?
        .iter()
        .any(|i| i.code == item)
    {
        return Err(ValidationError::new("item", format!("no item {item} in this event")).into());
    }
    let mut conn = store.pool.acquire().await?;
    crate::store::experts::get_by_code(&mut conn, expert)
        .await
        .map_err(|_| ValidationError::new("expert", format!("no expert {expert}")))?;
    drop(conn);
    let (mut tx, event) = begin(store, id, EventAction::Exclude).await?;
    store_e::insert_exclusion(&mut tx, id, item, expert, kind, &reason, actor).await?;
    audit::record(
        &mut tx,
        actor,
        &format!("event.{kind}"),
        "event",
        &event.code,
        None,
        Some(&serde_json::json!({"item": item, "expert": expert, "reason": reason})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds the decisions recorded on an event to an engine input: staff exclusions, declared
/// conflicts, cleared name-only matches, and (`with_pins`) pinned or removed members.
pub(crate) fn apply_exclusions(
    overrides: &mut Overrides,
    rows: Vec<crate::store::events::ExclusionRow>,
    with_pins: bool,
) {
    for x in in_force(rows) {
        let note = PairNote {
            item: x.item_code,
            expert: x.expert_code,
            reason: x.reason,
        };
        match x.kind.as_str() {
            "staff" => overrides.staff_exclusions.push(note),
            "declared" => overrides.declared.push(note),
            "cleared" => overrides.cleared_possible.push(note),
            // Pins and removals are stored per panel: the item column holds the panel code.
            "pin" if with_pins => overrides.forced.push((note.item, note.expert)),
            "remove" => overrides.forbidden.push((note.item, note.expert)),
            _ => {}
        }
    }
}

/// The engine input of an event.
pub async fn problem(store: &Store, id: i64, seed: u64) -> AppResult<Problem> {
    Ok(problem_at(store, id, seed).await?.0)
}

/// [`problem`] and the registry snapshot whose profiles its candidates share (with the
/// snapshot's analysis, an overview or a draw skips the profile-only part).
pub async fn problem_at(
    store: &Store,
    id: i64,
    seed: u64,
) -> AppResult<(Problem, std::sync::Arc<Snapshot>)> {
    let event = get(store, id).await?;
    let rows = store_e::items(store, id).await?;
    let items: Vec<Item> = rows.iter().map(item_of).collect::<AppResult<_>>()?;
    let index: BTreeMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, it)| (it.key.as_str(), i))
        .collect();
    let meets = |slot: Option<&str>| panel_half_day(event.mode, &event.slots, &event.dates, slot);
    let slot_dates: BTreeMap<&str, NaiveDate> = event
        .slots
        .iter()
        .map(|s| (s.id.as_str(), s.date))
        .collect();
    let panels: Vec<PanelSpec> = store_e::panels(store, id)
        .await?
        .into_iter()
        .map(|p| {
            let meets = meets(p.slot.as_deref());
            PanelSpec {
                date: p.slot.as_deref().and_then(|s| slot_dates.get(s).copied()),
                items: p
                    .items
                    .iter()
                    .filter_map(|c| index.get(c.as_str()).copied())
                    .collect(),
                key: p.code,
                // A meeting panel without a slot meets on the event's first day, all day (so
                // the invitations' half-day check reads it): such panels share that day as
                // their slot, so the slot rule keeps an expert on one of them and a draw
                // never seats someone twice at once only to be refused at confirmation.
                slot: p
                    .slot
                    .or_else(|| meets.as_ref().map(|day| format!("{}", day.date))),
                meets,
            }
        })
        .collect();
    if panels.is_empty() {
        return Err(
            ValidationError::new("panels", "group the items into panels before drawing").into(),
        );
    }
    let first = event.dates[0];
    let (candidates, snapshot) = crate::service::candidates::for_event(
        store,
        event.pool,
        first,
        Some((event.id, &event.code)),
    )
    .await?;
    let mut overrides = Overrides::default();
    apply_exclusions(&mut overrides, store_e::exclusions(store, id).await?, true);
    // Whoever reviewed the earlier stage of an item (its application, for an acceptance
    // check) has a prior role on it.
    let mut items = items;
    for item in items.iter_mut().filter(|i| !i.earlier_items.is_empty()) {
        for (earlier, expert, other) in
            store_e::reviewers_of(store, event.id, &item.earlier_items).await?
        {
            item.prior_roles
                .entry(expert)
                .or_insert_with(|| format!("reviewed {earlier} in {other}"));
        }
    }
    let problem = Problem {
        event: event.code,
        dates: event.dates,
        window: event.review_window,
        rules: event.rules,
        items,
        panels,
        candidates,
        org_names: reference::organizations(store)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name_zh))
            .collect(),
        overrides,
        seed,
        time_limit_secs: 30.0,
        fit_basis: crate::assign::problem::FitBasis::Experts,
    };
    Ok((problem, snapshot))
}

/// Every event, newest first.
pub async fn list(store: &Store) -> AppResult<Vec<Event>> {
    store_e::list(store)
        .await?
        .into_iter()
        .map(Event::try_from)
        .collect()
}

/// Item and panel listings for pages.
pub async fn contents(
    store: &Store,
    id: i64,
) -> AppResult<(Vec<ItemRow>, Vec<crate::store::events::PanelRow>)> {
    Ok((
        store_e::items(store, id).await?,
        store_e::panels(store, id).await?,
    ))
}

pub use super::draws::{draw, overview, replay, PanelOverview, Replay, StoredDraw};
pub use super::panels::{group_panels, parse_panel_lines, pin, set_panels, PanelInput};

mod items;
pub use items::{add_items_csv, remove_item};
mod decisions;
pub use decisions::{in_force, lift};
pub(crate) use items::item_of;
