//! The sentences of the findings that name rules binding together, with the counts that
//! make each combination impossible.

use super::irreducible::{PanelCase, PanelRule};
use super::together::{Clash, Demand, Together};
use super::Finding;
use crate::assign::problem::Problem;
use crate::assign::rules::Rules;
use std::collections::{BTreeMap, BTreeSet};

/// Rule codes in the order a combined code lists them.
const ORDER: [&str; 9] = [
    "panel_size",
    "min_count",
    "min_share",
    "leader",
    "min_voting",
    "max_per_org",
    "same_slot_exclusive",
    "workload",
    "forced",
];

/// At most this many organizations are named in a sentence; more are only counted.
const NAMED_ORGS: usize = 3;

/// At most this many panels are named in a sentence; a longer list helps nobody read it.
pub(super) const NAMED_PANELS: usize = 8;

/// The code of entry `i` of `Rules::requirements()`.
pub(super) fn requirement_code(rules: &Rules, i: usize) -> &'static str {
    if i < rules.min_count.len() {
        "min_count"
    } else if i < rules.min_count.len() + rules.min_share.len() {
        "min_share"
    } else {
        "leader"
    }
}

/// Codes joined by `+` in [`ORDER`], each once; `panel_size` when no other rule binds.
fn joined_code<'c>(codes: impl IntoIterator<Item = &'c str>) -> String {
    let rank = |c: &str| ORDER.iter().position(|o| *o == c).unwrap_or(ORDER.len());
    let set: BTreeSet<(usize, &str)> = codes.into_iter().map(|c| (rank(c), c)).collect();
    if set.is_empty() {
        return "panel_size".into();
    }
    set.into_iter()
        .map(|(_, c)| c)
        .collect::<Vec<_>>()
        .join("+")
}

