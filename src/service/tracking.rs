//! Records, flags, the rotation planner and the pool dashboard (DESIGN §2), all computed from
//! `domain::tracking` over the store's participations and memberships.

use crate::domain::expert::ExpertProfile;
use crate::domain::membership::{MembershipState, Pool};
use crate::domain::tracking::{flags, record, Facts, Flag, FlagRules, Participation, Record};
use crate::domain::{ExpertId, ValidationError};
use crate::error::AppResult;
use crate::service::memberships::{self, DecisionInput};
use crate::store::audit::{self, Actor};
use crate::store::memberships::{roster, RosterFilter};
use crate::store::{experts, tracking, Store};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// An expert's record and the flags of their active memberships.
#[derive(Debug, Serialize)]
pub struct ExpertRecord {
    /// The figures.
    pub record: Record,
    /// Flags per pool where the expert is active.
    pub flags: BTreeMap<String, Vec<Flag>>,
    /// Participations, newest first (staff view: the events served on).
    pub participations: Vec<Participation>,
}

fn date_of(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}

fn facts(profile: &ExpertProfile, updated_at: &str, term_end: Option<&str>) -> Facts {
    Facts {
        birth_year: profile.birth_year,
        term_end: term_end.and_then(date_of),
        profile_updated: date_of(updated_at),
    }
}

/// The record of one expert on `today`.
pub async fn expert_record(
    store: &Store,
    expert: ExpertId,
    today: NaiveDate,
) -> AppResult<ExpertRecord> {
    let mut conn = store.pool.acquire().await?;
    let stored = experts::get(&mut conn, expert).await?;
    let mut all = tracking::of_expert(&mut conn, expert.0).await?;
    drop(conn);
    all.sort_by_key(|p| std::cmp::Reverse(p.date));
    let mut by_pool = BTreeMap::new();
    for m in crate::store::memberships::for_expert(store, expert).await? {
        if m.state == MembershipState::Active {
            let rules = tracking::flag_rules(store, m.pool).await?;
            by_pool.insert(
                m.pool.as_str().to_string(),
                flags(
                    &all,
                    &facts(&stored.profile, &stored.updated_at, m.term_end.as_deref()),
                    &rules,
                    today,
                ),
            );
        }
    }
    Ok(ExpertRecord {
        record: record(&all, today),
        flags: by_pool,
        participations: all,
    })
}

/// A pool member with what the planner and the dashboard need.
#[derive(Debug, Clone, Serialize)]
pub struct MemberLine {
    /// Membership id.
    pub membership_id: i64,
    /// Expert row id.
    pub expert_id: i64,
    /// Expert code.
    pub code: String,
    /// Name.
    pub name: String,
    /// State.
    pub state: String,
    /// Term end.
    pub term_end: Option<String>,
    /// First-level disciplines.
    pub fields: Vec<String>,
    /// Region.
    pub region: String,
    /// Title.
    pub title: String,
    /// Gender.
    pub gender: String,
    /// Age on the date.
    pub age: i32,
    /// Reviews in the rolling 12 months.
    pub reviews_12_months: u32,
    /// Flags (active members).
    pub flags: Vec<Flag>,
}

