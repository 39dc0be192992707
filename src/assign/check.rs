//! An independent checker of every hard rule, run on each result after the solve.
//!
//! It re-derives each rule from the problem's data rather than from the model's rows, so
//! that a modelling bug shows up as a violation instead of a silently wrong panel.

use super::eligibility::{panel_dates, Analysis};
use super::problem::Problem;
use super::rules::ConflictMode;
use std::collections::{BTreeMap, HashMap, HashSet};

/// A seated panel as the checker sees it.
pub struct Seating<'a> {
    /// Candidate indices per panel.
    pub members: &'a [Vec<usize>],
    /// Leader per panel.
    pub leaders: &'a [Option<usize>],
    /// Deputy per panel (may be empty when the rules ask for none).
    pub deputies: &'a [Option<usize>],
}

/// Every broken rule, as readable sentences; empty when the seating is valid.
pub fn violations(problem: &Problem, analysis: &Analysis, seating: &Seating) -> Vec<String> {
    let rules = &problem.rules;
    let mut out = Vec::new();
    let blocking: HashSet<(usize, usize)> = analysis
        .conflicts
        .iter()
        .filter(|c| c.blocks())
        .map(|c| (c.item, c.candidate))
        .collect();
    let forbidden: HashSet<(&str, &str)> = problem
        .overrides
        .forbidden
        .iter()
        .map(|(p, e)| (p.as_str(), e.as_str()))
        .collect();
    let mut load: HashMap<usize, u32> = HashMap::new();
    let mut slot_use: HashMap<(usize, &str), u32> = HashMap::new();
    let exempt = |ci: usize| {
        rules
            .min_fit_exempt_types
            .iter()
            .any(|t| problem.candidates[ci].types.contains(t))
    };

    for (pi, panel) in problem.panels.iter().enumerate() {
        let members = &seating.members[pi];
        let name = &panel.key;
        if members.len() != rules.panel_size as usize {
            out.push(format!(
                "{name}: {} members, panel size is {}",
                members.len(),
                rules.panel_size
            ));
        }
        let distinct: HashSet<usize> = members.iter().copied().collect();
        if distinct.len() != members.len() {
            out.push(format!("{name}: an expert is seated twice"));
        }
        let mut per_org: BTreeMap<&str, u32> = BTreeMap::new();
        for &ci in members {
            let c = &problem.candidates[ci];
            *load.entry(ci).or_default() += 1;
            if rules.same_slot_exclusive {
                if let Some(slot) = &panel.slot {
                    *slot_use.entry((ci, slot.as_str())).or_default() += 1;
                }
            }
            *per_org.entry(c.org_id.as_str()).or_default() += 1;
            if let Some(reason) = &c.inactive_reason {
                out.push(format!("{name}: {} is inactive ({reason})", c.key));
            }
            for d in panel_dates(problem, pi) {
                if c.unavailable.iter().any(|r| r.contains(d)) {
                    out.push(format!("{name}: {} is unavailable on {d}", c.key));
                }
            }
            let conflicted = panel
                .items
                .iter()
                .filter(|&&ii| blocking.contains(&(ii, ci)))
                .count();
            let excluded = match rules.conflict_mode {
                ConflictMode::Strict => conflicted > 0,
                ConflictMode::Recuse => conflicted == panel.items.len(),
            };
            if excluded {
                out.push(format!("{name}: {} has a conflict of interest", c.key));
            }
            let fit = analysis.fit.panel_fit(&panel.items, ci);
            if fit < rules.min_fit && !exempt(ci) {
                out.push(format!(
                    "{name}: {} has fit {fit:.3} below min_fit {}",
                    c.key, rules.min_fit
                ));
            }
            if forbidden.contains(&(name.as_str(), c.key.as_str())) {
                out.push(format!("{name}: {} was removed from this panel", c.key));
            }
        }
        for (org, n) in per_org {
            if n > rules.max_per_org {
                out.push(format!(
                    "{name}: {n} members from {org}, max_per_org is {}",
                    rules.max_per_org
                ));
            }
        }
        for (what, filter, count) in rules.requirements() {
            let n = members
                .iter()
                .filter(|&&ci| problem.candidates[ci].matches(filter))
                .count() as u32;
            if n < count {
                out.push(format!("{name}: needs {what}, has {n}"));
            }
        }
        if let Some(rule) = &rules.leader {
            match seating.leaders[pi] {
                Some(l) if members.contains(&l) && problem.candidates[l].matches(&rule.filter) => {}
                Some(l) => out.push(format!(
                    "{name}: leader {} is not a member meeting {}",
                    problem.candidates[l].key,
                    rule.filter.describe()
                )),
                None => out.push(format!(
                    "{name}: no leader meeting {}",
                    rule.filter.describe()
                )),
            }
        }
        if let Some(rule) = &rules.deputy {
            let leader = seating.leaders.get(pi).copied().flatten();
            match seating.deputies.get(pi).copied().flatten() {
                Some(d)
                    if members.contains(&d)
                        && Some(d) != leader
                        && problem.candidates[d].matches(&rule.filter) => {}
                Some(d) => out.push(format!(
                    "{name}: deputy {} is not a member other than the leader meeting {}",
                    problem.candidates[d].key,
                    rule.filter.describe()
                )),
                None => out.push(format!(
                    "{name}: no deputy meeting {}",
                    rule.filter.describe()
                )),
            }
        }
        if rules.conflict_mode == ConflictMode::Recuse && panel.items.len() > 1 {
            let min_voting = rules.min_voting.unwrap_or(rules.panel_size) as usize;
            for &ii in &panel.items {
                let voting = members
                    .iter()
                    .filter(|&&ci| !blocking.contains(&(ii, ci)))
                    .count();
                if voting < min_voting {
                    out.push(format!(
                        "{name}: item {} keeps {voting} voting members, min_voting is {min_voting}",
                        problem.items[ii].key
                    ));
                }
            }
        }
    }
    for (ci, n) in load {
        let c = &problem.candidates[ci];
        if n > rules.max_panels_per_expert {
            out.push(format!(
                "{} sits on {n} panels, max_panels_per_expert is {}",
                c.key, rules.max_panels_per_expert
            ));
        }
        if c.recent_reviews + n > rules.max_reviews_per_12_months {
            out.push(format!(
                "{} would reach {} reviews in 12 months, cap is {}",
                c.key,
                c.recent_reviews + n,
                rules.max_reviews_per_12_months
            ));
        }
    }
    for ((ci, slot), n) in slot_use {
        if n > 1 {
            out.push(format!(
                "{} sits on {n} panels in slot {slot}",
                problem.candidates[ci].key
            ));
        }
    }
    let key_of: HashMap<&str, usize> = problem
        .panels
        .iter()
        .enumerate()
        .map(|(i, p)| (p.key.as_str(), i))
        .collect();
    for (p, e) in &problem.overrides.forced {
        let seated = key_of.get(p.as_str()).is_some_and(|&pi| {
            seating.members[pi]
                .iter()
                .any(|&ci| problem.candidates[ci].key == *e)
        });
        if !seated {
            out.push(format!(
                "{p}: {e} must be seated (accepted or pinned) but is not"
            ));
        }
    }
    out.sort();
    out
}
