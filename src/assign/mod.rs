//! The assignment engine (DESIGN §5–§8): pure, deterministic, no I/O.
//!
//! `Problem` (fully materialized input) → [`draw`] → `DrawResult` or a typed
//! [`DrawError`] with a diagnosis. Conflicts and expertise fit are computed here too, so that
//! the web service, the CLI and the tests all share one implementation of every rule.

pub mod alternates;
pub mod check;
pub mod conflict;
pub mod diagnose;
pub mod draw;
pub mod eligibility;
pub mod explain;
pub mod fit;
pub mod flow;
pub mod lp;
pub mod model;
pub mod network;
pub mod openreview;
pub mod presets;
pub mod problem;
pub mod profiles;
pub mod rules;
pub mod stored_input;
#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;
pub mod text;

pub use draw::{
    draw, draw_with, replace, solve_analyzed, DrawError, DrawOutcome, DrawResult, PanelResult,
};
pub use eligibility::{analyze, analyze_with, Analysis};
pub use problem::{Candidate, FitBasis, Item, PanelSpec, Problem, TeamMember};
pub use profiles::ProfileIndex;
pub use rules::{Filter, Rules};

/// Bumped whenever a change could alter a draw's result for the same input and seed; stored
/// with every draw so a replay can tell "different engine" from "tampered input".
pub const ENGINE_VERSION: &str = "1";
