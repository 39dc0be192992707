//! Events, items, panels, staff exclusions and stored draws. Rules, items and results are
//! kept as the text the service gives (JSON or `;` lists); the service parses them.

use super::audit::Actor;
use super::{on_unique, Store, StoreError};
use serde::Serialize;
use sqlx::{Any, Transaction};

/// An event row.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EventRow {
    /// Id.
    pub event_id: i64,
    /// Public code, e.g. `EV001-APP`.
    pub code: String,
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: String,
    /// Pool.
    pub pool: String,
    /// Mode.
    pub mode: String,
    /// Dates, `;`-separated.
    pub dates: String,
    /// Slots as JSON.
    pub slots_json: String,
    /// Correspondence review window `from..to` (or empty).
    pub review_window: String,
    /// Hours an invited expert has to answer.
    pub answer_hours: i64,
    /// Whether decliners and missed answers are replaced automatically (1) or left to staff.
    pub auto_replace: i64,
    /// Rules as JSON.
    pub rules_json: String,
    /// Status.
    pub status: String,
    /// Where the panels meet (shown on invitations).
    pub venue: String,
    /// Answer invitations by this date (`YYYY-MM-DD`, or empty).
    pub answer_by: String,
}

/// An item row (lists `;`-separated, team `name@org;…`).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ItemRow {
    /// Id.
    pub item_id: i64,
    /// Code.
    pub code: String,
    /// Title.
    pub title: String,
    /// Applicants.
    pub applicant_orgs: String,
    /// Team.
    pub team: String,
    /// Disciplines.
    pub disciplines: String,
    /// Keywords.
    pub keywords: String,
    /// Abstract.
    #[sqlx(rename = "abstract")]
    pub abstract_text: String,
    /// Requested avoidances.
    pub requested_avoid: String,
    /// Reasons for them (JSON object expert code → reason, or empty).
    pub avoid_reasons: String,
    /// Prior roles (JSON object expert code → role, or empty).
    pub prior_roles: String,
    /// Earlier items this one continues.
    pub earlier_items: String,
}

/// A panel with its item codes.
#[derive(Debug, Clone, Serialize)]
pub struct PanelRow {
    /// Id.
    pub panel_id: i64,
    /// Code.
    pub code: String,
    /// Slot.
    pub slot: Option<String>,
    /// Item codes in order.
    pub items: Vec<String>,
}

/// A staff exclusion or a cleared possible conflict.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ExclusionRow {
    /// Id.
    pub exclusion_id: i64,
    /// Item code (the panel code for pins and removals).
    pub item_code: String,
    /// Expert code.
    pub expert_code: String,
    /// `staff`, `cleared`, `declared`, `pin` or `remove`; `lift_<kind>` undoes an earlier
    /// decision of that kind on the same pair.
    pub kind: String,
    /// Why.
    pub reason: String,
    /// Who.
    pub actor: String,
    /// When.
    pub at: String,
}

/// A stored draw.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DrawRow {
    /// Id.
    pub draw_id: i64,
    /// Event id.
    pub event_id: i64,
    /// Seed (decimal text: a u64 does not fit every database's integer).
    pub seed: String,
    /// Engine version.
    pub engine_version: String,
    /// Solver.
    pub solver: String,
    /// Input hash.
    pub input_hash: String,
    /// Input JSON.
    pub input_json: String,
    /// Result hash.
    pub result_hash: String,
    /// Result JSON.
    pub result_json: String,
    /// Who.
    pub actor: String,
    /// When.
    pub at: String,
    /// Hash of each part of the input (`rules`, `items`, `panels`, `decisions`, `candidates`).
    pub input_parts: String,
    /// Digest of the event's previous draw (empty for the first).
    pub prev_digest: String,
}

const EVENT_COLUMNS: &str =
    "event_id, code, title, kind, pool, mode, dates, slots_json, rules_json, status, venue, answer_by, review_window, answer_hours, auto_replace";

