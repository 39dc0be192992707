//! Tests of `assign::network`.

use super::*;
use crate::assign::lp::{self, Row};
use rand::{RngExt, SeedableRng};

/// A random panels × experts model: sizes, loads, per-panel side rows on random subsets.
#[allow(clippy::needless_range_loop)] // panel and expert indices name the model's parts
fn random_model(seed: u64) -> (Model01, Structure) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let panels = rng.random_range(1..6);
    let experts = rng.random_range(3..14);
    let size = rng.random_range(1..4);
    let load = rng.random_range(1..3);
    let mut model = Model01::default();
    let mut s = Structure {
        left: vec![
            Group {
                parent: None,
                lo: 0,
                hi: load
            };
            experts
        ],
        right: vec![
            Group {
                parent: None,
                lo: size,
                hi: size
            };
            panels
        ],
        ..Structure::default()
    };
    let mut by_panel = vec![Vec::new(); panels];
    let mut by_expert = vec![Vec::new(); experts];
    for p in 0..panels {
        for e in 0..experts {
            if rng.random_bool(0.7) {
                let v = model.weights.len();
                model
                    .weights
                    .push((rng.random_range(0..1000) as f64) / 1000.0);
                s.left_of.push(e);
                s.right_of.push(p);
                by_panel[p].push(v);
                by_expert[e].push(v);
            }
        }
    }
    let ones = |vs: &[usize]| vs.iter().map(|&v| (v, 1.0)).collect::<Vec<_>>();
    for vs in &by_panel {
        model.rows.push(Row {
            terms: ones(vs),
            lo: Some(size as f64),
            hi: Some(size as f64),
        });
    }
    for vs in &by_expert {
        model.rows.push(Row {
            terms: ones(vs),
            lo: None,
            hi: Some(load as f64),
        });
    }
    for vs in &by_panel {
        for _ in 0..rng.random_range(0..3) {
            let subset: Vec<usize> = vs
                .iter()
                .copied()
                .filter(|_| rng.random_bool(0.3))
                .collect();
            s.side_rows.push(model.rows.len());
            model.rows.push(Row {
                terms: ones(&subset),
                lo: Some(rng.random_range(1..3) as f64),
                hi: None,
            });
        }
    }
    (model, s)
}

#[test]
fn side_rows_reach_the_full_models_optimum() {
    let mut methods = std::collections::BTreeMap::new();
    for seed in 0..400 {
        let (model, s) = random_model(seed);
        let full = lp::solve(&model, 60.0);
        let net = solve(&model, &s, 60.0);
        match (&full, &net) {
            (Ok(f), Ok(n)) => {
                assert!(
                    (f.objective - n.objective).abs() < 1e-6,
                    "seed {seed}: {} vs {} ({})",
                    f.objective,
                    n.objective,
                    n.method
                );
                assert_eq!(n.status, SolveStatus::Optimal, "seed {seed}");
                *methods.entry(n.method).or_insert(0) += 1;
            }
            (Err(LpError::Infeasible), Err(LpError::Infeasible)) => {}
            _ => panic!(
                "seed {seed}: full {:?} vs network {:?}",
                full.map(|x| x.objective),
                net.map(|x| x.objective)
            ),
        }
    }
    // Both the plain flow and the priced flow are exercised.
    assert_eq!(methods.len(), 2, "{methods:?}");
}

#[test]
fn an_integrality_gap_is_closed_by_the_reduced_mip() {
    // Three optional seats, pairwise exclusive through side rows: the LP takes ½ of each
    // (1.5), the best 0-1 choice is a single seat (the heaviest, 1.2).
    let pair = |a: usize, b: usize| Row {
        terms: vec![(a, 1.0), (b, 1.0)],
        lo: None,
        hi: Some(1.0),
    };
    let model = Model01 {
        weights: vec![1.0, 1.2, 1.1],
        rows: vec![pair(0, 1), pair(1, 2), pair(0, 2)],
        fixed_one: vec![],
    };
    let s = Structure {
        left_of: vec![0, 1, 2],
        right_of: vec![0, 1, 2],
        left: vec![
            Group {
                parent: None,
                lo: 0,
                hi: 1
            };
            3
        ],
        right: vec![
            Group {
                parent: None,
                lo: 0,
                hi: 1
            };
            3
        ],
        side_rows: vec![0, 1, 2],
    };
    let solved = solve(&model, &s, 10.0).unwrap();
    assert_eq!(solved.chosen, vec![false, true, false]);
    assert_eq!(solved.status, SolveStatus::Optimal);
    assert!(solved.method.contains("reduced MIP"), "{}", solved.method);
    assert!(solved.bound > 1.6, "bound {}", solved.bound);
}

/// The network of `model` with its weights as costs, solved; `None` when infeasible.
fn solved_network(model: &Model01, s: &Structure) -> Option<Priced> {
    let mut net = build_network(model, s);
    for (v, &a) in net.arc.iter().enumerate() {
        net.flow
            .set_cost(a, -(model.weights[v] * 1000.0).round() as i64);
    }
    net.flow.solve().ok().map(|()| net)
}

/// Puts random per-organization groups (at most one seat each) under the panels.
fn with_org_groups(s: &mut Structure, seed: u64) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let panels = s.right.len();
    let mut group_of = std::collections::HashMap::new();
    for v in 0..s.right_of.len() {
        if rng.random_bool(0.6) {
            let (panel, org) = (s.right_of[v], rng.random_range(0..2));
            let g = *group_of.entry((panel, org)).or_insert_with(|| {
                s.right.push(Group {
                    parent: Some(panel),
                    lo: 0,
                    hi: 1,
                });
                s.right.len() - 1
            });
            s.right_of[v] = g;
        }
    }
    assert!(s.right.len() >= panels);
}

