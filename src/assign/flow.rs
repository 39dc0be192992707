//! Minimum-cost flow by the primal network simplex method, in pure Rust.
//!
//! Why our own: the assignment model's core (panel sizes, per-organization caps, loads, time
//! slots, forced pairs) is a network, and a network simplex solves it exactly and far faster
//! than a general LP, with no C++ toolchain. The algorithm follows the classic design (as in
//! LEMON's `NetworkSimplex`): a spanning-tree basis stored as parent/thread/successor arrays,
//! an artificial root with one big-M arc per node, and block-search pricing. Costs and flows
//! are integers, so the result is exact; callers scale fractional weights.
//!
//! Costs may be changed after a solve and the solve repeated from the last basis (a warm
//! start), which makes Lagrangian iterations cheap: the flow stays feasible, only potentials
//! are recomputed.

/// Capacity that means "unbounded".
pub const INF: i64 = i64::MAX / 4;
const NONE: usize = usize::MAX;
const STATE_UPPER: i8 = -1;
const STATE_TREE: i8 = 0;
const STATE_LOWER: i8 = 1;
const DIR_UP: i8 = 1;
const DIR_DOWN: i8 = -1;

/// Why no flow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    /// No flow meets every supply, demand and bound.
    #[error("no flow satisfies the supplies and bounds")]
    Infeasible,
    /// A bound or cost is out of the supported range (a bug in the caller).
    #[error("invalid network: {0}")]
    Invalid(String),
}

/// An arc as the caller gave it.
#[derive(Debug, Clone, Copy)]
struct ArcSpec {
    from: usize,
    to: usize,
    lower: i64,
    upper: i64,
    cost: i64,
}

/// A network with supplies, arcs with bounds and costs, and (after [`solve`](Self::solve)) an
/// optimal flow with its node potentials.
#[derive(Debug, Clone)]
pub struct MinCostFlow {
    nodes: usize,
    /// Arcs by the caller's index.
    spec: Vec<ArcSpec>,
    supply: Vec<i64>,
    /// Internal position of each arc: arcs are stored interleaved ("arc mixing"), so that
    /// each pricing block sees arcs of many nodes rather than one node's fan.
    pos: Vec<usize>,
    // Internal arc data; positions `arcs..arcs + nodes` are the artificial arcs.
    source: Vec<usize>,
    target: Vec<usize>,
    /// Width of the arc's range (upper − lower), or [`INF`].
    cap: Vec<i64>,
    cost: Vec<i64>,
    /// Flow above the lower bound.
    flow: Vec<i64>,
    state: Vec<i8>,
    // Spanning-tree basis; node `nodes` is the artificial root.
    pi: Vec<i64>,
    parent: Vec<usize>,
    pred: Vec<usize>,
    pred_dir: Vec<i8>,
    thread: Vec<usize>,
    rev_thread: Vec<usize>,
    succ_num: Vec<usize>,
    last_succ: Vec<usize>,
    dirty_revs: Vec<usize>,
    next_arc: usize,
    art_cost: i64,
    max_cost: i64,
    initialized: bool,
    /// Pivots made by the last solve, for reports.
    pub pivots: usize,
}

/// The pivot in progress.
struct Pivot {
    in_arc: usize,
    join: usize,
    u_in: usize,
    v_in: usize,
    u_out: usize,
    delta: i64,
}

impl MinCostFlow {
    /// An empty network on `nodes` nodes.
    pub fn new(nodes: usize) -> Self {
        MinCostFlow {
            nodes,
            spec: Vec::new(),
            supply: vec![0; nodes],
            pos: Vec::new(),
            source: Vec::new(),
            target: Vec::new(),
            cap: Vec::new(),
            cost: Vec::new(),
            flow: Vec::new(),
            state: Vec::new(),
            pi: Vec::new(),
            parent: Vec::new(),
            pred: Vec::new(),
            pred_dir: Vec::new(),
            thread: Vec::new(),
            rev_thread: Vec::new(),
            succ_num: Vec::new(),
            last_succ: Vec::new(),
            dirty_revs: Vec::new(),
            next_arc: 0,
            art_cost: 0,
            max_cost: 0,
            initialized: false,
            pivots: 0,
        }
    }

