//! What forcing an unchosen variable into the priced flow would cost: a lower bound on the
//! loss, stronger than its reduced cost, so that the reduced MIP keeps fewer arcs.
//!
//! At province scale most candidates are unused and hang in the network simplex's spanning
//! tree at zero flow: their arcs are basic, so their reduced cost is exactly zero and reduced
//! costs alone cannot rule them out (9,600 of the 10,000 arcs the reduced MIP kept in a
//! 30,000-expert draw). Forcing one unit onto arc `t → h` changes the optimal flow by the
//! cheapest cycle through it, whose cost is `c̄(t→h) + d(h, t)`, with `d` the shortest path in
//! the residual network under reduced costs (all ≥ 0 at an optimum: Dijkstra). So if seating
//! an unused expert displaces a better one, the displacement shows.
//!
//! Paths are searched from each panel's node only (one search per panel). From a group below
//! a panel (a per-organization cap) nothing leaves but its arc up when nothing flows into it,
//! so the path climbs to the panel at the cost of the arcs climbed. When something does flow
//! into it (the organization already has its seat on the panel), the rest of the path is
//! bounded by the triangle inequality, `d(w, t) ≥ d(p, t) − d(p, w)`, from the panel's own
//! search: weaker than a search from the group, still a lower bound, and free.

use super::super::flow::MinCostFlow;
use super::Structure;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Larger than any path: the forced unit cannot return at all.
pub(super) const UNREACHABLE: i64 = i64::MAX / 4;

/// Each arc's flow and reduced cost.
#[cfg(test)]
pub(super) fn arc_states(flow: &MinCostFlow) -> Vec<(i64, i64)> {
    (0..flow.arcs())
        .map(|a| (flow.flow(a), flow.reduced_cost(a)))
        .collect()
}

/// Where the network keeps the panel side's groups.
pub(super) struct RightSide<'a> {
    /// Node of each right group.
    pub node: &'a dyn Fn(usize) -> usize,
    /// Arc from each right group up to its parent (or the sink).
    pub up: &'a [usize],
}

/// The residual network as adjacency lists: `(head, reduced cost)` from each node.
struct Residual {
    start: Vec<usize>,
    edges: Vec<(usize, i64)>,
}

