//! Panel rules (DESIGN §6), in the same shape as `events.json` and the event API.

use crate::domain::expert::{ExpertType, Gender, Region, Title};
use serde::{Deserialize, Serialize};

/// Attribute filter: every present key must hold (values within a key are alternatives).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Accepted titles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub title: Vec<Title>,
    /// Accepted types (an expert matches when they have any of them).
    #[serde(default, rename = "type", skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<ExpertType>,
    /// Accepted regions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub region: Vec<Region>,
    /// Accepted genders.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gender: Vec<Gender>,
}

impl Filter {
    /// Whether an expert with these attributes passes.
    pub fn matches(
        &self,
        title: Title,
        types: &std::collections::BTreeSet<ExpertType>,
        region: Region,
        gender: Gender,
    ) -> bool {
        (self.title.is_empty() || self.title.contains(&title))
            && (self.types.is_empty() || self.types.iter().any(|t| types.contains(t)))
            && (self.region.is_empty() || self.region.contains(&region))
            && (self.gender.is_empty() || self.gender.contains(&gender))
    }

    /// Whether every expert who matches `other` matches this filter too (this one is the
    /// same or wider, key by key).
    pub fn includes(&self, other: &Filter) -> bool {
        fn wider<T: PartialEq>(mine: &[T], theirs: &[T]) -> bool {
            mine.is_empty() || (!theirs.is_empty() && theirs.iter().all(|t| mine.contains(t)))
        }
        wider(&self.title, &other.title)
            && wider(&self.types, &other.types)
            && wider(&self.region, &other.region)
            && wider(&self.gender, &other.gender)
    }

    /// A short description for messages, e.g. `title=正高, type=finance`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let join = |v: Vec<&str>| v.join("|");
        if !self.title.is_empty() {
            parts.push(format!(
                "title={}",
                join(self.title.iter().map(|t| t.as_str()).collect())
            ));
        }
        if !self.types.is_empty() {
            parts.push(format!(
                "type={}",
                join(self.types.iter().map(|t| t.as_str()).collect())
            ));
        }
        if !self.region.is_empty() {
            parts.push(format!(
                "region={}",
                join(self.region.iter().map(|t| t.as_str()).collect())
            ));
        }
        if !self.gender.is_empty() {
            parts.push(format!(
                "gender={}",
                join(self.gender.iter().map(|t| t.as_str()).collect())
            ));
        }
        if parts.is_empty() {
            "any expert".into()
        } else {
            parts.join(", ")
        }
    }
}

/// At least `count` members matching `filter`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinCount {
    /// Who counts.
    pub filter: Filter,
    /// How many at least.
    pub count: u32,
}

/// At least `numerator/denominator` of the panel size (rounded up) matching `filter`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinShare {
    /// Who counts.
    pub filter: Filter,
    /// Share numerator.
    pub numerator: u32,
    /// Share denominator (> 0).
    pub denominator: u32,
}

impl MinShare {
    /// The share as a member count for a panel of `size`.
    pub fn count_for(&self, size: u32) -> u32 {
        (size * self.numerator).div_ceil(self.denominator.max(1))
    }
}

/// Who may lead a panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderRule {
    /// The leader must match this filter.
    pub filter: Filter,
}

/// How conflicts with one item of a multi-item panel are handled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConflictMode {
    /// A conflict with any item excludes the expert from the whole panel.
    #[default]
    Strict,
    /// The expert leaves the room for that item; each item keeps `min_voting` members.
    Recuse,
}

fn default_size() -> u32 {
    5
}
fn one() -> u32 {
    1
}
fn two() -> f64 {
    2.0
}
fn ten() -> u32 {
    10
}
fn three() -> i32 {
    3
}
fn default_fit() -> f64 {
    0.2
}