    /// Adds an arc `u → v` carrying between `lower` and `upper` units at `cost` each.
    pub fn add_arc(&mut self, u: usize, v: usize, lower: i64, upper: i64, cost: i64) -> usize {
        debug_assert!(u < self.nodes && v < self.nodes && lower <= upper);
        self.spec.push(ArcSpec {
            from: u,
            to: v,
            lower,
            upper,
            cost,
        });
        self.initialized = false;
        self.spec.len() - 1
    }

    /// Sets the net supply of node `u` (negative: a demand).
    pub fn set_supply(&mut self, u: usize, supply: i64) {
        self.supply[u] = supply;
        self.initialized = false;
    }

    /// Changes an arc's cost; the next solve starts from the current basis.
    pub fn set_cost(&mut self, arc: usize, cost: i64) {
        self.spec[arc].cost = cost;
        if !self.initialized {
            return;
        }
        if cost.abs() > self.max_cost {
            // The artificial cost must dominate every real path: start afresh.
            self.initialized = false;
        } else {
            self.cost[self.pos[arc]] = cost;
        }
    }

    /// Flow on an arc (within its bounds).
    pub fn flow(&self, arc: usize) -> i64 {
        self.flow[self.pos[arc]] + self.spec[arc].lower
    }

    /// Reduced cost of an arc under the optimal potentials: ≥ 0 for arcs at their lower bound,
    /// ≤ 0 at their upper bound, 0 in the basis.
    pub fn reduced_cost(&self, arc: usize) -> i64 {
        let a = &self.spec[arc];
        a.cost + self.pi[a.from] - self.pi[a.to]
    }

    /// Cost of an arc per unit.
    pub fn cost(&self, arc: usize) -> i64 {
        self.spec[arc].cost
    }

    /// Total cost of the flow, in `i128` since it sums many scaled costs.
    pub fn total_cost(&self) -> i128 {
        (0..self.spec.len())
            .map(|a| self.flow(a) as i128 * self.spec[a].cost as i128)
            .sum()
    }

    fn init(&mut self) -> Result<(), FlowError> {
        let (n, m) = (self.nodes, self.spec.len());
        let total: i64 = self.supply.iter().sum();
        if total != 0 {
            return Err(FlowError::Invalid(format!(
                "supplies sum to {total}, not 0"
            )));
        }
        let mut supply = self.supply.clone();
        let mut max_cost = 0;
        for (a, arc) in self.spec.iter().enumerate() {
            if arc.lower > arc.upper || arc.upper > INF || arc.lower < 0 {
                return Err(FlowError::Invalid(format!(
                    "arc {a} bounds {}..{}",
                    arc.lower, arc.upper
                )));
            }
            supply[arc.from] -= arc.lower;
            supply[arc.to] += arc.lower;
            max_cost = max_cost.max(arc.cost.abs());
        }
        // Headroom for later cost changes (Lagrangian prices) without a cold start.
        self.max_cost = max_cost.saturating_mul(4).max(1);
        self.art_cost = (self.max_cost + 1)
            .checked_mul(n as i64 + 1)
            .filter(|c| *c < INF / 4)
            .ok_or_else(|| FlowError::Invalid("costs too large".into()))?;
        // Arc mixing: position i, i + skip, i + 2·skip, … then the next residue class.
        self.pos = vec![0; m];
        let skip = if n > 1 { (m / n).max(3) } else { 1 };
        let (mut i, mut j) = (0, 0);
        for p in self.pos.iter_mut() {
            *p = i;
            i += skip;
            if i >= m {
                j += 1;
                i = j;
            }
        }
        let all = m + n;
        self.source = vec![0; all];
        self.target = vec![0; all];
        self.cap = vec![INF; all];
        self.cost = vec![0; all];
        for (a, arc) in self.spec.iter().enumerate() {
            let e = self.pos[a];
            self.source[e] = arc.from;
            self.target[e] = arc.to;
            self.cap[e] = if arc.upper >= INF {
                INF
            } else {
                arc.upper - arc.lower
            };
            self.cost[e] = arc.cost;
        }
        self.flow = vec![0; all];
        self.state = vec![STATE_LOWER; all];
        let root = n;
        self.pi = vec![0; n + 1];
        self.parent = vec![NONE; n + 1];
        self.pred = vec![NONE; n + 1];
        self.pred_dir = vec![DIR_UP; n + 1];
        self.thread = vec![0; n + 1];
        self.rev_thread = vec![0; n + 1];
        self.succ_num = vec![1; n + 1];
        self.last_succ = vec![0; n + 1];
        self.thread[root] = 0;
        self.rev_thread[0] = root;
        self.succ_num[root] = n + 1;
        self.last_succ[root] = if n == 0 { root } else { root - 1 };
        for (u, &net_supply) in supply.iter().enumerate() {
            let e = m + u;
            self.parent[u] = root;
            self.pred[u] = e;
            self.thread[u] = u + 1;
            self.rev_thread[u + 1] = u;
            self.last_succ[u] = u;
            self.state[e] = STATE_TREE;
            if net_supply >= 0 {
                self.pred_dir[u] = DIR_UP;
                self.source[e] = u;
                self.target[e] = root;
                self.flow[e] = net_supply;
                self.cost[e] = 0;
            } else {
                self.pred_dir[u] = DIR_DOWN;
                self.pi[u] = self.art_cost;
                self.source[e] = root;
                self.target[e] = u;
                self.flow[e] = -net_supply;
                self.cost[e] = self.art_cost;
            }
        }
        if n == 0 {
            self.thread[root] = root;
        }
        self.next_arc = 0;
        self.initialized = true;
        self.initial_pivots(&supply)
    }

