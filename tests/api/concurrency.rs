//! Many clients at once, on two service instances sharing one database: every state change has
//! exactly one winner, no invitation is sent twice, and no state goes backwards.

use crate::helpers::*;
use crate::workflow::*;
use expertpool::error::{AppError, AppResult};
use expertpool::service::{events, invitations, memberships, replacement};
use expertpool::store::audit::Actor;
use expertpool::store::Store;
use rocket::http::{Method, Status};
use serde_json::json;
use std::future::Future;

const CLIENTS: usize = 20;

/// Runs `CLIENTS` calls at once, alternating between the two instances' stores.
async fn race<T, F, Fut>(stores: &[Store; 2], call: F) -> Vec<AppResult<T>>
where
    T: Send + 'static,
    F: Fn(usize, Store) -> Fut,
    Fut: Future<Output = AppResult<T>> + Send + 'static,
{
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|n| tokio::spawn(call(n, stores[n % 2].clone())))
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out
}

fn winners<T>(results: &[AppResult<T>]) -> usize {
    for r in results {
        if let Err(e) = r {
            assert!(
                matches!(e, AppError::Conflict { .. } | AppError::WrongState(_)),
                "a loser gets a 409, not {e:?}"
            );
        }
    }
    results.iter().filter(|r| r.is_ok()).count()
}

async fn setup() -> (TestApp, [Store; 2], i64) {
    let app = spawn_app().await;
    app.login_admin().await;
    review_pool(&app, 12).await;
    let id = event(&app, "EVR", "2027-01-13", "", 1, 5, |_| {}).await;
    assert_eq!(draw(&app, id, 1).await.0, Status::Created);
    let other = Store::connect(&app.database_url).await.unwrap();
    let stores = [app.store.clone(), other];
    (app, stores, id)
}

async fn latest_draw(app: &TestApp, id: i64) -> i64 {
    let (_, draws) = app.get_json(&format!("/api/v1/events/{id}/draws")).await;
    draws[0]["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_confirmations_send_one_set_of_invitations() {
    let (app, stores, id) = setup().await;
    let draw_id = latest_draw(&app, id).await;
    let results = race(&stores, move |_, store| async move {
        invitations::confirm(&store, &Actor::system("race"), id, draw_id).await
    })
    .await;
    assert_eq!(winners(&results), 1);
    assert_eq!(roster(&app, id).await.len(), 5, "one invitation per seat");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn draws_racing_confirmations_never_reopen_an_event() {
    let (app, stores, id) = setup().await;
    let draw_id = latest_draw(&app, id).await;
    let results = race(&stores, move |n, store| async move {
        let actor = Actor::system("race");
        if n % 4 == 0 {
            events::draw(&store, &actor, id, Some(n as u64))
                .await
                .map(|_| ())
        } else {
            invitations::confirm(&store, &actor, id, draw_id)
                .await
                .map(|_| ())
        }
    })
    .await;
    for r in &results {
        if let Err(e) = r {
            assert!(e.status().code == 409, "{e:?}");
        }
    }
    let sent = roster(&app, id).await;
    let (_, event) = app.get_json(&format!("/api/v1/events/{id}")).await;
    if sent.is_empty() {
        assert_eq!(event["status"], "drawn");
    } else {
        assert_eq!(
            event["status"], "inviting",
            "a later draw never reopened it"
        );
        assert_eq!(sent.len(), 5);
        assert!(sent.iter().all(|i| i["draw_id"] == sent[0]["draw_id"]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_answer_one_replacement_one_decision_win() {
    let (app, stores, id) = setup().await;
    assert_eq!(confirm(&app, id).await.0, Status::Ok);
    let first = roster(&app, id).await[0]["invitation_id"].as_i64().unwrap();
    let results = race(&stores, move |n, store| async move {
        // Accepting and "no answer" are both only possible from pending: one of them wins.
        // (A decline after an acceptance is a legitimate second answer, so it is not raced.)
        let answer = if n % 2 == 0 {
            expertpool::domain::invitation::Answer::Accept
        } else {
            expertpool::domain::invitation::Answer::NoResponse
        };
        invitations::answer(&store, &Actor::system("race"), None, first, answer).await
    })
    .await;
    assert_eq!(winners(&results), 1, "one answer recorded");
    // Whatever won, decline now if needed and race the replacement.
    let seat = roster(&app, id)
        .await
        .into_iter()
        .find(|i| i["invitation_id"] == first)
        .unwrap();
    if seat["status"] == "accepted" {
        let (status, _) = answer(&app, &seat, decline()).await;
        assert_eq!(status, Status::Ok);
    }
    assert_ne!(
        roster(&app, id)
            .await
            .iter()
            .find(|i| i["invitation_id"] == first)
            .unwrap()["status"],
        "pending"
    );
    let results = race(&stores, move |_, store| async move {
        replacement::replace(&store, &Actor::system("race"), first).await
    })
    .await;
    assert_eq!(winners(&results), 1, "one replacement");
    let live = roster(&app, id)
        .await
        .into_iter()
        .filter(|i| i["status"] == "pending" || i["status"] == "accepted")
        .count();
    assert_eq!(live, 5, "the panel is full again, not over");
    // Twenty administrators suspend the same member at once.
    let (_, ms) = app.get_json("/api/v1/pools/review/memberships").await;
    let m = ms["items"][0]["membership_id"].as_i64().unwrap();
    let results = race(&stores, move |_, store| async move {
        let input = memberships::DecisionInput {
            action: "suspend".into(),
            reason: "并发测试".into(),
            ..Default::default()
        };
        memberships::decide(&store, &Actor::system("race"), None, m, &input).await
    })
    .await;
    assert_eq!(winners(&results), 1, "one suspension");
    let (status, _) = app
        .send_json(Method::Get, &format!("/api/v1/memberships/{m}"), &json!({}))
        .await;
    assert_eq!(status, Status::Ok);
}

/// A hundred wrong passwords at once, on two instances: exactly five are checked, the rest
/// are refused by the lock without a password check.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_parallel_wrong_passwords_get_exactly_five_checks() {
    let app = spawn_app().await;
    let other = Store::connect(&app.database_url).await.unwrap();
    let stores = [app.store.clone(), other];
    let tasks: Vec<_> = (0..100)
        .map(|n| {
            let store = stores[n % 2].clone();
            tokio::spawn(async move {
                expertpool::service::auth::login(
                    &store,
                    "admin",
                    "wrong-guess",
                    Some("10.1.2.3".into()),
                )
                .await
            })
        })
        .collect();
    let (mut checked, mut locked) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Err(AppError::Unauthorized(_)) => checked += 1,
            Err(AppError::TooManyRequests(_)) => locked += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((checked, locked), (5, 95));
    // The right password is refused too while the lock holds.
    let right = expertpool::service::auth::login(&app.store, "admin", ADMIN_PASSWORD, None).await;
    assert!(
        matches!(right, Err(AppError::TooManyRequests(_))),
        "{right:?}"
    );
}