/// The pool's members (each expert's latest membership) and every expert's participations.
async fn members(
    store: &Store,
    pool: Pool,
    date: NaiveDate,
) -> AppResult<(
    Vec<MemberLine>,
    std::sync::Arc<HashMap<i64, Vec<Participation>>>,
)> {
    let lines = roster(store, pool, &RosterFilter::default()).await?.lines;
    let registry = experts::all(store).await?;
    let profiles: HashMap<i64, &crate::store::experts::StoredExpert> =
        registry.iter().map(|e| (e.id.0, e)).collect();
    let participations = tracking::all(store).await?;
    let rules = tracking::flag_rules(store, pool).await?;
    let empty = Vec::new();
    // Only each expert's latest membership in the pool counts (older ones are history).
    let mut latest: BTreeMap<i64, &crate::store::memberships::RosterLine> = BTreeMap::new();
    for l in &lines {
        if latest
            .get(&l.expert_id)
            .is_none_or(|x| x.membership_id < l.membership_id)
        {
            latest.insert(l.expert_id, l);
        }
    }
    let lines: Vec<MemberLine> = latest
        .values()
        .filter_map(|l| {
            let e = profiles.get(&l.expert_id)?;
            let all = participations.get(&l.expert_id).unwrap_or(&empty);
            let mut fields: Vec<String> = e
                .profile
                .disciplines
                .iter()
                .map(|d| d.first_level().to_string())
                .collect();
            fields.dedup();
            Some(MemberLine {
                membership_id: l.membership_id,
                expert_id: l.expert_id,
                code: l.code.clone(),
                name: l.name.clone(),
                state: l.state.clone(),
                term_end: l.term_end.clone(),
                fields,
                region: l.region.clone(),
                title: l.title.clone(),
                gender: e.profile.gender.as_str().to_string(),
                age: date.year() - e.profile.birth_year,
                reviews_12_months: crate::domain::tracking::reviews_in_window(all, date),
                flags: if l.state == "active" {
                    flags(
                        all,
                        &facts(&e.profile, &e.updated_at, l.term_end.as_deref()),
                        &rules,
                        date,
                    )
                } else {
                    vec![]
                },
            })
        })
        .collect();
    Ok((lines, participations))
}

/// Counts by dimension (discipline first level, region, title, gender, age band).
pub type Composition = BTreeMap<&'static str, BTreeMap<String, usize>>;

/// The composition of a set of members.
pub fn composition<'a>(members: impl Iterator<Item = &'a MemberLine>) -> Composition {
    let mut out: Composition = BTreeMap::new();
    for m in members {
        let mut add = |dim: &'static str, key: String| {
            *out.entry(dim).or_default().entry(key).or_default() += 1
        };
        for f in &m.fields {
            add("discipline", f.clone());
        }
        add("region", m.region.clone());
        add("title", m.title.clone());
        add("gender", m.gender.clone());
        add("age", age_band(m.age).into());
    }
    out
}

/// Age bands of the dashboard.
pub fn age_band(age: i32) -> &'static str {
    match age {
        ..=39 => "<40",
        40..=49 => "40-49",
        50..=59 => "50-59",
        60..=65 => "60-65",
        66..=70 => "66-70",
        _ => ">70",
    }
}

/// An applicant and how much they would thin out the pool's thinnest disciplines and regions.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// The applicant.
    #[serde(flatten)]
    pub member: MemberLine,
    /// Higher fills thinner spots.
    pub score: f64,
}

/// A rotation plan for a pool at a date.
#[derive(Debug, Serialize)]
pub struct Plan {
    /// Pool.
    pub pool: Pool,
    /// Date.
    pub date: NaiveDate,
    /// Active members whose term ends by the date.
    pub expiring: Vec<MemberLine>,
    /// Active members with flags (not already expiring).
    pub flagged: Vec<MemberLine>,
    /// Applications, best fit for the pool's gaps first.
    pub applicants: Vec<Candidate>,
    /// Active members now.
    pub active: usize,
    /// Composition of the active members now.
    pub before: Composition,
    /// The pool's newcomer target, in percent of the members after a rotation.
    pub newcomer_target_percent: u32,
    /// Approvals needed to reach it if every expiring term ends.
    pub newcomers_needed: usize,
}

/// How far a set of decisions renews the pool.
#[derive(Debug, Clone, Serialize)]
pub struct Renewal {
    /// Applications approved.
    pub newcomers: usize,
    /// Active members after the decisions.
    pub members_after: usize,
    /// Newcomers' share of them, in percent.
    pub share_percent: f64,
    /// The pool's target.
    pub target_percent: u32,
    /// Whether the share reaches the target.
    pub met: bool,
}

