//! Each expert's record (DESIGN §2, §4): invitations, answers, attendance and ratings, and the
//! flags raised from it. Every derived figure is computed here, once, for the pages, the API,
//! the rotation planner and the assignment engine alike.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One invitation as the record sees it (from past history or from the service's events).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Participation {
    /// Event reference (code of a past or current event).
    pub event: String,
    /// Event date.
    pub date: NaiveDate,
    /// accepted, declined, no_response, pending.
    pub response: String,
    /// attended, no_show or empty.
    pub attendance: String,
    /// Ratings (expertise, diligence, fairness) when attended and rated.
    pub ratings: Option<[u8; 3]>,
}

/// Days in one window of the rolling cap: a window is `[start, start + 364]`.
pub const WINDOW_DAYS: i64 = 365;

/// Whether a participation fills a seat against the cap (a pending invitation holds one).
fn counts_against_cap(p: &Participation) -> bool {
    matches!(p.response.as_str(), "accepted" | "pending")
}

/// The rolling 12-month figure for a new review on `date`: the most reviews (accepted or
/// pending) that any 365-day window containing `date` already holds. A new review is allowed
/// when this plus one stays within the cap, so every window containing it keeps to the cap;
/// two reviews 709 days apart never share a window, so they never add up.
pub fn reviews_in_window(all: &[Participation], date: NaiveDate) -> u32 {
    let span = chrono::Duration::days(WINDOW_DAYS - 1);
    let mut dates: Vec<NaiveDate> = all
        .iter()
        .filter(|p| counts_against_cap(p) && p.date >= date - span && p.date <= date + span)
        .map(|p| p.date)
        .collect();
    dates.sort_unstable();
    // A window's count only rises when its end reaches a review, so the busiest window
    // containing `date` ends on `date` itself or on a later review within reach.
    let ends = std::iter::once(date).chain(dates.iter().copied().filter(|&d| d >= date));
    ends.map(|end| {
        let start = end - span;
        dates.iter().filter(|&&d| d >= start && d <= end).count() as u32
    })
    .max()
    .unwrap_or(0)
}

/// Whether one more review on `date` keeps every 365-day window containing it within `cap`.
pub fn within_cap(all: &[Participation], date: NaiveDate, cap: u32) -> bool {
    reviews_in_window(all, date) < cap
}

/// The figures of one expert's record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    /// Invitations per calendar year.
    pub invitations_per_year: BTreeMap<i32, u32>,
    /// Accepted.
    pub accepted: u32,
    /// Declined.
    pub declined: u32,
    /// No answer.
    pub no_response: u32,
    /// Accepted but did not come.
    pub no_shows: u32,
    /// Mean ratings (expertise, diligence, fairness) over all rated reviews.
    pub mean_ratings: Option<[f64; 3]>,
    /// Mean of the three criteria.
    pub mean_rating: Option<f64>,
    /// Reviews in the rolling 12-month window (see [`reviews_in_window`]).
    pub reviews_12_months: u32,
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Computes the record on `today`.
pub fn record(all: &[Participation], today: NaiveDate) -> Record {
    let mut per_year = BTreeMap::new();
    for p in all {
        *per_year.entry(p.date.year()).or_insert(0) += 1;
    }
    let count = |f: &dyn Fn(&Participation) -> bool| all.iter().filter(|p| f(p)).count() as u32;
    let rated: Vec<[u8; 3]> = all.iter().filter_map(|p| p.ratings).collect();
    let per = |i: usize| mean(&rated.iter().map(|r| r[i] as f64).collect::<Vec<_>>());
    let mean_ratings = match (per(0), per(1), per(2)) {
        (Some(a), Some(b), Some(c)) => Some([a, b, c]),
        _ => None,
    };
    Record {
        invitations_per_year: per_year,
        accepted: count(&|p| p.response == "accepted"),
        declined: count(&|p| p.response == "declined"),
        no_response: count(&|p| p.response == "no_response"),
        no_shows: count(&|p| p.attendance == "no_show"),
        mean_rating: mean_ratings.map(|m| (m[0] + m[1] + m[2]) / 3.0),
        mean_ratings,
        reviews_12_months: reviews_in_window(all, today),
    }
}

/// Thresholds of the flags, per pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagRules {
    /// No-shows within 12 months that raise `no_shows`.
    pub no_shows_12_months: u32,
    /// Mean rating below this over the last rated reviews raises `low_rating`.
    pub low_rating_below: f64,
    /// How many of the last rated reviews count.
    pub low_rating_last: usize,
    /// Decline share above this over the last invitations raises `declines`.
    pub decline_rate_above: f64,
    /// How many of the last invitations count.
    pub decline_last: usize,
    /// Age at which a member is flagged `age`.
    pub max_age: i32,
    /// Days before the end of term that raise `term_ending`.
    pub term_ending_days: i64,
    /// Years without a profile update that raise `profile_stale`.
    pub profile_stale_years: i32,
}