/// Creates an event.
/// Whether an event already has this code.
pub async fn code_taken(tx: &mut Transaction<'_, Any>, code: &str) -> Result<bool, StoreError> {
    let found: Option<(i64,)> = sqlx::query_as("select event_id from event where code = $1")
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(found.is_some())
}

pub async fn insert(tx: &mut Transaction<'_, Any>, e: &EventRow) -> Result<i64, StoreError> {
    let now = super::now();
    let (id,): (i64,) = sqlx::query_as(
        "insert into event (code, title, kind, pool, mode, dates, slots_json, rules_json, status, venue, answer_by, created_at, updated_at, review_window, answer_hours, auto_replace) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $11, $12, $10, $10, $13, $14, $15) returning event_id",
    )
    .bind(&e.code)
    .bind(&e.title)
    .bind(&e.kind)
    .bind(&e.pool)
    .bind(&e.mode)
    .bind(&e.dates)
    .bind(&e.slots_json)
    .bind(&e.rules_json)
    .bind(&e.status)
    .bind(now)
    .bind(&e.venue)
    .bind(&e.answer_by)
    .bind(&e.review_window)
    .bind(e.answer_hours)
    .bind(e.auto_replace)
    .fetch_one(&mut **tx)
    .await
    .map_err(|err| on_unique(err, "code"))?;
    Ok(id)
}

/// An event's title.
pub async fn title_of(conn: &mut sqlx::AnyConnection, id: i64) -> Result<String, StoreError> {
    let (title,): (String,) = sqlx::query_as("select title from event where event_id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(title)
}

/// An event.
pub async fn get(store: &Store, id: i64) -> Result<EventRow, StoreError> {
    sqlx::query_as(&format!(
        "select {EVENT_COLUMNS} from event where event_id = $1"
    ))
    .bind(id)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)
}

/// Every event, newest first.
pub async fn list(store: &Store) -> Result<Vec<EventRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "select {EVENT_COLUMNS} from event order by event_id desc"
    ))
    .fetch_all(&store.pool)
    .await?)
}

/// Replaces the rules.
pub async fn set_rules(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    rules_json: &str,
) -> Result<(), StoreError> {
    sqlx::query("update event set rules_json = $1, updated_at = $2 where event_id = $3")
        .bind(rules_json)
        .bind(super::now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An event read inside a write transaction, locked against other writers until commit (the
/// state checks of every action read it here, so two requests cannot both pass them).
pub async fn get_in(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    backend: super::Backend,
) -> Result<EventRow, StoreError> {
    let lock = if backend == super::Backend::Postgres {
        " for update"
    } else {
        ""
    };
    sqlx::query_as(&format!(
        "select {EVENT_COLUMNS} from event where event_id = $1{lock}"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)
}

/// Moves the status from `from` to `to`; refuses when another request moved it meanwhile.
pub async fn set_status(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    from: &str,
    to: &str,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "update event set status = $1, updated_at = $2 where event_id = $3 and status = $4",
    )
    .bind(to)
    .bind(super::now())
    .bind(id)
    .bind(from)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Stale(format!(
            "the event changed meanwhile (it is no longer {from})"
        )));
    }
    Ok(())
}

/// Sets where the panels meet and the answer deadline.
pub async fn set_notice(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    n: &Notice<'_>,
) -> Result<(), StoreError> {
    sqlx::query("update event set venue = $1, answer_by = $2, updated_at = $3, answer_hours = $5, auto_replace = $6 where event_id = $4")
        .bind(n.venue)
        .bind(n.answer_by)
        .bind(super::now())
        .bind(id)
        .bind(n.answer_hours)
        .bind(n.auto_replace)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An event's notice and follow-up policy.
pub struct Notice<'a> {
    /// Where the panels meet.
    pub venue: &'a str,
    /// Answer by (date text or empty).
    pub answer_by: &'a str,
    /// Hours to answer.
    pub answer_hours: i64,
    /// 1: replace automatically.
    pub auto_replace: i64,
}

/// Adds an item.
pub async fn insert_item(
    tx: &mut Transaction<'_, Any>,
    event: i64,
    i: &ItemRow,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "insert into item (event_id, code, title, applicant_orgs, team, disciplines, keywords, abstract, requested_avoid, avoid_reasons, prior_roles, earlier_items) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning item_id",
    )
    .bind(event)
    .bind(&i.code)
    .bind(&i.title)
    .bind(&i.applicant_orgs)
    .bind(&i.team)
    .bind(&i.disciplines)
    .bind(&i.keywords)
    .bind(&i.abstract_text)
    .bind(&i.requested_avoid)
    .bind(&i.avoid_reasons)
    .bind(&i.prior_roles)
    .bind(&i.earlier_items)
    .fetch_one(&mut **tx)
    .await
    .map_err(|err| on_unique(err, "id"))?;
    Ok(id)
}