    /// Before pricing, pivots in the cheapest arc into every demand node: a good start that
    /// saves many degenerate pivots on assignment networks.
    fn initial_pivots(&mut self, supply: &[i64]) -> Result<(), FlowError> {
        let m = self.spec.len();
        let mut cheapest = vec![NONE; self.nodes];
        for e in 0..m {
            let v = self.target[e];
            if supply[v] < 0
                && self.cap[e] > 0
                && (cheapest[v] == NONE || self.cost[e] < self.cost[cheapest[v]])
            {
                cheapest[v] = e;
            }
        }
        for in_arc in cheapest.into_iter().filter(|e| *e != NONE) {
            if self.reduced(in_arc) < 0 {
                self.pivot(in_arc)?;
            }
        }
        Ok(())
    }

    /// Recomputes every potential from the basis after costs changed (parents come before
    /// their children in thread order).
    fn recompute_potentials(&mut self) {
        let root = self.nodes;
        let mut u = self.thread[root];
        while u != root {
            let e = self.pred[u];
            let p = self.parent[u];
            self.pi[u] = if self.pred_dir[u] == DIR_UP {
                self.pi[p] - self.cost[e]
            } else {
                self.pi[p] + self.cost[e]
            };
            u = self.thread[u];
        }
    }

    /// Solves to optimality (from the last basis when only costs changed since).
    pub fn solve(&mut self) -> Result<(), FlowError> {
        if self.initialized {
            self.recompute_potentials();
        } else {
            self.init()?;
        }
        let m = self.spec.len();
        let block = ((m as f64).sqrt() as usize).max(10);
        self.pivots = 0;
        while let Some(in_arc) = self.find_entering(block) {
            self.pivot(in_arc)?;
        }
        if (m..m + self.nodes).any(|e| self.flow[e] != 0) {
            return Err(FlowError::Infeasible);
        }
        Ok(())
    }

    /// One simplex pivot with `in_arc` entering the basis.
    fn pivot(&mut self, in_arc: usize) -> Result<(), FlowError> {
        self.pivots += 1;
        let join = self.find_join(in_arc);
        let mut pivot = Pivot {
            in_arc,
            join,
            u_in: NONE,
            v_in: NONE,
            u_out: NONE,
            delta: 0,
        };
        let change = self.find_leaving(&mut pivot);
        if pivot.delta >= INF {
            return Err(FlowError::Invalid(
                "unbounded: a negative cycle of infinite capacity".into(),
            ));
        }
        self.change_flow(&pivot, change);
        if change {
            self.update_tree(&pivot);
            self.update_potential(&pivot);
        }
        Ok(())
    }

