//! A maximum flow for the diagnosis's feasibility checks.
//!
//! Why not the engine's network simplex: the checks run before every draw, want only "is
//! every seat reachable, and if not, which cut", and start cold each time; a cost-free
//! Dinic's algorithm, seeded by a greedy flow along each arc's unique path, does that in a
//! fraction of the time. The depth-first search is iterative: residual paths may be long.

const NONE: usize = usize::MAX;

/// A network of residual capacities; edge `e` and `e ^ 1` are each other's reverse.
pub(super) struct MaxFlow {
    first: Vec<usize>,
    next: Vec<usize>,
    to: Vec<usize>,
    room: Vec<i64>,
}

impl MaxFlow {
    pub fn new(nodes: usize) -> Self {
        MaxFlow {
            first: vec![NONE; nodes],
            next: Vec::new(),
            to: Vec::new(),
            room: Vec::new(),
        }
    }

    /// Adds `u → v` with capacity `cap`; the i-th call makes edge `2·i`.
    pub fn add(&mut self, u: usize, v: usize, cap: i64) {
        for (from, to, room) in [(u, v, cap.max(0)), (v, u, 0)] {
            self.next.push(self.first[from]);
            self.first[from] = self.to.len();
            self.to.push(to);
            self.room.push(room);
        }
    }

    /// Pushes one unit along the edges of `path` if each has room; whether it did.
    pub fn push_unit(&mut self, path: &[usize]) -> bool {
        if path
            .iter()
            .any(|&e| self.room.get(e).is_none_or(|&r| r < 1))
        {
            return false;
        }
        for &e in path {
            self.room[e] -= 1;
            self.room[e ^ 1] += 1;
        }
        true
    }

    /// Adds as much flow from `s` to `t` as the residual network allows; the amount added.
    pub fn augment(&mut self, s: usize, t: usize) -> i64 {
        let n = self.first.len();
        let mut added = 0;
        loop {
            let mut level = vec![usize::MAX; n];
            level[s] = 0;
            let mut queue = std::collections::VecDeque::from([s]);
            while let Some(u) = queue.pop_front() {
                let mut e = self.first[u];
                while e != NONE {
                    let v = self.to[e];
                    if self.room[e] > 0 && level[v] == usize::MAX {
                        level[v] = level[u] + 1;
                        queue.push_back(v);
                    }
                    e = self.next[e];
                }
            }
            if level[t] == usize::MAX {
                return added;
            }
            let mut current = self.first.clone();
            let mut path: Vec<usize> = Vec::new();
            let mut u = s;
            loop {
                if u == t {
                    let push = path.iter().map(|&e| self.room[e]).min().unwrap_or(0);
                    for &e in &path {
                        self.room[e] -= push;
                        self.room[e ^ 1] += push;
                    }
                    added += push;
                    path.clear();
                    u = s;
                    continue;
                }
                let mut e = current[u];
                while e != NONE {
                    let v = self.to[e];
                    if self.room[e] > 0 && level[v] == level[u] + 1 {
                        break;
                    }
                    e = self.next[e];
                }
                current[u] = e;
                if e != NONE {
                    path.push(e);
                    u = self.to[e];
                    continue;
                }
                // A dead end: step back and skip the edge that led here.
                let Some(back) = path.pop() else {
                    break;
                };
                level[u] = usize::MAX;
                u = self.to[back ^ 1];
                current[u] = self.next[back];
            }
        }
    }

    /// Nodes that can still reach `t` in the residual network.
    pub fn reaching(&self, t: usize) -> Vec<bool> {
        let mut seen = vec![false; self.first.len()];
        seen[t] = true;
        let mut queue = std::collections::VecDeque::from([t]);
        while let Some(v) = queue.pop_front() {
            let mut e = self.first[v];
            while e != NONE {
                // Edge `e ^ 1` runs from `to[e]` into `v`.
                let u = self.to[e];
                if self.room[e ^ 1] > 0 && !seen[u] {
                    seen[u] = true;
                    queue.push_back(u);
                }
                e = self.next[e];
            }
        }
        seen
    }
}
