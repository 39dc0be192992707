//! The draw of an event: eligibility overview, the stored draw and its replay.

use super::events::{begin, corrupt, get, problem, problem_at, require, Event};
use crate::assign::{self, Problem};
use crate::domain::event::{EventAction, EventStatus};
use crate::error::{AppError, AppResult};
use crate::store::audit::{self, Actor};
use crate::store::events::{self as store_e, DrawRow};
use crate::store::Store;
use serde::Serialize;
use std::collections::BTreeMap;

/// Per panel: eligible experts and why the others are not.
#[derive(Debug, Serialize)]
pub struct PanelOverview {
    /// Panel code.
    pub panel: String,
    /// Item codes.
    pub items: Vec<String>,
    /// Slot.
    pub slot: Option<String>,
    /// Eligible experts.
    pub eligible: usize,
    /// Excluded, by reason code.
    pub excluded: BTreeMap<&'static str, usize>,
}

/// The eligibility overview of an event, before drawing.
pub async fn overview(store: &Store, id: i64) -> AppResult<Vec<PanelOverview>> {
    let started = std::time::Instant::now();
    let (problem, snapshot) = problem_at(store, id, 0).await?;
    let loaded_ms = started.elapsed().as_secs_f64() * 1e3;
    let profiles = snapshot.index().await?;
    off_thread(move || {
        let analysis = assign::analyze_with(&problem, &profiles);
        let out = summary(&problem, &analysis);
        if std::env::var_os("EXPERTPOOL_SOLVER_LOG").is_some() {
            eprintln!(
                "overview: input {loaded_ms:.0} ms, analysis {:.0} ms",
                started.elapsed().as_secs_f64() * 1e3 - loaded_ms
            );
        }
        drop_later((problem, analysis));
        out
    })
    .await
}

fn summary(problem: &Problem, analysis: &assign::Analysis) -> Vec<PanelOverview> {
    problem
        .panels
        .iter()
        .zip(&analysis.panels)
        .map(|(p, e)| PanelOverview {
            panel: p.key.clone(),
            items: p
                .items
                .iter()
                .map(|&i| problem.items[i].key.clone())
                .collect(),
            slot: p.slot.clone(),
            eligible: e.arcs.len(),
            excluded: e.counts(),
        })
        .collect()
}

/// A draw as returned to staff.
#[derive(Debug, Serialize)]
pub struct StoredDraw {
    /// Draw id.
    pub id: i64,
    /// Event id.
    pub event_id: i64,
    /// Seed.
    pub seed: String,
    /// Who and when.
    pub actor: String,
    /// When.
    pub at: String,
    /// Solver.
    pub solver: String,
    /// Input hash.
    pub input_hash: String,
    /// Result hash.
    pub result_hash: String,
    /// The result.
    pub result: serde_json::Value,
    /// Digest of the event's previous draw (empty for the first).
    pub prev_digest: String,
}

impl From<DrawRow> for StoredDraw {
    fn from(d: DrawRow) -> Self {
        StoredDraw {
            id: d.draw_id,
            event_id: d.event_id,
            seed: d.seed,
            actor: d.actor,
            at: d.at,
            solver: d.solver,
            input_hash: d.input_hash,
            result_hash: d.result_hash,
            result: serde_json::from_str(&d.result_json).unwrap_or_default(),
            prev_digest: d.prev_digest,
        }
    }
}

