//! Expert pages: list and search, profile, create and edit; an expert's own profile.

use super::{context, render, Html};
use crate::domain::expert::ExpertType;
use crate::domain::ExpertId;
use crate::error::{AppError, AppResult};
use crate::service::experts::{self, Editor};
use crate::store::audit::Actor;
use crate::store::experts::search;
use crate::store::{reference, Store};
use crate::web::api::ListQuery;
use crate::web::guards::{Csrf, CurrentUser, ExpertUser, Reader, Staff};
use crate::web::i18n::Lang;
use rocket::form::Form;
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::State;
use serde_json::json;

pub(super) mod profile_form;
pub(super) use profile_form::{Pickers, ProfileForm};

#[get("/experts?<query..>")]
async fn list(
    r: Reader,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    query: ListQuery,
) -> AppResult<Html> {
    let f = query.filter();
    let (items, total) = search(store, &f).await?;
    let mut ctx = context(lang, Some(&r.0 .0), &csrf.0, "/experts");
    let pages = (total + f.per_page - 1) / f.per_page;
    let titles = super::title_choices(lang);
    ctx.insert(
        "items".into(),
        json!(items
            .iter()
            .map(|e| {
                let mut v = json!(e);
                v["title_word"] = titles
                    .iter()
                    .find(|t| t["value"] == v["title"])
                    .map(|t| t["label"].clone())
                    .unwrap_or_else(|| v["title"].clone());
                // Fields waiting for verification, by name.
                v["to_verify"] = json!(v["to_verify"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f.as_str())
                    .map(|f| crate::web::i18n::field_label(lang.0, f))
                    .collect::<Vec<_>>());
                v
            })
            .collect::<Vec<_>>()),
    );
    ctx.insert("titles".into(), json!(titles));
    ctx.insert("total".into(), json!(total));
    ctx.insert("page".into(), json!(f.page));
    ctx.insert("pages".into(), json!(pages.max(1)));
    ctx.insert(
        "filter".into(),
        json!({"q": f.q, "discipline": f.discipline, "org": f.org, "title": f.title, "region": f.region, "type": f.expert_type, "to_verify": f.to_verify, "per_page": f.per_page}),
    );
    let qs = |page: i64| {
        let mut pairs = vec![
            ("page".to_string(), page.to_string()),
            ("per_page".into(), f.per_page.to_string()),
        ];
        for (k, v) in [
            ("q", &f.q),
            ("discipline", &f.discipline),
            ("org", &f.org),
            ("title", &f.title),
            ("region", &f.region),
            ("type", &f.expert_type),
        ] {
            if !v.is_empty() {
                pairs.push((k.into(), v.clone()));
            }
        }
        if f.to_verify {
            pairs.push(("to_verify".into(), "true".into()));
        }
        if !f.sort.is_empty() {
            pairs.push(("sort".into(), f.sort.clone()));
            pairs.push(("dir".into(), if f.desc { "desc" } else { "asc" }.into()));
        }
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", super::urlencode(v)))
            .collect::<Vec<_>>()
            .join("&")
    };
    ctx.insert(
        "sort".into(),
        json!({"by": if f.sort.is_empty() { "code" } else { f.sort.as_str() }, "desc": f.desc}),
    );
    // The list's filter without order and page, for the sortable column headers.
    ctx.insert(
        "filter_query".into(),
        json!(super::query_string(&[
            ("q", f.q.as_str()),
            ("discipline", f.discipline.as_str()),
            ("org", f.org.as_str()),
            ("title", f.title.as_str()),
            ("region", f.region.as_str()),
            ("type", f.expert_type.as_str()),
            ("per_page", f.per_page.to_string().as_str()),
        ])),
    );
    ctx.insert(
        "prev_query".into(),
        json!((f.page > 1).then(|| qs(f.page - 1))),
    );
    ctx.insert(
        "next_query".into(),
        json!((f.page < pages).then(|| qs(f.page + 1))),
    );
    Ok(render(Status::Ok, "staff/experts", ctx))
}