/// A plan's effect: the composition before and after, and the renewal.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    /// Active members now.
    pub before: Composition,
    /// Active members after the decisions.
    pub after: Composition,
    /// Newcomers against the target.
    pub renewal: Renewal,
}

/// Builds the plan.
pub async fn plan(store: &Store, pool: Pool, date: NaiveDate) -> AppResult<Plan> {
    let (all, _) = members(store, pool, date).await?;
    let active: Vec<&MemberLine> = all.iter().filter(|m| m.state == "active").collect();
    let before = composition(active.iter().copied());
    // Suspended members' terms end too: a suspension does not extend a term.
    let expiring: Vec<MemberLine> = all
        .iter()
        .filter(|m| m.state == "active" || m.state == "suspended")
        .filter(|m| {
            m.term_end
                .as_deref()
                .and_then(date_of)
                .is_some_and(|end| end <= date)
        })
        .map(|m| (*m).clone())
        .collect();
    let flagged: Vec<MemberLine> = active
        .iter()
        .filter(|m| {
            !m.flags.is_empty() && !expiring.iter().any(|x| x.membership_id == m.membership_id)
        })
        .map(|m| (*m).clone())
        .collect();
    let count = |dim: &str, key: &str| {
        before
            .get(dim)
            .and_then(|d| d.get(key))
            .copied()
            .unwrap_or(0) as f64
    };
    let mut applicants: Vec<Candidate> = all
        .iter()
        .filter(|m| m.state == "applied")
        .map(|m| {
            let fields: f64 = m
                .fields
                .iter()
                .map(|f| 1.0 / (1.0 + count("discipline", f)))
                .sum();
            let score = fields + 1.0 / (1.0 + count("region", &m.region));
            Candidate {
                member: m.clone(),
                score: (score * 1000.0).round() / 1000.0,
            }
        })
        .collect();
    applicants.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.member.code.cmp(&b.member.code))
    });
    let target = crate::store::memberships::rules(&mut *store.pool.acquire().await?, pool)
        .await?
        .newcomer_share_percent;
    let staying = active
        .iter()
        .filter(|m| !expiring.iter().any(|x| x.membership_id == m.membership_id))
        .count();
    Ok(Plan {
        pool,
        date,
        newcomers_needed: crate::domain::membership::newcomers_needed(staying, target),
        newcomer_target_percent: target,
        expiring,
        flagged,
        applicants,
        active: active.len(),
        before,
    })
}

/// One decision of a plan.
#[derive(Debug, Clone, Deserialize)]
pub struct PlanDecision {
    /// Membership.
    pub membership_id: i64,
    /// The decision (exit with a reason code, renew, approve …).
    #[serde(flatten)]
    pub decision: DecisionInput,
}

/// The composition after a plan and its renewal, for the preview. Exits and suspensions
/// leave, approvals and reinstatements join; the decisions are checked only when applied.
pub async fn preview(
    store: &Store,
    pool: Pool,
    date: NaiveDate,
    decisions: &[PlanDecision],
) -> AppResult<Preview> {
    let (all, _) = members(store, pool, date).await?;
    let action = |id: i64| {
        decisions
            .iter()
            .find(|d| d.membership_id == id)
            .map(|d| d.decision.action.trim())
    };
    let active_after = |m: &&MemberLine| match (action(m.membership_id), m.state.as_str()) {
        (Some("exit" | "suspend"), _) => false,
        (Some("approve"), "applied") | (Some("reinstate"), "suspended") => true,
        (_, state) => state == "active",
    };
    let before = composition(all.iter().filter(|m| m.state == "active"));
    let after_members: Vec<&MemberLine> = all.iter().filter(active_after).collect();
    let newcomers = after_members
        .iter()
        .filter(|m| m.state == "applied")
        .count();
    let target = crate::store::memberships::rules(&mut *store.pool.acquire().await?, pool)
        .await?
        .newcomer_share_percent;
    let share = crate::domain::membership::newcomer_share(newcomers, after_members.len());
    Ok(Preview {
        before,
        after: composition(after_members.iter().copied()),
        renewal: Renewal {
            newcomers,
            members_after: after_members.len(),
            share_percent: share,
            target_percent: target,
            met: share >= target as f64,
        },
    })
}

