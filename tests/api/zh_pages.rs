//! Chinese pages speak Chinese: every page of every role, rendered in zh for representative
//! states (an event at each step, a declined seat, a failed draw, errors of every kind), shows
//! no catalog key, no snake_case code and no untranslated English message.

use crate::helpers::*;
use crate::invitations::{drawn_event, pool_of_twelve};
use rocket::http::{ContentType, Header, Method, Status};
use serde_json::json;

/// The text a reader sees: the body without tags, scripts and styles, plus the attributes
/// that are read out or shown (placeholders, labels, titles, confirmation questions).
pub fn visible_text(html: &str) -> String {
    let mut source = html.to_string();
    // (a textarea holds what the user typed, not the page's words)
    for tag in ["script", "style", "textarea"] {
        while let Some(start) = source.find(&format!("<{tag}")) {
            let end = source[start..]
                .find(&format!("</{tag}>"))
                .map_or(source.len(), |e| start + e + tag.len() + 3);
            source.replace_range(start..end, " ");
        }
    }
    let mut out = String::new();
    let mut in_tag = false;
    let mut tag = String::new();
    // Inside an element marked `class="data"` (what people typed: titles, keywords, in any
    // language), until its end tag.
    let mut data_until: Option<String> = None;
    for c in source.chars() {
        match (in_tag, c) {
            (false, '<') => {
                in_tag = true;
                tag.clear();
                out.push(' ');
            }
            (true, '>') => {
                in_tag = false;
                let name: String = tag
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                if let Some(end) = &data_until {
                    if tag.starts_with('/') && &name == end {
                        data_until = None;
                    }
                    continue;
                }
                if tag.contains("class=\"data\"") {
                    data_until = Some(name);
                    continue;
                }
                for attr in ["placeholder", "aria-label", "title", "data-confirm"] {
                    let key = format!("{attr}=\"");
                    if let Some(at) = tag.find(&key) {
                        let value = &tag[at + key.len()..];
                        out.push(' ');
                        out.push_str(value.split('"').next().unwrap_or_default());
                        out.push(' ');
                    }
                }
            }
            (true, c) => tag.push(c),
            (false, _) if data_until.is_some() => {}
            (false, c) => out.push(c),
        }
    }
    out.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
}

/// What a zh page must not show; returns the offending words.
pub fn foreign_words(text: &str) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> = expertpool::web::i18n::catalog("zh")
        .keys()
        .filter(|k| k.contains('_'))
        .collect();
    let mut bad = Vec::new();
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        let snake = word.contains('_')
            && word.chars().any(|c| c.is_ascii_lowercase())
            && !word.starts_with('_');
        if snake || keys.contains(&word.to_string()) {
            bad.push(word.to_string());
        }
    }
    // An English phrase: four or more lowercase words in a row (codes and names are single
    // words; a message is a sentence).
    let mut run: Vec<&str> = Vec::new();
    for word in text.split_whitespace() {
        if word.len() > 1
            && word
                .chars()
                .all(|c| c.is_ascii_lowercase() || ",.:;'()".contains(c))
        {
            run.push(word);
            if run.len() >= 4 {
                bad.push(run.join(" "));
                run.clear();
            }
        } else {
            run.clear();
        }
    }
    bad
}

async fn page(app: &TestApp, uri: &str) -> (Status, String) {
    let r = app
        .client
        .get(uri.to_string())
        .header(Header::new("Accept-Language", "zh-CN"))
        .dispatch()
        .await;
    let status = r.status();
    (status, r.into_string().await.unwrap_or_default())
}

fn assert_chinese(uri: &str, status: Status, html: &str) {
    assert!(status.code < 500, "{uri}: {status}\n{html}");
    let bad = foreign_words(&visible_text(html));
    assert!(bad.is_empty(), "{uri} shows {bad:?}");
}

async fn post_form(app: &TestApp, uri: &str, body: String) -> (Status, String) {
    let r = app
        .client
        .post(uri.to_string())
        .header(ContentType::Form)
        .header(Header::new("Accept-Language", "zh-CN"))
        .body(body)
        .dispatch()
        .await;
    let status = r.status();
    (status, r.into_string().await.unwrap_or_default())
}

