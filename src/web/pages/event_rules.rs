//! An event's rules as a form: numbers, choices and rows of minimums with checkboxes, read
//! into the engine's `Rules` field by field (the error names the field). JSON stays in the API.

use crate::assign::rules::{ConflictMode, Filter, LeaderRule, MinCount, MinShare, Rules};
use crate::domain::expert::{ExpertType, Gender, Region, Title};
use crate::domain::ValidationError;
use crate::web::i18n::{catalog, Lang};
use serde_json::{json, Value};

/// Who a rule counts: ticked values per attribute (none ticked = anyone).
#[derive(FromForm, Default)]
pub(super) struct FilterForm {
    #[field(default = Vec::new())]
    title: Vec<String>,
    #[field(default = Vec::new())]
    types: Vec<String>,
    #[field(default = Vec::new())]
    region: Vec<String>,
    #[field(default = Vec::new())]
    gender: Vec<String>,
}

/// One row of minimums: `count` (at least n) or `share` (at least a/b of the panel).
#[derive(FromForm)]
pub(super) struct MinimumForm {
    #[field(default = String::new())]
    kind: String,
    #[field(default = String::new())]
    value: String,
    filter: FilterForm,
}

/// The leader or deputy rule.
#[derive(FromForm, Default)]
pub(super) struct RoleForm {
    #[field(default = false)]
    enabled: bool,
    filter: FilterForm,
}

/// The whole form; numbers arrive as text so a wrong one is named, not refused wholesale.
#[derive(FromForm)]
pub(super) struct RulesForm {
    pub(super) csrf: String,
    panel_size: String,
    max_per_org: String,
    max_panels_per_expert: String,
    max_reviews_per_12_months: String,
    alternate_ratio: String,
    conflict_mode: String,
    #[field(default = String::new())]
    min_voting: String,
    #[field(default = false)]
    same_slot_exclusive: bool,
    min_fit: String,
    #[field(default = Vec::new())]
    min_fit_exempt_types: Vec<String>,
    past_org_years: String,
    relation_years: String,
    max_requested_avoid: String,
    randomness: String,
    fairness_weight: String,
    #[field(default = Vec::new())]
    minimum: Vec<MinimumForm>,
    leader: RoleForm,
    deputy: RoleForm,
}

fn number<T: std::str::FromStr>(field: &str, raw: &str) -> Result<T, ValidationError> {
    raw.trim()
        .parse()
        .map_err(|_| ValidationError::new(field, format!("'{}' is not a number", raw.trim())))
}

fn filter(field: &str, f: &FilterForm) -> Result<Filter, ValidationError> {
    fn each<T>(
        field: &str,
        raw: &[String],
        parse: fn(&str) -> Result<T, ValidationError>,
    ) -> Result<Vec<T>, ValidationError> {
        raw.iter()
            .map(|v| parse(v).map_err(|e| e.within(field)))
            .collect()
    }
    Ok(Filter {
        title: each(field, &f.title, Title::parse)?,
        types: each(field, &f.types, ExpertType::parse)?,
        region: each(field, &f.region, Region::parse)?,
        gender: each(field, &f.gender, Gender::parse)?,
    })
}

impl RulesForm {
    /// The rules this form describes, checked as the API checks them.
    pub(super) fn to_rules(&self) -> Result<Rules, ValidationError> {
        let mut rules = Rules {
            panel_size: number("panel_size", &self.panel_size)?,
            max_per_org: number("max_per_org", &self.max_per_org)?,
            max_panels_per_expert: number("max_panels_per_expert", &self.max_panels_per_expert)?,
            max_reviews_per_12_months: number(
                "max_reviews_per_12_months",
                &self.max_reviews_per_12_months,
            )?,
            alternate_ratio: number("alternate_ratio", &self.alternate_ratio)?,
            conflict_mode: match self.conflict_mode.as_str() {
                "strict" => ConflictMode::Strict,
                "recuse" => ConflictMode::Recuse,
                other => {
                    return Err(ValidationError::new(
                        "conflict_mode",
                        format!("'{other}' is not one of: strict, recuse"),
                    ))
                }
            },
            min_voting: match self.min_voting.trim() {
                "" => None,
                raw => Some(number("min_voting", raw)?),
            },
            same_slot_exclusive: self.same_slot_exclusive,
            min_fit: number("min_fit", &self.min_fit)?,
            min_fit_exempt_types: self
                .min_fit_exempt_types
                .iter()
                .map(|t| ExpertType::parse(t).map_err(|e| e.within("min_fit_exempt_types")))
                .collect::<Result<_, _>>()?,
            past_org_years: number("past_org_years", &self.past_org_years)?,
            relation_years: number("relation_years", &self.relation_years)?,
            max_requested_avoid: number("max_requested_avoid", &self.max_requested_avoid)?,
            randomness: number("randomness", &self.randomness)?,
            fairness_weight: number("fairness_weight", &self.fairness_weight)?,
            ..Rules::default()
        };
        for (i, row) in self.minimum.iter().enumerate() {
            let field = format!("minimum[{i}]");
            let value = row.value.trim();
            if value.is_empty() {
                continue;
            }
            let who = filter(&field, &row.filter)?;
            match row.kind.as_str() {
                "count" => rules.min_count.push(MinCount {
                    filter: who,
                    count: number(&format!("{field}.value"), value)?,
                }),
                "share" => {
                    let (a, b) = value.split_once('/').ok_or_else(|| {
                        ValidationError::new(
                            format!("{field}.value"),
                            format!("'{value}' is not a share such as 1/3"),
                        )
                    })?;
                    rules.min_share.push(MinShare {
                        filter: who,
                        numerator: number(&format!("{field}.value"), a)?,
                        denominator: number(&format!("{field}.value"), b)?,
                    });
                }
                other => {
                    return Err(ValidationError::new(
                        format!("{field}.kind"),
                        format!("'{other}' is not one of: count, share"),
                    ))
                }
            }
        }
        if self.leader.enabled {
            rules.leader = Some(LeaderRule {
                filter: filter("leader", &self.leader.filter)?,
            });
        }
        if self.deputy.enabled {
            rules.deputy = Some(LeaderRule {
                filter: filter("deputy", &self.deputy.filter)?,
            });
        }
        rules.validate()?;
        Ok(rules)
    }
}

