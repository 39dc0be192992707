//! Invitation pages: the expert's answers, staff's confirmation, replacements, attendance,
//! and the roster (printable, CSV, XLSX).

use super::event_page::Step;
use super::{context, render, CsrfOnly, Download, Html};
use crate::domain::invitation::{Answer, Attendance, Ratings};
use crate::error::{AppError, AppResult};
use crate::service::{events, invitations, replacement};
use crate::store::Store;
use crate::web::guards::{Csrf, ExpertUser, Reader, Staff};
use crate::web::i18n::Lang;
use rocket::form::Form;
use rocket::http::{ContentType, Status};
use rocket::response::{Flash, Redirect};
use rocket::State;
use serde_json::json;

/// Goes back to the event's step with a success message, or shows the error there.
async fn back(
    r: Reader,
    lang: Lang,
    csrf: &Csrf,
    store: &Store,
    to: (i64, Step, &str),
    result: AppResult<()>,
) -> AppResult<Result<Flash<Redirect>, Html>> {
    super::event_page::outcome(r, lang, csrf, store, to, result, None).await
}

#[derive(FromForm)]
struct ConfirmForm {
    csrf: String,
    draw: i64,
}

#[post("/events/<id>/confirm", data = "<form>")]
async fn confirm(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<ConfirmForm>,
) -> AppResult<Result<Flash<Redirect>, Html>> {
    csrf.verify(&form.csrf)?;
    let result = invitations::confirm(store, &s.0.actor(), id, form.draw)
        .await
        .map(|_| ());
    back(
        Reader(s.0),
        lang,
        &csrf,
        store,
        (id, Step::Invite, "done_invited"),
        result,
    )
    .await
}

#[post("/events/<id>/advance", data = "<form>")]
async fn advance(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<CsrfOnly>,
) -> AppResult<Result<Flash<Redirect>, Html>> {
    csrf.verify(&form.csrf)?;
    let inviting =
        events::get(store, id).await?.status == crate::domain::event::EventStatus::Inviting;
    let result = invitations::advance(store, &s.0.actor(), id)
        .await
        .map(|_| ());
    let (step, notice) = if inviting {
        (Step::Roster, "done_roster_confirmed")
    } else {
        (Step::After, "done_closed")
    };
    back(Reader(s.0), lang, &csrf, store, (id, step, notice), result).await
}

#[derive(FromForm)]
pub(super) struct AnswerForm {
    pub(super) answer: String,
    #[field(default = false)]
    pub(super) pledge: bool,
    #[field(default = String::new())]
    pub(super) reason: String,
    #[field(default = String::new())]
    pub(super) conflict_item: String,
    pub(super) csrf: String,
}

#[post("/invitations/<id>/answer", data = "<form>")]
async fn staff_answer(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<AnswerForm>,
) -> AppResult<Result<Flash<Redirect>, Html>> {
    csrf.verify(&form.csrf)?;
    let inv = invitations::get(store, id).await?;
    let result = match Answer::parse(&form.answer, form.pledge, &form.reason, &form.conflict_item) {
        Ok(a) => invitations::answer(store, &s.0.actor(), None, id, a)
            .await
            .map(|_| ()),
        Err(e) => Err(e.into()),
    };
    back(
        Reader(s.0),
        lang,
        &csrf,
        store,
        (inv.event_id, Step::Invite, "done_answer"),
        result,
    )
    .await
}

#[post("/me/invitations/<id>/answer", data = "<form>")]
async fn own_answer(
    e: ExpertUser,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<AnswerForm>,
) -> AppResult<Result<Redirect, Html>> {
    csrf.verify(&form.csrf)?;
    let result = match Answer::parse(&form.answer, form.pledge, &form.reason, &form.conflict_item) {
        Ok(a) => invitations::answer(store, &e.user.actor(), Some(e.expert), id, a)
            .await
            .map(|_| ()),
        Err(err) => Err(err.into()),
    };
    match result {
        Ok(()) => Ok(Ok(Redirect::to("/me#invitations"))),
        Err(
            err @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::WrongState(_)),
        ) => {
            let mut ctx = context(lang, Some(&e.user.0), &csrf.0, "/me");
            ctx.insert("status".into(), json!(err.status().code));
            ctx.insert("message".into(), json!(super::error_text(lang, &err)));
            ctx.insert("back".into(), json!("/me"));
            Ok(Err(render(err.status(), "error/error", ctx)))
        }
        Err(err) => Err(err),
    }
}

#[post("/invitations/<id>/replace", data = "<form>")]
async fn replace(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<CsrfOnly>,
) -> AppResult<Result<Flash<Redirect>, Html>> {
    csrf.verify(&form.csrf)?;
    let inv = invitations::get(store, id).await?;
    let result = replacement::replace(store, &s.0.actor(), id)
        .await
        .map(|_| ());
    back(
        Reader(s.0),
        lang,
        &csrf,
        store,
        (inv.event_id, Step::Invite, "done_replaced"),
        result,
    )
    .await
}

#[derive(FromForm)]
struct WaiveForm {
    csrf: String,
    #[field(default = String::new())]
    reason: String,
}

#[post("/invitations/<id>/waive", data = "<form>")]
async fn waive(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<WaiveForm>,
) -> AppResult<Result<Flash<Redirect>, Html>> {
    csrf.verify(&form.csrf)?;
    let inv = invitations::get(store, id).await?;
    let result = invitations::waive(store, &s.0.actor(), id, &form.reason)
        .await
        .map(|_| ());
    back(
        Reader(s.0),
        lang,
        &csrf,
        store,
        (inv.event_id, Step::Invite, "done_waived"),
        result,
    )
    .await
}

