//! The draw of an event: eligibility overview, the stored draw and its replay.

use super::events::{corrupt, editable, get, problem};
use crate::assign::{self, Problem};
use crate::domain::event::EventStatus;
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
    let problem = problem(store, id, 0).await?;
    let (problem, analysis) = off_thread(move || {
        let analysis = assign::analyze(&problem);
        (problem, analysis)
    })
    .await?;
    Ok(problem
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
        .collect())
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
        }
    }
}

/// Draws the panels (seed random unless given) and stores seed, input and result.
pub async fn draw(
    store: &Store,
    actor: &Actor,
    id: i64,
    seed: Option<u64>,
) -> AppResult<StoredDraw> {
    let event = get(store, id).await?;
    editable(&event)?;
    let seed = seed.unwrap_or_else(|| {
        use rand::RngExt;
        rand::rng().random()
    });
    let problem = problem(store, id, seed).await?;
    let (problem, outcome) = off_thread(move || {
        let outcome = assign::draw(&problem);
        (problem, outcome)
    })
    .await?;
    let outcome = outcome.map_err(draw_error)?;
    let row = DrawRow {
        draw_id: 0,
        event_id: id,
        seed: seed.to_string(),
        engine_version: assign::ENGINE_VERSION.into(),
        solver: outcome.stats.solver.into(),
        input_hash: outcome.result.input_hash.clone(),
        input_json: serde_json::to_string(&problem).map_err(corrupt)?,
        result_hash: outcome.result.hash(),
        result_json: serde_json::to_string(&outcome.result).map_err(corrupt)?,
        actor: actor.name.clone(),
        at: crate::store::now(),
    };
    let mut tx = store.begin_write().await?;
    let draw_id = store_e::insert_draw(&mut tx, &row).await?;
    store_e::set_status(&mut tx, id, EventStatus::Drawn.as_str()).await?;
    audit::record(&mut tx, actor, "event.draw", "event", &event.code, None, Some(&serde_json::json!({"draw": draw_id, "seed": row.seed, "input_hash": row.input_hash, "result_hash": row.result_hash}))).await?;
    tx.commit().await?;
    Ok(StoredDraw {
        id: draw_id,
        ..row.into()
    })
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
    /// Whether the replayed result is identical to the stored one.
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
    let input_intact = problem.input_hash() == row.input_hash;
    let replayed = off_thread(move || assign::draw(&problem))
        .await?
        .map_err(draw_error)?;
    let replayed_hash = replayed.result.hash();
    Ok(Replay {
        draw: draw_id,
        input_intact,
        identical: input_intact && replayed_hash == row.result_hash,
        stored_hash: row.result_hash,
        replayed_hash,
        engine_versions: (row.engine_version, assign::ENGINE_VERSION.into()),
    })
}
