//! The openreview-matcher CSV interface: `item,reviewer,score` affinities, `item,reviewer,-1`
//! conflicts and `+1` forced pairs; the same LP core as the draw.

use super::lp::{LpError, Model01, SolveStatus};
use super::network::{self, Group, Structure};
use std::collections::{HashMap, HashSet};

/// A parse error naming the file's line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name} line {line}: {message}")]
pub struct CsvError {
    /// File name for messages.
    pub source_name: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// `(item, reviewer, value)` rows.
pub type Triples = Vec<(String, String, f64)>;

/// (item, reviewer, value) rows of a CSV file; a first row whose value is not a number is a header.
pub fn parse_triples(
    source_name: &str,
    text: &str,
) -> Result<Vec<(String, String, f64)>, CsvError> {
    let mut out = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    for (i, record) in reader.records().enumerate() {
        let line = i + 1;
        let err = |message: String| CsvError {
            source_name: source_name.into(),
            line,
            message,
        };
        let record = record.map_err(|e| err(e.to_string()))?;
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        if record.len() < 3 {
            return Err(err(format!(
                "expected item,reviewer,value; found {} fields",
                record.len()
            )));
        }
        let value: f64 = match record[2].parse() {
            Ok(v) if f64::is_finite(v) => v,
            _ if line == 1 => continue,
            _ => return Err(err(format!("value '{}' is not a number", &record[2]))),
        };
        if record[0].is_empty() || record[1].is_empty() {
            return Err(err("item and reviewer must not be empty".into()));
        }
        out.push((record[0].to_string(), record[1].to_string(), value));
    }
    Ok(out)
}

/// Parameters of a solve.
#[derive(Debug, Clone, PartialEq)]
pub struct SolveSpec {
    /// Reviewers per item.
    pub per_item: u32,
    /// Most items per reviewer.
    pub max_load: u32,
    /// Fewest items per reviewer (0 = none).
    pub min_load: u32,
    /// Seed of the tie-breaking perturbation.
    pub seed: u64,
    /// Time limit in seconds.
    pub time_limit_secs: f64,
}

/// The result of a solve.
#[derive(Debug, Clone, PartialEq)]
pub struct Matching {
    /// (item, reviewer, score), sorted.
    pub pairs: Vec<(String, String, f64)>,
    /// Σ score of the pairs.
    pub objective: f64,
    /// Upper bound.
    pub bound: f64,
    /// Status.
    pub status: SolveStatus,
    /// Seconds in the solver.
    pub solve_seconds: f64,
    /// Variables.
    pub variables: usize,
}

/// Why a solve failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    /// An item cannot get enough reviewers, or loads cannot be met; the message says which.
    #[error("infeasible: {0}")]
    Infeasible(String),
    /// Solver failure.
    #[error("solver failed: {0}")]
    Solver(String),
}

/// Sorted distinct names and a name → index map (indices follow the sorted order, so the
/// model and the result are the same whatever the input row order).
fn intern<'a>(names: impl Iterator<Item = &'a str>) -> (Vec<&'a str>, HashMap<&'a str, usize>) {
    // Distinct names first (a hash set: inputs repeat each name many times), then sorted.
    let distinct: HashSet<&str> = names.collect();
    let mut sorted: Vec<&str> = distinct.into_iter().collect();
    sorted.sort_unstable();
    let index = sorted.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    (sorted, index)
}

