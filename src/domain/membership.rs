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
        Exited = "exited",
        /// The expert (or staff for them) withdrew the application before a decision (final).
        Withdrawn = "withdrawn"
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
    /// Bar a member for now (e.g. misconduct under investigation), until a day or until
    /// reinstated.
    Suspend {
        /// The last day of the suspension; it ends by itself after it.
        until: Option<NaiveDate>,
    },
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
    /// Take back an application before it is decided.
    Withdraw,
}

impl Action {
    /// The stored name.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Approve { .. } => "approve",
            Action::Refuse => "refuse",
            Action::Suspend { .. } => "suspend",
            Action::Reinstate => "reinstate",
            Action::Exit { .. } => "exit",
            Action::Renew { .. } => "renew",
            Action::Withdraw => "withdraw",
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
        (Active, Action::Suspend { .. }) => Suspended,
        (Suspended, Action::Reinstate) => Active,
        (Active | Suspended, Action::Exit { .. }) => Exited,
        (Active, Action::Renew { .. }) => Active,
        (Applied, Action::Withdraw) => Withdrawn,
        _ => {
            return Err(IllegalTransition {
                from,
                action: action.name(),
            })
        }
    };
    Ok(to)
}

/// The actions a membership in `state` offers (what pages show as buttons).
pub fn actions_for(state: MembershipState) -> &'static [&'static str] {
    match state {
        MembershipState::Applied => &["approve", "refuse", "withdraw"],
        MembershipState::Active => &["suspend", "renew", "exit"],
        MembershipState::Suspended => &["reinstate", "exit"],
        MembershipState::Refused | MembershipState::Exited | MembershipState::Withdrawn => &[],
    }
}

/// Entry rules of a pool, configurable by administrators. Fields added after the first
/// release carry defaults so that rules stored before them still read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryRules {
    /// Titles admitted.
    pub titles: Vec<Title>,
    /// Oldest age on entry.
    pub max_entry_age: i32,
    /// Oldest age on entry for academicians and nationally recognized experts.
    #[serde(default = "default_distinguished_age")]
    pub max_entry_age_distinguished: i32,
    /// Years in the field required (from the recorded start year or the work history).
    pub min_years_in_field: i32,
    /// Whether entry needs the signed integrity and confidentiality pledge.
    #[serde(default = "yes")]
    pub require_pledge: bool,
    /// Term length in years.
    pub term_years: i32,
    /// Years a misconduct exit bars re-entry (absolute: no override).
    pub misconduct_bar_years: i32,
    /// Invitations declined or left unanswered in a row that suspend a member (0: never).
    #[serde(default = "default_decline_streak")]
    pub suspend_after_declines: u32,
    /// Months such a suspension lasts.
    #[serde(default = "default_suspension_months")]
    pub suspension_months: u32,
    /// Share of newcomers a rotation aims for, in percent of the members after it.
    #[serde(default = "default_newcomer_share")]
    pub newcomer_share_percent: u32,
}

fn default_distinguished_age() -> i32 {
    70
}
fn yes() -> bool {
    true
}
fn default_decline_streak() -> u32 {
    3
}
fn default_suspension_months() -> u32 {
    6
}
fn default_newcomer_share() -> u32 {
    25
}

