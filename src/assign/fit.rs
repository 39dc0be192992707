//! Expertise fit (DESIGN §7): discipline-hierarchy match plus text similarity, 0..1, explainable.

use super::problem::{Candidate, FitBasis, Item, Problem};
use super::text::{cosine, document_terms_cached, shared_terms, Corpus, InvertedIndex, SparseVec};
use crate::domain::DisciplineCode;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// Weight of the discipline part (`w` of DESIGN §7); the text part gets `1 − w`.
pub const DISCIPLINE_WEIGHT: f64 = 0.6;
/// A secondary code on either side counts this much of a primary one.
const SECONDARY_FACTOR: f64 = 0.8;

/// Discipline match of two code lists (primary first) and the best-matching pair.
pub fn discipline_match(
    item: &[DisciplineCode],
    expert: &[DisciplineCode],
) -> (f64, Option<(usize, usize)>) {
    let mut best = (0.0, None);
    for (i, a) in item.iter().enumerate() {
        for (j, b) in expert.iter().enumerate() {
            // Codes have two levels: a shared 5-digit code is the same leaf; a shared first
            // three digits the same first level.
            let base = match a.shared_depth(b) {
                2 => 1.0,
                1 if a.level() == 1 || b.level() == 1 => 0.7,
                1 => 0.4,
                _ => 0.0,
            };
            let weight = if i == 0 { 1.0 } else { SECONDARY_FACTOR }
                * if j == 0 { 1.0 } else { SECONDARY_FACTOR };
            let score = base * weight;
            if score > best.0 {
                best = (score, Some((i, j)));
            }
        }
    }
    best
}

/// Fit of one (item, expert) pair.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PairFit {
    /// Discipline part, 0..1.
    pub discipline: f64,
    /// Text part, 0..1.
    pub text: f64,
}

impl PairFit {
    /// The combined fit.
    pub fn total(&self) -> f64 {
        DISCIPLINE_WEIGHT * self.discipline + (1.0 - DISCIPLINE_WEIGHT) * self.text
    }
}

/// Why a pair fits: the codes and the terms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitExplanation {
    /// Item key.
    pub item: String,
    /// Combined fit.
    pub fit: f64,
    /// Discipline part.
    pub discipline: f64,
    /// The matching codes, item's then expert's.
    pub codes: Option<(String, String)>,
    /// Text part.
    pub text: f64,
    /// Shared terms, strongest first.
    pub terms: Vec<String>,
}

/// The experts' side of the fit: their TF-IDF vectors, indexed by term, and the experts
/// grouped by discipline first level. On the [`FitBasis::Experts`] basis it depends on the
/// candidates' profiles alone, so the service computes it once per registry version
/// ([`super::profiles::ProfileIndex`]) instead of on every draw.
pub struct ExpertTexts {
    corpus: Corpus,
    vectors: Vec<SparseVec>,
    index: InvertedIndex,
    by_first_level: HashMap<String, Vec<u32>>,
}

impl ExpertTexts {
    /// The experts' side over the experts' own vocabulary and document frequencies.
    pub fn of(candidates: &[Candidate]) -> Self {
        let docs: Vec<Arc<Vec<String>>> = candidates.iter().map(candidate_terms).collect();
        let corpus = Corpus::fit(docs.iter().map(|d| &**d));
        Self::with_corpus(corpus, candidates, &docs)
    }

    fn with_corpus(corpus: Corpus, candidates: &[Candidate], docs: &[Arc<Vec<String>>]) -> Self {
        let vectors: Vec<SparseVec> = docs.iter().map(|d| corpus.vector(d)).collect();
        let index = InvertedIndex::build(&vectors);
        let mut by_first_level: HashMap<String, Vec<u32>> = HashMap::new();
        for (ci, c) in candidates.iter().enumerate() {
            let mut firsts: Vec<&str> = c.disciplines.iter().map(|d| d.first_level()).collect();
            firsts.sort_unstable();
            firsts.dedup();
            for f in firsts {
                by_first_level
                    .entry(f.to_string())
                    .or_default()
                    .push(ci as u32);
            }
        }
        Self {
            corpus,
            vectors,
            index,
            by_first_level,
        }
    }

