//! How a draw's input is stored, so that it can be replayed and checked.
//!
//! **Format 1** (every draw stored before format 2) is the problem's canonical JSON, every
//! candidate's profile inline; its hash is [`Problem::input_hash`]. At province scale that is
//! 29 MB per draw, almost all of it profiles that every draw of the same registry repeats.
//!
//! **Format 2** keeps the profiles apart, as one JSON array named by its SHA-256 and stored
//! once for every draw made from the same registry ([`profiles_json`]), and stores the rest:
//! the array's hash, each candidate's standing in the event (in the array's order) and every
//! other part of the problem. The input's hash is taken over this text, which names the
//! profiles' hash, so an edit of either shows: the stored text no longer hashes to the input
//! hash, or the profiles no longer hash to the name the text gives them.

use super::problem::{Busy, Candidate, CandidateProfile, Problem};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What the text of a stored input holds.
pub enum Stored {
    /// Format 1: the whole problem.
    Whole(Box<Problem>),
    /// Format 2: everything but the profiles, which [`Split::join`] puts back.
    Split(Box<Split>),
}

/// A format-2 input without its profiles.
#[derive(Serialize, Deserialize)]
pub struct Split {
    /// Always 2 (and first, so a reader tells the formats apart by the text's start).
    stored_input: u32,
    /// SHA-256 of the profiles' JSON array.
    profiles: String,
    /// Each candidate's standing in the event, in the profiles' order.
    standings: Vec<Standing>,
    /// The problem, its candidates left empty.
    #[serde(flatten)]
    problem: Problem,
}

/// What a candidate brings to one event besides the profile.
#[derive(Serialize, Deserialize)]
struct Standing {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    inactive_reason: Option<String>,
    recent_reviews: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    busy: Vec<Busy>,
}

const FORMAT_2_START: &str = "{\"stored_input\":2,";

/// Hex SHA-256 of a text: every hash of the stored input is this one.
pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The candidates' profiles as stored apart: a JSON array, in the candidates' order.
pub fn profiles_json<'a>(
    profiles: impl Iterator<Item = &'a CandidateProfile>,
) -> serde_json::Result<String> {
    serde_json::to_string(&profiles.collect::<Vec<_>>())
}

/// The profiles' hash a format-2 text names, read off its start (the chain check reads it for
/// every draw without parsing the rest).
pub fn profiles_hash_of(text: &str) -> Option<&str> {
    let rest = text
        .strip_prefix(FORMAT_2_START)?
        .strip_prefix("\"profiles\":\"")?;
    rest.get(..64)
        .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The format-2 text of `problem`, whose profiles are stored as `profiles_hash` names them.
pub fn split_json(problem: &Problem, profiles_hash: &str) -> serde_json::Result<String> {
    let standings = problem
        .candidates
        .iter()
        .map(|c| Standing {
            inactive_reason: c.inactive_reason.clone(),
            recent_reviews: c.recent_reviews,
            busy: c.busy.clone(),
        })
        .collect();
    let shell = problem.clone_without_candidates();
    serde_json::to_string(&Split {
        stored_input: 2,
        profiles: profiles_hash.to_string(),
        standings,
        problem: shell,
    })
}

/// Whether a stored text is in format 2 (by its start: format 1 always starts with `"event"`).
pub fn is_split(text: &str) -> bool {
    text.starts_with(FORMAT_2_START)
}

/// Reads a stored input of either format.
pub fn parse(text: &str) -> serde_json::Result<Stored> {
    if is_split(text) {
        Ok(Stored::Split(Box::new(serde_json::from_str(text)?)))
    } else {
        Ok(Stored::Whole(Box::new(serde_json::from_str(text)?)))
    }
}

impl Split {
    /// The hash naming the profiles this input was made with.
    pub fn profiles_hash(&self) -> &str {
        &self.profiles
    }

    /// The problem's rules (for pages that show only them).
    pub fn problem_shell(&self) -> &Problem {
        &self.problem
    }

    /// The whole problem, given the stored profiles' text (whether that still hashes to
    /// [`Split::profiles_hash`] is the caller's check: a replay reports it).
    pub fn join(self, profiles_text: &str) -> Result<Problem, String> {
        let profiles: Vec<CandidateProfile> =
            serde_json::from_str(profiles_text).map_err(|e| e.to_string())?;
        if profiles.len() != self.standings.len() {
            return Err(format!(
                "{} profiles stored for {} candidates",
                profiles.len(),
                self.standings.len()
            ));
        }
        let mut problem = self.problem;
        problem.candidates = profiles
            .into_iter()
            .zip(self.standings)
            .map(|(profile, s)| Candidate {
                profile: Arc::new(profile),
                inactive_reason: s.inactive_reason,
                recent_reviews: s.recent_reviews,
                busy: s.busy,
            })
            .collect();
        Ok(problem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assign::testkit::{candidate, item, problem};

    fn sample() -> Problem {
        let mut p = problem(
            vec![item("P1", "app1", &[]), item("P2", "app2", &[])],
            (0..5)
                .map(|e| candidate(&format!("E{e}"), &format!("专家{e}"), "org1"))
                .collect(),
        );
        p.candidates[1].inactive_reason = Some("suspended".into());
        p.candidates[2].recent_reviews = 4;
        p.seed = 12345678901234567890;
        p
    }

    #[test]
    fn format_2_gives_back_the_whole_problem() {
        let p = sample();
        let profiles = profiles_json(p.candidates.iter().map(|c| &*c.profile)).unwrap();
        let hash = sha256_hex(&profiles);
        let text = split_json(&p, &hash).unwrap();
        assert!(text.starts_with(FORMAT_2_START), "{}", &text[..40]);
        assert_eq!(profiles_hash_of(&text), Some(hash.as_str()));
        let Stored::Split(split) = parse(&text).unwrap() else {
            panic!("format 2 read as format 1");
        };
        assert_eq!(split.profiles_hash(), hash);
        assert_eq!(split.join(&profiles).unwrap(), p);
        // Stored again, the same text: its hash is a fingerprint.
        assert_eq!(split_json(&p, &hash).unwrap(), text);
    }

    #[test]
    fn format_1_still_reads() {
        let p = sample();
        let text = serde_json::to_string(&p).unwrap();
        let Stored::Whole(whole) = parse(&text).unwrap() else {
            panic!("format 1 read as format 2");
        };
        assert_eq!(*whole, p);
    }

    #[test]
    fn a_missing_profile_is_refused() {
        let p = sample();
        let four = profiles_json(p.candidates[..4].iter().map(|c| &*c.profile)).unwrap();
        let text = split_json(&p, &sha256_hex(&four)).unwrap();
        let Stored::Split(split) = parse(&text).unwrap() else {
            panic!("format 1");
        };
        assert!(split.join(&four).unwrap_err().contains("4 profiles"));
        assert_eq!(profiles_hash_of(&serde_json::to_string(&p).unwrap()), None);
    }
}
