//! The priced flow over a few of the variables, proven optimal over all of them by pricing.
//!
//! At province scale a draw's network has ~50,000 variable arcs for ~120 seats, and almost
//! every arc stays empty; the simplex's pricing scan over all of them was most of each
//! Lagrangian iteration. So each flow is solved over a restricted set — every panel's best
//! variables at the start, grown as needed — and then checked against the whole model: a
//! group outside the restricted network carries no flow, so it takes its parent's potential
//! (its own arc then has reduced cost 0), which extends the flow's potentials to every node.
//! If every variable left out has a non-negative reduced cost under them, the restricted flow
//! is optimal for the whole network (flow 0 at the lower bound, dual feasible: complementary
//! slackness); otherwise the most negative are added and the flow is solved again. The result,
//! its value and every reduced cost are those of the whole network's optimum.

use super::super::flow::{FlowError, MinCostFlow, INF};
use super::{Group, Structure};

const NONE: usize = usize::MAX;
/// Variables added per pricing pass at most (the most negative first).
const ADD_AT_MOST: usize = 256;

/// One family of groups (experts' side or panels' side) as the restricted network has it.
struct Family {
    /// Node of each group in the restricted network, or `NONE` when left out.
    node: Vec<usize>,
    /// Groups with every parent before its children.
    order: Vec<usize>,
    /// Potential of each group, the restricted network's or, when left out, its parent's.
    potential: Vec<i64>,
    /// Arc of each group to its parent (or the source / sink), `NONE` when left out.
    arc: Vec<usize>,
}

impl Family {
    fn new(groups: &[Group]) -> Family {
        let depth = |mut g: usize| {
            let mut d = 0;
            while let Some(p) = groups[g].parent {
                g = p;
                d += 1;
            }
            d
        };
        let mut order: Vec<usize> = (0..groups.len()).collect();
        order.sort_by_key(|&g| (depth(g), g));
        Family {
            node: vec![NONE; groups.len()],
            order,
            potential: vec![0; groups.len()],
            arc: vec![NONE; groups.len()],
        }
    }

    /// Takes the potentials of the nodes present; a left-out group inherits from its parent
    /// (the root's potential for a top-level group: the source's or the sink's).
    fn extend(&mut self, groups: &[Group], flow: &MinCostFlow, root: usize) {
        for &g in &self.order {
            self.potential[g] = match (self.node[g], groups[g].parent) {
                (n, _) if n != NONE => flow.potential(n),
                (_, Some(p)) => self.potential[p],
                (_, None) => flow.potential(root),
            };
        }
    }
}

/// The restricted network and what it needs to grow.
pub(super) struct Restricted<'a> {
    s: &'a Structure,
    forced: &'a [bool],
    /// Whether each variable is in the network.
    kept: Vec<bool>,
    /// The variables in the network, by arc order.
    vars: Vec<usize>,
    /// Arc of each kept variable (`NONE` for the others).
    arc: Vec<usize>,
    flow: MinCostFlow,
    left: Family,
    right: Family,
    /// Cost of every variable as last set (scaled, as the flow takes them).
    costs: Vec<i64>,
    /// Every panel's variables, best weight first, and how many of them are kept so far.
    by_panel: Vec<(Vec<usize>, usize)>,
    /// Whether the network must be rebuilt before the next solve.
    stale: bool,
    /// The arc from the sink back to the source.
    back: usize,
    /// Network rebuilds so far (for the solver's log).
    pub rebuilds: usize,
    /// Milliseconds spent rebuilding, solving and pricing (for the solver's log).
    pub times: [f64; 3],
}