    /// Number of experts described.
    pub fn len(&self) -> usize {
        self.vectors.len()
    }

    /// Whether no expert is described.
    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }
}

/// Fit of every (item, expert) pair that shares a discipline first level or a term; all
/// other pairs have fit 0.
pub struct FitTable {
    experts: Arc<ExpertTexts>,
    item_vectors: Vec<SparseVec>,
    /// Per item: (candidate index, fit) sorted by candidate, only for pairs with a positive
    /// fit.
    per_item: Vec<Vec<(usize, PairFit)>>,
}

fn item_terms(item: &Item) -> Arc<Vec<String>> {
    document_terms_cached(&item.keywords, &[&item.title, &item.abstract_text])
}

fn candidate_terms(c: &Candidate) -> Arc<Vec<String>> {
    document_terms_cached(&c.keywords, &[&c.summary])
}

fn logging() -> bool {
    std::env::var_os("EXPERTPOOL_SOLVER_LOG").is_some()
}

impl FitTable {
    /// Computes the table for a problem, the experts' side included.
    pub fn build(problem: &Problem) -> Self {
        match problem.fit_basis {
            FitBasis::Experts => {
                let started = std::time::Instant::now();
                let experts = Arc::new(ExpertTexts::of(&problem.candidates));
                if logging() {
                    eprintln!(
                        "fit: the experts' side {:.0} ms",
                        started.elapsed().as_secs_f64() * 1e3
                    );
                }
                Self::build_with(problem, experts)
            }
            FitBasis::ItemsAndExperts => {
                // Engine 1: one vocabulary over the items and the experts together.
                let item_docs: Vec<Arc<Vec<String>>> =
                    problem.items.iter().map(item_terms).collect();
                let cand_docs: Vec<Arc<Vec<String>>> =
                    problem.candidates.iter().map(candidate_terms).collect();
                let corpus = Corpus::fit(item_docs.iter().chain(cand_docs.iter()).map(|d| &**d));
                let item_vectors: Vec<SparseVec> =
                    item_docs.iter().map(|d| corpus.vector(d)).collect();
                let experts = ExpertTexts::with_corpus(corpus, &problem.candidates, &cand_docs);
                Self::score(problem, Arc::new(experts), item_vectors)
            }
        }
    }

    /// Computes the table with the experts' side already at hand. On the
    /// [`FitBasis::Experts`] basis `experts` must describe `problem.candidates`
    /// ([`super::profiles::ProfileIndex::describes`]); on the engine-1 basis it is not used.
    pub fn build_with(problem: &Problem, experts: Arc<ExpertTexts>) -> Self {
        if problem.fit_basis != FitBasis::Experts || experts.len() != problem.candidates.len() {
            return Self::build(problem);
        }
        let item_vectors: Vec<SparseVec> = problem
            .items
            .iter()
            .map(|it| experts.corpus.query_vector(&item_terms(it)))
            .collect();
        Self::score(problem, experts, item_vectors)
    }

    fn score(problem: &Problem, experts: Arc<ExpertTexts>, item_vectors: Vec<SparseVec>) -> Self {
        let started = std::time::Instant::now();
        // Dense accumulators, reused item after item: at 30,000 experts a common term
        // touches most of them, and hashing each pair cost more than the arithmetic.
        let n = problem.candidates.len();
        let mut text = vec![0.0f64; n];
        let mut touched = vec![false; n];
        // Experts sharing a first level with the item: only they can have a discipline part.
        let mut related = vec![false; n];
        let mut list: Vec<usize> = Vec::new();
        let per_item: Vec<Vec<(usize, PairFit)>> = problem
            .items
            .iter()
            .enumerate()
            .map(|(ii, item)| {
                experts
                    .index
                    .accumulate(&item_vectors[ii], &mut text, &mut touched, &mut list);
                for d in &item.disciplines {
                    for &ci in experts
                        .by_first_level
                        .get(d.first_level())
                        .into_iter()
                        .flatten()
                    {
                        let ci = ci as usize;
                        related[ci] = true;
                        if !touched[ci] {
                            touched[ci] = true;
                            list.push(ci);
                        }
                    }
                }
                // Most experts touched: reading the flags in order beats sorting the list.
                if list.len() * 8 > n {
                    list.clear();
                    list.extend((0..n).filter(|&ci| touched[ci]));
                } else {
                    list.sort_unstable();
                }
                let mut fits: Vec<(usize, PairFit)> = Vec::with_capacity(list.len());
                for &ci in &list {
                    let discipline = if related[ci] {
                        discipline_match(&item.disciplines, &problem.candidates[ci].disciplines).0
                    } else {
                        0.0
                    };
                    let fit = PairFit {
                        discipline,
                        text: text[ci].clamp(0.0, 1.0),
                    };
                    if fit.total() > 0.0 {
                        fits.push((ci, fit));
                    }
                    text[ci] = 0.0;
                    touched[ci] = false;
                    related[ci] = false;
                }
                list.clear();
                fits
            })
            .collect();
        if logging() {
            eprintln!(
                "fit: scoring {} items against {n} experts {:.0} ms",
                problem.items.len(),
                started.elapsed().as_secs_f64() * 1e3
            );
        }
        Self {
            experts,
            item_vectors,
            per_item,
        }
    }

