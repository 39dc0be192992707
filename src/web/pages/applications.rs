//! Applications to calls as pages: the applicant's form (profile with pickers, entry rules
//! judged by name, pledge, documents, submit) and list; staff's review queue per call and
//! review page (documents, possible duplicates, return / refuse / pass, reopen).

use super::experts::{pickers, profile_choices, ProfileForm};
use super::{context, render, Html};
use crate::domain::application::{ApplicationState, Document};
use crate::domain::call::DocumentKind;
use crate::error::{AppError, AppResult};
use crate::service::applications::{self as service, Draft, Review, Viewer};
use crate::store::applications::Step;
use crate::store::audit::Actor;
use crate::store::Store;
use crate::web::guards::{Admin, Csrf, CurrentUser, Reader, Staff};
use crate::web::i18n::{catalog, Lang};
use rocket::form::Form;
use rocket::fs::TempFile;
use rocket::http::{ContentType, Header, Status};
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::State;
use serde_json::{json, Value};

/// The largest document accepted (`EXPERTPOOL_MAX_DOCUMENT_MB`).
#[derive(Debug, Clone, Copy)]
pub struct DocumentLimit(pub usize);

fn word(lang: Lang, key: &str) -> String {
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

fn is_applicant(user: &CurrentUser) -> bool {
    !user.0.role.can_read_all()
}

fn viewer(user: &CurrentUser) -> Viewer {
    if is_applicant(user) {
        Viewer::Applicant(user.0.id)
    } else {
        Viewer::Staff
    }
}

fn actor(user: &CurrentUser) -> Actor {
    user.actor()
}

/// What a page shows beyond the stored application: the form as typed, a success message,
/// an error in place.
#[derive(Default)]
struct Shown<'a> {
    form: Option<ProfileForm>,
    notice: Option<String>,
    error: Option<&'a AppError>,
}

/// The page of one application, for its applicant (the form) or staff (the review).
async fn page(
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

type Outcome = AppResult<Result<Flash<Redirect>, Html>>;

fn back(id: i64, notice: &str) -> Flash<Redirect> {
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

#[derive(FromForm)]
struct UploadForm<'r> {
    #[field(default = String::new())]
    kind: String,
    file: Option<TempFile<'r>>,
    #[field(default = String::new())]
    csrf: String,
}

async fn read_upload(file: &TempFile<'_>) -> AppResult<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut reader = file
        .open()
        .await
        .map_err(|e| AppError::BadRequest(format!("the uploaded file cannot be read: {e}")))?;
    tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut bytes)
        .await
        .map_err(|e| AppError::BadRequest(format!("the uploaded file cannot be read: {e}")))?;
    Ok(bytes)
}

#[post("/applications/<id>/documents", data = "<form>")]
async fn upload(
    user: CurrentUser,
    lang: Lang,
    csrf: Csrf,
    limit: &State<DocumentLimit>,
    store: &State<Store>,
    id: i64,
    form: Form<UploadForm<'_>>,
) -> Outcome {
    csrf.verify(&form.csrf)?;
    if !is_applicant(&user) {
        return Err(AppError::Forbidden(
            "only the applicant uploads documents".into(),
        ));
    }
    let (name, bytes) = match &form.file {
        Some(f) if f.len() > 0 => (
            f.raw_name()
                .map(|n| n.dangerous_unsafe_unsanitized_raw().as_str().to_string())
                .unwrap_or_default(),
            read_upload(f).await?,
        ),
        _ => (String::new(), Vec::new()),
    };
    let done = match Document::check(&form.kind, &name, bytes, limit.0) {
        Ok(doc) => service::upload(store, &actor(&user), user.0.id, id, &doc)
            .await
            .map(|_| ()),
        Err(e) => Err(e.into()),
    };
    match done {
        Ok(()) => Ok(Ok(back(id, "app_uploaded"))),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => Ok(Err(page(
            &user,
            lang,
            &csrf,
            store,
            id,
            Shown {
                error: Some(&e),
                ..Default::default()
            },
        )
        .await?)),
        Err(e) => Err(e),
    }
}

#[post("/applications/<id>/documents/<doc>/remove", data = "<form>")]
async fn remove_document(
    user: CurrentUser,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    doc: i64,
    form: Form<super::CsrfOnly>,
) -> AppResult<Flash<Redirect>> {
    csrf.verify(&form.csrf)?;
    service::remove_document(store, &actor(&user), user.0.id, id, doc).await?;
    Ok(back(id, "app_document_removed"))
}

/// A stored document, only for its applicant and staff, always as a download: the browser is
/// told not to guess its type nor to run anything in it.
#[derive(rocket::Responder)]
struct DocumentFile {
    body: (ContentType, Vec<u8>),
    disposition: Header<'static>,
    nosniff: Header<'static>,
    policy: Header<'static>,
}

