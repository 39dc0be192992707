//! Stored draw inputs read back (`assign::stored_input`): the whole problem for a replay or a
//! supervisor, and whether what is stored still hashes to what was recorded.

use super::events::corrupt;
use super::off_thread;
use crate::assign::stored_input::{self, Stored};
use crate::assign::Problem;
use crate::error::AppResult;
use crate::store::{input_profiles, Store, StoreError};
use std::collections::BTreeMap;

/// A stored input read back.
pub struct ReadBack {
    /// The whole problem; `None` when a format-2 input's profiles are missing or do not fit
    /// its candidates (then it is not intact either).
    pub problem: Option<Problem>,
    /// The stored profiles still hash to the name the text gives them (always so for format
    /// 1, which has them inline).
    pub profiles_intact: bool,
}

/// The whole problem a stored input text describes (either format).
pub async fn problem(store: &Store, text: String) -> AppResult<ReadBack> {
    let profiles = match stored_input::profiles_hash_of(&text) {
        Some(hash) => match input_profiles::get(store, hash).await {
            Ok(profiles) => Some(profiles),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    off_thread(move || match stored_input::parse(&text).map_err(corrupt)? {
        Stored::Whole(problem) => Ok(ReadBack {
            problem: Some(*problem),
            profiles_intact: true,
        }),
        Stored::Split(split) => {
            let Some(profiles) = profiles else {
                return Ok(ReadBack {
                    problem: None,
                    profiles_intact: false,
                });
            };
            let intact = stored_input::sha256_hex(&profiles) == split.profiles_hash();
            let problem = split.join(&profiles).ok();
            Ok(ReadBack {
                profiles_intact: intact && problem.is_some(),
                problem,
            })
        }
    })
    .await?
}

/// Whether each of these texts' stored profiles still hash to their names (format-1 texts
/// name none and are left out); each distinct set is read and hashed once.
pub async fn profiles_intact<'a>(
    store: &Store,
    texts: impl Iterator<Item = &'a str>,
) -> AppResult<BTreeMap<String, bool>> {
    let mut intact = BTreeMap::new();
    for hash in texts.filter_map(stored_input::profiles_hash_of) {
        if intact.contains_key(hash) {
            continue;
        }
        let ok = match input_profiles::get(store, hash).await {
            Ok(text) => {
                let name = hash.to_string();
                off_thread(move || stored_input::sha256_hex(&text) == name).await?
            }
            Err(StoreError::NotFound) => false,
            Err(e) => return Err(e.into()),
        };
        intact.insert(hash.to_string(), ok);
    }
    Ok(intact)
}

/// A stored text's own hash check and its profiles' (from [`profiles_intact`]). A text that
/// starts as format 2 but names no well-formed hash is not intact.
pub fn intact(text: &str, hash: &str, profiles: &BTreeMap<String, bool>) -> bool {
    let profiles_ok = match stored_input::profiles_hash_of(text) {
        Some(h) => profiles.get(h).copied().unwrap_or(false),
        None => !stored_input::is_split(text),
    };
    profiles_ok && stored_input::sha256_hex(text) == hash
}