/// Applies a plan in one transaction: any failure leaves the pool unchanged.
pub async fn apply(
    store: &Store,
    actor: &Actor,
    decider: Option<ExpertId>,
    pool: Pool,
    decisions: &[PlanDecision],
) -> AppResult<usize> {
    if decisions.is_empty() {
        return Err(ValidationError::new("decisions", "tick at least one line of the plan").into());
    }
    let pairs: Vec<(i64, DecisionInput)> = decisions
        .iter()
        .map(|d| (d.membership_id, d.decision.clone()))
        .collect();
    let n = memberships::decide_many(store, actor, decider, Some(pool), &pairs).await?;
    let mut tx = store.begin_write().await?;
    audit::record(
        &mut tx,
        actor,
        "pool.rotation",
        "pool",
        pool.as_str(),
        None,
        Some(&serde_json::json!({"decisions": n})),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// The numbers behind the pool dashboard.
#[derive(Debug, Serialize)]
pub struct Dashboard {
    /// Memberships by state.
    pub by_state: BTreeMap<String, usize>,
    /// Active members by dimension.
    pub composition: Composition,
    /// Reviews in the last 12 months per active member: review count → members.
    pub reviews_histogram: BTreeMap<u32, usize>,
    /// Per quarter: (invitations, accepted) of the pool's members.
    pub acceptance: BTreeMap<String, (usize, usize)>,
}

/// The dashboard of a pool on `date`.
pub async fn dashboard(store: &Store, pool: Pool, date: NaiveDate) -> AppResult<Dashboard> {
    let (all, participations) = members(store, pool, date).await?;
    let mut by_state = BTreeMap::new();
    for m in &all {
        *by_state.entry(m.state.clone()).or_default() += 1;
    }
    let active: Vec<&MemberLine> = all.iter().filter(|m| m.state == "active").collect();
    let mut histogram = BTreeMap::new();
    for m in &active {
        *histogram.entry(m.reviews_12_months).or_default() += 1;
    }
    let mut acceptance: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for list in all.iter().filter_map(|m| participations.get(&m.expert_id)) {
        for p in list
            .iter()
            .filter(|p| p.date <= date && p.response != "pending")
        {
            let q = format!("{}-Q{}", p.date.year(), (p.date.month0() / 3) + 1);
            let e = acceptance.entry(q).or_default();
            e.0 += 1;
            if p.response == "accepted" {
                e.1 += 1;
            }
        }
    }
    Ok(Dashboard {
        by_state,
        composition: composition(active.into_iter()),
        reviews_histogram: histogram,
        acceptance,
    })
}

/// Replaces a pool's flag thresholds.
pub async fn set_flag_rules(
    store: &Store,
    actor: &Actor,
    pool: Pool,
    rules: FlagRules,
) -> AppResult<FlagRules> {
    if !(0.0..=5.0).contains(&rules.low_rating_below)
        || !(0.0..=1.0).contains(&rules.decline_rate_above)
        || rules.low_rating_last == 0
        || rules.decline_last == 0
    {
        return Err(
            ValidationError::new("rules", "ratings 0–5, rates 0–1, windows at least 1").into(),
        );
    }
    let mut tx = store.begin_write().await?;
    tracking::set_flag_rules(&mut tx, pool, &rules, actor).await?;
    audit::record(
        &mut tx,
        actor,
        "pool.flag_rules",
        "pool",
        pool.as_str(),
        None,
        serde_json::to_value(&rules).ok().as_ref(),
    )
    .await?;
    tx.commit().await?;
    Ok(rules)
}
