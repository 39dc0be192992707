//! Expertise fit (DESIGN §7): discipline-hierarchy match plus text similarity, 0..1, explainable.

use super::problem::{Candidate, Item, Problem};
use super::text::{cosine, document_terms_cached, shared_terms, Corpus, InvertedIndex, SparseVec};
use crate::domain::DisciplineCode;
use serde::Serialize;
use std::collections::BTreeMap;

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

/// Fit of every (item, expert) pair that shares a discipline first level or a term; all
/// other pairs have fit 0.
pub struct FitTable {
    corpus: Corpus,
    item_vectors: Vec<SparseVec>,
    candidate_vectors: Vec<SparseVec>,
    /// Per item: (candidate index, fit) sorted by candidate, only for pairs with a positive
    /// fit.
    per_item: Vec<Vec<(usize, PairFit)>>,
}

fn item_terms(item: &Item) -> std::sync::Arc<Vec<String>> {
    document_terms_cached(&item.keywords, &[&item.title, &item.abstract_text])
}

fn candidate_terms(c: &Candidate) -> std::sync::Arc<Vec<String>> {
    document_terms_cached(&c.keywords, &[&c.summary])
}

impl FitTable {
    /// Computes the table for a problem.
    pub fn build(problem: &Problem) -> Self {
        let started = std::time::Instant::now();
        let item_docs: Vec<std::sync::Arc<Vec<String>>> =
            problem.items.iter().map(item_terms).collect();
        let cand_docs: Vec<std::sync::Arc<Vec<String>>> =
            problem.candidates.iter().map(candidate_terms).collect();
        let segmented_ms = started.elapsed().as_secs_f64() * 1e3;
        let corpus = Corpus::fit(item_docs.iter().chain(cand_docs.iter()).map(|d| &**d));
        let item_vectors: Vec<SparseVec> = item_docs.iter().map(|d| corpus.vector(d)).collect();
        let candidate_vectors: Vec<SparseVec> =
            cand_docs.iter().map(|d| corpus.vector(d)).collect();
        let index = InvertedIndex::build(&candidate_vectors);
        if std::env::var_os("EXPERTPOOL_SOLVER_LOG").is_some() {
            eprintln!(
                "fit: segmentation {segmented_ms:.0} ms, corpus, vectors and index {:.0} ms",
                started.elapsed().as_secs_f64() * 1e3 - segmented_ms
            );
        }
        let mut by_first_level: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (ci, c) in problem.candidates.iter().enumerate() {
            let mut firsts: Vec<&str> = c.disciplines.iter().map(|d| d.first_level()).collect();
            firsts.sort_unstable();
            firsts.dedup();
            for f in firsts {
                by_first_level.entry(f).or_default().push(ci);
            }
        }
        // Dense accumulators, reused item after item: at 30,000 experts a common term
        // touches most of them, and hashing each pair cost more than the arithmetic.
        let n = problem.candidates.len();
        let mut text = vec![0.0f64; n];
        let mut touched = vec![false; n];
        let mut list: Vec<usize> = Vec::new();
        let per_item = problem
            .items
            .iter()
            .enumerate()
            .map(|(ii, item)| {
                index.accumulate(&item_vectors[ii], &mut text, &mut touched, &mut list);
                for d in &item.disciplines {
                    for &ci in by_first_level.get(d.first_level()).into_iter().flatten() {
                        if !touched[ci] {
                            touched[ci] = true;
                            list.push(ci);
                        }
                    }
                }
                list.sort_unstable();
                let mut fits: Vec<(usize, PairFit)> = Vec::with_capacity(list.len());
                for &ci in &list {
                    let fit = PairFit {
                        discipline: discipline_match(
                            &item.disciplines,
                            &problem.candidates[ci].disciplines,
                        )
                        .0,
                        text: text[ci].clamp(0.0, 1.0),
                    };
                    if fit.total() > 0.0 {
                        fits.push((ci, fit));
                    }
                    text[ci] = 0.0;
                    touched[ci] = false;
                }
                list.clear();
                fits
            })
            .collect();
        Self {
            corpus,
            item_vectors,
            candidate_vectors,
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
        let text = cosine(&self.item_vectors[item], &self.candidate_vectors[candidate]);
        let fit = PairFit { discipline, text };
        FitExplanation {
            item: it.key.clone(),
            fit: fit.total(),
            discipline,
            codes: pair.map(|(i, j)| (it.disciplines[i].to_string(), c.disciplines[j].to_string())),
            text,
            terms: shared_terms(
                &self.corpus,
                &self.item_vectors[item],
                &self.candidate_vectors[candidate],
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