#[test]
fn forcing_an_arc_costs_at_least_its_bound_and_exactly_it_under_plain_panels() {
    let mut checked = [0, 0];
    for seed in 0..300 {
        let (model, mut s) = random_model(seed);
        let nested = seed % 2 == 1;
        if nested {
            with_org_groups(&mut s, seed);
        }
        let Some(net) = solved_network(&model, &s) else {
            continue;
        };
        let states = forcing::arc_states(&net.flow);
        let node = |g: usize| net.first_right + g;
        let right = forcing::RightSide {
            node: &node,
            up: &net.right_up,
        };
        let costs = forcing::costs(
            &net.flow,
            &states,
            &s,
            &net.arc,
            &right,
            forcing::UNREACHABLE,
        )
        .expect("an optimum");
        // Searches cut at a radius: exact within it, a bound beyond.
        let radius = (seed as i64 * 37) % 600;
        let near =
            forcing::costs(&net.flow, &states, &s, &net.arc, &right, radius).expect("an optimum");
        let base = net.flow.total_cost();
        for v in 0..model.weights.len() {
            assert!(near[v] <= costs[v], "seed {seed} var {v}: radius {radius}");
            if !nested && costs[v] <= radius {
                assert_eq!(near[v], costs[v], "seed {seed} var {v}: radius {radius}");
            } else if !nested {
                assert!(near[v] > radius, "seed {seed} var {v}: radius {radius}");
            }
            let (flow, reduced) = states[net.arc[v]];
            if flow > 0 {
                continue;
            }
            assert!(costs[v] >= reduced, "seed {seed} var {v}");
            let mut forced = model.clone();
            forced.fixed_one.push(v);
            let truth = solved_network(&forced, &s).map(|n| n.flow.total_cost() - base);
            match truth {
                None => assert!(
                    !nested || costs[v] >= 0,
                    "seed {seed} var {v}: infeasible when forced"
                ),
                Some(t) => assert!(
                    costs[v] as i128 <= t,
                    "seed {seed} var {v}: {} > {t}",
                    costs[v]
                ),
            }
            if !nested {
                let exact = truth.unwrap_or(forcing::UNREACHABLE as i128);
                assert_eq!(costs[v] as i128, exact, "seed {seed} var {v}");
            }
            checked[usize::from(nested)] += 1;
        }
    }
    assert!(checked[0] > 200 && checked[1] > 200, "{checked:?}");
}

#[test]
fn a_restricted_flow_is_the_whole_networks_optimum() {
    let mut partial = 0;
    for seed in 0..3000 {
        let (model, mut s) = random_model(seed);
        if seed % 2 == 0 {
            with_org_groups(&mut s, seed);
        }
        let n = model.weights.len();
        let forced = vec![false; n];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed + 1000);
        // Prices as the Lagrangian phase sets them: the weights moved either way.
        let costs: Vec<i64> = model
            .weights
            .iter()
            .map(|w| -((w + rng.random_range(-0.5..0.5)) * 1000.0).round() as i64)
            .collect();
        let mut whole = build_network(&model, &s);
        for (v, &c) in costs.iter().enumerate() {
            whole.flow.set_cost(whole.arc[v], c);
        }
        let per_seat = seed as usize % 3;
        let mut part = restricted::Restricted::new(&model.weights, &s, &forced, per_seat);
        for (v, &c) in costs.iter().enumerate() {
            part.set_cost(v, c);
        }
        match (whole.flow.solve(), part.solve()) {
            (Ok(()), Ok(_)) => {
                let value: i128 = whole
                    .arc
                    .iter()
                    .map(|&a| whole.flow.flow(a) as i128 * whole.flow.cost(a) as i128)
                    .sum();
                assert_eq!(part.value(), value, "seed {seed}");
                // Dual feasible over every variable, those left out included: what makes the
                // Lagrangian bound valid.
                for (v, rc) in part.reduced_costs().into_iter().enumerate() {
                    let f = part.flow_of(v);
                    assert!(
                        (f == 0 && rc >= 0) || (f == 1 && rc <= 0),
                        "seed {seed}, variable {v}: flow {f}, reduced cost {rc}"
                    );
                }
                // Extended to the whole network's layout, a circulation within every bound
                // whose reduced costs prove it optimal (what the forcing costs start from).
                let states = part.whole_states();
                let mut balance = vec![0i64; whole.flow.nodes()];
                for (a, &(f, rc)) in states.iter().enumerate() {
                    let (u, w, lo, hi) = whole.flow.ends(a);
                    assert!(lo <= f && f <= hi, "seed {seed}, arc {a}: flow {f}");
                    assert!(f == hi || rc >= 0, "seed {seed}, arc {a}: {f}, {rc}");
                    assert!(f == lo || rc <= 0, "seed {seed}, arc {a}: {f}, {rc}");
                    balance[u] -= f;
                    balance[w] += f;
                }
                assert!(balance.iter().all(|b| *b == 0), "seed {seed}: {balance:?}");
                partial += usize::from(part.size() < n);
            }
            (Err(FlowError::Infeasible), Err(FlowError::Infeasible)) => {}
            (w, p) => panic!("seed {seed}: whole {w:?}, restricted {p:?}"),
        }
    }
    assert!(
        partial >= 40,
        "the restriction was exercised {partial} times"
    );
}