    fn reduced(&self, e: usize) -> i64 {
        self.state[e] as i64 * (self.cost[e] + self.pi[self.source[e]] - self.pi[self.target[e]])
    }

    /// Block search: scan blocks of arcs round-robin and take the most violating arc of the
    /// first block that has one.
    fn find_entering(&mut self, block: usize) -> Option<usize> {
        let m = self.spec.len();
        if m == 0 {
            return None;
        }
        let mut min = 0;
        let mut best = NONE;
        let mut count = block;
        let start = self.next_arc.min(m - 1);
        let mut e = start;
        for _ in 0..m {
            let c = self.reduced(e);
            if c < min {
                min = c;
                best = e;
            }
            e += 1;
            if e == m {
                e = 0;
            }
            count -= 1;
            if count == 0 {
                if min < 0 {
                    break;
                }
                count = block;
            }
        }
        self.next_arc = e;
        (best != NONE).then_some(best)
    }

    fn find_join(&self, in_arc: usize) -> usize {
        let (mut u, mut v) = (self.source[in_arc], self.target[in_arc]);
        while u != v {
            if self.succ_num[u] < self.succ_num[v] {
                u = self.parent[u];
            } else {
                v = self.parent[v];
            }
        }
        u
    }

    /// Finds the arc that leaves the basis; false when the entering arc itself is the
    /// bottleneck (it only moves between its bounds).
    fn find_leaving(&self, p: &mut Pivot) -> bool {
        let e_in = p.in_arc;
        let (first, second) = if self.state[e_in] == STATE_LOWER {
            (self.source[e_in], self.target[e_in])
        } else {
            (self.target[e_in], self.source[e_in])
        };
        let residual = |cap: i64, flow: i64| if cap >= INF { INF } else { cap - flow };
        p.delta = residual(self.cap_of(e_in), 0);
        let mut result = 0;
        let mut u = first;
        while u != p.join {
            let e = self.pred[u];
            let d = if self.pred_dir[u] == DIR_DOWN {
                residual(self.cap_of(e), self.flow[e])
            } else {
                self.flow[e]
            };
            if d < p.delta {
                p.delta = d;
                p.u_out = u;
                result = 1;
            }
            u = self.parent[u];
        }
        let mut u = second;
        while u != p.join {
            let e = self.pred[u];
            let d = if self.pred_dir[u] == DIR_UP {
                residual(self.cap_of(e), self.flow[e])
            } else {
                self.flow[e]
            };
            if d <= p.delta {
                p.delta = d;
                p.u_out = u;
                result = 2;
            }
            u = self.parent[u];
        }
        if result == 1 {
            p.u_in = first;
            p.v_in = second;
        } else {
            p.u_in = second;
            p.v_in = first;
        }
        result != 0
    }

    /// Width of an arc's range (artificial arcs are unbounded).
    fn cap_of(&self, e: usize) -> i64 {
        self.cap[e]
    }

    fn change_flow(&mut self, p: &Pivot, change: bool) {
        let e_in = p.in_arc;
        if p.delta > 0 {
            let val = self.state[e_in] as i64 * p.delta;
            self.flow[e_in] += val;
            let mut u = self.source[e_in];
            while u != p.join {
                let e = self.pred[u];
                self.flow[e] -= self.pred_dir[u] as i64 * val;
                u = self.parent[u];
            }
            let mut u = self.target[e_in];
            while u != p.join {
                let e = self.pred[u];
                self.flow[e] += self.pred_dir[u] as i64 * val;
                u = self.parent[u];
            }
        }
        if change {
            self.state[e_in] = STATE_TREE;
            let out = self.pred[p.u_out];
            self.state[out] = if self.flow[out] == 0 {
                STATE_LOWER
            } else {
                STATE_UPPER
            };
        } else {
            self.state[e_in] = -self.state[e_in];
        }
    }

