//! The two pools and membership in them (DESIGN §2): a state machine whose illegal
//! transitions cannot happen, and the entry rules, reported by name.

use super::expert::{ExpertProfile, Title};
use super::ValidationError;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

text_enum!(
    /// The two pools.
    Pool, "pool" {
        /// Strategy consulting (咨询).
        Advisory = "advisory",
        /// Project, acceptance, award, appraisal and consulting reviews (评审).
        Review = "review"
    }
);

text_enum!(
    /// Where a membership stands.
    MembershipState, "state" {
        /// Applied or nominated, awaiting a decision.
        Applied = "applied",
        /// A member for a term.
        Active = "active",
        /// Temporarily barred.
        Suspended = "suspended",
        /// Application refused (final).
        Refused = "refused",
        /// Left the pool (final).
        Exited = "exited"
    }
);

text_enum!(
    /// Why a member leaves (DESIGN §2).
    ExitReason, "reason_code" {
        /// The term ended without renewal.
        TermExpired = "term_expired",
        /// Over the pool's age limit.
        AgeLimit = "age_limit",
        /// Misconduct or falsified data: bars re-entry for some years.
        Misconduct = "misconduct",
        /// Repeated no-shows after accepting.
        NoShows = "no_shows",
        /// Low ratings.
        LowRating = "low_rating",
        /// The expert asked to leave.
        OwnRequest = "own_request",
        /// Profile not confirmed for two years.
        NotConfirmed = "not_confirmed",
        /// Deceased or unreachable.
        Unreachable = "unreachable",
        /// Anything else (free text required).
        Other = "other"
    }
);

/// What someone does to a membership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Admit an application for a term ending on `term_end`.
    Approve {
        /// End of the term.
        term_end: NaiveDate,
    },
    /// Refuse an application.
    Refuse,
    /// Bar a member for now (e.g. misconduct under investigation).
    Suspend,
    /// Lift a suspension.
    Reinstate,
    /// End the membership.
    Exit {
        /// Why.
        reason: ExitReason,
    },
    /// Extend a member's term (an explicit renewal decision).
    Renew {
        /// New end of the term.
        term_end: NaiveDate,
    },
}

impl Action {
    /// The stored name.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Approve { .. } => "approve",
            Action::Refuse => "refuse",
            Action::Suspend => "suspend",
            Action::Reinstate => "reinstate",
            Action::Exit { .. } => "exit",
            Action::Renew { .. } => "renew",
        }
    }
}

/// An action that the current state does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} a membership that is {from}")]
pub struct IllegalTransition {
    /// The state.
    pub from: MembershipState,
    /// The action.
    pub action: &'static str,
}

/// The state an action leads to, or why it cannot happen.
pub fn next_state(
    from: MembershipState,
    action: &Action,
) -> Result<MembershipState, IllegalTransition> {
    use MembershipState::*;
    let to = match (from, action) {
        (Applied, Action::Approve { .. }) => Active,
        (Applied, Action::Refuse) => Refused,
        (Active, Action::Suspend) => Suspended,
        (Suspended, Action::Reinstate) => Active,
        (Active | Suspended, Action::Exit { .. }) => Exited,
        (Active, Action::Renew { .. }) => Active,
        _ => {
            return Err(IllegalTransition {
                from,
                action: action.name(),
            })
        }
    };
    Ok(to)
}

/// Entry rules of a pool, configurable by administrators.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryRules {
    /// Titles admitted.
    pub titles: Vec<Title>,
    /// Oldest age on entry.
    pub max_entry_age: i32,
    /// Years in the field required (reported; the registry does not record it yet).
    pub min_years_in_field: i32,
    /// Term length in years.
    pub term_years: i32,
    /// Years a misconduct exit bars re-entry.
    pub misconduct_bar_years: i32,
}

impl EntryRules {
    /// Defaults from published Chinese pool rules: 正高/副高, age ≤ 65 (advisory ≤ 75),
    /// a 3-year term, 5 years' bar after misconduct.
    pub fn default_for(pool: Pool) -> Self {
        EntryRules {
            titles: vec![Title::Senior, Title::AssociateSenior],
            max_entry_age: if pool == Pool::Advisory { 75 } else { 65 },
            min_years_in_field: 5,
            term_years: 3,
            misconduct_bar_years: 5,
        }
    }

    /// Checks the rules are coherent, naming the field.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.titles.is_empty() {
            return Err(ValidationError::new("titles", "admit at least one title"));
        }
        if !(18..=100).contains(&self.max_entry_age) {
            return Err(ValidationError::new(
                "max_entry_age",
                "must be between 18 and 100",
            ));
        }
        if !(1..=10).contains(&self.term_years) {
            return Err(ValidationError::new(
                "term_years",
                "must be between 1 and 10",
            ));
        }
        if !(0..=30).contains(&self.misconduct_bar_years) {
            return Err(ValidationError::new(
                "misconduct_bar_years",
                "must be between 0 and 30",
            ));
        }
        if !(0..=50).contains(&self.min_years_in_field) {
            return Err(ValidationError::new(
                "min_years_in_field",
                "must be between 0 and 50",
            ));
        }
        Ok(())
    }

    /// The end of a term that starts on `start`.
    pub fn term_end(&self, start: NaiveDate) -> NaiveDate {
        start
            .with_year(start.year() + self.term_years)
            .unwrap_or(start + chrono::Duration::days(365 * self.term_years as i64))
    }
}