impl Residual {
    /// `None` when `states` is not an optimum (a residual arc of negative reduced cost).
    fn of(flow: &MinCostFlow, states: &[(i64, i64)]) -> Option<Residual> {
        let mut list = Vec::with_capacity(2 * states.len());
        for (a, &(f, rc)) in states.iter().enumerate() {
            let (u, v, lo, hi) = flow.ends(a);
            if f < hi {
                if rc < 0 {
                    return None;
                }
                list.push((u, v, rc));
            }
            if f > lo {
                if rc > 0 {
                    return None;
                }
                list.push((v, u, -rc));
            }
        }
        let mut start = vec![0; flow.nodes() + 1];
        for &(u, _, _) in &list {
            start[u + 1] += 1;
        }
        for i in 0..flow.nodes() {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut edges = vec![(0, 0); list.len()];
        for (u, v, w) in list {
            edges[fill[u]] = (v, w);
            fill[u] += 1;
        }
        Some(Residual { start, edges })
    }

    /// Shortest distances from `source`, exact up to `radius` and for every node of `settle`
    /// (sorted, no repeats);
    /// every other node farther away (or unreachable) gets the distance the search stopped
    /// at, a lower bound, unless the search ran to its end (then unreachable nodes keep
    /// [`UNREACHABLE`]).
    fn distances_from(&self, source: usize, radius: i64, settle: &[usize]) -> Vec<i64> {
        let mut dist = vec![UNREACHABLE; self.start.len() - 1];
        let mut done = vec![false; dist.len()];
        let mut unsettled = settle.len();
        let mut farthest = 0;
        let mut heap = BinaryHeap::new();
        dist[source] = 0;
        heap.push(Reverse((0, source)));
        while let Some(Reverse((d, u))) = heap.pop() {
            if d > dist[u] || done[u] {
                continue;
            }
            // Past the radius and every node to settle, and far enough past the farthest of
            // those that the triangle inequality from it still bounds by more than the radius.
            if unsettled == 0 && d > radius.saturating_add(farthest) {
                // Every node not settled yet is at least this far.
                for (x, _) in dist.iter_mut().zip(&done).filter(|(_, done)| !**done) {
                    *x = d;
                }
                break;
            }
            done[u] = true;
            if settle.binary_search(&u).is_ok() {
                unsettled -= 1;
                farthest = farthest.max(d);
            }
            for &(v, w) in &self.edges[self.start[u]..self.start[u + 1]] {
                let next = d + w;
                if next < dist[v] {
                    dist[v] = next;
                    heap.push(Reverse((next, v)));
                }
            }
        }
        dist
    }
}

/// Lower bounds, in cost units, on what forcing each unchosen variable's arc (`arc[v]`) to
/// carry one unit costs the flow whose arcs are in `states`; chosen variables get their
/// reduced cost. Exact up to `radius` (the MIP keeps no arc that costs more than the gap
/// `L − P`, so the searches stop there); beyond it, a bound above `radius`. `None` when
/// `states` is not an optimum.
pub(super) fn costs(
    flow: &MinCostFlow,
    states: &[(i64, i64)],
    s: &Structure,
    arc: &[usize],
    right: &RightSide<'_>,
    radius: i64,
) -> Option<Vec<i64>> {
    let residual = Residual::of(flow, states)?;
    // Right groups that something flows into: a path may leave them downwards.
    let mut fed = vec![false; flow.nodes()];
    for (a, &(f, _)) in states.iter().enumerate() {
        let (_, v, lo, _) = flow.ends(a);
        if f > lo {
            fed[v] = true;
        }
    }
    let mut forcing: Vec<i64> = arc.iter().map(|&a| states[a].1).collect();
    // Climb from each unchosen arc's head to its panel: (variable, cost of the climb, node
    // where it stopped because something flows into it, if it did).
    let mut at_panel: Vec<Vec<(usize, i64, Option<usize>)>> = vec![Vec::new(); s.right.len()];
    let root = |mut g: usize| {
        while let Some(parent) = s.right[g].parent {
            g = parent;
        }
        g
    };
    for (v, &a) in arc.iter().enumerate() {
        if states[a].0 > 0 {
            continue;
        }
        let (mut g, mut climbed) = (s.right_of[v], 0);
        loop {
            let Some(parent) = s.right[g].parent else {
                at_panel[g].push((v, climbed, None));
                break;
            };
            if fed[(right.node)(g)] {
                at_panel[root(g)].push((v, climbed, Some((right.node)(g))));
                break;
            }
            let (f, rc) = states[right.up[g]];
            if f >= flow.ends(right.up[g]).3 {
                forcing[v] = UNREACHABLE;
                break;
            }
            climbed += rc;
            g = parent;
        }
    }
    for (panel, waiting) in at_panel.iter().enumerate() {
        if waiting.is_empty() {
            continue;
        }
        let mut stops: Vec<usize> = waiting.iter().filter_map(|&(_, _, w)| w).collect();
        stops.sort_unstable();
        stops.dedup();
        let dist = residual.distances_from((right.node)(panel), radius, &stops);
        for &(v, climbed, stopped) in waiting {
            let tail = flow.ends(arc[v]).0;
            // From the node where the climb stopped, the rest of the way is at least the
            // panel's distance to the tail less the panel's distance to that node (triangle
            // inequality); from the panel itself it is that distance.
            let rest = match stopped {
                None => dist[tail],
                // The panel does not reach that node: no information.
                Some(w) if dist[w] >= UNREACHABLE => 0,
                // It reaches the node but not the tail: neither does the node.
                Some(_) if dist[tail] >= UNREACHABLE => UNREACHABLE,
                Some(w) => (dist[tail] - dist[w]).max(0),
            };
            forcing[v] = if rest >= UNREACHABLE {
                UNREACHABLE
            } else {
                forcing[v] + climbed + rest
            };
        }
    }
    Some(forcing)
}
