//! The staff's decisions on an event's pairs, from the eligible-experts step: exclude an
//! expert from an item or clear a possible conflict, pin an expert to a panel or keep them off
//! it, and lift any of these with a reason.

use super::event_page::{outcome, Step};
use super::Html;
use crate::error::AppResult;
use crate::service::events;
use crate::store::Store;
use crate::web::guards::{Csrf, Reader, Staff};
use crate::web::i18n::Lang;
use rocket::form::Form;
use rocket::response::{Flash, Redirect};
use rocket::State;

/// The result of an action: back to the step with a notice, or the error in place.
type Outcome = AppResult<Result<Flash<Redirect>, Html>>;

#[derive(FromForm)]
struct PinForm {
    panel: String,
    expert: String,
    kind: String,
    reason: String,
    csrf: String,
}

#[post("/events/<id>/pins", data = "<form>")]
async fn pin(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<PinForm>,
) -> Outcome {
    csrf.verify(&form.csrf)?;
    let result = events::pin(
        store,
        &s.0.actor(),
        id,
        form.panel.trim(),
        form.expert.trim(),
        &form.kind,
        &form.reason,
    )
    .await;
    outcome(
        Reader(s.0),
        lang,
        &csrf,
        store,
        (id, Step::Eligible, "done_decision"),
        result,
        None,
    )
    .await
}

#[derive(FromForm)]
struct ExclusionForm {
    item: String,
    expert: String,
    kind: String,
    reason: String,
    csrf: String,
}

#[post("/events/<id>/exclusions", data = "<form>")]
async fn exclude(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<ExclusionForm>,
) -> Outcome {
    csrf.verify(&form.csrf)?;
    let result = events::add_exclusion(
        store,
        &s.0.actor(),
        id,
        form.item.trim(),
        form.expert.trim(),
        &form.kind,
        &form.reason,
    )
    .await;
    outcome(
        Reader(s.0),
        lang,
        &csrf,
        store,
        (id, Step::Eligible, "done_decision"),
        result,
        None,
    )
    .await
}

#[derive(FromForm)]
struct LiftForm {
    reason: String,
    csrf: String,
}

/// Undoes an exclusion, a cleared conflict, a pin or a removal (a new record, with a reason).
#[post("/events/<id>/decisions/<decision>/lift", data = "<form>")]
async fn lift(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    decision: i64,
    form: Form<LiftForm>,
) -> Outcome {
    csrf.verify(&form.csrf)?;
    let result = events::lift(store, &s.0.actor(), id, decision, &form.reason).await;
    outcome(
        Reader(s.0),
        lang,
        &csrf,
        store,
        (id, Step::Eligible, "done_lifted"),
        result,
        None,
    )
    .await
}

pub fn routes() -> Vec<rocket::Route> {
    routes![pin, exclude, lift]
}
