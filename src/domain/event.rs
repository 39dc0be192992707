//! Review events (DESIGN §4): kind, mode, status and their lifecycle.

use super::ValidationError;
use serde::{Deserialize, Serialize};

text_enum!(
    /// What is reviewed.
    EventKind, "kind" {
        /// Project application review.
        Application = "application",
        /// Project acceptance check.
        Acceptance = "acceptance",
        /// S&T award review.
        Award = "award",
        /// Achievement appraisal.
        Appraisal = "appraisal",
        /// Consulting evaluation (advisory pool).
        Consulting = "consulting"
    }
);

text_enum!(
    /// How items meet their reviewers.
    EventMode, "mode" {
        /// A panel reviews a group of items together at a meeting.
        Panel = "panel",
        /// Each item gets its own reviewers (correspondence review).
        Individual = "individual"
    }
);

text_enum!(
    /// Where an event stands.
    EventStatus, "status" {
        /// Being prepared: items, panels, rules.
        Draft = "draft",
        /// Panels drawn, not yet confirmed.
        Drawn = "drawn",
        /// Invitations sent.
        Inviting = "inviting",
        /// Rosters confirmed.
        Confirmed = "confirmed",
        /// Over; tracking recorded.
        Closed = "closed"
    }
);

impl EventStatus {
    /// Whether items, panels and rules may still change.
    pub fn editable(self) -> bool {
        matches!(self, EventStatus::Draft | EventStatus::Drawn)
    }
}

/// A time slot of an event: id, date and part of day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    /// Slot id, e.g. `S1`.
    pub id: String,
    /// Date.
    pub date: chrono::NaiveDate,
    /// `am`, `pm` or empty.
    #[serde(default)]
    pub part: String,
}

/// Parses `S1=2026-12-15 am; S2=2026-12-15 pm` (a slot per entry).
pub fn parse_slots(raw: &str) -> Result<Vec<Slot>, ValidationError> {
    raw.split([';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .enumerate()
        .map(|(i, part)| {
            let field = format!("slots[{i}]");
            let (id, rest) = part.split_once('=').ok_or_else(|| {
                ValidationError::new(&field, format!("'{part}' is not ID=YYYY-MM-DD [am|pm]"))
            })?;
            let mut words = rest.split_whitespace();
            let date = super::expert::parse_date(&field, words.next().unwrap_or(""))?;
            let half = words.next().unwrap_or("").to_string();
            if !["", "am", "pm"].contains(&half.as_str()) {
                return Err(ValidationError::new(
                    field,
                    format!("'{half}' is not am or pm"),
                ));
            }
            Ok(Slot {
                id: id.trim().to_string(),
                date,
                part: half,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_parse_and_errors_name_the_slot() {
        let slots = parse_slots("S1=2026-12-15 am; S2=2026-12-15 pm").unwrap();
        assert_eq!(slots.len(), 2);
        assert_eq!(slots[1].part, "pm");
        assert_eq!(
            parse_slots("S1=2026-12-15; S2=tomorrow").unwrap_err().field,
            "slots[1]"
        );
    }

    #[test]
    fn only_draft_and_drawn_events_are_editable() {
        assert!(EventStatus::Draft.editable() && EventStatus::Drawn.editable());
        assert!(!EventStatus::Confirmed.editable());
    }
}