/// Who reviewed items with these codes in other events (an accepted seat on a panel holding
/// the item): (item code, expert code, event code).
pub async fn reviewers_of(
    store: &Store,
    except_event: i64,
    item_codes: &[String],
) -> Result<Vec<(String, String, String)>, StoreError> {
    let mut out = Vec::new();
    // One query per code keeps the SQL the same on both databases (no array binding).
    for code in item_codes {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "select distinct it.code, x.code, ev.code
               from invitation i
               join event ev on ev.event_id = i.event_id
               join panel p on p.event_id = i.event_id and p.code = i.panel_code
               join panel_item pi on pi.panel_id = p.panel_id
               join item it on it.item_id = pi.item_id
               join expert x on x.expert_id = i.expert_id
              where i.status = 'accepted' and i.event_id <> $1 and it.code = $2
              order by 2, 3",
        )
        .bind(except_event)
        .bind(code)
        .fetch_all(&store.pool)
        .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// An event's items, by code.
pub async fn items(store: &Store, event: i64) -> Result<Vec<ItemRow>, StoreError> {
    Ok(sqlx::query_as("select item_id, code, title, applicant_orgs, team, disciplines, keywords, abstract, requested_avoid, avoid_reasons, prior_roles, earlier_items from item where event_id = $1 order by code")
        .bind(event)
        .fetch_all(&store.pool)
        .await?)
}

/// Replaces an event's panels: (code, slot, item ids).
pub async fn replace_panels(
    tx: &mut Transaction<'_, Any>,
    event: i64,
    panels: &[(String, Option<String>, Vec<i64>)],
) -> Result<(), StoreError> {
    sqlx::query(
        "delete from panel_item where panel_id in (select panel_id from panel where event_id = $1)",
    )
    .bind(event)
    .execute(&mut **tx)
    .await?;
    sqlx::query("delete from panel where event_id = $1")
        .bind(event)
        .execute(&mut **tx)
        .await?;
    for (position, (code, slot, items)) in panels.iter().enumerate() {
        let (id,): (i64,) = sqlx::query_as("insert into panel (event_id, code, slot, position) values ($1, $2, $3, $4) returning panel_id")
            .bind(event)
            .bind(code)
            .bind(slot.clone())
            .bind(position as i64)
            .fetch_one(&mut **tx)
            .await?;
        for (p, item) in items.iter().enumerate() {
            sqlx::query("insert into panel_item (panel_id, item_id, position) values ($1, $2, $3)")
                .bind(id)
                .bind(item)
                .bind(p as i64)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// An event's panels in order.
pub async fn panels(store: &Store, event: i64) -> Result<Vec<PanelRow>, StoreError> {
    let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "select panel_id, code, slot from panel where event_id = $1 order by position",
    )
    .bind(event)
    .fetch_all(&store.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (panel_id, code, slot) in rows {
        let items: Vec<(String,)> = sqlx::query_as("select i.code from panel_item p join item i on i.item_id = p.item_id where p.panel_id = $1 order by p.position")
            .bind(panel_id)
            .fetch_all(&store.pool)
            .await?;
        out.push(PanelRow {
            panel_id,
            code,
            slot,
            items: items.into_iter().map(|(c,)| c).collect(),
        });
    }
    Ok(out)
}

/// Records a staff exclusion or a cleared possible conflict.
pub async fn insert_exclusion(
    tx: &mut Transaction<'_, Any>,
    event: i64,
    item: &str,
    expert: &str,
    kind: &str,
    reason: &str,
    actor: &Actor,
) -> Result<(), StoreError> {
    sqlx::query("insert into exclusion (event_id, item_code, expert_code, kind, reason, actor, at) values ($1, $2, $3, $4, $5, $6, $7)")
        .bind(event)
        .bind(item)
        .bind(expert)
        .bind(kind)
        .bind(reason)
        .bind(&actor.name)
        .bind(super::now())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An event's exclusions, oldest first.
pub async fn exclusions(store: &Store, event: i64) -> Result<Vec<ExclusionRow>, StoreError> {
    Ok(sqlx::query_as("select exclusion_id, item_code, expert_code, kind, reason, actor, at from exclusion where event_id = $1 order by exclusion_id").bind(event).fetch_all(&store.pool).await?)
}

/// Removes an item of a draft event from the event and from its panel; a panel left without
/// items goes too. Returns the removed row (for the audit log), `None` when there is none.
pub async fn delete_item(
    tx: &mut Transaction<'_, Any>,
    event: i64,
    code: &str,
) -> Result<Option<ItemRow>, StoreError> {
    let row: Option<ItemRow> = sqlx::query_as("select item_id, code, title, applicant_orgs, team, disciplines, keywords, abstract, requested_avoid, avoid_reasons, prior_roles, earlier_items from item where event_id = $1 and code = $2")
        .bind(event)
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else { return Ok(None) };
    sqlx::query("delete from panel_item where item_id = $1")
        .bind(row.item_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("delete from item where item_id = $1")
        .bind(row.item_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("delete from panel where event_id = $1 and not exists (select 1 from panel_item pi where pi.panel_id = panel.panel_id)")
        .bind(event)
        .execute(&mut **tx)
        .await?;
    Ok(Some(row))
}

/// Stores a draw.
pub async fn insert_draw(tx: &mut Transaction<'_, Any>, d: &DrawRow) -> Result<i64, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "insert into draw (event_id, seed, engine_version, solver, input_hash, input_json, result_hash, result_json, actor, at, input_parts, prev_digest) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning draw_id",
    )
    .bind(d.event_id)
    .bind(&d.seed)
    .bind(&d.engine_version)
    .bind(&d.solver)
    .bind(&d.input_hash)
    .bind(&d.input_json)
    .bind(&d.result_hash)
    .bind(&d.result_json)
    .bind(&d.actor)
    .bind(&d.at)
    .bind(&d.input_parts)
    .bind(&d.prev_digest)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

const DRAW_COLUMNS: &str = "draw_id, event_id, seed, engine_version, solver, input_hash, input_json, result_hash, result_json, actor, at, input_parts, prev_digest";

/// The latest draw of an event, read inside a transaction (the chain's previous link).
pub async fn latest_draw_in(
    tx: &mut Transaction<'_, Any>,
    event: i64,
) -> Result<Option<DrawRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "select {DRAW_COLUMNS} from draw where event_id = $1 order by draw_id desc limit 1"
    ))
    .bind(event)
    .fetch_optional(&mut **tx)
    .await?)
}

/// A draw.
pub async fn draw(store: &Store, id: i64) -> Result<DrawRow, StoreError> {
    sqlx::query_as(&format!(
        "select {DRAW_COLUMNS} from draw where draw_id = $1"
    ))
    .bind(id)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)
}

/// An event's draws, newest first.
pub async fn draws(store: &Store, event: i64) -> Result<Vec<DrawRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "select {DRAW_COLUMNS} from draw where event_id = $1 order by draw_id desc"
    ))
    .bind(event)
    .fetch_all(&store.pool)
    .await?)
}