/// `a`, `a and b`, `a, b and c`.
fn listed(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `panel P0`, `panels P0 and P1`, `263 panels (P0, P1, …, P5 and 257 more)`.
fn named_panels(keys: &[String]) -> String {
    match keys.len() {
        1 => format!("panel {}", keys[0]),
        n if n <= NAMED_PANELS => format!("panels {}", listed(keys)),
        n => {
            let shown = NAMED_PANELS - 2;
            format!(
                "{n} panels ({}, … and {} more)",
                keys[..shown].join(", "),
                n - shown
            )
        }
    }
}

fn plural(n: impl Into<i64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Where a group of experts works: `all work at X`, `come from only 2 organizations: X and
/// Y`, or `come from 7 organizations`.
fn organizations(problem: &Problem, experts: &[usize]) -> String {
    let orgs: BTreeSet<&str> = experts
        .iter()
        .map(|&ci| problem.candidates[ci].org_id.as_str())
        .collect();
    let names: Vec<String> = orgs.iter().map(|o| problem.org_label(o)).collect();
    match orgs.len() {
        0 => "come from no organization".into(),
        1 if experts.len() == 1 => format!("works at {}", names[0]),
        1 => format!("all work at {}", names[0]),
        n if n <= NAMED_ORGS => format!("come from only {n} organizations: {}", listed(&names)),
        n => format!("come from {n} organizations"),
    }
}

/// `the 4 eligible experts with F`, `the only eligible expert with F`.
fn the_eligible(n: usize, with: &str) -> String {
    if n == 1 {
        format!("the only eligible expert{with}")
    } else {
        format!("the {n} eligible experts{with}")
    }
}

/// The finding of a panel that cannot be filled on its own, from its irreducible set.
pub(super) fn panel_finding(case: &PanelCase, set: &[PanelRule]) -> Finding {
    let problem = case.problem;
    let rules = &problem.rules;
    let key = problem
        .panels
        .get(case.panel)
        .map_or("", |p| p.key.as_str());
    let k = rules.panel_size;
    let reqs: Vec<usize> = set
        .iter()
        .filter_map(|r| match r {
            PanelRule::Requirement(i) if *i < case.requirements.len() => Some(*i),
            _ => None,
        })
        .collect();
    let matching = |i: usize| -> Vec<usize> {
        (0..case.eligible.len())
            .filter(|&at| case.fits[i][at])
            .map(|at| case.eligible[at])
            .collect()
    };
    let mut codes = Vec::new();
    let mut clauses = Vec::new();
    for rule in set {
        match *rule {
            PanelRule::Requirement(i) => {
                codes.push(requirement_code(rules, i));
                clauses.extend(case.requirements.get(i).map(|r| r.0.clone()));
            }
            PanelRule::MinVoting => {
                codes.push("min_voting");
                clauses.push(format!(
                    "{} voting members for each item",
                    case.min_voting()
                ));
            }
            PanelRule::MaxPerOrg => {
                codes.push("max_per_org");
                clauses.push(format!("at most {} per organization", rules.max_per_org));
            }
            PanelRule::Forced(j) => {
                codes.push("forced");
                if let Some((_, e)) = problem.overrides.forced.get(j) {
                    clauses.push(format!("{e} seated (pinned)"));
                }
            }
        }
    }
    let mut evidence = Vec::new();
    if set.contains(&PanelRule::MaxPerOrg) {
        if reqs.is_empty() {
            evidence.push(format!(
                "{} {}",
                the_eligible(case.eligible.len(), ""),
                organizations(problem, &case.eligible)
            ));
        }
        for &i in &reqs {
            let who = matching(i);
            let with = format!(" with {}", case.requirements[i].1.describe());
            evidence.push(format!(
                "{} {}",
                the_eligible(who.len(), &with),
                organizations(problem, &who)
            ));
        }
    } else if !reqs.is_empty() {
        let mut counts: Vec<String> = reqs
            .iter()
            .map(|&i| {
                let n = matching(i).len();
                let filter = case.requirements[i].1.describe();
                if requirement_code(rules, i) == "leader" {
                    format!("{n} can lead ({filter})")
                } else {
                    format!("{} {filter}", plural(n as i64, "has", "have"))
                }
            })
            .collect();
        if reqs.len() > 1 {
            let all = (0..case.eligible.len())
                .filter(|&at| reqs.iter().all(|&i| case.fits[i][at]))
                .count();
            counts.push(match all {
                0 => "none meets all of them".to_string(),
                n => format!("{} all of them", plural(n as i64, "meets", "meet")),
            });
        }
        evidence.push(format!(
            "of the {} eligible experts, {}",
            case.eligible.len(),
            listed(&counts)
        ));
    }
    if set.contains(&PanelRule::MinVoting) {
        for &ii in &case.voting_items {
            let free = (0..case.eligible.len())
                .filter(|&at| !case.recused[at].contains(&ii))
                .count();
            let item = problem.items.get(ii).map_or("", |it| it.key.as_str());
            evidence.push(format!(
                "{} free of conflicts with item {item}",
                plural(free as i64, "eligible expert is", "eligible experts are")
            ));
        }
    }
    for &(j, at) in &case.pins {
        if !set.contains(&PanelRule::Forced(j)) {
            continue;
        }
        let c = &problem.candidates[case.eligible[at]];
        let lacks: Vec<String> = reqs
            .iter()
            .filter(|&&i| !case.fits[i][at])
            .map(|&i| format!("not {}", case.requirements[i].1.describe()))
            .collect();
        let mut facts = vec![format!("works at {}", problem.org_label(&c.org_id))];
        facts.extend(lacks);
        evidence.push(format!("{} is pinned ({})", c.key, facts.join(", ")));
    }
    let needs = if clauses.is_empty() {
        format!("panel {key} needs {k} experts")
    } else {
        format!(
            "panel {key} ({}) needs {}",
            plural(k, "seat", "seats"),
            listed(&clauses)
        )
    };
    let message = if evidence.is_empty() {
        format!("{needs}, and these rules cannot all hold")
    } else {
        format!("{needs}: {}", evidence.join("; "))
    };
    Finding {
        panel: Some(key.to_string()),
        rule: joined_code(codes),
        message,
    }
}

/// The finding of panels that can each be filled alone but not together.
pub(super) fn together_finding(t: &Together, clash: &Clash) -> Finding {
    let problem = t.problem;
    let rules = &problem.rules;
    let panels = &clash.panels;
    let caps = clash.caps;
    let one = panels.len() == 1;
    let keys: Vec<String> = panels
        .iter()
        .map(|&pi| problem.panels[pi].key.clone())
        .collect();
    let (filled, seats) = t.filled(clash.demand, caps, panels);
    let experts: Vec<usize> = t
        .pairs(clash.demand, caps, panels)
        .into_iter()
        .map(|(_, ci)| ci)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let pins: Vec<String> = t
        .pins
        .iter()
        .filter(|(pi, _)| caps.pins && panels.binary_search(pi).is_ok())
        .map(|&(pi, ci)| {
            format!(
                "{} is pinned to {}",
                problem.candidates[ci].key, problem.panels[pi].key
            )
        })
        .collect();
    let more = if pins.is_empty() { "" } else { " more" };
    let (with, need, mut codes) = match clash.demand {
        Demand::Size if one => (String::new(), format!("{seats}{more} experts"), vec![]),
        Demand::Size => (
            String::new(),
            format!("{seats}{more} experts in all ({} each)", rules.panel_size),
            vec![],
        ),
        Demand::Requirement(i) => {
            let (what, filter, _) = &t.requirements[i];
            let need = if one {
                what.clone()
            } else {
                format!("{what} each, {seats}{more} in all")
            };
            (
                format!(" with {}", filter.describe()),
                need,
                vec![requirement_code(rules, i)],
            )
        }
    };
    let mut by_slot: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for &pi in panels {
        let slot = problem.panels[pi].slot.as_deref().unwrap_or("none");
        by_slot
            .entry(slot)
            .or_default()
            .push(problem.panels[pi].key.clone());
    }
    let verb = if one { "needs" } else { "need" };
    let head = match (caps.slot, by_slot.len()) {
        (true, 1) => {
            let slot = by_slot.keys().next().copied().unwrap_or("");
            let meet = if one { "meets" } else { "meet" };
            format!(
                "{} {meet} in slot {slot} and {verb} {need}",
                named_panels(&keys)
            )
        }
        (true, slots) if keys.len() > NAMED_PANELS => {
            format!("{} in {slots} slots {verb} {need}", named_panels(&keys))
        }
        (true, _) => {
            let groups: Vec<String> = by_slot
                .iter()
                .map(|(slot, ks)| format!("{} in slot {slot}", listed(ks)))
                .collect();
            format!("panels {} {verb} {need}", groups.join("; "))
        }
        (false, _) => format!("{} {verb} {need}", named_panels(&keys)),
    };
    let them = if one { "it" } else { "them" };
    let n = experts.len();
    let group = match n {
        1 => format!("the only expert{with} eligible for {them}"),
        n => format!("the {n} experts{with} eligible for {them}"),
    };
    let max = rules.max_panels_per_expert;
    let near_cap = experts
        .iter()
        .filter(|&&ci| t.capacity(ci) < max as i64)
        .count();
    let mut limits = Vec::new();
    if caps.workload {
        let cap12 = match near_cap {
            0 => String::new(),
            n => format!(" ({n} of them fewer, near their 12-month review cap)"),
        };
        limits.push(format!(
            "at most {} each{cap12}",
            plural(max, "panel", "panels")
        ));
    }
    if caps.slot {
        limits.push("one panel per slot".to_string());
    }
    if caps.org {
        limits.push(format!(
            "at most {} per organization (they {})",
            rules.max_per_org,
            organizations(problem, &experts)
        ));
    }
    let slot_only = caps.slot && !caps.workload && !caps.org;
    let mut evidence = if slot_only && by_slot.len() == 1 && n as i64 == filled {
        let only = match n {
            1 => format!("only 1 expert{with} is eligible for {them}"),
            n => format!("only {n} distinct experts{with} are eligible for {them}"),
        };
        format!("{only}, and nobody sits on two panels of one slot")
    } else if limits.is_empty() {
        format!("{group} can take only {filled} of these seats")
    } else {
        format!(
            "{group} can take only {filled} of these seats: {}",
            listed(&limits)
        )
    };
    if !pins.is_empty() {
        evidence.push_str(&format!("; {}", listed(&pins)));
        codes.push("forced");
    }
    if caps.org {
        codes.push("max_per_org");
    }
    if caps.slot {
        codes.push("same_slot_exclusive");
    }
    if caps.workload {
        codes.push("workload");
    }
    Finding {
        panel: None,
        rule: joined_code(codes),
        message: format!("{head}: {evidence}"),
    }
}

/// An expert pinned to more panels than they may take.
pub(super) fn pinned_over_capacity(
    problem: &Problem,
    ci: usize,
    panels: &[usize],
    cap: i64,
) -> Finding {
    let keys: Vec<String> = panels
        .iter()
        .map(|&pi| problem.panels[pi].key.clone())
        .collect();
    Finding {
        panel: None,
        rule: joined_code(["forced", "workload"]),
        message: format!(
            "{} is pinned to panels {} but may sit on at most {}",
            problem.candidates[ci].key,
            listed(&keys),
            plural(cap, "panel", "panels")
        ),
    }
}

/// An expert pinned to two panels of one time slot.
pub(super) fn pinned_in_one_slot(
    problem: &Problem,
    ci: usize,
    panels: &[usize],
    slot: &str,
) -> Finding {
    let keys: Vec<String> = panels
        .iter()
        .map(|&pi| problem.panels[pi].key.clone())
        .collect();
    Finding {
        panel: None,
        rule: joined_code(["forced", "same_slot_exclusive"]),
        message: format!(
            "{} is pinned to panels {}, which all meet in slot {slot}",
            problem.candidates[ci].key,
            listed(&keys)
        ),
    }
}
