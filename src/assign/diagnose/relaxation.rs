//! How a panel set becomes a flow network: each expert's capacity (and one seat per time
//! slot) on the source side, each panel's demand (and its organization caps) on the sink
//! side, one unit per eligible pair, with pinned members seated first.

use super::maxflow::MaxFlow;
use super::together::{Caps, Demand, Together};
use std::collections::{BTreeMap, BTreeSet, HashMap};

const SOURCE: usize = 0;
const SINK: usize = 1;
/// No node yet.
const NONE: usize = usize::MAX;

/// What the pins of a panel set already hold: they sit in every solution, so a check seats
/// them first and asks the flow only for the rest.
#[derive(Default)]
struct Seated<'p> {
    load: BTreeMap<usize, i64>,
    slot_load: BTreeMap<(usize, &'p str), i64>,
    org_load: BTreeMap<(usize, &'p str), i64>,
    members: BTreeMap<usize, i64>,
}

impl<'a> Together<'a> {
    /// What the pins among `panels` hold.
    fn seated(&self, demand: Demand, caps: Caps, panels: &[usize]) -> Seated<'a> {
        let mut s = Seated::default();
        for &(pi, ci) in self.pins.iter().filter(|_| caps.pins) {
            if panels.binary_search(&pi).is_err() {
                continue;
            }
            *s.load.entry(ci).or_default() += 1;
            if let Some(slot) = &self.problem.panels[pi].slot {
                *s.slot_load.entry((ci, slot.as_str())).or_default() += 1;
            }
            let org = self.problem.candidates[ci].org_id.as_str();
            *s.org_load.entry((pi, org)).or_default() += 1;
            if self.counts(demand, ci) {
                *s.members.entry(pi).or_default() += 1;
            }
        }
        s
    }

    /// Members panel `pi` still needs towards `demand` once its pins sit.
    fn need(&self, demand: Demand, pi: usize, seated: &Seated) -> i64 {
        let base = match demand {
            Demand::Size => self.problem.rules.panel_size,
            Demand::Requirement(i) => self.requirements.get(i).map_or(0, |r| r.2),
        } as i64;
        (base - seated.members.get(&pi).copied().unwrap_or(0)).max(0)
    }

    /// The eligible (panel, candidate) pairs of `panels` that count towards `demand`, less
    /// the pins when they sit first.
    pub fn pairs(&self, demand: Demand, caps: Caps, panels: &[usize]) -> Vec<(usize, usize)> {
        panels
            .iter()
            .flat_map(|&pi| {
                self.analysis.panels[pi]
                    .arcs
                    .iter()
                    .map(move |&a| (pi, self.analysis.arcs[a].candidate))
            })
            .filter(|&(pi, ci)| {
                self.counts(demand, ci) && !(caps.pins && self.pins.contains(&(pi, ci)))
            })
            .collect()
    }

    pub fn slot(&self, pi: usize, caps: Caps) -> Option<&'a str> {
        let slot = self.problem.panels[pi].slot.as_deref();
        slot.filter(|_| caps.slot)
    }

    /// `Some(panels that cannot be filled together)` when the relaxation proves it of
    /// `panels` (ascending), else `None`.
    pub fn check(&self, demand: Demand, caps: Caps, panels: &[usize]) -> Option<Vec<usize>> {
        let (filled, total, cut) = self.fill(demand, caps, panels);
        (filled < total).then_some(cut)
    }

    /// Seats the relaxation of `panels` can fill, of how many.
    pub fn filled(&self, demand: Demand, caps: Caps, panels: &[usize]) -> (i64, i64) {
        let (filled, total, _) = self.fill(demand, caps, panels);
        (filled, total)
    }

    /// A maximum flow: (seats filled, seats to fill, and when short, the panels on the sink
    /// side of a minimum cut plus those whose pins sat first). The latter cannot be filled
    /// together: the cut's capacity into them is below their demand, and the pins that
    /// lowered it are in the set.
    fn fill(&self, demand: Demand, caps: Caps, panels: &[usize]) -> (i64, i64, Vec<usize>) {
        let max_per_org = self.problem.rules.max_per_org as i64;
        let seated = self.seated(demand, caps, panels);
        let mut net = Net::new(self.problem.candidates.len(), self.problem.panels.len());
        let mut total = 0;
        for &pi in panels {
            let need = self.need(demand, pi, &seated);
            total += need;
            net.panel[pi] = net.add_node(|id| (id, SINK, need));
        }
        if total == 0 {
            return (0, 0, Vec::new());
        }
        let mut middle = Vec::new();
        for (pi, ci) in self.pairs(demand, caps, panels) {
            let mut expert = net.expert[ci];
            if expert == NONE {
                let cap = if caps.workload {
                    self.capacity(ci) - seated.load.get(&ci).copied().unwrap_or(0)
                } else {
                    panels.len() as i64
                };
                expert = net.add_node(|id| (SOURCE, id, cap.max(0)));
                net.expert[ci] = expert;
            }
            let tail = match self.slot(pi, caps) {
                Some(slot) => {
                    let key = (ci, self.slot_id[pi]);
                    match net.expert_slot.get(&key) {
                        Some(&id) => id,
                        None => {
                            let used = seated.slot_load.get(&(ci, slot)).copied().unwrap_or(0);
                            let id = net.add_node(|id| (expert, id, (1 - used).max(0)));
                            net.expert_slot.insert(key, id);
                            id
                        }
                    }
                }
                None => expert,
            };
            let panel = net.panel[pi];
            let head = if caps.org {
                let key = (pi, self.org_id[ci]);
                match net.panel_org.get(&key) {
                    Some(&id) => id,
                    None => {
                        let org = self.problem.candidates[ci].org_id.as_str();
                        let used = seated.org_load.get(&(pi, org)).copied().unwrap_or(0);
                        let id = net.add_node(|id| (id, panel, (max_per_org - used).max(0)));
                        net.panel_org.insert(key, id);
                        id
                    }
                }
            } else {
                panel
            };
            middle.push(net.arcs.len());
            net.arcs.push((tail, head, 1));
        }
        let mut flow = MaxFlow::new(net.link.len() + 2);
        for &(u, v, cap) in &net.arcs {
            flow.add(u, v, cap);
        }
        let mut reached = 0;
        let mut path = Vec::new();
        for &a in &middle {
            net.path(a, &mut path);
            if flow.push_unit(&path) {
                reached += 1;
            }
        }
        if reached < total {
            reached += flow.augment(SOURCE, SINK);
        }
        if reached >= total {
            return (reached, total, Vec::new());
        }
        let reach = flow.reaching(SINK);
        let pinned =
            |pi: usize| caps.pins && self.pins.range((pi, 0)..(pi + 1, 0)).next().is_some();
        let cut: Vec<usize> = panels
            .iter()
            .copied()
            .filter(|&pi| {
                pinned(pi) || net.panel.get(pi).is_some_and(|&id| id != NONE && reach[id])
            })
            .collect();
        (reached, total, cut)
    }
}

