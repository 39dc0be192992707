//! Default panel rules per event kind (DESIGN §4 typical sizes, §6), which staff then edit.

use super::rules::{ConflictMode, Filter, LeaderRule, MinCount, MinShare, Rules};
use crate::domain::event::{EventKind, EventMode};
use crate::domain::expert::{ExpertType, Gender, Region, Title};

fn titles(t: &[Title]) -> Filter {
    Filter {
        title: t.to_vec(),
        ..Filter::default()
    }
}

fn types(t: &[ExpertType]) -> Filter {
    Filter {
        types: t.to_vec(),
        ..Filter::default()
    }
}

fn outside_city() -> Filter {
    Filter {
        region: vec![Region::Province, Region::Outside],
        ..Filter::default()
    }
}

/// Hours an invited expert has to answer, by kind: a day for the frequent project reviews, two
/// for awards and appraisals, three for strategy consultations with senior advisers.
pub fn answer_hours(kind: EventKind) -> u32 {
    match kind {
        EventKind::Application | EventKind::Acceptance => 24,
        EventKind::Award | EventKind::Appraisal => 48,
        EventKind::Consulting => 72,
    }
}

/// The rules an event of this kind and mode starts with.
pub fn default_rules(kind: EventKind, mode: EventMode) -> Rules {
    let senior = || titles(&[Title::Senior]);
    let third_outside = || MinShare {
        filter: outside_city(),
        numerator: 1,
        denominator: 3,
    };
    let mut rules = match kind {
        EventKind::Application => Rules {
            panel_size: 5,
            min_count: vec![MinCount {
                filter: senior(),
                count: 2,
            }],
            min_share: vec![third_outside()],
            leader: Some(LeaderRule { filter: senior() }),
            max_panels_per_expert: 2,
            same_slot_exclusive: true,
            ..Rules::default()
        },
        EventKind::Acceptance => Rules {
            panel_size: 5,
            min_count: vec![
                MinCount {
                    filter: types(&[ExpertType::Finance]),
                    count: 1,
                },
                MinCount {
                    filter: senior(),
                    count: 2,
                },
            ],
            min_share: vec![third_outside()],
            leader: Some(LeaderRule {
                filter: Filter {
                    title: vec![Title::Senior],
                    types: vec![ExpertType::Technical],
                    ..Filter::default()
                },
            }),
            same_slot_exclusive: true,
            min_fit_exempt_types: vec![ExpertType::Finance],
            ..Rules::default()
        },
        EventKind::Award => Rules {
            panel_size: 7,
            min_count: vec![
                MinCount {
                    filter: senior(),
                    count: 4,
                },
                MinCount {
                    filter: Filter {
                        region: vec![Region::Outside],
                        ..Filter::default()
                    },
                    count: 1,
                },
            ],
            min_share: vec![MinShare {
                filter: outside_city(),
                numerator: 1,
                denominator: 2,
            }],
            leader: Some(LeaderRule { filter: senior() }),
            conflict_mode: ConflictMode::Recuse,
            min_voting: Some(5),
            same_slot_exclusive: true,
            ..Rules::default()
        },
        EventKind::Appraisal => Rules {
            panel_size: 7,
            min_count: vec![MinCount {
                filter: senior(),
                count: 3,
            }],
            min_share: vec![third_outside()],
            leader: Some(LeaderRule { filter: senior() }),
            same_slot_exclusive: true,
            ..Rules::default()
        },
        EventKind::Consulting => Rules {
            panel_size: 9,
            max_per_org: 2,
            min_count: vec![
                MinCount {
                    filter: types(&[ExpertType::Management]),
                    count: 1,
                },
                MinCount {
                    filter: types(&[ExpertType::Finance]),
                    count: 1,
                },
                MinCount {
                    filter: senior(),
                    count: 5,
                },
            ],
            min_share: vec![
                third_outside(),
                MinShare {
                    filter: Filter {
                        gender: vec![Gender::Female],
                        ..Filter::default()
                    },
                    numerator: 2,
                    denominator: 5,
                },
            ],
            leader: Some(LeaderRule { filter: senior() }),
            conflict_mode: ConflictMode::Recuse,
            min_voting: Some(7),
            min_fit: 0.0,
            ..Rules::default()
        },
    };
    if mode == EventMode::Individual {
        // Correspondence review: three reviewers per item, no meeting, no leader.
        rules.panel_size = 3;
        rules.leader = None;
        rules.min_count = vec![MinCount {
            filter: senior(),
            count: 1,
        }];
        rules.min_share.clear();
        rules.conflict_mode = ConflictMode::Strict;
        rules.min_voting = None;
        rules.max_panels_per_expert = 6;
        rules.same_slot_exclusive = false;
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid_and_acceptance_needs_a_finance_expert() {
        for &kind in EventKind::ALL {
            for &mode in EventMode::ALL {
                default_rules(kind, mode)
                    .validate()
                    .unwrap_or_else(|e| panic!("{kind}/{mode}: {e}"));
            }
        }
        let acc = default_rules(EventKind::Acceptance, EventMode::Panel);
        assert!(acc
            .min_count
            .iter()
            .any(|m| m.filter.types == vec![ExpertType::Finance]));
        assert_eq!(
            default_rules(EventKind::Application, EventMode::Individual).panel_size,
            3
        );
    }
}
