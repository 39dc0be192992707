//! Staff decisions on an event's pairs (exclusions, cleared conflicts, pins, removals) and
//! their undoing: a decision is lifted by a later record, never deleted, so the list of what
//! was decided, by whom and why stays whole.

use super::{begin, get, require};
use crate::domain::event::EventAction;
use crate::domain::ValidationError;
use crate::error::AppResult;
use crate::store::audit::{self, Actor};
use crate::store::events::{self as store_e, ExclusionRow};
use crate::store::Store;

/// The kinds staff may lift (a conflict the expert declared stays).
const LIFTABLE: [&str; 4] = ["staff", "cleared", "pin", "remove"];

/// The decisions still in force, oldest first: a `lift_<kind>` record cancels every earlier
/// record of that kind on the same pair.
pub fn in_force(rows: Vec<ExclusionRow>) -> Vec<ExclusionRow> {
    let mut out: Vec<ExclusionRow> = Vec::with_capacity(rows.len());
    for row in rows {
        match row.kind.strip_prefix("lift_") {
            Some(kind) => out.retain(|x| {
                !(x.kind == kind
                    && x.item_code == row.item_code
                    && x.expert_code == row.expert_code)
            }),
            None => out.push(row),
        }
    }
    out
}

/// Lifts a decision still in force, with a reason.
pub async fn lift(
    store: &Store,
    actor: &Actor,
    id: i64,
    decision: i64,
    reason: &str,
) -> AppResult<()> {
    let event = get(store, id).await?;
    let reason = crate::domain::validation::required_text("reason", reason, 500)?;
    let rows = store_e::exclusions(store, id).await?;
    let row = in_force(rows)
        .into_iter()
        .find(|x| x.exclusion_id == decision)
        .ok_or_else(|| {
            ValidationError::new("decision", "no such decision in force on this event")
        })?;
    if !LIFTABLE.contains(&row.kind.as_str()) {
        return Err(ValidationError::new(
            "decision",
            "a conflict the expert declared cannot be lifted by staff",
        )
        .into());
    }
    let action = if matches!(row.kind.as_str(), "pin" | "remove") {
        EventAction::Pin
    } else {
        EventAction::Exclude
    };
    require(&event, action)?;
    let (mut tx, event) = begin(store, id, action).await?;
    let kind = format!("lift_{}", row.kind);
    store_e::insert_exclusion(
        &mut tx,
        id,
        &row.item_code,
        &row.expert_code,
        &kind,
        &reason,
        actor,
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        &format!("event.{kind}"),
        "event",
        &event.code,
        Some(&serde_json::json!({"item": row.item_code, "expert": row.expert_code, "reason": row.reason})),
        Some(&serde_json::json!({"reason": reason})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, item: &str, expert: &str, kind: &str) -> ExclusionRow {
        ExclusionRow {
            exclusion_id: id,
            item_code: item.into(),
            expert_code: expert.into(),
            kind: kind.into(),
            reason: "r".into(),
            actor: "staff".into(),
            at: String::new(),
        }
    }

    #[test]
    fn a_lift_cancels_earlier_decisions_of_its_kind_on_its_pair_only() {
        let rows = vec![
            row(1, "P1", "E1", "staff"),
            row(2, "P1", "E1", "cleared"),
            row(3, "P2", "E1", "staff"),
            row(4, "P1", "E1", "lift_staff"),
            row(5, "P1", "E1", "staff"),
        ];
        let ids: Vec<i64> = in_force(rows).iter().map(|x| x.exclusion_id).collect();
        // #1 lifted; #2 another kind, #3 another pair, #5 decided again after the lift.
        assert_eq!(ids, vec![2, 3, 5]);
    }
}
