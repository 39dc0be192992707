//! Users click in any order: seeded random walks over several events that share experts and
//! half-days (create, draw, edit rules, exclude, confirm, answer, replace, leave a seat empty,
//! suspend and reinstate members, attendance, advance, close), through the real app, with the
//! invariants checked after every step. `cargo test` runs a few walks; CI runs
//! `EXPERTPOOL_WALKS=200` of them (`EXPERTPOOL_WALK_STEPS` sets their length, default 30).

use crate::helpers::*;
use crate::workflow::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rocket::http::{Method, Status};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

const CAP: usize = 3;
const DATES: [&str; 4] = ["2026-11-16", "2026-11-17", "2027-01-13", "2027-01-14"];

struct Walk<'a> {
    app: &'a TestApp,
    rng: ChaCha8Rng,
    events: Vec<i64>,
    memberships: Vec<i64>,
    /// Closed events as they were closed: (invitation fields) per event.
    frozen: BTreeMap<i64, Vec<Value>>,
    log: Vec<String>,
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let mut conn = app.store.pool.acquire().await.unwrap();
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut *conn).await.unwrap();
    n
}

type Seat = (i64, i64, String, i64, String, String, String, String);

impl Walk<'_> {
    fn pick<T: Clone>(&mut self, list: &[T]) -> Option<T> {
        (!list.is_empty()).then(|| list[self.rng.random_range(0..list.len())].clone())
    }

    async fn invitations(&self) -> Vec<Value> {
        let mut all = Vec::new();
        for &e in &self.events {
            all.extend(roster(self.app, e).await);
        }
        all
    }

    /// An invitation for an action: most often one in a state where the action makes sense,
    /// sometimes any (the app must refuse those cleanly).
    fn target(&mut self, all: &[Value], fits: impl Fn(&Value) -> bool) -> Option<Value> {
        let fitting: Vec<Value> = all.iter().filter(|i| fits(i)).cloned().collect();
        if fitting.is_empty() || self.rng.random_range(0..5) == 0 {
            self.pick(all)
        } else {
            self.pick(&fitting)
        }
    }

    /// An event for an action: most often one in a state listed, sometimes any.
    async fn event_in(&mut self, states: &[&str]) -> i64 {
        let (_, list) = self.app.get_json("/api/v1/events").await;
        let fitting: Vec<i64> = list
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| states.contains(&e["status"].as_str().unwrap_or("")))
            .filter_map(|e| e["id"].as_i64())
            .collect();
        if fitting.is_empty() || self.rng.random_range(0..5) == 0 {
            self.pick(&self.events.clone()).unwrap_or(0)
        } else {
            self.pick(&fitting).unwrap_or(0)
        }
    }

    /// One random action: what it was, the status and the body of the answer.
    async fn step(&mut self) -> (String, Status, Value) {
        let app = self.app;
        let mut roll = self.rng.random_range(0..100);
        if self.events.is_empty() || (roll < 6 && self.events.len() >= 4) {
            roll = if self.events.is_empty() { 0 } else { 8 };
        }
        let e = match roll {
            6..=22 => self.event_in(&["draft", "drawn"]).await,
            23..=32 => self.event_in(&["drawn"]).await,
            _ => self.event_in(&["inviting", "confirmed"]).await,
        };
        let mut all = self.invitations().await;
        // Work on one event at a time most often, so that events get to the end of their week.
        if self.rng.random_range(0..10) < 7 {
            let mine: Vec<Value> = all.iter().filter(|i| i["event_id"] == e).cloned().collect();
            if !mine.is_empty() {
                all = mine;
            }
        }
        if all.is_empty() && (33..89).contains(&roll) {
            roll = if roll % 2 == 0 { 10 } else { 25 };
        }
        let open = |i: &Value| {
            ["declined", "no_response", "withdrawn"].contains(&i["status"].as_str().unwrap_or(""))
                && i["replaced_by"].is_null()
                && i["waived_reason"] == ""
        };
        match roll {
            0..=5 => {
                let n = self.events.len();
                let date = DATES[self.rng.random_range(0..DATES.len())];
                let slots = format!("S1={date} am; S2={date} pm");
                let items = self.rng.random_range(1..=2);
                let size = self.rng.random_range(2..=3);
                let id = event(app, &format!("W{n}"), date, &slots, items, size, |r| {
                    r["max_reviews_per_12_months"] = json!(CAP);
                    r["max_panels_per_expert"] = json!(1);
                })
                .await;
                self.events.push(id);
                (
                    format!("create W{n} {date} items {items} size {size}"),
                    Status::Created,
                    json!({}),
                )
            }
            6..=15 => {
                let seed = self.rng.random_range(0..5u64);
                let (s, b) = draw(app, e, seed).await;
                (format!("draw {e} seed {seed}"), s, b)
            }
            16..=19 => {
                let (_, ev) = app.get_json(&format!("/api/v1/events/{e}")).await;
                let mut rules = ev["rules"].clone();
                let size = self.rng.random_range(2..=4);
                rules["panel_size"] = json!(size);
                let (s, b) = app
                    .send_json(Method::Put, &format!("/api/v1/events/{e}/rules"), &rules)
                    .await;
                (format!("rules {e} size {size}"), s, b)
            }
            20..=22 => {
                let (_, ms) = app.get_json("/api/v1/pools/review/memberships").await;
                let codes: Vec<Value> = ms["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["code"].clone())
                    .collect();
                let expert = self.pick(&codes).unwrap();
                let (s, b) = app
                    .send_json(
                        Method::Post,
                        &format!("/api/v1/events/{e}/exclusions"),
                        &json!({"item": "P1", "expert": expert, "kind": "staff", "reason": "随机排除"}),
                    )
                    .await;
                (format!("exclude {expert} from {e}"), s, b)
            }
            23..=32 => {
                let (_, draws) = app.get_json(&format!("/api/v1/events/{e}/draws")).await;
                let list = draws.as_array().cloned().unwrap_or_default();
                // Mostly the latest draw; sometimes an older one, which must be refused.
                let chosen = if self.rng.random_range(0..5) == 0 {
                    self.pick(&list)
                } else {
                    list.first().cloned()
                };
                let id = chosen.map(|d| d["id"].clone()).unwrap_or(json!(0));
                let (s, b) = app
                    .send_json(
                        Method::Post,
                        &format!("/api/v1/events/{e}/confirm"),
                        &json!({"draw": id}),
                    )
                    .await;
                (format!("confirm {e} draw {id}"), s, b)
            }
            33..=60 => {
                let i = self.target(&all, |i| i["status"] == "pending").unwrap();
                let body = match self.rng.random_range(0..9) {
                    0..=4 => accept(),
                    5 => decline(),
                    6 => json!({"answer": "no_response"}),
                    7 => json!({"answer": "conflict", "conflict_item": "P1", "reason": "曾合作"}),
                    _ => json!({"answer": "conflict", "conflict_item": "P2", "reason": "曾合作"}),
                };
                let (s, b) = answer(app, &i, body.clone()).await;
                (
                    format!(
                        "answer {} {} {}",
                        i["invitation_id"], i["status"], body["answer"]
                    ),
                    s,
                    b,
                )
            }
            61..=67 => {
                let i = self.target(&all, open).unwrap();
                let (s, b) = app
                    .send_json(
                        Method::Post,
                        &format!("/api/v1/invitations/{}/replace", i["invitation_id"]),
                        &json!({}),
                    )
                    .await;
                (format!("replace {}", i["invitation_id"]), s, b)
            }
            68..=71 => {
                let i = self.target(&all, open).unwrap();
                let (s, b) = app
                    .send_json(
                        Method::Post,
                        &format!("/api/v1/invitations/{}/waive", i["invitation_id"]),
                        &json!({"reason": "人数已足"}),
                    )
                    .await;
                (format!("waive {}", i["invitation_id"]), s, b)
            }
            72..=75 => {
                let m = self.pick(&self.memberships.clone()).unwrap();
                let action = match self.rng.random_range(0..5) {
                    0 | 1 => "suspend",
                    2 | 3 => "reinstate",
                    _ => "exit",
                };
                let (s, b) = app
                    .send_json(
                        Method::Post,
                        &format!("/api/v1/memberships/{m}/transitions"),
                        &json!({"action": action, "reason": "随机操作", "reason_code": "own_request"}),
                    )
                    .await;
                (format!("{action} membership {m}"), s, b)
            }
            76..=88 => {
                let i = self
                    .target(&all, |i| i["status"] == "accepted" && i["attendance"] == "")
                    .unwrap();
                let body = if self.rng.random_range(0..3) == 0 {
                    json!({"attendance": "no_show"})
                } else {
                    json!({"attendance": "attended", "rating_expertise": 4, "rating_diligence": 3, "rating_fairness": 5})
                };
                let (s, b) = app
                    .send_json(
                        Method::Post,
                        &format!("/api/v1/invitations/{}/attendance", i["invitation_id"]),
                        &body,
                    )
                    .await;
                (format!("attendance {}", i["invitation_id"]), s, b)
            }
            _ => {
                let (s, b) = app
                    .send_json(
                        Method::Post,
                        &format!("/api/v1/events/{e}/advance"),
                        &json!({}),
                    )
                    .await;
                (format!("advance {e}"), s, b)
            }
        }
    }

    async fn check(&mut self, what: &str) {
        let app = self.app;
        let mut conn = app.store.pool.acquire().await.unwrap();
        let seats: Vec<Seat> = sqlx::query_as(
            "select v.invitation_id, v.event_id, v.panel_code, v.expert_id, v.status, v.slot_date, v.slot_part, ev.dates
             from invitation v join event ev on ev.event_id = v.event_id order by v.invitation_id",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let events: Vec<(i64, String, String)> =
            sqlx::query_as("select event_id, status, rules_json from event")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        let declared: Vec<(i64, String, String)> = sqlx::query_as(
            "select x.event_id, x.item_code, x.expert_code from exclusion x where x.kind = 'declared'",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let panel_items: Vec<(i64, String, String)> = sqlx::query_as(
            "select p.event_id, p.code, i.code from panel p join panel_item pi on pi.panel_id = p.panel_id join item i on i.item_id = pi.item_id",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let codes: BTreeMap<i64, String> =
            sqlx::query_as::<_, (i64, String)>("select expert_id, code from expert")
                .fetch_all(&mut *conn)
                .await
                .unwrap()
                .into_iter()
                .collect();
        let barred: BTreeSet<i64> = sqlx::query_as::<_, (i64,)>(
            "select expert_id from membership where state in ('suspended', 'exited')",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .into_iter()
        .map(|(e,)| e)
        .collect();
        drop(conn);
        let ctx = || format!("after `{what}`; steps so far:\n{}", self.log.join("\n"));
        let live: Vec<&Seat> = seats
            .iter()
            .filter(|s| s.4 == "pending" || s.4 == "accepted")
            .collect();
        let status_of: BTreeMap<i64, &str> =
            events.iter().map(|(id, s, _)| (*id, s.as_str())).collect();
        // Panel sizes and per-event load.
        let mut per_panel: BTreeMap<(i64, &str), usize> = BTreeMap::new();
        let mut per_event: BTreeMap<(i64, i64), usize> = BTreeMap::new();
        for s in &live {
            *per_panel.entry((s.1, s.2.as_str())).or_default() += 1;
            *per_event.entry((s.1, s.3)).or_default() += 1;
        }
        for ((event, panel), n) in &per_panel {
            let rules: Value =
                serde_json::from_str(&events.iter().find(|e| e.0 == *event).unwrap().2).unwrap();
            assert!(
                *n as u64 <= rules["panel_size"].as_u64().unwrap(),
                "{panel} has {n} live seats {}",
                ctx()
            );
        }
        assert!(
            per_event.values().all(|&n| n <= 1),
            "an expert holds two seats in one event {}",
            ctx()
        );
        // No two live seats of one expert in overlapping half-days, across events.
        for (i, a) in live.iter().enumerate() {
            for b in &live[i + 1..] {
                let overlap = a.3 == b.3
                    && !a.5.is_empty()
                    && a.5 == b.5
                    && (a.6.is_empty() || b.6.is_empty() || a.6 == b.6);
                assert!(!overlap, "expert {} booked twice on {} {}", a.3, a.5, ctx());
            }
        }
        // The rolling cap: no 365-day window holds more than CAP live reviews of one expert.
        let mut dates: BTreeMap<i64, Vec<chrono::NaiveDate>> = BTreeMap::new();
        for s in &live {
            dates
                .entry(s.3)
                .or_default()
                .push(s.7[..10].parse().unwrap());
        }
        for (expert, ds) in &dates {
            for start in ds {
                let end = *start + chrono::Duration::days(364);
                let n = ds.iter().filter(|d| *d >= start && *d <= &end).count();
                assert!(
                    n <= CAP,
                    "expert {expert} has {n} reviews from {start} {}",
                    ctx()
                );
            }
        }
        // Nobody sits on a panel with an item they declared a conflict with.
        for (event, item, expert) in &declared {
            for s in live
                .iter()
                .filter(|s| s.1 == *event && codes[&s.3] == *expert)
            {
                assert!(
                    !panel_items
                        .iter()
                        .any(|(e, p, i)| e == event && *p == s.2 && i == item),
                    "{expert} sits with declared conflict {item} {}",
                    ctx()
                );
            }
        }
        // Barred members hold no pending seats; settled events have no pending or open seats.
        for s in &live {
            assert!(
                !(s.4 == "pending" && barred.contains(&s.3)),
                "barred expert {} still pending {}",
                s.3,
                ctx()
            );
        }
        for s in &seats {
            let st = status_of[&s.1];
            if st == "confirmed" || st == "closed" {
                assert_ne!(s.4, "pending", "pending seat on a {st} event {}", ctx());
            }
        }
        // Closed events never change.
        for (id, st, _) in &events {
            if st == "closed" {
                let now = roster(app, *id).await;
                match self.frozen.get(id) {
                    Some(before) => assert_eq!(&now, before, "closed event {id} changed {}", ctx()),
                    None => {
                        self.frozen.insert(*id, now);
                    }
                }
            }
        }
    }
}

async fn walk(seed: u64, steps: usize) {
    let app = spawn_app().await;
    app.login_admin().await;
    review_pool(&app, 9).await;
    let (_, ms) = app.get_json("/api/v1/pools/review/memberships").await;
    let memberships = ms["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["membership_id"].as_i64().unwrap())
        .collect();
    let mut w = Walk {
        app: &app,
        rng: ChaCha8Rng::seed_from_u64(seed),
        events: Vec::new(),
        memberships,
        frozen: BTreeMap::new(),
        log: Vec::new(),
    };
    for _ in 0..steps {
        let before = scalar(&app, "select count(*) from audit").await;
        let (what, status, body) = w.step().await;
        let note = if status.code >= 400 {
            format!(" {}", body["error"]["message"])
        } else {
            String::new()
        };
        w.log.push(format!("{what} → {}{note}", status.code));
        assert!(
            status.code < 500,
            "seed {seed}: {what} answered {status}: {body}"
        );
        let after = scalar(&app, "select count(*) from audit").await;
        if status.code < 300 {
            assert!(
                after > before,
                "seed {seed}: {what} changed something without an audit entry"
            );
        }
        w.check(&format!("seed {seed}: {what}")).await;
    }
    if std::env::var_os("EXPERTPOOL_WALK_LOG").is_some() {
        eprintln!("walk {seed}:\n{}", w.log.join("\n"));
    }
}

#[tokio::test]
async fn random_walks_keep_every_invariant() {
    let walks: u64 = std::env::var("EXPERTPOOL_WALKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let steps: usize = std::env::var("EXPERTPOOL_WALK_STEPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    for seed in 0..walks {
        walk(seed, steps).await;
    }
}