/// The declarative rule set of an event (DESIGN §6); defaults follow the sample events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    /// Members per panel (k).
    #[serde(default = "default_size")]
    pub panel_size: u32,
    /// At most this many members from one organization.
    #[serde(default = "one")]
    pub max_per_org: u32,
    /// Minimum counts.
    #[serde(default)]
    pub min_count: Vec<MinCount>,
    /// Minimum shares.
    #[serde(default)]
    pub min_share: Vec<MinShare>,
    /// Leader (组长) requirement; `None` in individual mode.
    #[serde(default)]
    pub leader: Option<LeaderRule>,
    /// Deputy leader (副组长), another member; its filter must be the same as, wider or
    /// narrower than the leader's, so that "two distinct people" is a count rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deputy: Option<LeaderRule>,
    /// Ranked alternates per panel = ratio × panel size.
    #[serde(default = "two")]
    pub alternate_ratio: f64,
    /// Strict or recuse.
    #[serde(default)]
    pub conflict_mode: ConflictMode,
    /// Recuse mode: non-conflicted members each item must keep.
    #[serde(default)]
    pub min_voting: Option<u32>,
    /// Workload within the event.
    #[serde(default = "one")]
    pub max_panels_per_expert: u32,
    /// Panels in the same time slot exclude each other.
    #[serde(default)]
    pub same_slot_exclusive: bool,
    /// Rolling 12-month cap on reviews (from tracking).
    #[serde(default = "ten")]
    pub max_reviews_per_12_months: u32,
    /// Minimum expertise fit for a panel.
    #[serde(default = "default_fit")]
    pub min_fit: f64,
    /// Types exempt from `min_fit` (e.g. finance on acceptance panels).
    #[serde(default)]
    pub min_fit_exempt_types: Vec<ExpertType>,
    /// Years a past employment at an applicant still conflicts.
    #[serde(default = "three")]
    pub past_org_years: i32,
    /// Years a collaboration still conflicts.
    #[serde(default = "three")]
    pub relation_years: i32,
    /// Avoidance requests an applicant may file per item.
    #[serde(default = "three")]
    pub max_requested_avoid: i32,
    /// Draw randomness: 0 = best fit only, 1 = lottery among the eligible.
    #[serde(default = "default_randomness")]
    pub randomness: f64,
    /// Weight of the fairness term that prefers experts with fewer recent reviews.
    #[serde(default = "default_fairness")]
    pub fairness_weight: f64,
}

fn default_randomness() -> f64 {
    0.2
}
fn default_fairness() -> f64 {
    0.1
}

impl Default for Rules {
    fn default() -> Self {
        serde_json::from_str("{}").unwrap_or_else(|_| unreachable!("every field has a default"))
    }
}

