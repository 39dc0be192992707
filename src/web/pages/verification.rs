//! Staff verify what experts changed about themselves: the page rows (verified → proposed)
//! and the accept / reject form.

use crate::domain::ExpertId;
use crate::error::AppResult;
use crate::service::experts;
use crate::store::Store;
use crate::web::guards::{Csrf, Staff};
use crate::web::i18n::Lang;
use rocket::form::Form;
use rocket::response::Redirect;
use rocket::State;
use serde_json::json;

/// The expert's proposed changes as "field: verified → proposed", in the reader's language.
pub fn pending_rows(
    e: &crate::store::experts::StoredExpert,
    lang: Lang,
    org_name: &dyn Fn(&str) -> String,
) -> Vec<serde_json::Value> {
    let t = crate::web::i18n::catalog(lang.0);
    let word = |key: String| t.get(&key).cloned().unwrap_or(key);
    let types = |set: &std::collections::BTreeSet<crate::domain::expert::ExpertType>| {
        set.iter()
            .map(|x| word(format!("type_{x}")))
            .collect::<Vec<_>>()
            .join("、")
    };
    let p = &e.profile;
    let q = &e.pending;
    let mut rows = Vec::new();
    let mut row = |field: &str, before: String, after: String| {
        rows.push(
            json!({"field": word(format!("field_{field}")), "before": before, "after": after}),
        )
    };
    if let Some(v) = q.title {
        row("title", p.title.to_string(), v.to_string());
    }
    if let Some(v) = &q.types {
        row("types", types(&p.types), types(v));
    }
    if let Some(v) = q.region {
        row(
            "region",
            word(format!("region_{}", p.region)),
            word(format!("region_{v}")),
        );
    }
    if let Some(v) = q.birth_year {
        row("birth_year", p.birth_year.to_string(), v.to_string());
    }
    if let Some(v) = &q.org_id {
        row("org", org_name(&p.org_id), org_name(v));
    }
    let year = |y: Option<i32>| y.map(|y| y.to_string()).unwrap_or_else(|| "—".into());
    if let Some(v) = q.field_since {
        row("since", year(p.field_since), year(v));
    }
    let distinction = |d: Option<crate::domain::expert::Distinction>| match d {
        Some(d) => word(format!("dist_{d}")),
        None => word("dist_none".into()),
    };
    if let Some(v) = q.distinction {
        row("distinction", distinction(p.distinction), distinction(v));
    }
    rows
}

#[derive(FromForm)]
struct VerificationForm {
    csrf: String,
    decision: String,
}

#[post("/experts/<id>/verification", data = "<form>")]
async fn verification(
    s: Staff,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<VerificationForm>,
) -> AppResult<Redirect> {
    csrf.verify(&form.csrf)?;
    experts::verify(store, &s.0.actor(), ExpertId(id), form.decision == "accept").await?;
    Ok(Redirect::to(format!("/experts/{id}")))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![verification]
}