#[tokio::test]
async fn every_role_reads_chinese_in_every_state() {
    let app = spawn_app().await;
    app.login_admin().await;
    let experts = pool_of_twelve(&app).await;
    let event = drawn_event(&app, "铜冶炼项目评审", "2026-12-15", 3).await;
    let id = event["id"].as_i64().unwrap();
    // A second event whose rules cannot be met: its failed attempt is on record.
    let impossible = drawn_event(&app, "无法组成的评审", "2026-12-16", 3).await;
    let impossible_id = impossible["id"].as_i64().unwrap();
    let mut rules = app
        .get_json(&format!("/api/v1/events/{impossible_id}"))
        .await
        .1["rules"]
        .clone();
    rules["panel_size"] = json!(30);
    app.send_json(
        Method::Put,
        &format!("/api/v1/events/{impossible_id}/rules"),
        &rules,
    )
    .await;
    let (status, _) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/events/{impossible_id}/draws"),
            &json!({"seed": 3}),
        )
        .await;
    assert_eq!(status, Status::Conflict);

    // Before invitations: every step of the drawn event.
    for step in [
        "items", "panels", "eligible", "draw", "invite", "roster", "after",
    ] {
        let uri = format!("/events/{id}?step={step}");
        let (status, html) = page(&app, &uri).await;
        assert_chinese(&uri, status, &html);
    }
    let uri = format!("/events/{impossible_id}?step=draw");
    let (status, html) = page(&app, &uri).await;
    assert!(html.contains("无可行方案"), "the failed attempt is listed");
    assert_chinese(&uri, status, &html);

    // Invitations out, one declined.
    let (_, html) = page(&app, &format!("/events/{id}?step=draw")).await;
    let token = csrf_token(&html);
    let draw = app.get_json(&format!("/api/v1/events/{id}/draws")).await.1[0]["id"].clone();
    let (status, _) = post_form(
        &app,
        &format!("/events/{id}/confirm"),
        format!("csrf={token}&draw={draw}"),
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    let (_, roster) = app.get_json(&format!("/api/v1/events/{id}/roster")).await;
    let first = roster[0]["invitation_id"].clone();
    let (status, _) = post_form(
        &app,
        &format!("/invitations/{first}/answer"),
        format!("csrf={token}&answer=decline&reason=出差"),
    )
    .await;
    assert_eq!(status, Status::SeeOther);

    // Mistakes on the pages come back in Chinese, naming the field.
    let (status, html) = post_form(
        &app,
        &format!("/invitations/{}/answer", roster[1]["invitation_id"]),
        format!("csrf={token}&answer=accept"),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("承诺"), "{html}");
    assert_chinese("answer without pledge", status, &html);
    let (status, html) = post_form(
        &app,
        &format!("/events/{id}/draws"),
        format!("csrf={token}&seed=abc"),
    )
    .await;
    assert_chinese("a draw after invitations", status, &html);
    let (status, html) = post_form(
        &app,
        &format!("/events/{impossible_id}/items"),
        format!("csrf={token}&csv=id%2Ctitle_zh%0AP9"),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("第 2 行"), "the line is named: {html}");
    assert_chinese("a bad item sheet", status, &html);
    let (status, html) = post_form(
        &app,
        "/experts",
        format!("csrf={token}&name=张三&birth_year=&gender=M&title=正高&org=lzu&region=province&disciplines%5B0%5D=450"),
    )
    .await;
    assert_chinese("a profile without a birth year", status, &html);

    let expert_id = experts[0]["id"].clone();
    let membership = app.get_json("/api/v1/pools/review/memberships").await.1["items"][0]
        ["membership_id"]
        .clone();
    let call = expertpool::service::calls::create(
        &app.store,
        &expertpool::store::audit::Actor::system("test"),
        &expertpool::domain::call::CallInput {
            pool: "review".into(),
            title: "2027年度评审专家征集".into(),
            body: "征集范围与条件".into(),
            opens_on: expertpool::clock::today().to_string(),
            closes_on: (expertpool::clock::today() + chrono::Duration::days(20)).to_string(),
            sought: vec![("45020".into(), "3".into())],
            documents: vec!["title_certificate".into()],
        },
    )
    .await
    .unwrap();
    let staff_pages = [
        "/admin/calls".to_string(),
        "/calls".into(),
        format!("/calls/{}", call.id),
        format!("/calls/{}/dashboard", call.id),
        format!("/admin/calls/{}/edit", call.id),
        "/".into(),
        "/experts".into(),
        format!("/experts/{expert_id}"),
        "/experts/new".into(),
        "/events".into(),
        format!("/events/{id}?step=invite"),
        format!("/events/{id}?step=roster"),
        format!("/events/{id}/roster"),
        "/pools/review".into(),
        "/pools/review/dashboard".into(),
        "/pools/review/rotation".into(),
        format!("/memberships/{membership}"),
        "/audit".into(),
        "/admin/users".into(),
        "/outbox".into(),
        "/account".into(),
        "/events/999999".into(),
        "/no/such/page".into(),
    ];
    for uri in &staff_pages {
        let (status, html) = page(&app, uri).await;
        assert_chinese(uri, status, &html);
    }

    // The expert's own pages, and a page they may not see.
    let code = roster[1]["expert_code"].as_str().unwrap();
    app.logout().await;
    app.add_user("zhexpert", "expert", code).await;
    app.login("zhexpert", PASSWORD).await;
    for uri in ["/me", "/account", "/events", "/calls"] {
        let (status, html) = page(&app, uri).await;
        assert_chinese(uri, status, &html);
    }
    app.logout().await;
    for uri in ["/login", "/calls"] {
        let (status, html) = page(&app, uri).await;
        assert_chinese(uri, status, &html);
    }
}

