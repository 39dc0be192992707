//! "Why is this expert (not) on this panel?" — fit, conflicts and rules, in one answer.

use super::draw::DrawResult;
use super::eligibility::{Analysis, Exclusion};
use super::fit::FitExplanation;
use super::problem::Problem;
use serde::Serialize;

/// A conflict as shown to staff.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConflictLine {
    /// Item key.
    pub item: String,
    /// Conflict code.
    pub code: &'static str,
    /// Reason.
    pub reason: String,
    /// Cleared by staff (a possible name-only match).
    pub cleared: bool,
}

/// The explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// Expert key.
    pub expert: String,
    /// Panel key.
    pub panel: String,
    /// Panel fit (mean over items).
    pub panel_fit: f64,
    /// Fit per item, with the matching codes and terms.
    pub fits: Vec<FitExplanation>,
    /// Conflicts with the panel's items.
    pub conflicts: Vec<ConflictLine>,
    /// The rule that excludes the expert from the panel, if any.
    pub excluded_by: Option<String>,
    /// Whether the draw seated the expert there (when a result is given).
    pub seated: Option<bool>,
    /// Rank among the alternates, 1-based (when a result is given).
    pub alternate_rank: Option<usize>,
}

fn exclusion_text(problem: &Problem, e: &Exclusion) -> String {
    match e {
        Exclusion::Inactive { reason } => format!("not an active member of the pool: {reason}"),
        Exclusion::Unavailable { date } => format!("declared unavailable on {date}"),
        Exclusion::Conflict { code } => format!("conflict of interest ({})", code.as_str()),
        Exclusion::LowFit { permille } => format!(
            "fit {:.3} is below min_fit {}",
            *permille as f64 / 1000.0,
            problem.rules.min_fit
        ),
        Exclusion::OverCap { recent } => format!(
            "{recent} reviews in one 12-month window around the event reach the cap of {}",
            problem.rules.max_reviews_per_12_months
        ),
        Exclusion::Forbidden => "removed from this panel by staff or declined it".into(),
        Exclusion::Busy { event } => {
            format!("already holds a seat in {event} in the same half-day")
        }
    }
}

/// Explains one (expert, panel) pair; `None` when either key is unknown.
pub fn explain(
    problem: &Problem,
    analysis: &Analysis,
    result: Option<&DrawResult>,
    expert: &str,
    panel: &str,
) -> Option<Explanation> {
    let ci = problem.candidates.iter().position(|c| c.key == expert)?;
    let pi = problem.panels.iter().position(|p| p.key == panel)?;
    let items = &problem.panels[pi].items;
    let excluded_by = match analysis.exclusion_of(pi, ci) {
        Some(e) => Some(exclusion_text(problem, e)),
        None if analysis.arc_of(pi, ci).is_none() => Some(format!(
            "no discipline or keyword in common with the panel's items: fit 0 is below min_fit {}",
            problem.rules.min_fit
        )),
        None => None,
    };
    let conflicts = analysis
        .conflicts_with_panel(problem, pi, ci)
        .into_iter()
        .map(|c| ConflictLine {
            item: problem.items[c.item].key.clone(),
            code: c.code.as_str(),
            reason: c.reason.clone(),
            cleared: c.cleared,
        })
        .collect();
    let panel_result = result.and_then(|r| r.panels.iter().find(|p| p.panel == panel));
    Some(Explanation {
        expert: expert.into(),
        panel: panel.into(),
        panel_fit: analysis.fit.panel_fit(items, ci),
        fits: items
            .iter()
            .map(|&ii| analysis.fit.explain(problem, ii, ci))
            .collect(),
        conflicts,
        excluded_by,
        seated: panel_result.map(|p| p.members.iter().any(|m| m.expert == expert)),
        alternate_rank: panel_result
            .and_then(|p| p.alternates.iter().position(|a| a.expert == expert))
            .map(|i| i + 1),
    })
}

impl std::fmt::Display for Explanation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} on {}: panel fit {:.3}",
            self.expert, self.panel, self.panel_fit
        )?;
        for fit in &self.fits {
            let codes = fit
                .codes
                .as_ref()
                .map(|(a, b)| format!("item {a} ~ expert {b}"))
                .unwrap_or_else(|| "no shared discipline".into());
            writeln!(
                f,
                "  {}: fit {:.3} = discipline {:.2} ({codes}) + text {:.3} (terms: {})",
                fit.item,
                fit.fit,
                fit.discipline,
                fit.text,
                if fit.terms.is_empty() {
                    "none".into()
                } else {
                    fit.terms.join(", ")
                }
            )?;
        }
        for c in &self.conflicts {
            writeln!(
                f,
                "  conflict {} with {}: {}{}",
                c.code,
                c.item,
                c.reason,
                if c.cleared { " (cleared by staff)" } else { "" }
            )?;
        }
        match &self.excluded_by {
            Some(why) => writeln!(f, "  not eligible: {why}")?,
            None => writeln!(f, "  eligible")?,
        }
        match (self.seated, self.alternate_rank) {
            (Some(true), _) => write!(f, "  seated by the draw"),
            (Some(false), Some(r)) => write!(f, "  not seated; alternate #{r}"),
            (Some(false), None) => write!(f, "  not seated: others had a higher weight (fit and the seeded lottery) or a rule left no room"),
            (None, _) => Ok(()),
        }
    }
}