/// Maximizes Σ score over pairs with `per_item` reviewers per item and loads in
/// [`min_load`, `max_load`]; `-1` constraints forbid a pair, `+1` force it.
pub fn solve(
    scores: &[(String, String, f64)],
    constraints: &[(String, String, f64)],
    spec: &SolveSpec,
) -> Result<Matching, MatchError> {
    let (items, item_ix) = intern(scores.iter().map(|s| s.0.as_str()));
    let (reviewers, reviewer_ix) = intern(scores.iter().map(|s| s.1.as_str()));
    let key = |i: &str, r: &str| Some((*item_ix.get(i)?, *reviewer_ix.get(r)?));
    let forbidden: HashSet<(usize, usize)> = constraints
        .iter()
        .filter(|c| c.2 < 0.0)
        .filter_map(|c| key(&c.0, &c.1))
        .collect();
    // One variable per allowed pair, ordered by (item, reviewer); a repeated pair keeps its last score.
    let mut pairs: Vec<(usize, usize, f64)> = scores
        .iter()
        .filter_map(|(i, r, s)| key(i, r).map(|(a, b)| (a, b, *s)))
        .filter(|(a, b, _)| !forbidden.contains(&(*a, *b)))
        .collect();
    // Stable sort, then keep the last of each repeated pair.
    pairs.sort_by_key(|p| (p.0, p.1));
    pairs.reverse();
    pairs.dedup_by_key(|p| (p.0, p.1));
    pairs.reverse();
    let var_of = |k: (usize, usize)| pairs.binary_search_by_key(&k, |p| (p.0, p.1)).ok();
    let mut fixed_one = Vec::new();
    for c in constraints.iter().filter(|c| c.2 > 0.0) {
        match key(&c.0, &c.1).and_then(var_of) {
            Some(v) => fixed_one.push(v),
            None => {
                return Err(MatchError::Infeasible(format!(
                    "forced pair {},{} has no score or is also a conflict",
                    c.0, c.1
                )))
            }
        }
    }
    fixed_one.sort_unstable();
    fixed_one.dedup();
    let mut by_item: Vec<Vec<usize>> = vec![Vec::new(); items.len()];
    let mut by_reviewer: Vec<Vec<usize>> = vec![Vec::new(); reviewers.len()];
    for (v, p) in pairs.iter().enumerate() {
        by_item[p.0].push(v);
        by_reviewer[p.1].push(v);
    }
    if let Some((i, vars)) = by_item
        .iter()
        .enumerate()
        .find(|(_, v)| v.len() < spec.per_item as usize)
    {
        return Err(MatchError::Infeasible(format!(
            "item {} has {} eligible reviewers, needs {}",
            items[i],
            vars.len(),
            spec.per_item
        )));
    }
    let seats = items.len() as u64 * spec.per_item as u64;
    let capacity = reviewers.len() as u64 * spec.max_load as u64;
    if capacity < seats {
        return Err(MatchError::Infeasible(format!(
            "{seats} reviews needed, {} reviewers × max load {} = {capacity}",
            reviewers.len(),
            spec.max_load
        )));
    }
    // A perturbation far below score precision breaks ties the same way on every machine.
    let mut rng_state = spec.seed ^ 0x9e37_79b9_7f4a_7c15;
    let weights: Vec<f64> = pairs
        .iter()
        .map(|p| {
            rng_state = rng_state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            p.2 + 1e-9 * ((rng_state >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect();
    // Item rows `= k` and reviewer rows within [min_load, max_load]: a pure network, solved
    // exactly by the flow (no side rows, so the model's rows are not needed).
    let structure = Structure {
        left_of: pairs.iter().map(|p| p.1).collect(),
        right_of: pairs.iter().map(|p| p.0).collect(),
        left: by_reviewer
            .iter()
            .map(|v| Group {
                parent: None,
                lo: i64::from(spec.min_load.min(v.len() as u32)),
                hi: i64::from(spec.max_load),
            })
            .collect(),
        right: vec![
            Group {
                parent: None,
                lo: i64::from(spec.per_item),
                hi: i64::from(spec.per_item),
            };
            items.len()
        ],
        side_rows: vec![],
    };
    let model = Model01 {
        weights,
        rows: vec![],
        fixed_one,
    };
    let solved = network::solve(&model, &structure, spec.time_limit_secs).map_err(|e| match e {
        LpError::Infeasible => {
            MatchError::Infeasible("the loads and forced pairs cannot all be met".into())
        }
        LpError::Solver(s) => MatchError::Solver(s),
    })?;
    let chosen: Vec<(String, String, f64)> = pairs
        .iter()
        .zip(&solved.chosen)
        .filter(|(_, c)| **c)
        .map(|(p, _)| (items[p.0].to_string(), reviewers[p.1].to_string(), p.2))
        .collect();
    let objective = chosen.iter().map(|p| p.2).sum();
    Ok(Matching {
        pairs: chosen,
        objective,
        bound: solved.bound,
        status: solved.status,
        solve_seconds: solved.solve_seconds,
        variables: pairs.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_instance_reaches_the_hand_computed_optimum() {
        let scores = parse_triples("scores", "a,r1,0.9\na,r2,0.8\na,r3,0.1\nb,r1,0.9\nb,r2,0.7\nb,r3,0.2\nc,r1,0.5\nc,r2,0.5\nc,r3,0.6\nd,r1,0.3\nd,r2,0.9\nd,r3,0.9\n").unwrap();
        let constraints = parse_triples("constraints", "a,r1,-1\n").unwrap();
        let spec = SolveSpec {
            per_item: 2,
            max_load: 3,
            min_load: 0,
            seed: 1,
            time_limit_secs: 10.0,
        };
        let m = solve(&scores, &constraints, &spec).unwrap();
        assert!((m.objective - 5.4).abs() < 1e-9, "{}", m.objective);
        assert!(!m.pairs.iter().any(|p| p.0 == "a" && p.1 == "r1"));
    }

    #[test]
    fn a_bad_value_names_the_line() {
        let e =
            parse_triples("scores.csv", "item,reviewer,score\na,r1,0.5\nb,r2,high\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.to_string().contains("scores.csv line 3"));
    }

    #[test]
    fn an_item_without_enough_reviewers_is_named() {
        let scores = parse_triples("s", "a,r1,1\nb,r1,1\nb,r2,1\n").unwrap();
        let spec = SolveSpec {
            per_item: 2,
            max_load: 2,
            min_load: 0,
            seed: 0,
            time_limit_secs: 10.0,
        };
        let e = solve(&scores, &[], &spec).unwrap_err();
        assert!(e.to_string().contains("item a"), "{e}");
    }
}