    /// Re-hangs the subtree cut off by the leaving arc under the entering arc, keeping the
    /// thread (preorder), successor counts and last successors right.
    fn update_tree(&mut self, p: &Pivot) {
        let (u_in, v_in, u_out, join, in_arc) = (p.u_in, p.v_in, p.u_out, p.join, p.in_arc);
        let old_rev_thread = self.rev_thread[u_out];
        let old_succ_num = self.succ_num[u_out];
        let old_last_succ = self.last_succ[u_out];
        let v_out = self.parent[u_out];

        if u_in == u_out {
            self.parent[u_in] = v_in;
            self.pred[u_in] = in_arc;
            self.pred_dir[u_in] = if u_in == self.source[in_arc] {
                DIR_UP
            } else {
                DIR_DOWN
            };
            if self.thread[v_in] != u_out {
                let mut after = self.thread[old_last_succ];
                self.thread[old_rev_thread] = after;
                self.rev_thread[after] = old_rev_thread;
                after = self.thread[v_in];
                self.thread[v_in] = u_out;
                self.rev_thread[u_out] = v_in;
                self.thread[old_last_succ] = after;
                self.rev_thread[after] = old_last_succ;
            }
        } else {
            // When old_rev_thread is v_in, join and v_out coincide.
            let thread_continue = if old_rev_thread == v_in {
                self.thread[old_last_succ]
            } else {
                self.thread[v_in]
            };
            // Walk the stem from u_in up to u_out, reversing parents.
            let mut stem = u_in;
            let mut par_stem = v_in;
            let mut last = self.last_succ[u_in];
            let mut after = self.thread[last];
            self.thread[v_in] = u_in;
            self.dirty_revs.clear();
            self.dirty_revs.push(v_in);
            while stem != u_out {
                let next_stem = self.parent[stem];
                self.thread[last] = next_stem;
                self.dirty_revs.push(last);
                let before = self.rev_thread[stem];
                self.thread[before] = after;
                self.rev_thread[after] = before;
                self.parent[stem] = par_stem;
                par_stem = stem;
                stem = next_stem;
                last = if self.last_succ[stem] == self.last_succ[par_stem] {
                    self.rev_thread[par_stem]
                } else {
                    self.last_succ[stem]
                };
                after = self.thread[last];
            }
            self.parent[u_out] = par_stem;
            self.thread[last] = thread_continue;
            self.rev_thread[thread_continue] = last;
            self.last_succ[u_out] = last;
            if old_rev_thread != v_in {
                self.thread[old_rev_thread] = after;
                self.rev_thread[after] = old_rev_thread;
            }
            for i in 0..self.dirty_revs.len() {
                let u = self.dirty_revs[i];
                let t = self.thread[u];
                self.rev_thread[t] = u;
            }
            // Predecessor arcs, directions and counts along the reversed stem.
            let mut tmp_sc = 0usize;
            let tmp_ls = self.last_succ[u_out];
            let mut u = u_out;
            while u != u_in {
                let par = self.parent[u];
                self.pred[u] = self.pred[par];
                self.pred_dir[u] = -self.pred_dir[par];
                tmp_sc = tmp_sc + self.succ_num[u] - self.succ_num[par];
                self.succ_num[u] = tmp_sc;
                self.last_succ[par] = tmp_ls;
                u = par;
            }
            self.pred[u_in] = in_arc;
            self.pred_dir[u_in] = if u_in == self.source[in_arc] {
                DIR_UP
            } else {
                DIR_DOWN
            };
            self.succ_num[u_in] = old_succ_num;
        }

        let up_limit_out = if self.last_succ[join] == v_in {
            join
        } else {
            NONE
        };
        let last_succ_out = self.last_succ[u_out];
        let mut u = v_in;
        while u != NONE && self.last_succ[u] == v_in {
            self.last_succ[u] = last_succ_out;
            u = self.parent[u];
        }
        if join != old_rev_thread && v_in != old_rev_thread {
            let mut u = v_out;
            while u != up_limit_out && u != NONE && self.last_succ[u] == old_last_succ {
                self.last_succ[u] = old_rev_thread;
                u = self.parent[u];
            }
        } else if last_succ_out != old_last_succ {
            let mut u = v_out;
            while u != up_limit_out && u != NONE && self.last_succ[u] == old_last_succ {
                self.last_succ[u] = last_succ_out;
                u = self.parent[u];
            }
        }
        let mut u = v_in;
        while u != join {
            self.succ_num[u] += old_succ_num;
            u = self.parent[u];
        }
        let mut u = v_out;
        while u != join {
            self.succ_num[u] -= old_succ_num;
            u = self.parent[u];
        }
    }