/// Draws the panels (seed random unless given) and stores seed, input and result, chained to
/// the event's previous draw.
pub async fn draw(
    store: &Store,
    actor: &Actor,
    id: i64,
    seed: Option<u64>,
) -> AppResult<StoredDraw> {
    let event = get(store, id).await?;
    require(&event, EventAction::Draw)?;
    let seed = seed.unwrap_or_else(|| {
        use rand::RngExt;
        rand::rng().random()
    });
    let started = std::time::Instant::now();
    let (problem, snapshot) = problem_at(store, id, seed).await?;
    let profiles = snapshot.index().await?;
    let loaded_ms = started.elapsed().as_secs_f64() * 1e3;
    // Solving and serializing the input (every candidate: megabytes at province scale) run on
    // the blocking pool, before the write transaction, so no writer waits on them; each on a
    // thread of its own, since the engine needs the input's hash only for the result.
    let problem = std::sync::Arc::new(problem);
    let record = {
        let problem = problem.clone();
        off_thread(move || {
            let t = std::time::Instant::now();
            // Serialized once: the stored text, and its hash is the result's input hash.
            let input_json = serde_json::to_string(&*problem);
            let input_hash = input_json.as_ref().ok().map(|text| {
                use sha2::{Digest, Sha256};
                hex::encode(Sha256::digest(text.as_bytes()))
            });
            let serialized = t.elapsed().as_secs_f64() * 1e3;
            let parts = serde_json::to_string(&problem.part_hashes());
            if std::env::var_os("EXPERTPOOL_SOLVER_LOG").is_some() {
                eprintln!(
                    "draw: input serialized and hashed {serialized:.0} ms, part hashes {:.0} ms",
                    t.elapsed().as_secs_f64() * 1e3 - serialized
                );
            }
            (input_json, input_hash, parts)
        })
    };
    let engine = {
        let problem = problem.clone();
        off_thread(move || {
            let t = std::time::Instant::now();
            // The input hash is set below, from the other thread's serialization.
            let outcome = assign::draw_with(&problem, &profiles, Some(String::new()));
            if std::env::var_os("EXPERTPOOL_SOLVER_LOG").is_some() {
                eprintln!("draw: engine {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
            }
            outcome
        })
    };
    let (recorded, outcome) = tokio::join!(record, engine);
    let ((input_json, input_hash, input_parts), mut outcome) = (recorded?, outcome?);
    drop_later(problem);
    if let (Ok(o), Some(hash)) = (outcome.as_mut(), input_hash) {
        o.result.input_hash = hash;
    }
    let outcome = match (outcome, input_json) {
        (Ok(outcome), input_json) => (outcome, input_json),
        // An attempt that the rules make impossible is kept, with its input, for the record.
        (Err(assign::DrawError::Infeasible(d)), Ok(input_json)) => {
            super::attempts::record(store, actor, id, seed, input_json, &d).await?;
            return Err(draw_error(assign::DrawError::Infeasible(d)));
        }
        (Err(e), _) => return Err(draw_error(e)),
    };
    let (outcome, input_json) = outcome;
    let result_json = serde_json::to_string(&outcome.result).map_err(corrupt)?;
    let solved_ms = started.elapsed().as_secs_f64() * 1e3 - loaded_ms;
    // The state is checked again inside the transaction.
    let (mut tx, event) = begin(store, id, EventAction::Draw).await?;
    let prev_digest = store_e::latest_draw_in(&mut tx, id)
        .await?
        .map(|d| digest(&d))
        .unwrap_or_default();
    let mut row = DrawRow {
        draw_id: 0,
        event_id: id,
        seed: seed.to_string(),
        engine_version: assign::ENGINE_VERSION.into(),
        solver: outcome.stats.solver.into(),
        input_hash: outcome.result.input_hash.clone(),
        input_json: input_json.map_err(corrupt)?,
        result_hash: outcome.result.hash(),
        result_json,
        actor: actor.name.clone(),
        at: crate::store::now(),
        input_parts: input_parts.map_err(corrupt)?,
        prev_digest,
    };
    row.draw_id = store_e::insert_draw(&mut tx, &row).await?;
    store_e::set_status(
        &mut tx,
        id,
        event.status.as_str(),
        EventStatus::Drawn.as_str(),
    )
    .await?;
    audit::record(&mut tx, actor, "event.draw", "event", &event.code, None, Some(&serde_json::json!({"draw": row.draw_id, "seed": row.seed, "input_hash": row.input_hash, "result_hash": row.result_hash, "digest": digest(&row)}))).await?;
    tx.commit().await?;
    if std::env::var_os("EXPERTPOOL_SOLVER_LOG").is_some() {
        eprintln!(
            "draw: input {loaded_ms:.0} ms, solve and serialize {solved_ms:.0} ms, store {:.0} ms ({} KiB of input)",
            started.elapsed().as_secs_f64() * 1e3 - loaded_ms - solved_ms,
            row.input_json.len() / 1024
        );
    }
    Ok(row.into())
}

/// The digest that chains draws: over the stored row's identity, hashes and its own link, so
/// editing or deleting a draw breaks the link of the draw after it.
pub fn digest(d: &DrawRow) -> String {
    use sha2::{Digest, Sha256};
    let text = format!(
        "{}|{}|{}|{}|{}|{}|{}",
        d.draw_id, d.event_id, d.seed, d.input_hash, d.result_hash, d.prev_digest, d.at
    );
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Whether a draw still describes the event as it is now.
#[derive(Debug, Clone, Serialize)]
pub struct Freshness {
    /// The draw checked.
    pub draw: i64,
    /// Nothing the draw was made from has changed.
    pub current: bool,
    /// The parts that changed: `rules`, `items`, `panels`, `decisions`, `candidates`.
    pub changed: Vec<String>,
    /// When the event was last edited after the draw (from the audit log), if it was.
    pub since: Option<String>,
}

impl Freshness {
    /// Why the draw may not be confirmed, in words.
    pub fn explain(&self) -> String {
        let mut text = format!(
            "the draw is out of date: {} changed",
            self.changed.join(", ")
        );
        if let Some(at) = &self.since {
            text.push_str(&format!(" at {}", crate::clock::local_time(at, "en")));
        }
        text.push_str("; draw again");
        text
    }
}

/// Compares a draw's input with what the event would give now.
pub async fn freshness(store: &Store, event: &Event, row: &DrawRow) -> AppResult<Freshness> {
    let stored: BTreeMap<String, String> =
        serde_json::from_str(&row.input_parts).unwrap_or_default();
    let changed: Vec<String> = match problem(store, event.id, 0).await {
        Ok(now) => {
            let now = now.part_hashes();
            now.iter()
                .filter(|(part, hash)| stored.get(*part) != Some(hash))
                .map(|(part, _)| part.clone())
                .collect()
        }
        // Without panels nothing can be drawn: the draw no longer matches the event.
        Err(AppError::Validation(_)) => vec!["panels".into()],
        Err(e) => return Err(e),
    };
    let since = if changed.is_empty() {
        None
    } else {
        audit::of_entity(store, "event", &event.code, "event.")
            .await?
            .into_iter()
            .filter(|e| e.at > row.at && e.action != "event.draw")
            .map(|e| e.at)
            .next_back()
    };
    Ok(Freshness {
        draw: row.draw_id,
        current: changed.is_empty(),
        changed,
        since,
    })
}

/// One link of an event's draw chain, as the supervisor's page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ChainLink {
    /// Draw id.
    pub draw: i64,
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// Seed.
    pub seed: String,
    /// The stored input still hashes to the stored input hash.
    pub input_intact: bool,
    /// The stored result still hashes to the stored result hash.
    pub result_intact: bool,
    /// The link to the previous draw holds (nothing between them was edited or deleted).
    pub linked: bool,
    /// The audit log recorded this draw with the same result hash.
    pub audited: bool,
}

/// The chain of an event's draws, oldest first, and the draws the audit log knows of that
/// are no longer stored.
#[derive(Debug, Clone, Serialize)]
pub struct Chain {
    /// Links, oldest first.
    pub links: Vec<ChainLink>,
    /// Draw ids recorded in the audit log but missing from the table.
    pub missing: Vec<i64>,
    /// Every check holds.
    pub intact: bool,
}

/// Both hashes are taken over the very bytes stored (`Problem::input_hash` and
/// `DrawResult::hash` hash the same serialization), so any edit of the stored text shows, and
/// the event page checks every draw without parsing megabytes of input.
fn stored_text_intact(text: &str, hash: &str) -> bool {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes())) == hash
}

