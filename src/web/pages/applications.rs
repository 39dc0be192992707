//! Applications to calls as pages: the applicant's form (profile with pickers, entry rules
//! judged by name, pledge, documents, submit) and list; staff's review queue per call and
//! review page (documents, possible duplicates, return / refuse / pass, reopen).

use super::experts::{pickers, profile_choices, ProfileForm};
use super::{context, render, Html};
use crate::domain::call::DocumentKind;
use crate::error::{AppError, AppResult};
use crate::service::applications::{self as service, Draft, Viewer};
use crate::store::applications::Step;
use crate::store::audit::Actor;
use crate::store::Store;
use crate::web::guards::{Csrf, CurrentUser};
use crate::web::i18n::{catalog, Lang};
use rocket::form::Form;
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::State;
use serde_json::{json, Value};

/// The largest document accepted (`EXPERTPOOL_MAX_DOCUMENT_MB`).
#[derive(Debug, Clone, Copy)]
pub struct DocumentLimit(pub usize);

pub(super) fn word(lang: Lang, key: &str) -> String {
    catalog(lang.0)
        .get(key)
        .cloned()
        .unwrap_or_else(|| key.to_string())
}

/// An application's steps in words, times local.
pub(super) fn step_rows(lang: Lang, steps: &[Step]) -> Vec<Value> {
    steps
        .iter()
        .map(|s| {
            json!({
                "at": crate::clock::local_time(&s.at, lang.0),
                "actor": s.actor,
                "action": word(lang, &format!("app_act_{}", s.action)),
                "state": word(lang, &format!("app_state_{}", s.to_state)),
                "comment": s.comment,
            })
        })
        .collect()
}

pub(super) fn is_applicant(user: &CurrentUser) -> bool {
    !user.0.role.can_read_all()
}

pub(super) fn viewer(user: &CurrentUser) -> Viewer {
    if is_applicant(user) {
        Viewer::Applicant(user.0.id)
    } else {
        Viewer::Staff
    }
}

pub(super) fn actor(user: &CurrentUser) -> Actor {
    user.actor()
}

/// What a page shows beyond the stored application: the form as typed, a success message,
/// an error in place.
#[derive(Default)]
pub(super) struct Shown<'a> {
    pub(super) form: Option<ProfileForm>,
    pub(super) notice: Option<String>,
    pub(super) error: Option<&'a AppError>,
}