async fn show_page(v: &Viewer<'_>, store: &Store, id: ExpertId, own: bool) -> AppResult<Html> {
    let expert = experts::get(store, id).await?;
    let orgs = reference::organizations(store).await?;
    let org_name = |code: &str| {
        orgs.iter()
            .find(|o| o.id == code)
            .map(|o| {
                if v.lang.0 == "en" && !o.name_en.is_empty() {
                    o.name_en.clone()
                } else {
                    o.name_zh.clone()
                }
            })
            .unwrap_or_else(|| code.to_string())
    };
    let mut ctx = context(
        v.lang,
        Some(&v.user.0),
        &v.csrf.0,
        if own { "/me" } else { "/experts" },
    );
    ctx.insert("org_name".into(), json!(org_name(&expert.profile.org_id)));
    let pick = pickers(store, v.lang).await?;
    ctx.insert(
        "discipline_names".into(),
        json!(expert
            .profile
            .disciplines
            .iter()
            .map(|d| match pick.disciplines.get(d.as_str()) {
                Some(name) => format!("{name}（{}）", d.as_str()),
                None => d.as_str().to_string(),
            })
            .collect::<Vec<_>>()),
    );
    ctx.insert(
        "employment_names".into(),
        json!(expert
            .profile
            .employments
            .iter()
            .map(|e| org_name(&e.org_id))
            .collect::<Vec<_>>()),
    );
    let mut memberships = Vec::new();
    for m in crate::store::memberships::for_expert(store, id).await? {
        let transitions: Vec<_> = crate::store::memberships::transitions(store, m.id)
            .await?
            .into_iter()
            .map(|t| t.local(v.lang.0))
            .collect();
        memberships.push(json!({"membership": m, "transitions": transitions}));
    }
    ctx.insert("memberships".into(), json!(memberships));
    ctx.insert(
        "record".into(),
        json!(
            crate::service::tracking::expert_record(
                store,
                id,
                crate::service::memberships::today()
            )
            .await?
        ),
    );
    if own {
        // Own invitations: the event and the answer, never the other members.
        let invitations = crate::service::notices::for_expert(store, id).await?;
        ctx.insert("invitations".into(), json!(invitations));
    }
    if own || v.user.0.role.is_staff() {
        // The messages written to the expert, also when no channel delivers them yet.
        let messages: Vec<serde_json::Value> = crate::store::outbox::for_expert(store, id.0)
            .await?
            .into_iter()
            .take(20)
            .map(|m| {
                let mut j = json!(m);
                j["created_local"] = json!(crate::clock::local_time(&m.created_at, v.lang.0));
                j
            })
            .collect();
        ctx.insert("messages".into(), json!(messages));
    }
    ctx.insert(
        "pending_rows".into(),
        json!(super::verification::pending_rows(
            &expert, v.lang, &org_name
        )),
    );
    ctx.insert("expert".into(), json!(expert));
    ctx.insert("own".into(), json!(own));
    ctx.insert("can_edit".into(), json!(own || v.user.0.role.is_staff()));
    Ok(render(Status::Ok, "staff/expert", ctx))
}

#[get("/experts/<id>")]
async fn show(r: Reader, lang: Lang, csrf: Csrf, store: &State<Store>, id: i64) -> AppResult<Html> {
    let v = Viewer {
        user: &r.0,
        lang,
        csrf: &csrf,
    };
    show_page(&v, store, ExpertId(id), false).await
}

