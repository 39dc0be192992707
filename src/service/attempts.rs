//! Draw attempts that found no assignment: recorded (seed, input, diagnosis) so that the
//! supervisor's list of an event's draws is complete, and replayable like a draw.

use super::events::{corrupt, get};
use crate::assign;
use crate::error::{AppError, AppResult};
use crate::store::audit::{self, Actor};
use crate::store::draw_attempts::{self, Attempt};
use crate::store::Store;
use serde::Serialize;

/// Records a failed attempt in its own transaction (the draw itself changed nothing).
pub(crate) async fn record(
    store: &Store,
    actor: &Actor,
    event_id: i64,
    seed: u64,
    input_json: String,
    diagnosis: &assign::diagnose::Diagnosis,
) -> AppResult<i64> {
    use sha2::{Digest, Sha256};
    let event = get(store, event_id).await?;
    let attempt = Attempt {
        attempt_id: 0,
        event_id,
        seed: seed.to_string(),
        engine_version: assign::ENGINE_VERSION.into(),
        // The same fingerprint a draw's input gets: SHA-256 of its canonical JSON.
        input_hash: hex::encode(Sha256::digest(input_json.as_bytes())),
        input_json,
        // Kept as data (findings with their rule codes), so each reader gets it in words.
        reason: serde_json::to_string(diagnosis).map_err(corrupt)?,
        actor: actor.name.clone(),
        at: crate::store::now(),
    };
    let mut tx = store.pool.begin().await?;
    let id = draw_attempts::insert(&mut tx, &attempt).await?;
    audit::record(
        &mut tx,
        actor,
        "event.draw_failed",
        "event",
        &event.code,
        None,
        Some(&serde_json::json!({"attempt": id, "seed": attempt.seed, "input_hash": attempt.input_hash})),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The outcome of replaying a failed attempt.
#[derive(Debug, Serialize)]
pub struct AttemptReplay {
    /// Attempt id.
    pub attempt: i64,
    /// Event id.
    pub event_id: i64,
    /// Whether the stored input still hashes to the stored hash.
    pub input_intact: bool,
    /// Whether the engine again finds no assignment.
    pub still_infeasible: bool,
    /// Engine version then and now.
    pub engine_versions: (String, String),
}

/// Runs a failed attempt's stored input again.
pub async fn replay(store: &Store, id: i64) -> AppResult<AttemptReplay> {
    use sha2::{Digest, Sha256};
    let row = draw_attempts::get(store, id).await.map_err(|e| match e {
        crate::store::StoreError::NotFound => AppError::NotFound(format!("draw attempt {id}")),
        other => other.into(),
    })?;
    let text_intact = hex::encode(Sha256::digest(row.input_json.as_bytes())) == row.input_hash;
    let read = super::stored_inputs::problem(store, row.input_json).await?;
    let input_intact = text_intact && read.profiles_intact;
    let outcome = match read.problem {
        Some(problem) => tokio::task::spawn_blocking(move || assign::draw(&problem))
            .await
            .map_err(|e| AppError::Internal(format!("engine task failed: {e}")))?,
        // The profiles it names are gone or no longer fit it: nothing to run.
        None => Err(assign::DrawError::Solver(
            "the stored input cannot be read back".into(),
        )),
    };
    Ok(AttemptReplay {
        attempt: id,
        event_id: row.event_id,
        input_intact,
        still_infeasible: matches!(outcome, Err(assign::DrawError::Infeasible(_))),
        engine_versions: (row.engine_version, assign::ENGINE_VERSION.into()),
    })
}