/// The page of one application, for its applicant (the form) or staff (the review).
pub(super) async fn page(
    user: &CurrentUser,
    lang: Lang,
    csrf: &Csrf,
    store: &Store,
    id: i64,
    shown: Shown<'_>,
) -> AppResult<Html> {
    let Shown {
        form,
        notice,
        error,
    } = shown;
    let v = service::view(store, id, viewer(user)).await?;
    let path = format!("/applications/{id}");
    let mut ctx = context(lang, Some(&user.0), &csrf.0, &path);
    let pick = pickers(store, lang).await?;
    profile_choices(&mut ctx, store, lang).await?;
    let form = match form {
        Some(f) => f,
        None => ProfileForm::from_input(&v.profile, &pick),
    };
    ctx.insert(
        "disciplines_text".into(),
        json!(form.disciplines_typed().collect::<Vec<_>>().join("；")),
    );
    ctx.insert("form".into(), json!(form));
    ctx.insert("own".into(), json!(true));
    ctx.insert(
        "checks".into(),
        super::memberships::check_texts(store, lang, &v.checks).await?,
    );
    ctx.insert(
        "documents".into(),
        json!(v
            .documents
            .iter()
            .map(|d| {
                let mut j = json!(d);
                j["kind_text"] = json!(word(lang, &format!("doc_{}", d.kind)));
                j["uploaded_local"] = json!(crate::clock::local_time(&d.uploaded_at, lang.0));
                j["size_kb"] = json!((d.size + 1023) / 1024);
                j
            })
            .collect::<Vec<_>>()),
    );
    ctx.insert(
        "required".into(),
        json!(v
            .call
            .documents
            .iter()
            .map(|k| json!({
                "kind": k.as_str(),
                "text": word(lang, &format!("doc_{}", k.as_str())),
                "missing": v.missing.iter().any(|m| m == k.as_str()),
            }))
            .collect::<Vec<_>>()),
    );
    ctx.insert(
        "kinds".into(),
        json!(DocumentKind::ALL
            .iter()
            .map(
                |k| json!({"kind": k.as_str(), "text": word(lang, &format!("doc_{}", k.as_str()))})
            )
            .collect::<Vec<_>>()),
    );
    let org_name = |code: &str| pick.orgs.get(code).cloned().unwrap_or_else(|| code.into());
    ctx.insert(
        "twins".into(),
        json!(v
            .twins
            .iter()
            .map(|t| {
                let mut why = Vec::new();
                if t.same_email == 1 {
                    why.push(word(lang, "twin_email"));
                }
                if t.same_mobile == 1 {
                    why.push(word(lang, "twin_mobile"));
                }
                if t.same_name_employer == 1 {
                    why.push(word(lang, "twin_name_employer"));
                }
                json!({"code": t.code, "name": t.name, "org": org_name(&t.organization_code),
                       "why": why.join("、"), "username": t.username})
            })
            .collect::<Vec<_>>()),
    );
    let a = &v.application;
    // Once passed, where the membership application stands (approved, refused …).
    let membership_state = match a.membership_id {
        Some(m) => {
            let mut conn = store.pool.acquire().await?;
            let state = crate::store::memberships::get(&mut conn, m).await?.state;
            Some(word(lang, &format!("state_{state}")))
        }
        None => None,
    };
    ctx.insert("membership_state".into(), json!(membership_state));
    ctx.insert(
        "app".into(),
        json!({
            "id": a.id, "state": a.state, "state_text": word(lang, &format!("app_state_{}", a.state)),
            "editable": a.state.editable(), "can_submit": v.can_submit, "has_record": v.has_record,
            "pledge": a.pledge_at.is_some(), "note": a.note, "comment": a.review_comment,
            "membership_id": a.membership_id, "expert_id": a.expert_id,
            "reopened_until": a.reopened_until, "submitted_local": a.submitted_at.as_deref().map(|s| crate::clock::local_time(s, lang.0)),
            "org_name": org_name(&v.profile.org_id),
            "closed": v.call.status(crate::clock::today()) == crate::domain::call::CallStatus::Closed,
        }),
    );
    ctx.insert(
        "call".into(),
        json!({"id": v.call.id, "title": v.call.title, "opens_on": v.call.opens_on, "closes_on": v.call.closes_on,
               "pool_text": word(lang, &format!("pool_{}", v.call.pool))}),
    );
    ctx.insert(
        "application".into(),
        json!({"steps": step_rows(lang, &v.steps)}),
    );
    ctx.insert(
        "profile_problem".into(),
        json!(v.profile_error.as_ref().map(|e| json!({
            "label": crate::web::i18n::field_label(lang.0, &e.field),
            "text": crate::web::i18n::translate(lang.0, &e.message),
        }))),
    );
    ctx.insert("notice".into(), json!(notice));
    ctx.insert(
        "error".into(),
        json!(error.map(|e| super::error_text(lang, e))),
    );
    ctx.insert(
        "error_field".into(),
        json!(error.and_then(|e| e.field()).unwrap_or_default()),
    );
    ctx.insert("today".into(), json!(crate::clock::today().to_string()));
    let template = if is_applicant(user) {
        "applicant/application"
    } else {
        "staff/application"
    };
    Ok(render(
        error.map_or(Status::Ok, AppError::status),
        template,
        ctx,
    ))
}

fn flash_notice(lang: Lang, flash: Option<FlashMessage<'_>>) -> Option<String> {
    flash.map(|f| word(lang, f.message()))
}

#[get("/applications/<id>")]
async fn show(
    user: CurrentUser,
    lang: Lang,
    csrf: Csrf,
    flash: Option<FlashMessage<'_>>,
    store: &State<Store>,
    id: i64,
) -> AppResult<Html> {
    let notice = flash_notice(lang, flash);
    page(
        &user,
        lang,
        &csrf,
        store,
        id,
        Shown {
            notice,
            ..Default::default()
        },
    )
    .await
}

/// The applicant's own applications.
#[get("/applications")]
async fn mine(user: CurrentUser, lang: Lang, csrf: Csrf, store: &State<Store>) -> AppResult<Html> {
    let mut ctx = context(lang, Some(&user.0), &csrf.0, "/applications");
    let list = service::mine(store, user.0.id).await?;
    ctx.insert(
        "applications".into(),
        json!(list
            .iter()
            .map(|(a, call)| json!({
                "id": a.id, "call": call.title, "call_id": call.id,
                "state_text": word(lang, &format!("app_state_{}", a.state)),
                "updated": crate::clock::local_time(&a.updated_at, lang.0),
                "closes_on": call.closes_on,
            }))
            .collect::<Vec<_>>()),
    );
    Ok(render(Status::Ok, "applicant/applications", ctx))
}