impl EntryRules {
    /// Defaults from published Chinese pool rules: 正高/副高, age ≤ 65 (advisory ≤ 75),
    /// a 3-year term, 5 years' bar after misconduct.
    pub fn default_for(pool: Pool) -> Self {
        EntryRules {
            titles: vec![Title::Senior, Title::AssociateSenior],
            max_entry_age: if pool == Pool::Advisory { 75 } else { 65 },
            max_entry_age_distinguished: if pool == Pool::Advisory { 75 } else { 70 },
            min_years_in_field: 5,
            require_pledge: true,
            term_years: 3,
            misconduct_bar_years: 5,
            suspend_after_declines: 3,
            suspension_months: 6,
            newcomer_share_percent: 25,
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
        if !(self.max_entry_age..=100).contains(&self.max_entry_age_distinguished) {
            return Err(ValidationError::new(
                "max_entry_age_distinguished",
                "must be between the general age limit and 100",
            ));
        }
        if self.suspend_after_declines > 20 {
            return Err(ValidationError::new(
                "suspend_after_declines",
                "must be between 0 (never) and 20",
            ));
        }
        if !(1..=36).contains(&self.suspension_months) {
            return Err(ValidationError::new(
                "suspension_months",
                "must be between 1 and 36",
            ));
        }
        if self.newcomer_share_percent > 90 {
            return Err(ValidationError::new(
                "newcomer_share_percent",
                "must be between 0 and 90",
            ));
        }
        Ok(())
    }

    /// The last day of a suspension that starts on `start` after a run of declines.
    pub fn suspension_end(&self, start: NaiveDate) -> NaiveDate {
        start
            .checked_add_months(chrono::Months::new(self.suspension_months))
            .unwrap_or(start)
    }

    /// The new end of a renewed term: `requested` if given, else one more term from the
    /// current end (or from today, when the term already ended). A renewal never shortens
    /// a term.
    pub fn renewed_end(
        &self,
        current_end: Option<NaiveDate>,
        today: NaiveDate,
        requested: Option<NaiveDate>,
    ) -> Result<NaiveDate, ValidationError> {
        let base = current_end.filter(|end| *end > today).unwrap_or(today);
        let end = requested.unwrap_or_else(|| self.term_end(base));
        if end <= base {
            return Err(ValidationError::new(
                "term_end",
                format!(
                    "a renewal must end after the current term ({base}): it never shortens a term"
                ),
            ));
        }
        Ok(end)
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
    /// Rule name: `title_rank`, `age`, `years_in_field`, `discipline`, `employer`,
    /// `misconduct`, `pledge`.
    pub rule: &'static str,
    /// Whether it passes.
    pub passed: bool,
    /// Whether an administrator may approve despite a failure (with a written reason): every
    /// rule but the bar after misconduct, which DESIGN makes absolute.
    pub overridable: bool,
    /// What was found.
    pub detail: String,
    /// The same as a catalog message key and its values, for pages in the reader's language.
    pub message: &'static str,
    /// The values its `{name}` slots take.
    pub args: std::collections::BTreeMap<&'static str, String>,
}

/// What the entry rules need beyond the profile.
#[derive(Debug, Clone, Default)]
pub struct EntryFacts {
    /// The dates the expert left any pool for misconduct.
    pub misconduct_exits: Vec<NaiveDate>,
    /// When the expert signed the pledge for this application, if they did.
    pub pledge_signed: Option<String>,
}

/// Checks an expert against a pool's entry rules on `today`.
pub fn check_entry(
    profile: &ExpertProfile,
    rules: &EntryRules,
    today: NaiveDate,
    facts: &EntryFacts,
) -> Vec<RuleCheck> {
    let age = today.year() - profile.birth_year;
    let barred_until = facts
        .misconduct_exits
        .iter()
        .filter_map(|d| d.with_year(d.year() + rules.misconduct_bar_years))
        .max();
    let titles: Vec<&str> = rules.titles.iter().map(|t| t.as_str()).collect();
    let age_limit = if profile.distinction.is_some() {
        rules.max_entry_age_distinguished.max(rules.max_entry_age)
    } else {
        rules.max_entry_age
    };
    let check =
        |rule, passed, detail: String, message, args: &[(&'static str, String)]| RuleCheck {
            rule,
            passed,
            overridable: rule != "misconduct",
            detail,
            message,
            args: args.iter().cloned().collect(),
        };
    let mut checks = vec![
        check(
            "title_rank",
            rules.titles.contains(&profile.title),
            format!("title {} (admitted: {})", profile.title, titles.join(", ")),
            "chk_title",
            &[
                ("title", profile.title.to_string()),
                ("admitted", titles.join("、")),
            ],
        ),
        match profile.distinction {
            Some(d) => check(
                "age",
                age <= age_limit,
                format!("age {age} in {} (limit {age_limit} for {d})", today.year()),
                "chk_age_distinguished",
                &[("age", age.to_string()), ("limit", age_limit.to_string())],
            ),
            None => check(
                "age",
                age <= age_limit,
                format!("age {age} in {} (limit {age_limit})", today.year()),
                "chk_age",
                &[("age", age.to_string()), ("limit", age_limit.to_string())],
            ),
        },
        match profile.career_start() {
            Some(start) => {
                let years = today.year() - start;
                check(
                    "years_in_field",
                    years >= rules.min_years_in_field,
                    format!(
                        "{years} years in the field since {start} (at least {})",
                        rules.min_years_in_field
                    ),
                    "chk_years",
                    &[
                        ("years", years.to_string()),
                        ("since", start.to_string()),
                        ("min", rules.min_years_in_field.to_string()),
                    ],
                )
            }
            None => check(
                "years_in_field",
                rules.min_years_in_field == 0,
                "start year in the field not recorded".into(),
                "chk_years_unknown",
                &[],
            ),
        },
        check(
            "discipline",
            !profile.disciplines.is_empty(),
            format!("{} discipline code(s)", profile.disciplines.len()),
            "chk_disciplines",
            &[("n", profile.disciplines.len().to_string())],
        ),
        if profile.org_id.trim().is_empty() {
            check(
                "employer",
                false,
                "no current employer".into(),
                "chk_no_employer",
                &[],
            )
        } else {
            check(
                "employer",
                true,
                format!("employed at {}", profile.org_id),
                "chk_employer",
                &[("org", profile.org_id.clone())],
            )
        },
        match barred_until {
            Some(until) if today < until => check(
                "misconduct",
                false,
                format!("removed for misconduct; may not re-enter before {until}"),
                "chk_barred",
                &[("until", until.to_string())],
            ),
            _ => check(
                "misconduct",
                true,
                "no misconduct record in the bar period".into(),
                "chk_no_misconduct",
                &[],
            ),
        },
    ];
    if rules.require_pledge {
        checks.push(match &facts.pledge_signed {
            Some(at) => check(
                "pledge",
                true,
                format!("pledge signed {at}"),
                "chk_pledge_signed",
                &[("at", crate::clock::local_time(at, "en"))],
            ),
            None => check(
                "pledge",
                false,
                "integrity and confidentiality pledge not signed".into(),
                "chk_pledge_missing",
                &[],
            ),
        });
    }
    checks
}

/// How many newcomers a rotation must admit so that they make at least `target_percent` of
/// the members after it, when `staying` members stay (DESIGN §2: e.g. ≥ 25 % newcomers).
pub fn newcomers_needed(staying: usize, target_percent: u32) -> usize {
    let target = target_percent.min(90) as usize;
    (staying * target).div_ceil(100 - target)
}

/// Newcomers' share of the members after a rotation, in percent (0 for an empty pool).
pub fn newcomer_share(newcomers: usize, members_after: usize) -> f64 {
    if members_after == 0 {
        0.0
    } else {
        (newcomers as f64 * 1000.0 / members_after as f64).round() / 10.0
    }
}

/// Whether a suspension that ends after `until` is over on `date`.
pub fn suspension_over(until: Option<NaiveDate>, date: NaiveDate) -> bool {
    until.is_some_and(|last| last < date)
}

/// A membership as the serving rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// The state.
    pub state: MembershipState,
    /// End of term.
    pub term_end: Option<NaiveDate>,
    /// Last day of a suspension, if it has one.
    pub suspended_until: Option<NaiveDate>,
}

/// Why an expert may not serve on a panel of `pool` on `date`, given their latest membership
/// there (`None` = no membership): only active members whose term has not ended serve. The one
/// place this rule lives; the engine's input builders (database and sample files) both call it.
///
/// A suspension whose last day is before `date` counts as over (the daily task writes the
/// reinstatement to the timeline; until it runs, the rule already holds).
pub fn not_serving(pool: Pool, membership: Option<Standing>, date: NaiveDate) -> Option<String> {
    let m = match membership {
        None => return Some(format!("not a member of the {pool} pool")),
        Some(m) => m,
    };
    let serving_state = m.state == MembershipState::Active
        || (m.state == MembershipState::Suspended && suspension_over(m.suspended_until, date));
    match m.term_end {
        _ if !serving_state => match m.suspended_until {
            Some(last) if m.state == MembershipState::Suspended => {
                Some(format!("{pool} pool membership is suspended until {last}"))
            }
            _ => Some(format!("{pool} pool membership is {}", m.state)),
        },
        Some(end) if end < date => Some(format!("{pool} pool term ended {end}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