    /// Fit of an (item, candidate) pair.
    pub fn pair(&self, item: usize, candidate: usize) -> PairFit {
        let fits = &self.per_item[item];
        match fits.binary_search_by_key(&candidate, |(ci, _)| *ci) {
            Ok(at) => fits[at].1,
            Err(_) => PairFit {
                discipline: 0.0,
                text: 0.0,
            },
        }
    }

    /// (candidate, fit) of every pair of an item with a positive fit, candidates ascending.
    pub fn fits_of(&self, item: usize) -> impl Iterator<Item = (usize, PairFit)> + '_ {
        self.per_item[item].iter().copied()
    }

    /// Candidates with a positive fit for an item.
    pub fn candidates_of(&self, item: usize) -> impl Iterator<Item = usize> + '_ {
        self.per_item[item].iter().map(|(ci, _)| *ci)
    }

    /// A panel's fit: the mean over its items.
    pub fn panel_fit(&self, items: &[usize], candidate: usize) -> f64 {
        if items.is_empty() {
            return 0.0;
        }
        items
            .iter()
            .map(|&i| self.pair(i, candidate).total())
            .sum::<f64>()
            / items.len() as f64
    }

    /// Explains the fit of a pair.
    pub fn explain(&self, problem: &Problem, item: usize, candidate: usize) -> FitExplanation {
        let it = &problem.items[item];
        let c = &problem.candidates[candidate];
        let (discipline, pair) = discipline_match(&it.disciplines, &c.disciplines);
        let text = cosine(&self.item_vectors[item], &self.experts.vectors[candidate]);
        let fit = PairFit { discipline, text };
        FitExplanation {
            item: it.key.clone(),
            fit: fit.total(),
            discipline,
            codes: pair.map(|(i, j)| (it.disciplines[i].to_string(), c.disciplines[j].to_string())),
            text,
            terms: shared_terms(
                &self.experts.corpus,
                &self.item_vectors[item],
                &self.experts.vectors[candidate],
                8,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(list: &[&str]) -> Vec<DisciplineCode> {
        list.iter()
            .map(|c| DisciplineCode::parse(c).unwrap())
            .collect()
    }

    #[test]
    fn same_leaf_beats_same_first_level_beats_nothing() {
        let item = codes(&["45020"]);
        assert_eq!(discipline_match(&item, &codes(&["45020"])).0, 1.0);
        assert_eq!(discipline_match(&item, &codes(&["45030"])).0, 0.4);
        assert_eq!(discipline_match(&item, &codes(&["360"])).0, 0.0);
        assert_eq!(discipline_match(&item, &codes(&["450"])).0, 0.7);
    }

    #[test]
    fn primary_codes_weigh_more_than_secondary() {
        let item = codes(&["45020"]);
        let primary = discipline_match(&item, &codes(&["45020", "36010"])).0;
        let secondary = discipline_match(&item, &codes(&["36010", "45020"])).0;
        assert!(primary > secondary);
        assert_eq!(
            discipline_match(&item, &codes(&["36010", "45020"])).1,
            Some((0, 1))
        );
    }
}