/// A signed-in account opens (or finds) its application to a call.
#[post("/calls/<call>/apply", data = "<form>")]
async fn start(
    user: CurrentUser,
    store: &State<Store>,
    csrf: Csrf,
    call: i64,
    form: Form<super::CsrfOnly>,
) -> AppResult<Redirect> {
    csrf.verify(&form.csrf)?;
    if user.0.role != crate::domain::user::Role::Expert {
        return Err(AppError::Forbidden(
            "only experts apply to a call; staff nominate from the pool page".into(),
        ));
    }
    let id = service::start(store, &actor(&user), &user.0, call).await?;
    Ok(Redirect::to(format!("/applications/{id}")))
}

pub(super) type Outcome = AppResult<Result<Flash<Redirect>, Html>>;

/// Back to the application with `notice` when `done` succeeded; a refusal (a wrong field, a
/// state that does not allow it) shown in place on the page.
pub(super) async fn settle(
    user: &CurrentUser,
    lang: Lang,
    csrf: &Csrf,
    store: &Store,
    id: i64,
    done: AppResult<()>,
    notice: &str,
) -> Outcome {
    match done {
        Ok(()) => Ok(Ok(back(id, notice))),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            let shown = Shown {
                error: Some(&e),
                ..Default::default()
            };
            Ok(Err(page(user, lang, csrf, store, id, shown).await?))
        }
        Err(e) => Err(e),
    }
}

pub(super) fn back(id: i64, notice: &str) -> Flash<Redirect> {
    Flash::success(Redirect::to(format!("/applications/{id}")), notice)
}

#[post("/applications/<id>", data = "<form>")]
async fn save(
    user: CurrentUser,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<ProfileForm>,
) -> Outcome {
    csrf.verify(&form.csrf)?;
    if !is_applicant(&user) {
        return Err(AppError::Forbidden(
            "staff review applications; they do not fill them".into(),
        ));
    }
    let pick = pickers(store, lang).await?;
    let input = form.clone().into_input(&pick)?;
    let draft = Draft {
        profile: Some(input),
        pledge: form.app.pledge,
        note: form.app.note.clone(),
    };
    let kept = form.without_token();
    let problem = match service::save(store, &actor(&user), user.0.id, id, draft).await {
        Ok(problem) => problem,
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            return Ok(Err(page(
                &user,
                lang,
                &csrf,
                store,
                id,
                Shown {
                    form: Some(kept),
                    error: Some(&e),
                    ..Default::default()
                },
            )
            .await?));
        }
        Err(e) => return Err(e),
    };
    if form.app.go != "submit" {
        return Ok(match problem {
            // Saved, but the problem is named now rather than at submission.
            Some(p) => Err(page(
                &user,
                lang,
                &csrf,
                store,
                id,
                Shown {
                    form: Some(kept),
                    notice: Some(word(lang, "app_saved")),
                    error: Some(&p.into()),
                },
            )
            .await?),
            None => Ok(back(id, "app_saved")),
        });
    }
    match service::submit(store, &actor(&user), user.0.id, id).await {
        Ok(()) => Ok(Ok(back(id, "app_submitted"))),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => Ok(Err(page(
            &user,
            lang,
            &csrf,
            store,
            id,
            Shown {
                form: Some(kept),
                notice: Some(word(lang, "app_saved")),
                error: Some(&e),
            },
        )
        .await?)),
        Err(e) => Err(e),
    }
}

#[post("/applications/<id>/withdraw", data = "<form>")]
async fn withdraw(
    user: CurrentUser,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<super::CsrfOnly>,
) -> AppResult<Flash<Redirect>> {
    csrf.verify(&form.csrf)?;
    service::withdraw(store, &actor(&user), user.0.id, id).await?;
    Ok(back(id, "app_withdrawn"))
}

pub fn routes() -> Vec<rocket::Route> {
    let mut all = routes![show, mine, start, save, withdraw];
    all.extend(super::application_files::routes());
    all.extend(super::application_review::routes());
    all
}
