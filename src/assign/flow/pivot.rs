//! The pivot of the network simplex: choosing the entering arc, the cycle it closes, the arc
//! that leaves, and re-hanging the spanning tree (thread order, successor counts, potentials).

use super::{
    FlowError, MinCostFlow, DIR_DOWN, DIR_UP, INF, NONE, STATE_LOWER, STATE_TREE, STATE_UPPER,
};

/// The pivot in progress.
pub(super) struct Pivot {
    in_arc: usize,
    join: usize,
    u_in: usize,
    v_in: usize,
    u_out: usize,
    delta: i64,
}

impl MinCostFlow {
    /// One simplex pivot with `in_arc` entering the basis.
    pub(super) fn pivot(&mut self, in_arc: usize) -> Result<(), FlowError> {
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

    pub(super) fn reduced(&self, e: usize) -> i64 {
        self.state[e] as i64 * (self.cost[e] + self.pi[self.source[e]] - self.pi[self.target[e]])
    }

    /// Block search: scan blocks of arcs round-robin and take the most violating arc of the
    /// first block that has one.
    pub(super) fn find_entering(&mut self, block: usize) -> Option<usize> {
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

    pub(super) fn find_join(&self, in_arc: usize) -> usize {
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
    pub(super) fn find_leaving(&self, p: &mut Pivot) -> bool {
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
    pub(super) fn cap_of(&self, e: usize) -> i64 {
        self.cap[e]
    }

    pub(super) fn change_flow(&mut self, p: &Pivot, change: bool) {
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
    pub(super) fn update_tree(&mut self, p: &Pivot) {
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
    pub(super) fn update_potential(&mut self, p: &Pivot) {
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