fn input_intact(row: &DrawRow) -> bool {
    stored_text_intact(&row.input_json, &row.input_hash)
}

fn result_intact(row: &DrawRow) -> bool {
    stored_text_intact(&row.result_json, &row.result_hash)
}

/// Verifies an event's draws: each hash, each link, and each against the audit log.
pub async fn chain(store: &Store, event: &Event) -> AppResult<Chain> {
    let mut rows = store_e::draws(store, event.id).await?;
    rows.reverse();
    let audited: BTreeMap<i64, String> =
        audit::of_entity(store, "event", &event.code, "event.draw")
            .await?
            .into_iter()
            .filter_map(|e| {
                let after: serde_json::Value =
                    serde_json::from_str(e.after_json.as_deref()?).ok()?;
                Some((
                    after["draw"].as_i64()?,
                    after["result_hash"].as_str()?.to_string(),
                ))
            })
            .collect();
    let mut prev = String::new();
    let mut links = Vec::with_capacity(rows.len());
    for row in &rows {
        links.push(ChainLink {
            draw: row.draw_id,
            at: row.at.clone(),
            actor: row.actor.clone(),
            seed: row.seed.clone(),
            input_intact: input_intact(row),
            result_intact: result_intact(row),
            linked: row.prev_digest == prev,
            audited: audited.get(&row.draw_id) == Some(&row.result_hash),
        });
        prev = digest(row);
    }
    let missing: Vec<i64> = audited
        .keys()
        .filter(|id| !rows.iter().any(|r| r.draw_id == **id))
        .copied()
        .collect();
    let intact = missing.is_empty()
        && links
            .iter()
            .all(|l| l.input_intact && l.result_intact && l.linked && l.audited);
    Ok(Chain {
        links,
        missing,
        intact,
    })
}