#[get("/me")]
async fn me(
    user: CurrentUser,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
) -> AppResult<Result<Html, Redirect>> {
    let expert = match (user.0.role, user.0.expert_id) {
        (crate::domain::user::Role::Expert, Some(expert)) => expert,
        // A registered applicant has no record until staff pass the application.
        (crate::domain::user::Role::Expert, None) => return Ok(Err(Redirect::to("/applications"))),
        _ => return Err(AppError::Forbidden("this page is an expert's own".into())),
    };
    let v = Viewer {
        user: &user,
        lang,
        csrf: &csrf,
    };
    Ok(Ok(show_page(&v, store, expert, true).await?))
}

/// Who is looking at a page, in which language, with which CSRF token.
struct Viewer<'a> {
    user: &'a CurrentUser,
    lang: Lang,
    csrf: &'a Csrf,
}

async fn form_page(
    v: &Viewer<'_>,
    store: &Store,
    form: &ProfileForm,
    action: &str,
    error: Option<&AppError>,
    own: bool,
) -> AppResult<Html> {
    let mut ctx = context(v.lang, Some(&v.user.0), &v.csrf.0, action);
    ctx.insert("form".into(), json!(form));
    ctx.insert("action".into(), json!(action));
    ctx.insert("own".into(), json!(own));
    profile_choices(&mut ctx, store, v.lang).await?;
    ctx.insert("error".into(), serde_json::Value::Null);
    ctx.insert("error_field".into(), serde_json::Value::Null);
    let status = match error {
        Some(e) => {
            ctx.insert(
                "error".into(),
                json!(match e {
                    AppError::Validation(bad) =>
                        crate::web::i18n::translate(v.lang.0, &bad.message),
                    other => super::error_text(v.lang, other),
                }),
            );
            ctx.insert("error_field".into(), json!(e.field()));
            ctx.insert(
                "error_label".into(),
                json!(e
                    .field()
                    .map(|f| crate::web::i18n::field_label(v.lang.0, &f))),
            );
            e.status()
        }
        None => Status::Ok,
    };
    Ok(render(status, "staff/expert_form", ctx))
}

#[get("/experts/new")]
async fn new_form(s: Staff, lang: Lang, csrf: Csrf, store: &State<Store>) -> AppResult<Html> {
    form_page(
        &Viewer {
            user: &s.0,
            lang,
            csrf: &csrf,
        },
        store,
        &ProfileForm::default().with_blank_rows(),
        "/experts",
        None,
        false,
    )
    .await
}

#[get("/experts/<id>/edit")]
async fn edit_form(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
) -> AppResult<Html> {
    let expert = experts::get(store, ExpertId(id)).await?;
    let pick = pickers(store, lang).await?;
    form_page(
        &Viewer {
            user: &s.0,
            lang,
            csrf: &csrf,
        },
        store,
        &ProfileForm::from_profile(&expert.profile, &pick),
        &format!("/experts/{id}"),
        None,
        false,
    )
    .await
}

#[get("/me/edit")]
async fn edit_me_form(
    e: ExpertUser,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
) -> AppResult<Html> {
    let expert = experts::own_view(experts::get(store, e.expert).await?);
    let pick = pickers(store, lang).await?;
    form_page(
        &Viewer {
            user: &e.user,
            lang,
            csrf: &csrf,
        },
        store,
        &ProfileForm::from_profile(&expert.profile, &pick),
        "/me",
        None,
        true,
    )
    .await
}

/// What the profile fields offer (`partials/profile_fields`): types, organizations and
/// disciplines by name, titles and relation kinds in the reader's language.
pub(super) async fn profile_choices(
    ctx: &mut serde_json::Map<String, serde_json::Value>,
    store: &Store,
    lang: Lang,
) -> AppResult<()> {
    ctx.insert(
        "all_types".into(),
        json!(ExpertType::ALL
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()),
    );
    let pick = pickers(store, lang).await?;
    ctx.insert(
        "organizations".into(),
        json!(pick.orgs.values().collect::<Vec<_>>()),
    );
    ctx.insert(
        "disciplines".into(),
        json!(pick
            .disciplines
            .iter()
            .map(|(code, name)| format!("{code} {name}"))
            .collect::<Vec<_>>()),
    );
    ctx.insert(
        "titles".into(),
        json!(crate::domain::expert::Title::ALL
            .iter()
            .map(|t| {
                let key = format!("title_{}", t.as_str());
                let label = crate::web::i18n::catalog(lang.0)
                    .get(&key)
                    .cloned()
                    .unwrap_or_else(|| t.as_str().to_string());
                json!({"value": t.as_str(), "label": label})
            })
            .collect::<Vec<_>>()),
    );
    ctx.insert(
        "relation_kinds".into(),
        json!(crate::domain::expert::RelationKind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()),
    );
    Ok(())
}