#[derive(FromForm)]
struct AttendanceForm {
    attendance: String,
    #[field(default = None)]
    rating_expertise: Option<i64>,
    #[field(default = None)]
    rating_diligence: Option<i64>,
    #[field(default = None)]
    rating_fairness: Option<i64>,
    csrf: String,
}

#[post("/invitations/<id>/attendance", data = "<form>")]
async fn attendance(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<AttendanceForm>,
) -> AppResult<Result<Flash<Redirect>, Html>> {
    csrf.verify(&form.csrf)?;
    let inv = invitations::get(store, id).await?;
    let parsed = Attendance::parse(&form.attendance).and_then(|a| {
        let ratings = match (
            a,
            form.rating_expertise,
            form.rating_diligence,
            form.rating_fairness,
        ) {
            (Attendance::NoShow, ..) | (_, None, None, None) => None,
            (_, x, y, z) => Some(Ratings::parse(
                x.unwrap_or(0),
                y.unwrap_or(0),
                z.unwrap_or(0),
            )?),
        };
        Ok((a, ratings))
    });
    let result = match parsed {
        Ok((a, ratings)) => invitations::record_attendance(store, &s.0.actor(), id, a, ratings)
            .await
            .map(|_| ()),
        Err(e) => Err(e.into()),
    };
    back(
        Reader(s.0),
        lang,
        &csrf,
        store,
        (inv.event_id, Step::After, "done_attendance"),
        result,
    )
    .await
}

/// The roster to print on A4 (portrait, or landscape with e-mail), live seats only, panel
/// by panel, with a signature column and the supervisor's signature lines.
#[get("/events/<id>/roster?<orient>")]
async fn roster_page(
    r: Reader,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    orient: Option<&str>,
) -> AppResult<Html> {
    let event = events::get(store, id).await?;
    let mut rows = invitations::roster(store, id).await?;
    rows.retain(|i| matches!(i.status.as_str(), "pending" | "accepted"));
    // Panel by panel, the leader first, then the deputy, then the members by name.
    let rank = |role: &str| match role {
        "leader" => 0,
        "deputy" => 1,
        _ => 2,
    };
    rows.sort_by(|a, b| {
        (a.panel_code.as_str(), rank(&a.role), a.expert_name.as_str()).cmp(&(
            b.panel_code.as_str(),
            rank(&b.role),
            b.expert_name.as_str(),
        ))
    });
    let orgs = super::roster_files::org_names(store, lang).await?;
    let titles = super::title_choices(lang);
    let mut ctx = context(
        lang,
        Some(&r.0 .0),
        &csrf.0,
        &format!("/events/{id}/roster"),
    );
    ctx.insert("event".into(), json!(event));
    ctx.insert("landscape".into(), json!(orient == Some("landscape")));
    ctx.insert(
        "printed".into(),
        json!(crate::clock::show(chrono::Utc::now(), lang.0)),
    );
    ctx.insert(
        "rows".into(),
        json!(rows
            .iter()
            .map(|i| {
                let mut v = json!(i);
                v["org_name"] = json!(orgs
                    .get(&i.organization_code)
                    .cloned()
                    .unwrap_or_else(|| i.organization_code.clone()));
                // `EV…-APPLICATION-P01` → `P01`: the sheet's header names the event.
                v["panel_short"] = json!(i
                    .panel_code
                    .strip_prefix(&format!("{}-", event.code))
                    .unwrap_or(&i.panel_code));
                v["title_word"] = titles
                    .iter()
                    .find(|t| t["value"] == i.title.as_str())
                    .map(|t| t["label"].clone())
                    .unwrap_or_else(|| json!(i.title));
                v
            })
            .collect::<Vec<_>>()),
    );
    Ok(render(Status::Ok, "staff/roster", ctx))
}

#[get("/events/<id>/roster.csv")]
async fn roster_csv_download(
    _r: Reader,
    lang: Lang,
    store: &State<Store>,
    id: i64,
) -> AppResult<Download> {
    let event = events::get(store, id).await?;
    let orgs = super::roster_files::org_names(store, lang).await?;
    let table =
        super::roster_files::event_roster(&invitations::roster(store, id).await?, lang, &orgs);
    Ok(Download::new(
        ContentType::CSV,
        table.csv()?.into_bytes(),
        &format!("{}-roster.csv", event.code),
    ))
}

#[get("/events/<id>/roster.xlsx")]
async fn roster_xlsx_download(
    _r: Reader,
    lang: Lang,
    store: &State<Store>,
    id: i64,
) -> AppResult<Download> {
    let event = events::get(store, id).await?;
    let orgs = super::roster_files::org_names(store, lang).await?;
    let table =
        super::roster_files::event_roster(&invitations::roster(store, id).await?, lang, &orgs);
    let xlsx = ContentType::new(
        "application",
        "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    );
    Ok(Download::new(
        xlsx,
        table.xlsx()?,
        &format!("{}-roster.xlsx", event.code),
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![
        confirm,
        advance,
        staff_answer,
        own_answer,
        replace,
        attendance,
        roster_page,
        roster_csv_download,
        roster_xlsx_download,
        waive
    ]
}
