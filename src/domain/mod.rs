//! Pure domain types: parsed once at the edge, trusted everywhere else. No I/O, no web, no SQL.

pub mod discipline;
pub mod expert;
pub mod ids;
pub mod organization;
pub mod user;
pub mod validation;

pub use discipline::DisciplineCode;
pub use ids::{ExpertId, UserId};
pub use validation::ValidationError;
