//! What the engine derives from the experts' profiles alone: the conflict lookups and the
//! experts' side of the fit. At province scale (30,000 experts) computing them is most of an
//! analysis, and they change only when a profile does, so the service keeps one per registry
//! version and every overview and draw of that registry reuses it (issue 11 §6).

use super::conflict::PeopleIndex;
use super::fit::ExpertTexts;
use super::problem::Candidate;
use std::sync::Arc;

/// The profile-only part of an analysis, for one list of candidates.
pub struct ProfileIndex {
    /// Candidate keys in order: a problem is described only by the same list.
    keys: Vec<String>,
    /// Conflict lookups.
    pub people: PeopleIndex,
    /// The experts' side of the fit (on the experts' own vocabulary).
    pub texts: Arc<ExpertTexts>,
}

impl ProfileIndex {
    /// Computes both parts for `candidates` (their profiles: name, employers, relations,
    /// disciplines, keywords, summary; not their standing or workload, which vary per event).
    pub fn of(candidates: &[Candidate]) -> Self {
        let started = std::time::Instant::now();
        let out = ProfileIndex {
            keys: candidates.iter().map(|c| c.key.clone()).collect(),
            people: PeopleIndex::of(candidates),
            texts: Arc::new(ExpertTexts::of(candidates)),
        };
        if std::env::var_os("EXPERTPOOL_SOLVER_LOG").is_some() {
            eprintln!(
                "profiles: {} experts analysed in {:.0} ms",
                candidates.len(),
                started.elapsed().as_secs_f64() * 1e3
            );
        }
        out
    }

    /// Whether these are the profiles of `candidates`, by key and order. The caller vouches
    /// for the content (the service builds both from one registry snapshot); a list that
    /// differs in who is on it is caught here and analysed afresh instead.
    pub fn describes(&self, candidates: &[Candidate]) -> bool {
        self.keys.len() == candidates.len()
            && self.keys.iter().zip(candidates).all(|(k, c)| *k == c.key)
    }
}
