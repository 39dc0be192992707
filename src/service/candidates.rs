//! The engine's candidates for an event, read from the database: every expert, with the
//! reason they may not serve (membership rule in `domain::membership::not_serving`) and their
//! rolling 12-month load (`domain::tracking::reviews_in_window`, the figure the record shows).

use crate::assign::problem::{Busy, CandidateProfile};
use crate::assign::{Candidate, ProfileIndex};
use crate::domain::membership::{not_serving, Pool};
use crate::domain::tracking::reviews_in_window;
use crate::error::{AppError, AppResult};
use crate::store::experts::StoredExpert;
use crate::store::{experts, memberships, Store};
use chrono::NaiveDate;
use std::collections::HashMap;
use std::sync::Arc;

/// One read of the registry (every expert at one `registry_version`).
pub type Registry = Arc<Vec<StoredExpert>>;

/// The engine's view of one registry snapshot: every expert's profile, shared by every
/// problem made from the snapshot, and, once first needed, the profile-only part of the
/// analysis (conflict lookups, the experts' side of the fit). At 30,000 experts copying the
/// profiles for each problem and analysing them again were most of an overview's time.
pub struct Snapshot {
    registry: Registry,
    /// (position in `registry`, profile), by expert code.
    profiles: Vec<(usize, Arc<CandidateProfile>)>,
    index: tokio::sync::OnceCell<Arc<ProfileIndex>>,
}

impl Snapshot {
    /// The profile-only analysis, computed on the blocking pool by the first caller (others
    /// wait for it rather than computing it again).
    pub async fn index(&self) -> AppResult<Arc<ProfileIndex>> {
        self.index
            .get_or_try_init(|| async {
                let candidates: Vec<Candidate> = self
                    .profiles
                    .iter()
                    .map(|(_, p)| Candidate::new(p.clone(), None, 0))
                    .collect();
                tokio::task::spawn_blocking(move || Arc::new(ProfileIndex::of(&candidates)))
                    .await
                    .map_err(|e| AppError::Internal(format!("profile analysis failed: {e}")))
            })
            .await
            .cloned()
    }
}

/// The snapshot of the registry as it is now: the one kept if the registry has not changed
/// since, else a new one (its profiles made on the blocking pool).
pub async fn snapshot(store: &Store) -> AppResult<Arc<Snapshot>> {
    let registry = experts::all(store).await?;
    let kept = store.snapshot.lock().ok().and_then(|slot| {
        slot.as_ref()
            .filter(|s| Arc::ptr_eq(&s.registry, &registry))
            .cloned()
    });
    if let Some(kept) = kept {
        return Ok(kept);
    }
    let source = registry.clone();
    let profiles = tokio::task::spawn_blocking(move || {
        let mut profiles: Vec<(usize, Arc<CandidateProfile>)> = source
            .iter()
            .enumerate()
            .map(|(at, e)| (at, Arc::new(CandidateProfile::of(&e.profile))))
            .collect();
        profiles.sort_by(|a, b| a.1.key.cmp(&b.1.key));
        profiles
    })
    .await
    .map_err(|e| AppError::Internal(format!("reading profiles failed: {e}")))?;
    let made = Arc::new(Snapshot {
        registry,
        profiles,
        index: Default::default(),
    });
    if let Ok(mut slot) = store.snapshot.lock() {
        *slot = Some(made.clone());
    }
    Ok(made)
}

/// Makes the current snapshot and its analysis if the registry changed (and reads the review
/// history and the pools' standings if they changed), so that the next overview or draw finds
/// them ready (the scheduler calls this every half minute, so also
/// once right after the service starts).
pub async fn warm(store: &Store) -> AppResult<()> {
    snapshot(store).await?.index().await?;
    // The other inputs every overview reads, kept in memory until they change.
    crate::store::tracking::all(store).await?;
    for pool in [Pool::Review, Pool::Advisory] {
        memberships::latest_states(store, pool).await?;
    }
    Ok(())
}

/// Candidates for a panel of `pool` on `date`, sorted by expert code, and the registry
/// snapshot whose profiles they share. With `own` (the event's
/// id and code), the event's own invitations are left out of the workload (the engine counts
/// the seats it gives) and every seat held in another event is marked busy for its half-day.
pub async fn for_event(
    store: &Store,
    pool: Pool,
    date: NaiveDate,
    own: Option<(i64, &str)>,
) -> AppResult<(Vec<Candidate>, Arc<Snapshot>)> {
    let started = std::time::Instant::now();
    let states = memberships::latest_states(store, pool).await?;
    let states_ms = started.elapsed().as_secs_f64() * 1e3;
    let participations = crate::store::tracking::all(store).await?;
    let history_ms = started.elapsed().as_secs_f64() * 1e3 - states_ms;
    let snapshot = snapshot(store).await?;
    let mut busy: HashMap<i64, Vec<Busy>> = HashMap::new();
    if let Some((event_id, _)) = own {
        let mut conn = store.pool.acquire().await?;
        for b in crate::store::invitations::bookings(&mut conn, event_id, None).await? {
            busy.entry(b.expert_id).or_default().push(Busy {
                event: b.event,
                slot: b.slot,
            });
        }
    }
    if std::env::var_os("EXPERTPOOL_SOLVER_LOG").is_some() {
        eprintln!(
            "candidates: memberships {states_ms:.0} ms, history {history_ms:.0} ms, registry {:.0} ms",
            started.elapsed().as_secs_f64() * 1e3 - states_ms - history_ms
        );
    }
    // In the snapshot's order (by code), each sharing the snapshot's profile.
    let out: Vec<Candidate> = snapshot
        .profiles
        .iter()
        .map(|(at, profile)| {
            let e = &snapshot.registry[*at];
            let reason = not_serving(pool, states.get(&e.id.0).copied(), date);
            let recent = participations
                .get(&e.id.0)
                .map(|p| match own {
                    // Only experts already invited to this event need a filtered copy.
                    Some((_, code)) if p.iter().any(|x| x.event == code) => {
                        let others: Vec<_> =
                            p.iter().filter(|x| x.event != code).cloned().collect();
                        reviews_in_window(&others, date)
                    }
                    _ => reviews_in_window(p, date),
                })
                .unwrap_or(0);
            let mut c = Candidate::new(profile.clone(), reason, recent);
            c.busy = busy.remove(&e.id.0).unwrap_or_default();
            c
        })
        .collect();
    if std::env::var_os("EXPERTPOOL_SOLVER_LOG").is_some() {
        eprintln!(
            "candidates: {} built in {:.0} ms in all",
            out.len(),
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok((out, snapshot))
}
