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

    /// A node's potential in the last solve (reduced costs are `cost + π(from) − π(to)`).
    pub fn potential(&self, node: usize) -> i64 {
        self.pi[node]
    }

    /// Number of nodes.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// Number of arcs (as the caller added them).
    pub fn arcs(&self) -> usize {
        self.spec.len()
    }

    /// An arc's tail, head and bounds.
    pub fn ends(&self, arc: usize) -> (usize, usize, i64, i64) {
        let a = &self.spec[arc];
        (a.from, a.to, a.lower, a.upper)
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
}

mod pivot;
#[cfg(test)]
mod tests;