impl Rules {
    /// Checks the rule set is coherent; the message names the rule.
    pub fn validate(&self) -> Result<(), crate::domain::ValidationError> {
        use crate::domain::ValidationError as E;
        if self.panel_size == 0 || self.panel_size > 50 {
            return Err(E::new("panel_size", "must be between 1 and 50"));
        }
        if self.max_per_org == 0 {
            return Err(E::new("max_per_org", "must be at least 1"));
        }
        if self.max_panels_per_expert == 0 {
            return Err(E::new("max_panels_per_expert", "must be at least 1"));
        }
        for (i, m) in self.min_count.iter().enumerate() {
            if m.count > self.panel_size {
                return Err(E::new(
                    format!("min_count[{i}].count"),
                    "exceeds the panel size",
                ));
            }
        }
        for (i, m) in self.min_share.iter().enumerate() {
            if m.denominator == 0 || m.numerator > m.denominator {
                return Err(E::new(
                    format!("min_share[{i}]"),
                    "needs 0 ≤ numerator ≤ denominator, denominator > 0",
                ));
            }
        }
        if let Some(v) = self.min_voting {
            if v > self.panel_size {
                return Err(E::new("min_voting", "exceeds the panel size"));
            }
        }
        if !(0.0..=1.0).contains(&self.randomness) {
            return Err(E::new("randomness", "must be between 0 and 1"));
        }
        if !(0.0..=1.0).contains(&self.min_fit) {
            return Err(E::new("min_fit", "must be between 0 and 1"));
        }
        if !(0.0..=10.0).contains(&self.fairness_weight) {
            return Err(E::new("fairness_weight", "must be between 0 and 10"));
        }
        if !(0.0..=10.0).contains(&self.alternate_ratio) {
            return Err(E::new("alternate_ratio", "must be between 0 and 10"));
        }
        if let Some(deputy) = &self.deputy {
            if self.panel_size < 2 {
                return Err(E::new("deputy", "a deputy needs panels of at least 2"));
            }
            if let Some(leader) = &self.leader {
                if !deputy.filter.includes(&leader.filter)
                    && !leader.filter.includes(&deputy.filter)
                {
                    return Err(E::new(
                        "deputy.filter",
                        format!(
                            "must be the same as, wider or narrower than the leader's ({}), not {}",
                            leader.filter.describe(),
                            deputy.filter.describe()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Every composition requirement as (description, filter, count) for a panel.
    pub fn requirements(&self) -> Vec<(String, &Filter, u32)> {
        let k = self.panel_size;
        let mut out: Vec<(String, &Filter, u32)> = self
            .min_count
            .iter()
            .map(|m| {
                (
                    format!("at least {} with {}", m.count, m.filter.describe()),
                    &m.filter,
                    m.count,
                )
            })
            .collect();
        out.extend(self.min_share.iter().map(|m| {
            let n = m.count_for(k);
            (
                format!(
                    "at least {}/{} of {k} = {n} with {}",
                    m.numerator,
                    m.denominator,
                    m.filter.describe()
                ),
                &m.filter,
                n,
            )
        }));
        // A leader and a deputy are two people: the wider of the two filters needs two
        // matching members (the narrower one is inside it), the narrower one at least one.
        match (&self.leader, &self.deputy) {
            (Some(l), None) => out.push((
                format!("a leader with {}", l.filter.describe()),
                &l.filter,
                1,
            )),
            (None, Some(d)) => out.push((
                format!("a deputy with {}", d.filter.describe()),
                &d.filter,
                1,
            )),
            (Some(l), Some(d)) => {
                let (wide, narrow) = if d.filter.includes(&l.filter) {
                    (&d.filter, &l.filter)
                } else {
                    (&l.filter, &d.filter)
                };
                out.push((
                    format!(
                        "a leader with {} and a deputy with {}",
                        l.filter.describe(),
                        d.filter.describe()
                    ),
                    wide,
                    2,
                ));
                if narrow != wide {
                    out.push((
                        format!("a leader or deputy with {}", narrow.describe()),
                        narrow,
                        1,
                    ));
                }
            }
            (None, None) => {}
        }
        out
    }

    /// Number of ranked alternates to keep per panel.
    pub fn alternates_per_panel(&self) -> usize {
        (self.alternate_ratio * self.panel_size as f64).round() as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_rules_parse() {
        let json = r#"{"panel_size": 5, "max_per_org": 1, "min_count": [{"filter": {"type": ["finance"]}, "count": 1}],
            "min_share": [{"filter": {"region": ["province", "outside"]}, "numerator": 1, "denominator": 3}],
            "leader": {"filter": {"title": ["正高"], "type": ["technical"]}}, "alternate_ratio": 2, "conflict_mode": "strict",
            "max_panels_per_expert": 1, "same_slot_exclusive": true, "max_reviews_per_12_months": 10, "min_fit": 0.2,
            "min_fit_exempt_types": ["finance"], "past_org_years": 3, "relation_years": 3, "max_requested_avoid": 3}"#;
        let rules: Rules = serde_json::from_str(json).unwrap();
        assert_eq!(rules.min_share[0].count_for(5), 2);
        assert_eq!(rules.requirements().len(), 3);
        rules.validate().unwrap();
    }

    #[test]
    fn unknown_filter_keys_are_refused() {
        assert!(serde_json::from_str::<Filter>(r#"{"titel": ["正高"]}"#).is_err());
    }

    #[test]
    fn a_deputy_filter_must_nest_with_the_leader_filter() {
        let filter = |json: &str| serde_json::from_str::<Filter>(json).unwrap();
        let senior = filter(r#"{"title": ["正高"]}"#);
        let senior_or_associate = filter(r#"{"title": ["正高", "副高"]}"#);
        let finance = filter(r#"{"type": ["finance"]}"#);
        assert!(senior_or_associate.includes(&senior));
        assert!(!senior.includes(&senior_or_associate));
        assert!(Filter::default().includes(&finance));
        let with = |leader: &Filter, deputy: &Filter| Rules {
            leader: Some(LeaderRule {
                filter: leader.clone(),
            }),
            deputy: Some(LeaderRule {
                filter: deputy.clone(),
            }),
            ..Rules::default()
        };
        let wider = with(&senior, &senior_or_associate);
        wider.validate().unwrap();
        let counts: Vec<u32> = wider.requirements().iter().map(|r| r.2).collect();
        assert_eq!(counts, vec![2, 1], "two of 正高|副高, one of them 正高");
        let same = with(&senior, &senior);
        assert_eq!(same.requirements().len(), 1);
        assert_eq!(same.requirements()[0].2, 2);
        let err = with(&senior, &finance).validate().unwrap_err();
        assert_eq!(err.field, "deputy.filter");
    }

    #[test]
    fn incoherent_rules_name_the_rule() {
        let rules = Rules {
            min_voting: Some(9),
            ..Rules::default()
        };
        assert_eq!(rules.validate().unwrap_err().field, "min_voting");
    }
}