impl FlagRules {
    /// The defaults of a pool: the age flag at 70 for the review pool, 75 for the advisory
    /// pool (its entry limit is higher too).
    pub fn default_for(pool: super::membership::Pool) -> Self {
        FlagRules {
            max_age: if pool == super::membership::Pool::Advisory {
                75
            } else {
                70
            },
            ..Default::default()
        }
    }
}

impl Default for FlagRules {
    fn default() -> Self {
        FlagRules {
            no_shows_12_months: 2,
            low_rating_below: 3.0,
            low_rating_last: 5,
            decline_rate_above: 0.6,
            decline_last: 10,
            max_age: 70,
            term_ending_days: 90,
            profile_stale_years: 2,
        }
    }
}

/// A raised flag.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    /// `no_shows`, `low_rating`, `declines`, `age`, `term_ending`, `profile_stale`.
    pub code: &'static str,
    /// What was found against which threshold.
    pub detail: String,
}

/// What the flags look at besides the record.
pub struct Facts {
    /// Year of birth.
    pub birth_year: i32,
    /// End of the current term, if any.
    pub term_end: Option<NaiveDate>,
    /// Last profile update.
    pub profile_updated: Option<NaiveDate>,
}

/// Flags raised on `today`, each with the rule that raised it.
pub fn flags(
    all: &[Participation],
    facts: &Facts,
    rules: &FlagRules,
    today: NaiveDate,
) -> Vec<Flag> {
    let mut out = Vec::new();
    let year_ago = today - chrono::Duration::days(365);
    let no_shows = all
        .iter()
        .filter(|p| p.attendance == "no_show" && p.date > year_ago && p.date <= today)
        .count() as u32;
    if no_shows >= rules.no_shows_12_months {
        out.push(Flag {
            code: "no_shows",
            detail: format!(
                "{no_shows} no-shows in the last 12 months (threshold {})",
                rules.no_shows_12_months
            ),
        });
    }
    let mut by_date: Vec<&Participation> = all.iter().filter(|p| p.date <= today).collect();
    by_date.sort_by_key(|p| std::cmp::Reverse(p.date));
    let last_rated: Vec<f64> = by_date
        .iter()
        .filter_map(|p| p.ratings)
        .take(rules.low_rating_last)
        .map(|r| (r[0] + r[1] + r[2]) as f64 / 3.0)
        .collect();
    if last_rated.len() >= rules.low_rating_last {
        let m = last_rated.iter().sum::<f64>() / last_rated.len() as f64;
        if m < rules.low_rating_below {
            out.push(Flag {
                code: "low_rating",
                detail: format!(
                    "mean rating {m:.2} over the last {} rated reviews (below {})",
                    last_rated.len(),
                    rules.low_rating_below
                ),
            });
        }
    }
    let answered: Vec<&&Participation> = by_date
        .iter()
        .filter(|p| p.response != "pending")
        .take(rules.decline_last)
        .collect();
    if answered.len() >= rules.decline_last {
        let declines = answered
            .iter()
            .filter(|p| matches!(p.response.as_str(), "declined" | "no_response"))
            .count();
        let rate = declines as f64 / answered.len() as f64;
        if rate > rules.decline_rate_above {
            out.push(Flag { code: "declines", detail: format!("{declines} of the last {} invitations declined or unanswered ({:.0} %, above {:.0} %)", answered.len(), rate * 100.0, rules.decline_rate_above * 100.0) });
        }
    }
    let age = today.year() - facts.birth_year;
    if age > rules.max_age {
        out.push(Flag {
            code: "age",
            detail: format!("age {age} is over the pool's limit of {}", rules.max_age),
        });
    }
    if let Some(end) = facts.term_end {
        let days = (end - today).num_days();
        if days <= rules.term_ending_days {
            out.push(Flag {
                code: "term_ending",
                detail: if days < 0 {
                    format!("term ended {end}")
                } else {
                    format!("term ends {end}, in {days} days")
                },
            });
        }
    }
    if let Some(updated) = facts.profile_updated {
        if updated
            .with_year(updated.year() + rules.profile_stale_years)
            .is_some_and(|due| due <= today)
        {
            out.push(Flag {
                code: "profile_stale",
                detail: format!(
                    "profile last updated {updated} (more than {} years ago)",
                    rules.profile_stale_years
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn p(date: &str, response: &str, attendance: &str, rating: Option<u8>) -> Participation {
        Participation {
            event: format!("EV-{date}"),
            date: d(date),
            response: response.into(),
            attendance: attendance.into(),
            ratings: rating.map(|r| [r, r, r]),
        }
    }

    fn facts() -> Facts {
        Facts {
            birth_year: 1970,
            term_end: Some(d("2029-01-01")),
            profile_updated: Some(d("2026-01-01")),
        }
    }

    fn codes(all: &[Participation], f: &Facts) -> Vec<&'static str> {
        flags(all, f, &FlagRules::default(), d("2026-11-24"))
            .iter()
            .map(|f| f.code)
            .collect()
    }

    #[test]
    fn no_shows_flag_at_two_within_twelve_months_not_at_one_or_older() {
        let one = vec![p("2026-03-01", "accepted", "no_show", None)];
        assert!(codes(&one, &facts()).is_empty());
        let two = vec![
            p("2026-03-01", "accepted", "no_show", None),
            p("2026-06-01", "accepted", "no_show", None),
        ];
        assert_eq!(codes(&two, &facts()), ["no_shows"]);
        let old = vec![
            p("2025-03-01", "accepted", "no_show", None),
            p("2026-06-01", "accepted", "no_show", None),
        ];
        assert!(codes(&old, &facts()).is_empty());
    }

    #[test]
    fn low_rating_needs_five_rated_reviews_below_three() {
        let four: Vec<_> = (1..=4)
            .map(|m| p(&format!("2026-0{m}-10"), "accepted", "attended", Some(2)))
            .collect();
        assert!(
            codes(&four, &facts()).is_empty(),
            "four ratings are not enough"
        );
        let mut five = four.clone();
        five.push(p("2026-05-10", "accepted", "attended", Some(2)));
        assert_eq!(codes(&five, &facts()), ["low_rating"]);
        let mut at_three = five.clone();
        for x in &mut at_three {
            x.ratings = Some([3, 3, 3]);
        }
        assert!(
            codes(&at_three, &facts()).is_empty(),
            "exactly 3 is not below 3"
        );
    }

    #[test]
    fn decline_rate_over_sixty_percent_of_the_last_ten() {
        let mk = |declines: usize| -> Vec<Participation> {
            (0..10)
                .map(|i| {
                    p(
                        &format!("2026-{:02}-01", i + 1),
                        if i < declines { "declined" } else { "accepted" },
                        "",
                        None,
                    )
                })
                .collect()
        };
        assert!(codes(&mk(6), &facts()).is_empty(), "60 % is not above 60 %");
        assert_eq!(codes(&mk(7), &facts()), ["declines"]);
    }

    #[test]
    fn age_term_and_stale_profile_flags() {
        let f = Facts {
            birth_year: 1955,
            term_end: Some(d("2027-01-15")),
            profile_updated: Some(d("2024-11-01")),
        };
        assert_eq!(codes(&[], &f), ["age", "term_ending", "profile_stale"]);
        let f = Facts {
            birth_year: 1956,
            term_end: Some(d("2027-03-01")),
            profile_updated: Some(d("2024-12-01")),
        };
        assert!(
            codes(&[], &f).is_empty(),
            "age 70, 97 days, under two years: no flags"
        );
    }

    #[test]
    fn the_record_counts_and_the_window_includes_future_invitations() {
        let all = vec![
            p("2025-12-01", "accepted", "attended", Some(4)),
            p("2026-05-01", "declined", "", None),
            p("2026-12-15", "pending", "", None),
            p("2024-01-01", "accepted", "attended", Some(5)),
        ];
        let r = record(&all, d("2026-11-24"));
        // 2025-12-01 and 2026-12-15 are 379 days apart: no one window holds both.
        assert_eq!((r.accepted, r.declined, r.reviews_12_months), (2, 1, 1));
        assert_eq!(r.mean_rating, Some(4.5));
        assert_eq!(r.invitations_per_year[&2026], 2);
    }

    #[test]
    fn the_cap_counts_windows_of_365_days_that_contain_the_new_review() {
        let at = |day: &str| p(day, "accepted", "", None);
        let d = d("2027-06-30");
        // 709 days apart: no window holds both, so with cap 2 a third review fits.
        let apart = vec![at("2026-07-06"), at("2028-06-14")];
        assert_eq!(reviews_in_window(&apart, d), 1);
        assert!(within_cap(&apart, d, 2));
        // d − 182 and d + 182 fit in one window with d (days d−182 … d+182 are 365 days).
        let close = vec![at("2026-12-30"), at("2027-12-29")];
        assert_eq!(reviews_in_window(&close, d), 2);
        assert!(!within_cap(&close, d, 2));
        // d − 183 and d + 182 are 366 days apart: each window holds only one of them.
        let edge = vec![at("2026-12-29"), at("2027-12-29")];
        assert_eq!(reviews_in_window(&edge, d), 1);
        // The window edges themselves: d − 364 and d + 364 each share a window with d.
        let rim = vec![at("2026-07-01"), at("2028-06-28")];
        assert_eq!(reviews_in_window(&rim, d), 1);
        assert_eq!(reviews_in_window(&[at("2026-06-30")], d), 0);
        // A review ahead only (d + 1, d + 364) shares a window with d; d + 365 does not.
        assert_eq!(reviews_in_window(&[at("2027-07-01")], d), 1);
        assert_eq!(reviews_in_window(&[at("2028-06-28")], d), 1);
        assert_eq!(reviews_in_window(&[at("2028-06-29")], d), 0);
        assert_eq!(
            reviews_in_window(&[at("2027-07-01"), at("2028-06-28"), at("2027-06-01")], d),
            2
        );
        // Declines and withdrawn invitations hold no seat; pending ones do.
        let mixed = vec![
            p("2027-06-01", "declined", "", None),
            p("2027-06-02", "withdrawn", "", None),
            p("2027-06-03", "pending", "", None),
            at("2027-06-30"),
        ];
        assert_eq!(reviews_in_window(&mixed, d), 2);
    }
}
