//! Tests of `assign::flow`.

use super::*;
use rand::{RngExt, SeedableRng};

/// Reference: successive shortest paths with Bellman-Ford on the residual graph, from a
/// super source to a super sink (lower bounds moved into supplies). Slow and obviously
/// right; returns the minimum cost or None when infeasible.
fn reference(n: usize, arcs: &[(usize, usize, i64, i64, i64)], supply: &[i64]) -> Option<i64> {
    let (s, t) = (n, n + 1);
    // Residual graph: (to, cap, cost, rev).
    let mut g: Vec<Vec<(usize, i64, i64, usize)>> = vec![Vec::new(); n + 2];
    let add =
        |g: &mut Vec<Vec<(usize, i64, i64, usize)>>, u: usize, v: usize, cap: i64, cost: i64| {
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

fn assert_valid(f: &MinCostFlow, n: usize, arcs: &[(usize, usize, i64, i64, i64)], supply: &[i64]) {
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
