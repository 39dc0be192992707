//! Invitations (DESIGN §4): an expert asked to sit on a panel, their answer, attendance and
//! ratings — the tracking record.

use super::ValidationError;
use serde::{Deserialize, Serialize};

text_enum!(
    /// Where an invitation stands.
    InvitationStatus, "status" {
        /// Sent, no answer yet.
        Pending = "pending",
        /// Accepted (pledge confirmed, no conflict declared).
        Accepted = "accepted",
        /// Declined, or a conflict was declared.
        Declined = "declined",
        /// No answer by the deadline.
        NoResponse = "no_response",
        /// Taken back by the bureau (the member was suspended or left the pool).
        Withdrawn = "withdrawn"
    }
);

text_enum!(
    /// Whether an accepted member came.
    Attendance, "attendance" {
        /// Came.
        Attended = "attended",
        /// Did not come.
        NoShow = "no_show"
    }
);

/// An answer to an invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Accept, confirming the confidentiality and integrity pledge.
    Accept,
    /// Decline with a reason.
    Decline(String),
    /// Accept would be wrong: the expert declares a conflict with an item.
    DeclareConflict {
        /// The item.
        item: String,
        /// Why.
        reason: String,
    },
    /// Staff record that no answer came by the deadline.
    NoResponse,
}

impl Answer {
    /// Parses an answer from its parts, naming the field at fault.
    pub fn parse(
        answer: &str,
        pledge: bool,
        reason: &str,
        conflict_item: &str,
    ) -> Result<Self, ValidationError> {
        let reason = reason.trim();
        match answer.trim() {
            "accept" if !pledge => Err(ValidationError::new(
                "pledge",
                "accepting requires confirming the confidentiality and integrity pledge",
            )),
            "accept" => Ok(Answer::Accept),
            "decline" if reason.is_empty() => {
                Err(ValidationError::new("reason", "say why you decline"))
            }
            "decline" => Ok(Answer::Decline(reason.to_string())),
            "conflict" if conflict_item.trim().is_empty() => Err(ValidationError::new(
                "conflict_item",
                "name the item you have a conflict with",
            )),
            "conflict" if reason.is_empty() => {
                Err(ValidationError::new("reason", "describe the conflict"))
            }
            "conflict" => Ok(Answer::DeclareConflict {
                item: conflict_item.trim().to_string(),
                reason: reason.to_string(),
            }),
            "no_response" => Ok(Answer::NoResponse),
            other => Err(ValidationError::new(
                "answer",
                format!("'{other}' is not accept, decline, conflict or no_response"),
            )),
        }
    }

    /// The status it leads to.
    pub fn status(&self) -> InvitationStatus {
        match self {
            Answer::Accept => InvitationStatus::Accepted,
            Answer::Decline(_) | Answer::DeclareConflict { .. } => InvitationStatus::Declined,
            Answer::NoResponse => InvitationStatus::NoResponse,
        }
    }
}

impl InvitationStatus {
    /// Whether the invitation holds its seat (asked and not yet turned down, or accepted).
    pub fn holds_seat(self) -> bool {
        matches!(self, InvitationStatus::Pending | InvitationStatus::Accepted)
    }

    /// Whether the seat it held is open again (to replace, or to leave empty with a reason).
    pub fn opens_seat(self) -> bool {
        !self.holds_seat()
    }
}

/// Staff ratings after the event, each 1–5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratings {
    /// Expertise.
    pub expertise: u8,
    /// Diligence.
    pub diligence: u8,
    /// Fairness.
    pub fairness: u8,
}

impl Ratings {
    /// Checks each rating is 1–5.
    pub fn parse(expertise: i64, diligence: i64, fairness: i64) -> Result<Self, ValidationError> {
        let one = |field: &str, v: i64| {
            if (1..=5).contains(&v) {
                Ok(v as u8)
            } else {
                Err(ValidationError::new(
                    field,
                    format!("{v} is not a rating from 1 to 5"),
                ))
            }
        };
        Ok(Ratings {
            expertise: one("rating_expertise", expertise)?,
            diligence: one("rating_diligence", diligence)?,
            fairness: one("rating_fairness", fairness)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_need_their_parts() {
        assert_eq!(
            Answer::parse("accept", false, "", "").unwrap_err().field,
            "pledge"
        );
        assert_eq!(
            Answer::parse("accept", true, "", "").unwrap().status(),
            InvitationStatus::Accepted
        );
        assert_eq!(
            Answer::parse("decline", false, " ", "").unwrap_err().field,
            "reason"
        );
        assert_eq!(
            Answer::parse("conflict", false, "my student", "")
                .unwrap_err()
                .field,
            "conflict_item"
        );
        assert_eq!(
            Answer::parse("conflict", false, "my student", "P1")
                .unwrap()
                .status(),
            InvitationStatus::Declined
        );
    }

    #[test]
    fn ratings_are_one_to_five() {
        assert!(Ratings::parse(5, 4, 3).is_ok());
        assert_eq!(
            Ratings::parse(5, 0, 3).unwrap_err().field,
            "rating_diligence"
        );
    }
}