/// What the form shows: the rules' values, the minimum rows (two empty ones to add), and the
/// values each checkbox group offers.
pub(super) fn form_view(lang: Lang, rules: &Rules) -> Value {
    let mut rows: Vec<Value> = rules
        .min_count
        .iter()
        .map(|m| json!({"kind": "count", "value": m.count.to_string(), "filter": m.filter}))
        .chain(rules.min_share.iter().map(|m| {
            json!({"kind": "share", "value": format!("{}/{}", m.numerator, m.denominator), "filter": m.filter})
        }))
        .collect();
    for _ in 0..2 {
        rows.push(json!({"kind": "count", "value": "", "filter": Filter::default()}));
    }
    let role = |r: &Option<LeaderRule>| json!({"enabled": r.is_some(), "filter": r.as_ref().map(|r| r.filter.clone()).unwrap_or_default()});
    json!({
        "rules": rules,
        "minimum": rows,
        "leader": role(&rules.leader),
        "deputy": role(&rules.deputy),
        // Labels come ready: a template cannot look up a catalog key with Chinese in it
        // (`title_正高`) without Tera slicing inside a character.
        "choices": {
            "title": choices(lang, "title_", Title::ALL.iter().map(|t| t.as_str())),
            "types": choices(lang, "type_", ExpertType::ALL.iter().map(|t| t.as_str())),
            "region": choices(lang, "region_", Region::ALL.iter().map(|t| t.as_str())),
            "gender": choices(lang, "gender_", Gender::ALL.iter().map(|t| t.as_str())),
        },
    })
}

fn choices<'a>(lang: Lang, prefix: &str, values: impl Iterator<Item = &'a str>) -> Vec<Value> {
    let t = catalog(lang.0);
    values
        .map(|v| {
            let label = t
                .get(&format!("{prefix}{v}"))
                .cloned()
                .unwrap_or_else(|| v.to_string());
            json!({"value": v, "label": label})
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> RulesForm {
        RulesForm {
            csrf: String::new(),
            panel_size: "5".into(),
            max_per_org: "1".into(),
            max_panels_per_expert: "1".into(),
            max_reviews_per_12_months: "10".into(),
            alternate_ratio: "2".into(),
            conflict_mode: "strict".into(),
            min_voting: String::new(),
            same_slot_exclusive: false,
            min_fit: "0.2".into(),
            min_fit_exempt_types: vec!["finance".into()],
            past_org_years: "3".into(),
            relation_years: "3".into(),
            max_requested_avoid: "3".into(),
            randomness: "0.2".into(),
            fairness_weight: "0.1".into(),
            minimum: vec![
                MinimumForm {
                    kind: "count".into(),
                    value: "1".into(),
                    filter: FilterForm {
                        types: vec!["finance".into()],
                        ..Default::default()
                    },
                },
                MinimumForm {
                    kind: "share".into(),
                    value: "1/3".into(),
                    filter: FilterForm {
                        region: vec!["outside".into()],
                        ..Default::default()
                    },
                },
                MinimumForm {
                    kind: "count".into(),
                    value: " ".into(),
                    filter: FilterForm::default(),
                },
            ],
            leader: RoleForm {
                enabled: true,
                filter: FilterForm {
                    title: vec!["正高".into()],
                    ..Default::default()
                },
            },
            deputy: RoleForm::default(),
        }
    }

    #[test]
    fn the_form_reads_into_rules_and_back_into_the_same_form() {
        let rules = form().to_rules().unwrap();
        assert_eq!(rules.min_count.len(), 1);
        assert_eq!(rules.min_share[0].count_for(5), 2);
        assert_eq!(
            rules.leader.as_ref().unwrap().filter.title,
            vec![Title::Senior]
        );
        assert!(rules.deputy.is_none());
        let view = form_view(Lang("zh"), &rules);
        // the two rows, then two empty ones to add more
        assert_eq!(view["minimum"].as_array().unwrap().len(), 4);
        assert_eq!(view["minimum"][1]["value"], "1/3");
    }

    #[test]
    fn a_wrong_value_names_its_field() {
        let mut f = form();
        f.panel_size = "五".into();
        assert_eq!(f.to_rules().unwrap_err().field, "panel_size");
        let mut f = form();
        f.minimum[1].value = "half".into();
        assert_eq!(f.to_rules().unwrap_err().field, "minimum[1].value");
        let mut f = form();
        f.minimum[0].value = "9".into();
        assert_eq!(f.to_rules().unwrap_err().field, "min_count[0].count");
    }
}