#[test]
fn the_check_itself_catches_keys_codes_and_english() {
    assert!(!foreign_words(&visible_text("<p>状态：<b>st_pending</b></p>")).is_empty());
    assert!(!foreign_words(&visible_text("<p>退出原因：term_expired</p>")).is_empty());
    assert!(!foreign_words(&visible_text("<p>birth year: is not a year</p>")).is_empty());
    assert!(!foreign_words(&visible_text(
        "<input placeholder=\"the expert is required\">"
    ))
    .is_empty());
    assert!(foreign_words(&visible_text(
        "<p>张三 E00012 · 兰州大学（lzu）</p><script>var a_b = 1;</script>"
    ))
    .is_empty());
}

/// The recruiting pages of a stranger, an applicant and staff, in every state of an
/// application, with mistakes.
#[tokio::test]
async fn recruiting_pages_read_chinese() {
    use crate::recruiting::{
        activate, call, link_in, mails_to, post_form as post, register, send_profile, upload, PDF,
    };
    let app = spawn_app().await;
    let call = call(&app, -1, 20).await;
    for uri in [
        format!("/calls/{call}"),
        format!("/calls/{call}/register"),
        "/register/code".into(),
    ] {
        let (status, html) = page(&app, &uri).await;
        assert_chinese(&uri, status, &html);
    }
    let (status, html) = register(&app, call, "10.9.0.1", "周", "zhou@example.org", "123").await;
    assert_chinese("a wrong mobile number", status, &html);
    let (status, html) = register(
        &app,
        call,
        "10.9.0.1",
        "周",
        "zhou@example.org",
        "13800001111",
    )
    .await;
    assert_chinese("registered", status, &html);
    let link = link_in(&mails_to(&app, "zhou@example.org").await[0].1);
    let (status, html) = page(&app, &link).await;
    assert_chinese("activation", status, &html);
    let (status, html) = page(&app, "/register/activate/0000").await;
    assert_chinese("a dead link", status, &html);
    let (_, location) = activate(&app, &link).await;
    let me = location.clone();
    let (status, html) = page(&app, &me).await;
    assert_chinese("a fresh draft", status, &html);
    let (status, _, html) = post(
        &app,
        &me,
        &me,
        "name=%E5%91%A8&birth_year=abc&app.go=submit",
    )
    .await;
    assert_chinese("a draft with a wrong year", status, &html);
    let id: i64 = me.trim_start_matches("/applications/").parse().unwrap();
    let (status, html) = upload(&app, id, "title_certificate", "a.pdf", b"GIF89a").await;
    assert_chinese("a file that is no PDF", status, &html);
    upload(&app, id, "title_certificate", "职称证书.pdf", PDF).await;
    send_profile(&app, &me, "周", "submit").await;
    for uri in [me.clone(), "/applications".into()] {
        let (status, html) = page(&app, &uri).await;
        assert_chinese(&uri, status, &html);
    }
    app.logout().await;
    app.login_admin().await;
    for uri in [
        format!("/calls/{call}/applications"),
        format!("/calls/{call}/applications?state=submitted"),
        me.clone(),
        format!("/calls/{call}/dashboard"),
    ] {
        let (status, html) = page(&app, &uri).await;
        assert_chinese(&uri, status, &html);
    }
    let (status, _, html) = post(&app, &me, &format!("{me}/review"), "decision=refuse").await;
    assert_chinese("a refusal without a reason", status, &html);
    post(
        &app,
        &me,
        &format!("{me}/review"),
        "decision=return&comment=%E8%AF%B7%E8%A1%A5%E5%85%85",
    )
    .await;
    app.logout().await;
    app.login("zhou@example.org", "Kexue-2027!").await;
    let (status, html) = page(&app, &me).await;
    assert_chinese("a returned application", status, &html);
    let (status, html) = page(&app, "/applications/999").await;
    assert_chinese("someone else's application", status, &html);
}
