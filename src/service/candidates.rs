//! The engine's candidates for an event, read from the database: every expert, with the
//! reason they may not serve (membership rule in `domain::membership::not_serving`) and their
//! rolling 12-month load (`domain::tracking::reviews_in_window`, the figure the record shows).

use crate::assign::problem::Busy;
use crate::assign::{Candidate, Profiles};
use crate::domain::membership::{not_serving, Pool};
use crate::domain::tracking::reviews_in_window;
use crate::error::{AppError, AppResult};
use crate::store::experts::StoredExpert;
use crate::store::{experts, memberships, Store};
use chrono::NaiveDate;
use std::collections::HashMap;
use std::sync::Arc;

/// One read of the registry (every expert at one `registry_version`): candidates built from
/// it carry its profiles, so the profile-only analysis is keyed by it.
pub type Registry = Arc<Vec<StoredExpert>>;

/// The profile-only analysis cached with the registry snapshot it was computed from.
pub(crate) type CachedProfiles = (Registry, Arc<Profiles>);

/// The profile-only part of the engine's analysis (conflict lookups, the experts' side of the
/// fit) for a registry snapshot: computed once per snapshot, on the blocking pool, and kept
/// while the registry does not change. At 30,000 experts computing it is most of an analysis.
pub async fn profiles(store: &Store, registry: Registry) -> AppResult<Arc<Profiles>> {
    let cached = store.profiles.lock().ok().and_then(|slot| {
        slot.as_ref()
            .filter(|(of, _)| Arc::ptr_eq(of, &registry))
            .map(|(_, profiles)| profiles.clone())
    });
    if let Some(found) = cached {
        return Ok(found);
    }
    let source = registry.clone();
    let built = tokio::task::spawn_blocking(move || {
        let mut candidates: Vec<Candidate> = source
            .iter()
            .map(|e| Candidate::from_profile(&e.profile, None, 0))
            .collect();
        // The order `for_event` gives.
        candidates.sort_by(|a, b| a.key.cmp(&b.key));
        Arc::new(Profiles::of(&candidates))
    })
    .await
    .map_err(|e| AppError::Internal(format!("profile analysis failed: {e}")))?;
    if let Ok(mut slot) = store.profiles.lock() {
        *slot = Some((registry, built.clone()));
    }
    Ok(built)
}

/// Reads the registry and computes its profile-only analysis if it changed, so that the next
/// overview or draw finds it ready (the scheduler calls this every half minute, the service
/// once at start).
pub async fn warm(store: &Store) -> AppResult<()> {
    let registry = experts::all(store).await?;
    profiles(store, registry).await.map(|_| ())
}

/// Candidates for a panel of `pool` on `date`, sorted by expert code, and the registry
/// snapshot they were read from. With `own` (the event's
/// id and code), the event's own invitations are left out of the workload (the engine counts
/// the seats it gives) and every seat held in another event is marked busy for its half-day.
pub async fn for_event(
    store: &Store,
    pool: Pool,
    date: NaiveDate,
    own: Option<(i64, &str)>,
) -> AppResult<(Vec<Candidate>, Registry)> {
    let started = std::time::Instant::now();
    let states = memberships::latest_states(store, pool).await?;
    let states_ms = started.elapsed().as_secs_f64() * 1e3;
    let participations = crate::store::tracking::all(store).await?;
    let history_ms = started.elapsed().as_secs_f64() * 1e3 - states_ms;
    let registry = experts::all(store).await?;
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
    let mut out: Vec<Candidate> = registry
        .iter()
        .map(|e| {
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
            let mut c = Candidate::from_profile(&e.profile, reason, recent);
            c.busy = busy.remove(&e.id.0).unwrap_or_default();
            c
        })
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok((out, registry))
}