impl<'a> Restricted<'a> {
    /// Starts from the `per_seat` best variables per seat of every panel (and at least
    /// `per_seat` more), every forced variable, and every group with a least flow.
    pub(super) fn new(
        weights: &[f64],
        s: &'a Structure,
        forced: &'a [bool],
        per_seat: usize,
    ) -> Restricted<'a> {
        let n = weights.len();
        let panel_of = |mut g: usize| {
            while let Some(p) = s.right[g].parent {
                g = p;
            }
            g
        };
        let mut by_panel: Vec<(Vec<usize>, usize)> = vec![(Vec::new(), 0); s.right.len()];
        for v in 0..n {
            by_panel[panel_of(s.right_of[v])].0.push(v);
        }
        let mut me = Restricted {
            s,
            forced,
            kept: vec![false; n],
            vars: Vec::new(),
            arc: vec![NONE; n],
            flow: MinCostFlow::new(2),
            left: Family::new(&s.left),
            right: Family::new(&s.right),
            costs: vec![0; n],
            by_panel,
            stale: true,
            back: NONE,
            rebuilds: 0,
            times: [0.0; 3],
        };
        for (vars, _) in me.by_panel.iter_mut() {
            vars.sort_by(|&a, &b| weights[b].total_cmp(&weights[a]).then(a.cmp(&b)));
        }
        let starts: Vec<usize> = (0..me.by_panel.len())
            .map(|p| {
                let seats = s.right[p].lo.clamp(1, 1 << 20) as usize;
                per_seat * (seats + 1)
            })
            .collect();
        for (p, start) in starts.into_iter().enumerate() {
            me.take_more(p, start);
        }
        for v in (0..n).filter(|&v| forced[v]) {
            me.keep(v);
        }
        me
    }

    fn keep(&mut self, v: usize) {
        if !self.kept[v] {
            self.kept[v] = true;
            self.vars.push(v);
            self.stale = true;
        }
    }

    /// Keeps the next `count` best variables of panel `p`; false when none were left.
    fn take_more(&mut self, p: usize, count: usize) -> bool {
        let (list, taken) = &mut self.by_panel[p];
        let next: Vec<usize> = list[*taken..].iter().copied().take(count).collect();
        *taken += next.len();
        let any = !next.is_empty();
        for v in next {
            self.keep(v);
        }
        any
    }

    /// Sets a variable's cost (scaled).
    pub(super) fn set_cost(&mut self, v: usize, cost: i64) {
        self.costs[v] = cost;
        if self.arc[v] != NONE && !self.stale {
            self.flow.set_cost(self.arc[v], cost);
        }
    }

    /// Builds the network over the kept variables and the groups they need.
    fn rebuild(&mut self) {
        let s = self.s;
        let mut need_left = vec![false; s.left.len()];
        let mut need_right = vec![false; s.right.len()];
        let mark = |need: &mut Vec<bool>, groups: &[Group], mut g: usize| loop {
            if need[g] {
                break;
            }
            need[g] = true;
            match groups[g].parent {
                Some(p) => g = p,
                None => break,
            }
        };
        for &v in &self.vars {
            mark(&mut need_left, &s.left, s.left_of[v]);
            mark(&mut need_right, &s.right, s.right_of[v]);
        }
        for (g, group) in s.left.iter().enumerate() {
            if group.lo > 0 {
                mark(&mut need_left, &s.left, g);
            }
        }
        for (g, group) in s.right.iter().enumerate() {
            if group.lo > 0 || group.parent.is_none() {
                mark(&mut need_right, &s.right, g);
            }
        }
        self.left.arc.fill(NONE);
        self.right.arc.fill(NONE);
        let mut nodes = 2;
        for (family, need) in [(&mut self.left, &need_left), (&mut self.right, &need_right)] {
            for (g, &needed) in need.iter().enumerate() {
                family.node[g] = if needed {
                    nodes += 1;
                    nodes - 1
                } else {
                    NONE
                };
            }
        }
        let (src, sink) = (0, 1);
        let mut flow = MinCostFlow::new(nodes);
        for &g in &self.left.order {
            if self.left.node[g] != NONE {
                let group = s.left[g];
                let from = group.parent.map_or(src, |p| self.left.node[p]);
                self.left.arc[g] = flow.add_arc(from, self.left.node[g], group.lo, group.hi, 0);
            }
        }
        for &v in &self.vars {
            self.arc[v] = flow.add_arc(
                self.left.node[s.left_of[v]],
                self.right.node[s.right_of[v]],
                i64::from(self.forced[v]),
                1,
                self.costs[v],
            );
        }
        for &g in &self.right.order {
            if self.right.node[g] != NONE {
                let group = s.right[g];
                let to = group.parent.map_or(sink, |p| self.right.node[p]);
                self.right.arc[g] = flow.add_arc(self.right.node[g], to, group.lo, group.hi, 0);
            }
        }
        self.back = flow.add_arc(sink, src, 0, INF, 0);
        self.flow = flow;
        self.stale = false;
        self.rebuilds += 1;
    }

    /// The whole network's reduced cost of a variable under the extended potentials.
    fn reduced(&self, v: usize) -> i64 {
        self.costs[v] + self.left.potential[self.s.left_of[v]]
            - self.right.potential[self.s.right_of[v]]
    }

    /// Solves the whole network at the costs set: the restricted flow, grown until no
    /// variable left out would lower its cost. Returns the pivots made.
    pub(super) fn solve(&mut self) -> Result<usize, FlowError> {
        let mut pivots = 0;
        loop {
            let t = std::time::Instant::now();
            if self.stale {
                self.rebuild();
            }
            self.times[0] += t.elapsed().as_secs_f64() * 1e3;
            let t = std::time::Instant::now();
            let solved = self.flow.solve();
            self.times[1] += t.elapsed().as_secs_f64() * 1e3;
            let t = std::time::Instant::now();
            match solved {
                Ok(()) => {}
                Err(FlowError::Infeasible) => {
                    // Too few variables for the seats (or the rules): take more of every
                    // panel's; with all of them taken the whole network is infeasible.
                    pivots += self.flow.pivots;
                    let mut any = false;
                    for p in 0..self.by_panel.len() {
                        let more = self.by_panel[p].1.max(8);
                        any |= self.take_more(p, more);
                    }
                    if !any {
                        return Err(FlowError::Infeasible);
                    }
                    continue;
                }
                Err(e) => return Err(e),
            }
            pivots += self.flow.pivots;
            self.left.extend(&self.s.left, &self.flow, 0);
            self.right.extend(&self.s.right, &self.flow, 1);
            let mut negative: Vec<(i64, usize)> = (0..self.kept.len())
                .filter(|&v| !self.kept[v])
                .filter_map(|v| {
                    let rc = self.reduced(v);
                    (rc < 0).then_some((rc, v))
                })
                .collect();
            self.times[2] += t.elapsed().as_secs_f64() * 1e3;
            if negative.is_empty() {
                return Ok(pivots);
            }
            if negative.len() > ADD_AT_MOST {
                negative.select_nth_unstable(ADD_AT_MOST);
                negative.truncate(ADD_AT_MOST);
            }
            negative.sort_unstable();
            for (_, v) in negative {
                self.keep(v);
            }
        }
    }

    /// Flow on a variable's arc (0 for a variable left out).
    pub(super) fn flow_of(&self, v: usize) -> i64 {
        match self.arc[v] {
            NONE => 0,
            a => self.flow.flow(a),
        }
    }

    /// Every variable's reduced cost in the whole network (≥ 0 for those left out).
    #[cfg(test)]
    pub(super) fn reduced_costs(&self) -> Vec<i64> {
        (0..self.kept.len())
            .map(|v| match self.arc[v] {
                NONE => self.reduced(v),
                a => self.flow.reduced_cost(a),
            })
            .collect()
    }

    /// Every arc's flow and reduced cost in the whole network as `build_network` lays it out
    /// (experts' groups, variables, panels' groups, the arc back), from this flow and the
    /// extended potentials: an optimum of the whole network, as [`forcing`](super::forcing)
    /// needs one.
    pub(super) fn whole_states(&self) -> Vec<(i64, i64)> {
        let s = self.s;
        let (src, sink) = (self.flow.potential(0), self.flow.potential(1));
        let group = |family: &Family, groups: &[Group], g: usize, root: i64| {
            let flow = match family.arc[g] {
                NONE => 0,
                a => self.flow.flow(a),
            };
            let parent = groups[g].parent.map_or(root, |p| family.potential[p]);
            (flow, parent, family.potential[g])
        };
        let mut states = Vec::with_capacity(s.left.len() + self.kept.len() + s.right.len() + 1);
        for g in 0..s.left.len() {
            let (flow, from, to) = group(&self.left, &s.left, g, src);
            states.push((flow, from - to));
        }
        for v in 0..self.kept.len() {
            states.push((self.flow_of(v), self.reduced(v)));
        }
        for g in 0..s.right.len() {
            let (flow, to, from) = group(&self.right, &s.right, g, sink);
            states.push((flow, from - to));
        }
        states.push((self.flow.flow(self.back), sink - src));
        states
    }

    /// Cost of the flow (scaled): the whole network's, since variables left out carry none.
    pub(super) fn value(&self) -> i128 {
        self.vars
            .iter()
            .map(|&v| self.flow_of(v) as i128 * self.costs[v] as i128)
            .sum()
    }

    /// Variables in the network now.
    pub(super) fn size(&self) -> usize {
        self.vars.len()
    }
}