/// Frees a large value (a province's candidates and their analysis: ~30 ms of `free`) on
/// a thread of its own, after the answer is sent rather than before.
pub(crate) fn drop_later<T: Send + 'static>(value: T) {
    std::thread::spawn(move || drop(value));
}

/// Runs CPU-bound engine work on the blocking pool, so the async workers keep serving requests.
async fn off_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(format!("engine task failed: {e}")))
}

fn draw_error(e: assign::DrawError) -> AppError {
    match e {
        assign::DrawError::Invalid(v) => AppError::Validation(v),
        assign::DrawError::Infeasible(d) => AppError::Conflict {
            message: format!("no panel assignment satisfies the rules:\n{d}"),
            field: Some("rules".into()),
        },
        other => AppError::Internal(other.to_string()),
    }
}

/// The outcome of a replay.
#[derive(Debug, Serialize)]
pub struct Replay {
    /// Draw id.
    pub draw: i64,
    /// Whether the stored input still hashes to the stored input hash.
    pub input_intact: bool,
    /// Whether the stored result still hashes to the stored result hash.
    pub result_intact: bool,
    /// Whether the replayed result is identical to the stored one (and both stored parts
    /// are intact).
    pub identical: bool,
    /// Stored result hash.
    pub stored_hash: String,
    /// Replayed result hash.
    pub replayed_hash: String,
    /// Engine version then and now.
    pub engine_versions: (String, String),
}

/// Re-runs a stored draw from its stored input and compares the result.
pub async fn replay(store: &Store, draw_id: i64) -> AppResult<Replay> {
    let row = store_e::draw(store, draw_id).await.map_err(|e| match e {
        crate::store::StoreError::NotFound => AppError::NotFound(format!("draw {draw_id}")),
        other => other.into(),
    })?;
    let problem: Problem = serde_json::from_str(&row.input_json).map_err(corrupt)?;
    let input_intact = input_intact(&row);
    let result_intact = result_intact(&row);
    let replayed = off_thread(move || assign::draw(&problem))
        .await?
        .map_err(draw_error)?;
    let replayed_hash = replayed.result.hash();
    Ok(Replay {
        draw: draw_id,
        input_intact,
        result_intact,
        identical: input_intact && result_intact && replayed_hash == row.result_hash,
        stored_hash: row.result_hash,
        replayed_hash,
        engine_versions: (row.engine_version, assign::ENGINE_VERSION.into()),
    })
}
