//! Orchestration: validate against stored reference data, write, audit — in one transaction.

pub mod applications;
pub mod attempts;
pub mod auth;
pub mod calls;
pub mod candidates;
pub mod delivery;
pub mod draws;
pub mod events;
pub mod experts;
pub mod export;
pub mod follow_up;
pub mod invitations;
pub mod link_answers;
pub mod memberships;
pub mod notices;
pub mod notify;
pub mod panels;
pub mod registration;
pub mod replacement;
pub mod scheduler;
pub mod seats;
pub mod sessions;
pub mod stored_inputs;
pub mod suspensions;
pub mod tracking;
pub mod users;

/// Runs CPU-bound work (the engine, megabytes of serializing or hashing) on the blocking pool,
/// so the async workers keep serving requests.
pub(crate) async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> crate::error::AppResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| crate::error::AppError::Internal(format!("background task failed: {e}")))
}