/// A relaxation's network: every node but the source and the sink has one arc towards one
/// of them (its link), so an expert–panel arc lies on exactly one source–sink path.
struct Net {
    /// (from, to, capacity); the flow's edge of arc `i` is `2·i`.
    arcs: Vec<(usize, usize, i64)>,
    /// The link arc of node id `i + 2` (ids 0 and 1 are the source and the sink).
    link: Vec<usize>,
    /// Node of each candidate, each panel ([`NONE`] when absent).
    expert: Vec<usize>,
    panel: Vec<usize>,
    /// Nodes of (candidate, slot) and (panel, organization); looked up only, never iterated.
    expert_slot: HashMap<(usize, usize), usize>,
    panel_org: HashMap<(usize, usize), usize>,
}

impl Net {
    fn new(candidates: usize, panels: usize) -> Self {
        Net {
            arcs: Vec::new(),
            link: Vec::new(),
            expert: vec![NONE; candidates],
            panel: vec![NONE; panels],
            expert_slot: HashMap::new(),
            panel_org: HashMap::new(),
        }
    }

    /// A new node with its link `link(id)`.
    fn add_node(&mut self, link: impl FnOnce(usize) -> (usize, usize, i64)) -> usize {
        let id = self.link.len() + 2;
        self.link.push(self.arcs.len());
        self.arcs.push(link(id));
        id
    }

    fn link_arc(&self, node: usize) -> Option<(usize, (usize, usize, i64))> {
        let l = *self.link.get(node.checked_sub(2)?)?;
        Some((l, *self.arcs.get(l)?))
    }

    /// The flow edges of the source–sink path through arc `a`, into `path`.
    fn path(&self, a: usize, path: &mut Vec<usize>) {
        path.clear();
        path.push(2 * a);
        let (mut up, mut down) = (self.arcs[a].0, self.arcs[a].1);
        while let (false, Some((l, (from, _, _)))) = (up == SOURCE, self.link_arc(up)) {
            path.push(2 * l);
            up = from;
        }
        while let (false, Some((l, (_, to, _)))) = (down == SINK, self.link_arc(down)) {
            path.push(2 * l);
            down = to;
        }
    }
}

/// The rank of each name among the distinct names.
pub(super) fn dense<'n>(names: impl Iterator<Item = &'n str> + Clone) -> Vec<usize> {
    let sorted: BTreeSet<&str> = names.clone().collect();
    let rank: BTreeMap<&str, usize> = sorted
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n, i))
        .collect();
    names.map(|n| rank.get(n).copied().unwrap_or(0)).collect()
}
