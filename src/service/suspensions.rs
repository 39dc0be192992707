//! Suspensions that start and end by themselves (DESIGN §2): a member who declines or leaves
//! unanswered `suspend_after_declines` invitations in a row is suspended for
//! `suspension_months`; a suspension ends after its last day. Both are written to the
//! membership's timeline and the audit log as `system`.

use super::memberships::{decide_in, DecisionInput};
use crate::domain::membership::{MembershipState, Pool};
use crate::domain::ExpertId;
use crate::error::AppResult;
use crate::store::audit::Actor;
use crate::store::memberships as store_m;
use crate::store::Store;
use chrono::NaiveDate;
use sqlx::{Any, Transaction};

/// The number of refusals at the end of `answers` (oldest first; true = declined or missed).
pub fn trailing_refusals(answers: &[bool]) -> u32 {
    answers.iter().rev().take_while(|&&refused| refused).count() as u32
}

/// After an expert declined or missed an invitation in an event of `pool`, inside the same
/// transaction: suspends the member when the run of refusals since they last became active
/// reaches the pool's limit. Returns the suspended membership's id.
pub async fn after_refusal(
    tx: &mut Transaction<'_, Any>,
    store: &Store,
    expert: ExpertId,
    pool: Pool,
    day: NaiveDate,
) -> AppResult<Option<i64>> {
    let rules = store_m::rules(tx, pool).await?;
    if rules.suspend_after_declines == 0 {
        return Ok(None);
    }
    let Some(m) = store_m::open_in(tx, expert, pool).await? else {
        return Ok(None);
    };
    if m.state != MembershipState::Active {
        return Ok(None);
    }
    let since = store_m::active_since(tx, m.id).await?;
    let run = trailing_refusals(&store_m::answers_since(tx, expert, pool, &since).await?);
    if run < rules.suspend_after_declines {
        return Ok(None);
    }
    let until = rules.suspension_end(day);
    let input = DecisionInput {
        action: "suspend".into(),
        reason_code: "declines".into(),
        reason: format!("{run} invitations declined or unanswered in a row"),
        until: until.to_string(),
        ..Default::default()
    };
    decide_in(
        tx,
        store,
        &Actor::system("suspensions"),
        None,
        m.id,
        &input,
        day,
    )
    .await?;
    Ok(Some(m.id))
}

/// Records the end of every suspension whose last day is before `today` (a reinstatement by
/// `system`), in one transaction. Serving rules already treat such a suspension as over;
/// this puts the fact on the timeline. Returns the memberships reinstated.
pub async fn end_lapsed(store: &Store, today: NaiveDate) -> AppResult<Vec<i64>> {
    let mut tx = store.begin_write().await?;
    let ids = store_m::lapsed_suspensions(&mut tx, &today.to_string()).await?;
    let input = DecisionInput {
        action: "reinstate".into(),
        reason_code: "suspension_ended".into(),
        reason: "the suspension reached its end date".into(),
        ..Default::default()
    };
    let actor = Actor::system("suspensions");
    for &id in &ids {
        decide_in(&mut tx, store, &actor, None, id, &input, today).await?;
    }
    tx.commit().await?;
    Ok(ids)
}

/// Runs `end_lapsed` now and then every hour while the service runs (so the day it ends is
/// never missed by more than an hour, whatever the time the service started). A failure is
/// logged and tried again at the next round.
pub fn spawn_daily(store: Store) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            match end_lapsed(&store, crate::clock::today()).await {
                Ok(ids) if !ids.is_empty() => {
                    eprintln!("suspensions: {} ended by their end date", ids.len())
                }
                Ok(_) => {}
                Err(e) => eprintln!("suspensions: {e}"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::trailing_refusals;

    #[test]
    fn only_an_unbroken_run_at_the_end_counts() {
        assert_eq!(trailing_refusals(&[]), 0);
        assert_eq!(trailing_refusals(&[true, true, false]), 0);
        assert_eq!(trailing_refusals(&[true, false, true, true]), 2);
        assert_eq!(trailing_refusals(&[true, true, true]), 3);
    }
}
