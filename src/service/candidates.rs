//! The engine's candidates for an event, read from the database: every expert, with the
//! reason they may not serve (membership rule in `domain::membership::not_serving`) and their
//! rolling 12-month load (`domain::tracking::reviews_in_window`, the figure the record shows).

use super::off_thread;
use crate::assign::diagnose::{diagnose, Diagnosis};
use crate::assign::problem::{Busy, CandidateProfile};
use crate::assign::stored_input;
use crate::assign::{Analysis, Candidate, Problem, ProfileIndex};
use crate::domain::membership::{not_serving, Pool};
use crate::domain::tracking::reviews_in_window;
use crate::error::{AppError, AppResult};
use crate::store::experts::StoredExpert;
use crate::store::{experts, input_profiles, memberships, Store, StoreError};
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
    /// The latest analyses of problems made from this snapshot (see [`Analysed`]).
    analyses: std::sync::Mutex<std::collections::VecDeque<Arc<Analysed>>>,
    /// Held while an analysis is computed (see [`Snapshot::analysed_or`]).
    analysing: std::sync::Mutex<()>,
    /// SHA-256 of the profiles' JSON array (`stored_input::profiles_json`), once computed.
    profiles_hash: std::sync::OnceLock<String>,
    /// The same, once the profiles were stored or found intact (`store::input_profiles`).
    profiles_stored: std::sync::OnceLock<String>,
}

/// Analyses kept per snapshot: an overview analyses what the draw that follows would analyse
/// again, and so does a second draw with another seed; at province scale that is most of
/// their time. Two are kept (an event being drawn, and one more being looked at).
const KEPT_ANALYSES: usize = 2;

/// A problem's analysis and, once first asked for, its pre-solve diagnosis: neither reads the
/// seed, so any problem equal to this one but for the seed ([`Problem::same_but_seed`])
/// shares them.
pub struct Analysed {
    /// The problem analysed.
    pub problem: Arc<Problem>,
    /// Its analysis.
    pub analysis: Analysis,
    diagnosis: std::sync::OnceLock<Diagnosis>,
}

impl Analysed {
    /// Wraps a computed analysis.
    pub fn new(problem: Arc<Problem>, analysis: Analysis) -> Self {
        Analysed {
            problem,
            analysis,
            diagnosis: Default::default(),
        }
    }

    /// The pre-solve diagnosis, computed by the first caller (blocking: call it off the async
    /// workers); a second caller waits for the first rather than computing it again.
    pub fn diagnosis(&self) -> &Diagnosis {
        self.diagnosis
            .get_or_init(|| diagnose(&self.problem, &self.analysis))
    }
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

    /// Whether `candidates` carry this snapshot's profiles in its order (every problem the
    /// service makes does; a stored input names the profiles only then).
    pub fn describes(&self, candidates: &[Candidate]) -> bool {
        candidates.len() == self.profiles.len()
            && candidates
                .iter()
                .zip(&self.profiles)
                .all(|(c, (_, p))| Arc::ptr_eq(&c.profile, p))
    }

    /// The hash of the profiles' JSON array, computed (on the blocking pool) by the first
    /// caller; with the text when this call made it.
    async fn hash_profiles(self: &Arc<Self>) -> AppResult<(String, Option<String>)> {
        if let Some(hash) = self.profiles_hash.get() {
            return Ok((hash.clone(), None));
        }
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let text = stored_input::profiles_json(me.profiles.iter().map(|(_, p)| &**p))
                .map_err(|e| AppError::Internal(format!("profiles not serializable: {e}")))?;
            let hash = me
                .profiles_hash
                .get_or_init(|| stored_input::sha256_hex(&text))
                .clone();
            Ok((hash, Some(text)))
        })
        .await
        .map_err(|e| AppError::Internal(format!("hashing profiles failed: {e}")))?
    }

    /// The hash naming this snapshot's profiles (what a format-2 input stores).
    pub async fn profiles_hash(self: &Arc<Self>) -> AppResult<String> {
        Ok(self.hash_profiles().await?.0)
    }

    /// Stores this snapshot's profiles unless they are (once per snapshot; a draw runs this
    /// beside its engine) and returns their hash. Stored ones are read back and checked: a
    /// text that no longer hashes to its name is put back as its name dictates (and the audit
    /// log says so), so no new draw names profiles that cannot be verified.
    pub async fn store_profiles(self: &Arc<Self>, store: &Store) -> AppResult<String> {
        if let Some(hash) = self.profiles_stored.get() {
            // Checked once; still there (a row deleted since is stored again below).
            if input_profiles::exists(store, hash).await? {
                return Ok(hash.clone());
            }
        }
        let (hash, text) = self.hash_profiles().await?;
        let intact = match input_profiles::get(store, &hash).await {
            Ok(stored) => {
                let name = hash.clone();
                Some(off_thread(move || stored_input::sha256_hex(&stored) == name).await?)
            }
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        if intact != Some(true) {
            let text = match text {
                Some(text) => text,
                None => {
                    let me = self.clone();
                    off_thread(move || {
                        stored_input::profiles_json(me.profiles.iter().map(|(_, p)| &**p))
                    })
                    .await?
                    .map_err(|e| AppError::Internal(format!("profiles not serializable: {e}")))?
                }
            };
            match intact {
                None => input_profiles::insert(store, &hash, &text).await?,
                Some(_) => input_profiles::repair(store, &hash, &text).await?,
            }
        }
        let _ = self.profiles_stored.set(hash.clone());
        Ok(hash)
    }

    /// The kept analysis of `problem` (seed aside), or `analyse`'s, kept; with whether it was
    /// computed now. Blocking, and one analysis at a time per snapshot: a second caller with
    /// the same input (two views of the draw step, a draw right after) waits for the first
    /// and finds it kept.
    pub fn analysed_or(
        &self,
        problem: Arc<Problem>,
        analyse: impl FnOnce(&Problem) -> Analysis,
    ) -> (Arc<Analysed>, bool) {
        let _one_at_a_time = self.analysing.lock();
        let kept = self.analyses.lock().ok().and_then(|kept| {
            kept.iter()
                .find(|a| a.problem.same_but_seed(&problem))
                .cloned()
        });
        if let Some(kept) = kept {
            return (kept, false);
        }
        let made = Arc::new(Analysed::new(problem.clone(), analyse(&problem)));
        if let Ok(mut kept) = self.analyses.lock() {
            kept.push_back(made.clone());
            while kept.len() > KEPT_ANALYSES {
                kept.pop_front();
            }
        }
        (made, true)
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
        analyses: Default::default(),
        analysing: Default::default(),
        profiles_hash: Default::default(),
        profiles_stored: Default::default(),
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