/// What the pickers offer: organizations and disciplines by name in the reader's language.
pub(super) async fn pickers(store: &Store, lang: Lang) -> AppResult<Pickers> {
    let orgs = super::roster_files::org_names(store, lang).await?;
    let disciplines = reference::disciplines(store, "")
        .await?
        .into_iter()
        .map(|d| {
            let name = if lang.0 == "en" && !d.name_en.is_empty() {
                d.name_en
            } else {
                d.name_zh
            };
            (d.code.as_str().to_string(), name)
        })
        .collect();
    Ok(Pickers { orgs, disciplines })
}

/// Saves a form; on bad input the form comes back with the message and the field marked.
async fn save(
    v: &Viewer<'_>,
    store: &Store,
    form: ProfileForm,
    target: Option<ExpertId>,
    editor: Editor,
    action: &str,
) -> AppResult<Result<Redirect, Html>> {
    v.csrf.verify(&form.csrf)?;
    let actor: Actor = v.user.actor();
    let shown = form.without_token();
    let pick = pickers(store, v.lang).await?;
    let result = match form.into_input(&pick) {
        Err(e) => Err(AppError::Validation(e)),
        Ok(input) => match target {
            Some(id) => experts::update(store, &actor, id, input, editor).await,
            None => experts::create(store, &actor, input).await,
        },
    };
    match result {
        Ok(saved) if editor == Editor::SelfService => {
            Ok(Ok(Redirect::to(format!("/me?saved={}", saved.id))))
        }
        Ok(saved) => Ok(Ok(Redirect::to(format!("/experts/{}", saved.id)))),
        Err(
            e @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::WrongState(_)),
        ) => Ok(Err(form_page(
            v,
            store,
            &shown,
            action,
            Some(&e),
            editor == Editor::SelfService,
        )
        .await?)),
        Err(e) => Err(e),
    }
}

#[post("/experts", data = "<form>")]
async fn create(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    form: Form<ProfileForm>,
) -> AppResult<Result<Redirect, Html>> {
    save(
        &Viewer {
            user: &s.0,
            lang,
            csrf: &csrf,
        },
        store,
        form.into_inner(),
        None,
        Editor::Staff,
        "/experts",
    )
    .await
}

#[post("/experts/<id>", data = "<form>")]
async fn update(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<ProfileForm>,
) -> AppResult<Result<Redirect, Html>> {
    save(
        &Viewer {
            user: &s.0,
            lang,
            csrf: &csrf,
        },
        store,
        form.into_inner(),
        Some(ExpertId(id)),
        Editor::Staff,
        &format!("/experts/{id}"),
    )
    .await
}

#[post("/me", data = "<form>")]
async fn update_me(
    e: ExpertUser,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    form: Form<ProfileForm>,
) -> AppResult<Result<Redirect, Html>> {
    save(
        &Viewer {
            user: &e.user,
            lang,
            csrf: &csrf,
        },
        store,
        form.into_inner(),
        Some(e.expert),
        Editor::SelfService,
        "/me",
    )
    .await
}

pub fn routes() -> Vec<rocket::Route> {
    routes![
        list,
        show,
        me,
        new_form,
        edit_form,
        edit_me_form,
        create,
        update,
        update_me
    ]
}