/// One entry rule's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCheck {
    /// Rule name: `title_rank`, `age`, `discipline`, `employer`, `misconduct`.
    pub rule: &'static str,
    /// Whether it passes.
    pub passed: bool,
    /// What was found.
    pub detail: String,
}

/// Checks an expert against a pool's entry rules on `today`. `misconduct_exits` are the
/// dates the expert left any pool for misconduct.
pub fn check_entry(
    profile: &ExpertProfile,
    rules: &EntryRules,
    today: NaiveDate,
    misconduct_exits: &[NaiveDate],
) -> Vec<RuleCheck> {
    let age = today.year() - profile.birth_year;
    let barred_until = misconduct_exits
        .iter()
        .filter_map(|d| d.with_year(d.year() + rules.misconduct_bar_years))
        .max();
    let titles: Vec<&str> = rules.titles.iter().map(|t| t.as_str()).collect();
    vec![
        RuleCheck {
            rule: "title_rank",
            passed: rules.titles.contains(&profile.title),
            detail: format!("title {} (admitted: {})", profile.title, titles.join(", ")),
        },
        RuleCheck {
            rule: "age",
            passed: age <= rules.max_entry_age,
            detail: format!(
                "age {age} in {} (limit {})",
                today.year(),
                rules.max_entry_age
            ),
        },
        RuleCheck {
            rule: "discipline",
            passed: !profile.disciplines.is_empty(),
            detail: format!("{} discipline code(s)", profile.disciplines.len()),
        },
        RuleCheck {
            rule: "employer",
            passed: !profile.org_id.trim().is_empty(),
            detail: if profile.org_id.is_empty() {
                "no current employer".into()
            } else {
                format!("employed at {}", profile.org_id)
            },
        },
        RuleCheck {
            rule: "misconduct",
            passed: barred_until.is_none_or(|until| today >= until),
            detail: match barred_until {
                Some(until) if today < until => {
                    format!("removed for misconduct; may not re-enter before {until}")
                }
                _ => "no misconduct record in the bar period".into(),
            },
        },
    ]
}

/// Why an expert may not serve on a panel of `pool` on `date`, given their latest membership
/// there (`None` = no membership): only active members whose term has not ended serve. The one
/// place this rule lives; the engine's input builders (database and sample files) both call it.
pub fn not_serving(
    pool: Pool,
    membership: Option<(MembershipState, Option<NaiveDate>)>,
    date: NaiveDate,
) -> Option<String> {
    match membership {
        None => Some(format!("not a member of the {pool} pool")),
        Some((MembershipState::Active, Some(end))) if end < date => {
            Some(format!("{pool} pool term ended {end}"))
        }
        Some((MembershipState::Active, _)) => None,
        Some((state, _)) => Some(format!("{pool} pool membership is {state}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_actions() -> Vec<Action> {
        let d = NaiveDate::from_ymd_opt(2029, 1, 1).unwrap();
        vec![
            Action::Approve { term_end: d },
            Action::Refuse,
            Action::Suspend,
            Action::Reinstate,
            Action::Exit {
                reason: ExitReason::OwnRequest,
            },
            Action::Renew { term_end: d },
        ]
    }

    #[test]
    fn every_legal_and_illegal_transition() {
        use MembershipState::*;
        let legal = [
            (Applied, "approve", Active),
            (Applied, "refuse", Refused),
            (Active, "suspend", Suspended),
            (Suspended, "reinstate", Active),
            (Active, "exit", Exited),
            (Suspended, "exit", Exited),
            (Active, "renew", Active),
        ];
        for &from in MembershipState::ALL {
            for action in all_actions() {
                let expected = legal
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action.name())
                    .map(|(_, _, to)| *to);
                match (next_state(from, &action), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{from} + {}", action.name()),
                    (Err(e), None) => assert_eq!(e.from, from),
                    (got, want) => panic!("{from} + {}: got {got:?}, want {want:?}", action.name()),
                }
            }
        }
    }

    #[test]
    fn exited_members_cannot_be_reinstated_and_refusals_are_final() {
        let e = next_state(MembershipState::Exited, &Action::Reinstate).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot reinstate a membership that is exited"
        );
        let d = NaiveDate::from_ymd_opt(2029, 1, 1).unwrap();
        assert!(next_state(MembershipState::Refused, &Action::Approve { term_end: d }).is_err());
    }

    #[test]
    fn only_active_members_within_their_term_serve() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
        let later = NaiveDate::from_ymd_opt(2027, 1, 1);
        let earlier = NaiveDate::from_ymd_opt(2026, 12, 1);
        assert_eq!(
            not_serving(Pool::Review, Some((MembershipState::Active, later)), day),
            None
        );
        assert_eq!(
            not_serving(Pool::Review, Some((MembershipState::Active, earlier)), day).unwrap(),
            "review pool term ended 2026-12-01"
        );
        assert!(
            not_serving(Pool::Review, Some((MembershipState::Suspended, later)), day)
                .unwrap()
                .contains("suspended")
        );
        assert!(not_serving(Pool::Advisory, None, day)
            .unwrap()
            .contains("not a member"));
    }

    #[test]
    fn rules_validate_and_terms_last_the_configured_years() {
        let rules = EntryRules::default_for(Pool::Review);
        rules.validate().unwrap();
        assert_eq!(
            rules.term_end(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()),
            NaiveDate::from_ymd_opt(2029, 11, 24).unwrap()
        );
        let bad = EntryRules {
            term_years: 0,
            ..rules
        };
        assert_eq!(bad.validate().unwrap_err().field, "term_years");
        assert_eq!(EntryRules::default_for(Pool::Advisory).max_entry_age, 75);
    }
}