#[get("/applications/<id>/documents/<doc>")]
async fn document(
    user: CurrentUser,
    store: &State<Store>,
    id: i64,
    doc: i64,
) -> AppResult<DocumentFile> {
    let (info, bytes) = service::document(store, id, doc, viewer(&user)).await?;
    let content_type =
        ContentType::parse_flexible(&info.content_type).unwrap_or(ContentType::Binary);
    let ascii: String = info
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(DocumentFile {
        body: (content_type, bytes),
        disposition: Header::new(
            "Content-Disposition",
            format!(
                "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
                super::urlencode(&info.file_name)
            ),
        ),
        nosniff: Header::new("X-Content-Type-Options", "nosniff"),
        policy: Header::new("Content-Security-Policy", "sandbox; default-src 'none'"),
    })
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

#[derive(FromForm)]
struct ReviewForm {
    #[field(default = String::new())]
    decision: String,
    #[field(default = String::new())]
    comment: String,
    #[field(default = String::new())]
    csrf: String,
}

#[post("/applications/<id>/review", data = "<form>")]
async fn review(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<ReviewForm>,
) -> Outcome {
    csrf.verify(&form.csrf)?;
    let (decision, notice) = match form.decision.as_str() {
        "return" => (Review::Return(form.comment.clone()), "app_returned_notice"),
        "refuse" => (Review::Refuse(form.comment.clone()), "app_refused_notice"),
        "pass" => (Review::Pass, "app_passed_notice"),
        other => {
            return Err(crate::domain::ValidationError::new(
                "decision",
                format!("'{other}' is not one of: return, refuse, pass"),
            )
            .into())
        }
    };
    match service::review(store, &s.0.actor(), id, decision).await {
        Ok(()) => Ok(Ok(back(id, notice))),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => Ok(Err(page(
            &s.0,
            lang,
            &csrf,
            store,
            id,
            Shown {
                error: Some(&e),
                ..Default::default()
            },
        )
        .await?)),
        Err(e) => Err(e),
    }
}

#[derive(FromForm)]
struct LinkForm {
    #[field(default = String::new())]
    expert: String,
    #[field(default = String::new())]
    csrf: String,
}

#[post("/applications/<id>/link", data = "<form>")]
async fn link(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<LinkForm>,
) -> Outcome {
    csrf.verify(&form.csrf)?;
    match service::link(store, &s.0.actor(), id, &form.expert).await {
        Ok(()) => Ok(Ok(back(id, "app_linked"))),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => Ok(Err(page(
            &s.0,
            lang,
            &csrf,
            store,
            id,
            Shown {
                error: Some(&e),
                ..Default::default()
            },
        )
        .await?)),
        Err(e) => Err(e),
    }
}

#[derive(FromForm)]
struct ReopenForm {
    #[field(default = String::new())]
    until: String,
    #[field(default = String::new())]
    csrf: String,
}

#[post("/applications/<id>/reopen", data = "<form>")]
async fn reopen(
    a: Admin,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<ReopenForm>,
) -> Outcome {
    csrf.verify(&form.csrf)?;
    let done = match crate::domain::expert::parse_date("until", &form.until) {
        Ok(day) => service::reopen(store, &a.0.actor(), id, day).await,
        Err(e) => Err(e.into()),
    };
    match done {
        Ok(()) => Ok(Ok(back(id, "app_reopened_notice"))),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => Ok(Err(page(
            &a.0,
            lang,
            &csrf,
            store,
            id,
            Shown {
                error: Some(&e),
                ..Default::default()
            },
        )
        .await?)),
        Err(e) => Err(e),
    }
}

/// A call's applications for staff, by state.
#[get("/calls/<id>/applications?<state>")]
async fn queue(
    r: Reader,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    state: Option<&str>,
) -> AppResult<Html> {
    let call = crate::service::calls::get(store, id).await?;
    // What waits for staff first; `state=` (empty) lists every state.
    let state = match state {
        None => Some(ApplicationState::Submitted),
        Some("") => None,
        Some(s) => Some(ApplicationState::parse(s)?),
    };
    let lines = service::queue(store, id, state).await?;
    let pick = pickers(store, lang).await?;
    let mut ctx = context(
        lang,
        Some(&r.0 .0),
        &csrf.0,
        &format!("/calls/{id}/applications"),
    );
    ctx.insert("call".into(), json!({"id": id, "title": call.title}));
    ctx.insert("state".into(), json!(state.map(|s| s.as_str())));
    ctx.insert(
        "states".into(),
        json!(ApplicationState::ALL
            .iter()
            .map(|s| json!({"value": s.as_str(), "text": word(lang, &format!("app_state_{s}"))}))
            .collect::<Vec<_>>()),
    );
    ctx.insert(
        "lines".into(),
        json!(lines
            .iter()
            .map(|l| json!({
                "id": l.id, "name": l.name,
                "org": pick.orgs.get(&l.org).cloned().unwrap_or_else(|| l.org.clone()),
                "discipline": pick.disciplines.get(&l.discipline).cloned().unwrap_or_else(|| l.discipline.clone()),
                "state_text": word(lang, &format!("app_state_{}", l.state)),
                "submitted": l.submitted_at.as_deref().map(|s| crate::clock::local_time(s, lang.0)),
                "documents": l.documents,
                "failed": l.failed.iter().map(|r| word(lang, &format!("entry_{r}"))).collect::<Vec<_>>(),
                "twins": l.twins,
                "membership_id": l.membership_id,
            }))
            .collect::<Vec<_>>()),
    );
    Ok(render(Status::Ok, "staff/call_queue", ctx))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![
        show,
        mine,
        start,
        save,
        upload,
        remove_document,
        document,
        withdraw,
        review,
        link,
        reopen,
        queue
    ]
}
