//! The draw of an event: eligibility overview, the stored draw and its replay.

use super::candidates::{Analysed, Snapshot};
use super::events::{begin, corrupt, get, problem_at, require, Event};
use super::{off_thread, stored_inputs};
use crate::assign::{self, stored_input, Problem};
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
    let analysed = off_thread(move || {
        let (analysed, analysis_ms) = analysed(&snapshot, std::sync::Arc::new(problem), &profiles);
        if std::env::var_os("EXPERTPOOL_SOLVER_LOG").is_some() {
            eprintln!("overview: input {loaded_ms:.0} ms, analysis {analysis_ms:.0} ms");
        }
        analysed
    })
    .await?;
    let out = summary(&analysed.problem, &analysed.analysis);
    // The draw that usually follows needs the pre-solve diagnosis too: made now, in the
    // background, it is ready by then.
    tokio::task::spawn_blocking(move || {
        analysed.diagnosis();
    });
    Ok(out)
}

/// The analysis of `problem`: the one kept from an overview or draw of the same input (seed
/// aside), or computed now and kept, with the milliseconds it took (0 when kept). Blocking.
fn analysed(
    snapshot: &Snapshot,
    problem: std::sync::Arc<Problem>,
    profiles: &assign::ProfileIndex,
) -> (std::sync::Arc<Analysed>, f64) {
    let started = std::time::Instant::now();
    let (analysed, computed) = snapshot.analysed_or(problem, |p| assign::analyze_with(p, profiles));
    let ms = if computed {
        started.elapsed().as_secs_f64() * 1e3
    } else {
        0.0
    };
    (analysed, ms)
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
    // The engine runs on the blocking pool, before the write transaction, so no writer waits
    // on it; beside it, the snapshot's profiles are stored unless an earlier draw of the same
    // registry stored them (stored input format 2: `assign::stored_input`).
    let problem = std::sync::Arc::new(problem);
    let split = snapshot.describes(&problem.candidates);
    let stored = async {
        match split {
            true => snapshot.store_profiles(store).await.map(Some),
            false => Ok(None),
        }
    };
    let engine = {
        let (problem, snapshot) = (problem.clone(), snapshot.clone());
        off_thread(move || {
            let t = std::time::Instant::now();
            assign::draw::validate(&problem).map_err(assign::DrawError::Invalid)?;
            let (kept, analysis_ms) = analysed(&snapshot, problem.clone(), &profiles);
            // The input hash is set below, from the stored text.
            let outcome = assign::draw::solve_prepared(
                &problem,
                &kept.analysis,
                Some(kept.diagnosis()),
                analysis_ms,
                Some(String::new()),
            );
            if std::env::var_os("EXPERTPOOL_SOLVER_LOG").is_some() {
                eprintln!("draw: engine {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
            }
            outcome
        })
    };
    let (profiles_hash, outcome) = tokio::join!(stored, engine);
    let (profiles_hash, outcome) = (profiles_hash?, outcome?);
    let recorded = std::time::Instant::now();
    let (input_json, input_parts) = match &profiles_hash {
        Some(hash) => (
            stored_input::split_json(&problem, hash),
            problem.part_hashes_over(hash),
        ),
        None => (serde_json::to_string(&*problem), problem.part_hashes()),
    };
    let input_json = input_json.map_err(corrupt)?;
    let input_parts = serde_json::to_string(&input_parts).map_err(corrupt)?;
    let input_hash = stored_input::sha256_hex(&input_json);
    if std::env::var_os("EXPERTPOOL_SOLVER_LOG").is_some() {
        eprintln!(
            "draw: input recorded in {:.0} ms",
            recorded.elapsed().as_secs_f64() * 1e3
        );
    }
    drop_later(problem);
    let outcome = match outcome {
        Ok(mut outcome) => {
            outcome.result.input_hash = input_hash;
            outcome
        }
        // An attempt that the rules make impossible is kept, with its input, for the record.
        Err(assign::DrawError::Infeasible(d)) => {
            super::attempts::record(store, actor, id, seed, input_json, &d).await?;
            return Err(draw_error(assign::DrawError::Infeasible(d)));
        }
        Err(e) => return Err(draw_error(e)),
    };
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
        input_json,
        result_hash: outcome.result.hash(),
        result_json,
        actor: actor.name.clone(),
        at: crate::store::now(),
        input_parts,
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
    let changed: Vec<String> = match problem_at(store, event.id, 0).await {
        Ok((now, snapshot)) => {
            let now = match stored.get("scheme").map(String::as_str) {
                Some("2") => now.part_hashes_over(&snapshot.profiles_hash().await?),
                _ => now.part_hashes(),
            };
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

/// Both hashes are taken over the very bytes stored (the stored input's text and
/// `DrawResult::hash`'s serialization), so any edit of the stored text shows, and the event
/// page checks every draw without parsing its input; a format-2 input's profiles are hashed
/// once per set (`stored_inputs::profiles_intact`).
fn result_intact(row: &DrawRow) -> bool {
    stored_input::sha256_hex(&row.result_json) == row.result_hash
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
    let profiles =
        stored_inputs::profiles_intact(store, rows.iter().map(|r| r.input_json.as_str())).await?;
    let mut prev = String::new();
    let mut links = Vec::with_capacity(rows.len());
    for row in &rows {
        links.push(ChainLink {
            draw: row.draw_id,
            at: row.at.clone(),
            actor: row.actor.clone(),
            seed: row.seed.clone(),
            input_intact: stored_inputs::intact(&row.input_json, &row.input_hash, &profiles),
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
    /// Replayed result hash (empty when the stored input could not be read back).
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
    let read = stored_inputs::problem(store, row.input_json.clone()).await?;
    // The hash the draw gave its result: the stored text's, as it is now.
    let text_hash = stored_input::sha256_hex(&row.input_json);
    let input_intact = read.profiles_intact && text_hash == row.input_hash;
    let result_intact = result_intact(&row);
    let Some(problem) = read.problem else {
        // The profiles it names are gone or no longer fit it: nothing to replay.
        return Ok(Replay {
            draw: draw_id,
            input_intact: false,
            result_intact,
            identical: false,
            stored_hash: row.result_hash,
            replayed_hash: String::new(),
            engine_versions: (row.engine_version, assign::ENGINE_VERSION.into()),
        });
    };
    let replayed = off_thread(move || assign::draw::draw_hashed(&problem, text_hash))
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