    /// Shifts the potentials of the re-hung subtree so that the entering arc's reduced cost
    /// becomes zero.
    fn update_potential(&mut self, p: &Pivot) {
        let sigma =
            self.pi[p.v_in] - self.pi[p.u_in] - self.pred_dir[p.u_in] as i64 * self.cost[p.in_arc];
        let end = self.thread[self.last_succ[p.u_in]];
        let mut u = p.u_in;
        while u != end {
            self.pi[u] += sigma;
            u = self.thread[u];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// Reference: successive shortest paths with Bellman-Ford on the residual graph, from a
    /// super source to a super sink (lower bounds moved into supplies). Slow and obviously
    /// right; returns the minimum cost or None when infeasible.
    fn reference(n: usize, arcs: &[(usize, usize, i64, i64, i64)], supply: &[i64]) -> Option<i64> {
        let (s, t) = (n, n + 1);
        // Residual graph: (to, cap, cost, rev).
        let mut g: Vec<Vec<(usize, i64, i64, usize)>> = vec![Vec::new(); n + 2];
        let add = |g: &mut Vec<Vec<(usize, i64, i64, usize)>>,
                   u: usize,
                   v: usize,
                   cap: i64,
                   cost: i64| {
            let (ru, rv) = (g[v].len(), g[u].len());
            g[u].push((v, cap, cost, ru));
            g[v].push((u, 0, -cost, rv));
        };
        let mut bal = supply.to_vec();
        let mut base = 0;
        for &(u, v, lo, hi, c) in arcs {
            add(&mut g, u, v, hi - lo, c);
            bal[u] -= lo;
            bal[v] += lo;
            base += lo * c;
        }
        let mut need = 0;
        for (u, &b) in bal.iter().enumerate() {
            if b > 0 {
                add(&mut g, s, u, b, 0);
                need += b;
            } else if b < 0 {
                add(&mut g, u, t, -b, 0);
            }
        }
        let mut cost = base;
        let mut sent = 0;
        loop {
            let mut dist = vec![i64::MAX; n + 2];
            let mut prev = vec![(NONE, 0usize); n + 2];
            dist[s] = 0;
            for _ in 0..n + 2 {
                let mut changed = false;
                for u in 0..n + 2 {
                    if dist[u] == i64::MAX {
                        continue;
                    }
                    for (i, &(v, cap, c, _)) in g[u].iter().enumerate() {
                        if cap > 0 && dist[u] + c < dist[v] {
                            dist[v] = dist[u] + c;
                            prev[v] = (u, i);
                            changed = true;
                        }
                    }
                }
                if !changed {
                    break;
                }
            }
            if dist[t] == i64::MAX {
                break;
            }
            let mut f = i64::MAX;
            let mut v = t;
            while v != s {
                let (u, i) = prev[v];
                f = f.min(g[u][i].1);
                v = u;
            }
            let mut v = t;
            while v != s {
                let (u, i) = prev[v];
                g[u][i].1 -= f;
                let r = g[u][i].3;
                g[v][r].1 += f;
                v = u;
            }
            cost += f * dist[t];
            sent += f;
        }
        (sent == need).then_some(cost)
    }

    /// (nodes, arcs as (from, to, lower, upper, cost), supplies).
    type Instance = (usize, Vec<(usize, usize, i64, i64, i64)>, Vec<i64>);

    fn random_instance(seed: u64) -> Instance {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let n = rng.random_range(2..9);
        let m = rng.random_range(1..20);
        let arcs = (0..m)
            .map(|_| {
                let u = rng.random_range(0..n);
                let mut v = rng.random_range(0..n);
                if v == u {
                    v = (u + 1) % n;
                }
                let lo = if rng.random_bool(0.2) {
                    rng.random_range(0..2)
                } else {
                    0
                };
                let hi = lo + rng.random_range(0..5);
                (u, v, lo, hi, rng.random_range(-10..20))
            })
            .collect();
        let mut supply = vec![0; n];
        for _ in 0..rng.random_range(0..4) {
            let (a, b) = (rng.random_range(0..n), rng.random_range(0..n));
            let k = rng.random_range(1..4);
            supply[a] += k;
            supply[b] -= k;
        }
        (n, arcs, supply)
    }

    fn solve(
        n: usize,
        arcs: &[(usize, usize, i64, i64, i64)],
        supply: &[i64],
    ) -> Result<MinCostFlow, FlowError> {
        let mut f = MinCostFlow::new(n);
        for &(u, v, lo, hi, c) in arcs {
            f.add_arc(u, v, lo, hi, c);
        }
        for (u, &s) in supply.iter().enumerate() {
            f.set_supply(u, s);
        }
        f.solve().map(|_| f)
    }

    fn assert_valid(
        f: &MinCostFlow,
        n: usize,
        arcs: &[(usize, usize, i64, i64, i64)],
        supply: &[i64],
    ) {
        let mut bal = supply.to_vec();
        for (a, &(u, v, lo, hi, _)) in arcs.iter().enumerate() {
            let x = f.flow(a);
            assert!(lo <= x && x <= hi, "arc {a}: {x} outside {lo}..{hi}");
            bal[u] -= x;
            bal[v] += x;
            let rc = f.reduced_cost(a);
            assert!(
                x == hi || rc >= 0,
                "arc {a} below its upper bound has rc {rc}"
            );
            assert!(
                x == lo || rc <= 0,
                "arc {a} above its lower bound has rc {rc}"
            );
        }
        assert!(bal.iter().take(n).all(|b| *b == 0), "conservation: {bal:?}");
    }

    #[test]
    fn matches_successive_shortest_paths_on_random_networks() {
        for seed in 0..3000 {
            let (n, arcs, supply) = random_instance(seed);
            // Negative cycles of finite capacity are fine for the simplex but not for the
            // reference's shortest paths: keep instances whose costs are non-negative there.
            let arcs: Vec<_> = arcs
                .into_iter()
                .map(|(u, v, lo, hi, c)| (u, v, lo, hi, c.abs()))
                .collect();
            let expected = reference(n, &arcs, &supply);
            match solve(n, &arcs, &supply) {
                Ok(f) => {
                    assert_valid(&f, n, &arcs, &supply);
                    assert_eq!(Some(f.total_cost() as i64), expected, "seed {seed}");
                }
                Err(FlowError::Infeasible) => assert_eq!(expected, None, "seed {seed}"),
                Err(e) => panic!("seed {seed}: {e}"),
            }
        }
    }

    #[test]
    fn negative_costs_reach_optimality_conditions() {
        for seed in 0..2000 {
            let (n, arcs, supply) = random_instance(seed + 10_000);
            if let Ok(f) = solve(n, &arcs, &supply) {
                assert_valid(&f, n, &arcs, &supply);
            }
        }
    }

    #[test]
    fn warm_start_after_cost_changes_equals_a_cold_solve() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(77);
        for seed in 0..400 {
            let (n, arcs, supply) = random_instance(seed + 50_000);
            let Ok(mut warm) = solve(n, &arcs, &supply) else {
                continue;
            };
            let mut changed = arcs.clone();
            for (a, arc) in changed.iter_mut().enumerate() {
                arc.4 = rng.random_range(-10..20);
                warm.set_cost(a, arc.4);
            }
            warm.solve().unwrap();
            assert_valid(&warm, n, &changed, &supply);
            let cold = solve(n, &changed, &supply).unwrap();
            assert_eq!(warm.total_cost(), cold.total_cost(), "seed {seed}");
        }
    }

    #[test]
    fn an_assignment_picks_the_cheapest_perfect_matching() {
        // 3 workers × 3 jobs; optimum 1 + 2 + 3 on the anti-diagonal-free choice.
        let cost = [[4, 1, 3], [2, 0, 5], [3, 2, 2]];
        let mut f = MinCostFlow::new(6);
        for (w, row) in cost.iter().enumerate() {
            f.set_supply(w, 1);
            f.set_supply(3 + w, -1);
            for (j, &c) in row.iter().enumerate() {
                f.add_arc(w, 3 + j, 0, 1, c);
            }
        }
        f.solve().unwrap();
        assert_eq!(f.total_cost(), 5);
    }
}
