//! Recruiting: strangers register from a call's page (activated by the e-mailed link), fill in
//! an application with documents, and staff review it; registration is limited and reveals
//! nothing about who has an account; documents are checked by content and shown only to the
//! applicant and staff; a closed call takes nothing until an administrator reopens a draft.

use crate::helpers::*;
use expertpool::domain::call::CallInput;
use expertpool::store::audit::Actor;
use rocket::http::{ContentType, Header, Status};
use std::net::SocketAddr;

pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n";

fn day(offset: i64) -> String {
    (expertpool::clock::today() + chrono::Duration::days(offset)).to_string()
}

/// Publishes a call for the review pool open from `opens` to `closes` days from today.
pub async fn call(app: &TestApp, opens: i64, closes: i64) -> i64 {
    expertpool::service::calls::create(
        &app.store,
        &Actor::system("test"),
        &CallInput {
            pool: "review".into(),
            title: "2027年度评审专家征集".into(),
            body: "征集冶金工程专家".into(),
            opens_on: day(opens),
            closes_on: day(closes),
            sought: vec![("45020".into(), "2".into())],
            documents: vec!["title_certificate".into()],
        },
    )
    .await
    .expect("call")
    .id
}

fn from(ip: &str) -> SocketAddr {
    format!("{ip}:40000").parse().unwrap()
}

/// Registers from the call's page; the status and the page.
pub async fn register(
    app: &TestApp,
    call: i64,
    ip: &str,
    name: &str,
    email: &str,
    mobile: &str,
) -> (Status, String) {
    let token = csrf_token(&app.page(format!("/calls/{call}/register")).await);
    let r = app
        .client
        .post(format!("/calls/{call}/register"))
        .remote(from(ip))
        .header(ContentType::Form)
        .header(Header::new("Accept-Language", "zh-CN"))
        .body(format!(
            "csrf={token}&name={}&email={}&mobile={mobile}",
            urlencoding(name),
            urlencoding(email)
        ))
        .dispatch()
        .await;
    (r.status(), r.into_string().await.unwrap_or_default())
}

pub fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The messages written to an address, newest first: (subject, body).
pub async fn mails_to(app: &TestApp, address: &str) -> Vec<(String, String)> {
    sqlx::query_as(
        "select subject, body from outbox where recipient = $1 and channel = 'email' order by message_id desc",
    )
    .bind(address)
    .fetch_all(&app.store.pool)
    .await
    .unwrap()
}

/// The activation path in a message (`/register/activate/…`).
pub fn link_in(body: &str) -> String {
    let start = body
        .find("/register/activate/")
        .expect("an activation link");
    let end = body[start..]
        .find(char::is_whitespace)
        .map_or(body.len(), |e| start + e);
    body[start..end].to_string()
}

/// Follows the link, chooses the password; where the browser lands.
pub async fn activate(app: &TestApp, link: &str) -> (Status, String) {
    let page = app.page(link).await;
    let token = csrf_token(&page);
    let r = app
        .client
        .post(link.to_string())
        .header(ContentType::Form)
        .body(format!(
            "csrf={token}&password=Kexue-2027!&repeat=Kexue-2027!"
        ))
        .dispatch()
        .await;
    (
        r.status(),
        r.headers()
            .get_one("Location")
            .unwrap_or_default()
            .to_string(),
    )
}

/// Posts a form to a page's action with the page's token.
pub async fn post_form(
    app: &TestApp,
    page: &str,
    action: &str,
    fields: &str,
) -> (Status, String, String) {
    let token = csrf_token(&app.page(page).await);
    let r = app
        .client
        .post(action.to_string())
        .header(ContentType::Form)
        .header(Header::new("Accept-Language", "zh-CN"))
        .body(format!("csrf={token}&{fields}"))
        .dispatch()
        .await;
    let location = r
        .headers()
        .get_one("Location")
        .unwrap_or_default()
        .to_string();
    (
        r.status(),
        location,
        r.into_string().await.unwrap_or_default(),
    )
}

/// The profile an applicant types (valid, for the review pool).
pub fn profile_fields(name: &str) -> String {
    format!(
        "name={}&gender=F&birth_year=1975&title=senior&position={}&org={}&region=province&disciplines[0]={}&field_since=1998&email=li.hua%40lzu.edu.cn&phone=13912345678&keywords_zh={}",
        urlencoding(name),
        urlencoding("教授"),
        urlencoding("兰州大学"),
        urlencoding("45020 冶金工程"),
        urlencoding("铜冶炼；烟气治理"),
    )
}

/// Saves or submits (`go`) the applicant's profile with the pledge ticked.
pub async fn send_profile(
    app: &TestApp,
    me: &str,
    name: &str,
    go: &str,
) -> (Status, String, String) {
    let fields = format!("{}&app.pledge=true&app.go={go}", profile_fields(name));
    post_form(app, me, me, &fields).await
}

/// Uploads a file as a multipart form; the status and the page or redirect.
pub async fn upload(
    app: &TestApp,
    application: i64,
    kind: &str,
    name: &str,
    bytes: &[u8],
) -> (Status, String) {
    let token = csrf_token(&app.page(format!("/applications/{application}")).await);
    let boundary = "----expertpool-test-boundary";
    let mut body = Vec::new();
    for (field, value) in [("csrf", token.as_str()), ("kind", kind)] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = app
        .client
        .post(format!("/applications/{application}/documents"))
        .header(ContentType::new("multipart", "form-data").with_params(("boundary", boundary)))
        .header(Header::new("Accept-Language", "zh-CN"))
        .body(body)
        .dispatch()
        .await;
    (r.status(), r.into_string().await.unwrap_or_default())
}

fn id_of(location: &str) -> i64 {
    location
        .trim_start_matches("/applications/")
        .parse()
        .unwrap_or_else(|_| panic!("not an application: {location}"))
}

/// A stranger registered, activated and signed in; their application's id.
pub async fn applicant(app: &TestApp, call: i64, ip: &str, email: &str, mobile: &str) -> i64 {
    let (status, _) = register(app, call, ip, "李华", email, mobile).await;
    assert_eq!(status, Status::Ok);
    let mails = mails_to(app, email).await;
    let (status, location) = activate(app, &link_in(&mails[0].1)).await;
    assert_eq!(status, Status::SeeOther);
    id_of(&location)
}

async fn state_of(app: &TestApp, id: i64) -> String {
    let (state,): (String,) =
        sqlx::query_as("select state from application where application_id = $1")
            .bind(id)
            .fetch_one(&app.store.pool)
            .await
            .unwrap();
    state
}

#[tokio::test]
async fn a_stranger_registers_applies_is_returned_resubmits_passes_and_becomes_a_member() {
    let app = spawn_app().await;
    let call = call(&app, -1, 30).await;
    // The public page offers registration to strangers.
    let page = app.page(format!("/calls/{call}")).await;
    assert!(page.contains(&format!("/calls/{call}/register")), "{page}");

    let id = applicant(&app, call, "10.1.1.1", "li.hua@lzu.edu.cn", "13912345678").await;
    let page = app.page(format!("/applications/{id}")).await;
    assert!(
        page.contains("李华") && page.contains("13912345678"),
        "the draft starts from the registration"
    );

    // Submitting an incomplete draft names what is missing; saving keeps it.
    let me = format!("/applications/{id}");
    let (status, _, html) =
        post_form(&app, &me, &me, "name=%E6%9D%8E%E5%8D%8E&app.go=submit").await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert!(html.contains("草稿已保存"), "{html}");
    let (status, location, _) = send_profile(&app, &me, "李华", "save").await;
    assert_eq!((status, location.as_str()), (Status::SeeOther, me.as_str()));
    let page = app.page(&me).await;
    assert!(
        page.contains("兰州大学") && page.contains("符合"),
        "rules judged by name: {page}"
    );
    // Without the title certificate it cannot be submitted.
    let (status, _, html) = send_profile(&app, &me, "李华", "submit").await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("职称证书"), "{html}");
    assert_eq!(
        upload(&app, id, "title_certificate", "职称证书.pdf", PDF)
            .await
            .0,
        Status::SeeOther
    );
    let (status, _, _) = send_profile(&app, &me, "李华", "submit").await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(state_of(&app, id).await, "submitted");
    // A submitted application cannot be changed by the applicant.
    let (status, _) = upload(&app, id, "other", "补充.pdf", PDF).await;
    assert_eq!(status, Status::Conflict);

    // Staff return it with a comment; the applicant is told by e-mail.
    app.logout().await;
    app.add_user("clerk", "staff", "").await;
    app.login("clerk", PASSWORD).await;
    let queue = app.page(format!("/calls/{call}/applications")).await;
    assert!(
        queue.contains("李华") && queue.contains("待审核"),
        "{queue}"
    );
    let review = format!("/applications/{id}/review");
    let (status, _, html) = post_form(&app, &me, &review, "decision=return").await;
    assert_eq!(
        status,
        Status::UnprocessableEntity,
        "a return needs a comment: {html}"
    );
    let (status, _, _) = post_form(&app, &me, &review, "decision=return&comment=%E8%AF%B7%E8%A1%A5%E5%85%85%E5%8D%95%E4%BD%8D%E6%8E%A8%E8%8D%90%E6%84%8F%E8%A7%81").await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(state_of(&app, id).await, "returned");
    let mails = mails_to(&app, "li.hua@lzu.edu.cn").await;
    assert!(
        mails[0].0.contains("需要修改") && mails[0].1.contains("请补充单位推荐意见"),
        "{mails:?}"
    );

    // The applicant adds the recommendation and submits again.
    app.logout().await;
    assert_eq!(
        app.login("li.hua@lzu.edu.cn", "Kexue-2027!").await,
        Status::Ok
    );
    let page = app.page(&me).await;
    assert!(page.contains("请补充单位推荐意见"), "the comment is shown");
    assert_eq!(
        upload(&app, id, "employer_recommendation", "推荐意见.pdf", PDF)
            .await
            .0,
        Status::SeeOther
    );
    let (status, _, _) = send_profile(&app, &me, "李华", "submit").await;
    assert_eq!(status, Status::SeeOther);

    // Staff pass it: an expert record, the account linked, an application to the pool.
    app.logout().await;
    app.login("clerk", PASSWORD).await;
    let (status, _, _) = post_form(&app, &me, &review, "decision=pass").await;
    assert_eq!(status, Status::SeeOther);
    let (membership, expert): (i64, i64) = sqlx::query_as(
        "select membership_id, expert_id from application where application_id = $1",
    )
    .bind(id)
    .fetch_one(&app.store.pool)
    .await
    .unwrap();
    let (status, m) = app
        .get_json(&format!("/api/v1/memberships/{membership}"))
        .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(m["state"], "applied");
    let timeline = app.page(format!("/memberships/{membership}")).await;
    for step in ["提交", "退回修改", "通过初审"] {
        assert!(
            timeline.contains(step),
            "the membership's timeline shows {step}"
        );
    }

    // The administrator approves; the applicant is an active member with their own page.
    app.logout().await;
    app.login_admin().await;
    let (status, m) = app
        .send_json(
            rocket::http::Method::Post,
            &format!("/api/v1/memberships/{membership}/transitions"),
            &serde_json::json!({"action": "approve"}),
        )
        .await;
    assert_eq!(status, Status::Ok, "{m}");
    assert_eq!(m["state"], "active");
    // The dashboard counts the member and the CSV agrees.
    let dashboard = app.page(format!("/calls/{call}/dashboard")).await;
    assert!(dashboard.contains("李华"), "{dashboard}");
    let csv = app.page(format!("/calls/{call}/dashboard.csv")).await;
    assert!(csv.contains("在库") || csv.contains("active"), "{csv}");
    app.logout().await;
    assert_eq!(
        app.login("li.hua@lzu.edu.cn", "Kexue-2027!").await,
        Status::Ok
    );
    let (status, me_json) = app.get_json("/api/v1/me").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(me_json["id"], expert, "{me_json}");
    // Every step is in the audit log.
    let actions: Vec<(String,)> = sqlx::query_as(
        "select action from audit where entity = 'application' and entity_ref = $1 order by audit_id",
    )
    .bind(id.to_string())
    .fetch_all(&app.store.pool)
    .await
    .unwrap();
    let actions: Vec<String> = actions.into_iter().map(|(a,)| a).collect();
    for a in [
        "application.create",
        "application.upload",
        "application.submit",
        "application.return",
        "application.pass",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn registering_again_or_with_someone_elses_number_reveals_nothing() {
    let app = spawn_app().await;
    let call = call(&app, -1, 30).await;
    applicant(&app, call, "10.2.0.1", "wang@zju.edu.cn", "13700000001").await;
    app.logout().await;
    let (_, first) = register(
        &app,
        call,
        "10.2.0.2",
        "陌生人",
        "new.person@example.org",
        "13700000002",
    )
    .await;
    // The same e-mail again: the same page, and the holder is told how to sign in.
    let (status, again) = register(
        &app,
        call,
        "10.2.0.3",
        "王",
        "WANG@zju.edu.cn",
        "13700000009",
    )
    .await;
    assert_eq!(status, Status::Ok);
    let strip = |html: &str, email: &str| html.replace(email, "EMAIL");
    assert_eq!(
        strip(&first, "new.person@example.org"),
        strip(&again, "wang@zju.edu.cn"),
        "a known address reads exactly like a new one"
    );
    let mails = mails_to(&app, "wang@zju.edu.cn").await;
    assert!(mails[0].0.contains("已有"), "{:?}", mails[0]);
    assert!(
        mails[0].1.contains("李华") && !mails[0].1.contains("王"),
        "the holder's own name"
    );
    assert!(
        mails[0].1.contains("登录名为 wang@zju.edu.cn"),
        "the login name is in the mail: {}",
        mails[0].1
    );
    // Someone else's mobile number with a fresh e-mail: the fresh address gets what any new
    // address gets (a number is not proven by typing it).
    let (status, _) = register(
        &app,
        call,
        "10.2.0.4",
        "冒名者",
        "attacker@example.net",
        "13700000001",
    )
    .await;
    assert_eq!(status, Status::Ok);
    let theirs = mails_to(&app, "attacker@example.net").await;
    assert_eq!(theirs.len(), 1);
    assert!(
        theirs[0].1.contains("/register/activate/") && !theirs[0].1.contains("wang"),
        "{theirs:?}"
    );
    // (The number was never proven by the account either, so it leads nowhere.)
    assert_eq!(mails_to(&app, "wang@zju.edu.cn").await.len(), 2);
    // Only one account exists for the address.
    let (n,): (i64,) =
        sqlx::query_as("select count(*) from app_user where email = 'wang@zju.edu.cn'")
            .fetch_one(&app.store.pool)
            .await
            .unwrap();
    assert_eq!(n, 1);
    // The reset link in the holder's mail sets a new password (once).
    let link = link_in(&mails_to(&app, "wang@zju.edu.cn").await[0].1);
    let (status, _) = activate(&app, &link).await;
    assert_eq!(status, Status::SeeOther);
    app.logout().await;
    assert_eq!(
        app.login("wang@zju.edu.cn", "Kexue-2027!").await,
        Status::Ok
    );
    app.logout().await;
    let again = app.client.get(link).dispatch().await;
    assert_eq!(again.status(), Status::NotFound, "a link works once");
    // A number on an expert record with an account: its holder is told, by their own name and
    // at their own address; the stranger's fresh address gets its ordinary activation.
    app.login_admin().await;
    let (_, known) = app
        .send_json(
            rocket::http::Method::Post,
            "/api/v1/experts",
            &profile_json("钱教授"),
        )
        .await;
    app.logout().await;
    app.add_user("qianjs", "expert", known["code"].as_str().unwrap())
        .await;
    let (status, _) = register(
        &app,
        call,
        "10.2.0.6",
        "冒名者",
        "fake@example.net",
        "13800000000",
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(mails_to(&app, "fake@example.net").await.len(), 1);
    let told = mails_to(&app, "钱教授@example.org").await;
    assert!(
        told[0].0.contains("手机号")
            && told[0].1.contains("钱教授")
            && told[0].1.contains("qianjs")
            && !told[0].1.contains("冒名者"),
        "{told:?}"
    );
    // The link works, but makes no second account for the number.
    let fake = mails_to(&app, "fake@example.net").await;
    let link = link_in(&fake[0].1);
    let token = csrf_token(&app.page(&link).await);
    let r = app
        .client
        .post(link.clone())
        .header(ContentType::Form)
        .header(Header::new("Accept-Language", "zh-CN"))
        .body(format!(
            "csrf={token}&password=Kexue-2027!&repeat=Kexue-2027!"
        ))
        .dispatch()
        .await;
    assert_eq!(r.status(), Status::Conflict);
    assert!(r.into_string().await.unwrap().contains("该手机号已有账号"));
    let (n,): (i64,) =
        sqlx::query_as("select count(*) from app_user where email = 'fake@example.net'")
            .fetch_one(&app.store.pool)
            .await
            .unwrap();
    assert_eq!(n, 0);
    // A wrong field is named.
    let (status, html) = register(&app, call, "10.2.0.5", "赵", "zhao@example.org", "12345").await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("不是有效的手机号"), "{html}");
}

#[tokio::test]
async fn a_hundred_registrations_from_one_address_are_throttled() {
    let app = spawn_app().await;
    let call = call(&app, -1, 30).await;
    let mut statuses = Vec::new();
    for i in 0..100 {
        let (status, _) = register(
            &app,
            call,
            "192.0.2.77",
            "批量",
            &format!("bulk{i}@example{}.org", i % 7),
            &format!("1360000{i:04}"),
        )
        .await;
        statuses.push(status);
    }
    let accepted = statuses.iter().filter(|s| **s == Status::Ok).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == Status::TooManyRequests)
        .count();
    assert_eq!((accepted, refused), (10, 90), "{statuses:?}");
    // Another address still registers.
    let (status, _) = register(
        &app,
        call,
        "192.0.2.78",
        "另一人",
        "other@example.org",
        "13600009999",
    )
    .await;
    assert_eq!(status, Status::Ok);
    let (queued,): (i64,) = sqlx::query_as(
        "select count(*) from outbox where kind = 'registration' and channel = 'email'",
    )
    .fetch_one(&app.store.pool)
    .await
    .unwrap();
    assert_eq!(queued, 11, "no message for a refused registration");
}

#[tokio::test]
async fn a_fake_pdf_is_refused_and_documents_are_only_for_their_applicant_and_staff() {
    let app = spawn_app().await;
    let call = call(&app, -1, 30).await;
    let first = applicant(&app, call, "10.3.0.1", "a@example.org", "13500000001").await;
    let (status, html) = upload(
        &app,
        first,
        "title_certificate",
        "证书.pdf",
        b"<html><script>alert(1)</script></html>",
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("不是 PDF、JPG 或 PNG"), "{html}");
    let (n,): (i64,) = sqlx::query_as("select count(*) from application_document")
        .fetch_one(&app.store.pool)
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing stored");
    assert_eq!(
        upload(&app, first, "title_certificate", "证书.pdf", PDF)
            .await
            .0,
        Status::SeeOther
    );
    let (doc,): (i64,) = sqlx::query_as("select document_id from application_document")
        .fetch_one(&app.store.pool)
        .await
        .unwrap();
    let path = format!("/applications/{first}/documents/{doc}");
    let r = app.client.get(path.clone()).dispatch().await;
    assert_eq!(r.status(), Status::Ok);
    assert_eq!(
        r.headers().get_one("X-Content-Type-Options"),
        Some("nosniff")
    );
    assert!(r
        .headers()
        .get_one("Content-Disposition")
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(r.into_bytes().await.unwrap(), PDF);

    // Another applicant sees neither the document nor the application.
    app.logout().await;
    let second = applicant(&app, call, "10.3.0.2", "b@example.org", "13500000002").await;
    assert_ne!(first, second);
    assert_eq!(
        app.client.get(path.clone()).dispatch().await.status(),
        Status::NotFound
    );
    assert_eq!(
        app.client
            .get(format!("/applications/{first}"))
            .dispatch()
            .await
            .status(),
        Status::NotFound
    );
    assert_eq!(
        app.client
            .get(format!("/applications/{second}/documents/{doc}"))
            .dispatch()
            .await
            .status(),
        Status::NotFound,
        "a document under another application id"
    );
    // Nor can they take it off.
    let (status, _, _) = post_form(
        &app,
        &format!("/applications/{second}"),
        &format!("/applications/{first}/documents/{doc}/remove"),
        "",
    )
    .await;
    assert_eq!(status, Status::NotFound);
    // Staff can.
    app.logout().await;
    app.add_user("clerk", "staff", "").await;
    app.login("clerk", PASSWORD).await;
    assert_eq!(
        app.client.get(path.clone()).dispatch().await.status(),
        Status::Ok
    );
    // Strangers are sent to the login.
    app.logout().await;
    let r = app.client.get(path).dispatch().await;
    assert!(matches!(r.status().code, 303 | 401), "{}", r.status());
}

#[tokio::test]
async fn a_closed_call_takes_nothing_until_an_administrator_reopens_a_draft() {
    let app = spawn_app().await;
    let call_id = call(&app, -5, 10).await;
    let id = applicant(&app, call_id, "10.4.0.1", "late@example.org", "13300000001").await;
    let me = format!("/applications/{id}");
    send_profile(&app, &me, "迟到", "save").await;
    assert_eq!(
        upload(&app, id, "title_certificate", "证书.pdf", PDF)
            .await
            .0,
        Status::SeeOther
    );
    // The call closes.
    expertpool::service::calls::update(
        &app.store,
        &Actor::system("test"),
        call_id,
        &CallInput {
            pool: "review".into(),
            title: "2027年度评审专家征集".into(),
            body: String::new(),
            opens_on: day(-5),
            closes_on: day(-1),
            sought: vec![("45020".into(), "2".into())],
            documents: vec!["title_certificate".into()],
        },
    )
    .await
    .unwrap();
    let (status, _, html) = send_profile(&app, &me, "迟到", "submit").await;
    assert_eq!(status, Status::Conflict, "{html}");
    assert_eq!(state_of(&app, id).await, "draft", "the draft is kept");
    // Registration from the closed call is refused.
    app.logout().await;
    let (status, _) = register(
        &app,
        call_id,
        "10.4.0.2",
        "更晚",
        "later@example.org",
        "13300000002",
    )
    .await;
    assert_eq!(status, Status::Conflict);
    // The administrator reopens the draft until a day; the applicant is told and submits.
    app.login_admin().await;
    let page = app.page(&me).await;
    assert!(page.contains("重新开放申请"), "{page}");
    let (status, _, _) = post_form(
        &app,
        &me,
        &format!("{me}/reopen"),
        &format!("until={}", day(3)),
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    assert!(mails_to(&app, "late@example.org").await[0]
        .0
        .contains("重新开放"));
    app.logout().await;
    app.login("late@example.org", "Kexue-2027!").await;
    let (status, _, _) = send_profile(&app, &me, "迟到", "submit").await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(state_of(&app, id).await, "submitted");
}

#[tokio::test]
async fn staff_link_an_applicant_to_the_expert_already_on_record() {
    let app = spawn_app().await;
    let call = call(&app, -1, 30).await;
    // An expert imported by staff, without an account, with the same name and employer.
    app.login_admin().await;
    let mut p = profile_json("李华");
    p["email"] = serde_json::json!("old.address@lzu.edu.cn");
    let (status, existing) = app
        .send_json(rocket::http::Method::Post, "/api/v1/experts", &p)
        .await;
    assert_eq!(status, Status::Created, "{existing}");
    app.logout().await;
    let id = applicant(&app, call, "10.5.0.1", "li.hua@lzu.edu.cn", "13912345678").await;
    let me = format!("/applications/{id}");
    send_profile(&app, &me, "李华", "save").await;
    upload(&app, id, "title_certificate", "证书.pdf", PDF).await;
    let (status, _, _) = send_profile(&app, &me, "李华", "submit").await;
    assert_eq!(status, Status::SeeOther);
    app.logout().await;
    app.login_admin().await;
    let page = app.page(&me).await;
    let code = existing["code"].as_str().unwrap();
    assert!(
        page.contains(code) && page.contains("姓名和单位相同"),
        "{page}"
    );
    let (status, _, _) =
        post_form(&app, &me, &format!("{me}/link"), &format!("expert={code}")).await;
    assert_eq!(status, Status::SeeOther);
    let (status, _, _) = post_form(&app, &me, &format!("{me}/review"), "decision=pass").await;
    assert_eq!(status, Status::SeeOther);
    let (experts,): (i64,) = sqlx::query_as("select count(*) from expert where name = '李华'")
        .fetch_one(&app.store.pool)
        .await
        .unwrap();
    assert_eq!(experts, 1, "no second record");
    let (linked,): (Option<i64>,) =
        sqlx::query_as("select expert_id from app_user where username = 'li.hua@lzu.edu.cn'")
            .fetch_one(&app.store.pool)
            .await
            .unwrap();
    assert_eq!(linked, existing["id"].as_i64());
}

/// The application as a model predicts it.
#[derive(Debug, Clone, Default)]
struct Model {
    state: &'static str,
    profile_ok: bool,
    pledge: bool,
    current: i64,
    stored: i64,
    steps: i64,
}

impl Model {
    fn editable(&self) -> bool {
        matches!(self.state, "draft" | "returned")
    }
}

#[tokio::test]
async fn random_applicant_and_staff_actions_keep_every_application_consistent() {
    use expertpool::domain::application::Document;
    use expertpool::domain::expert::ExpertInput;
    use expertpool::service::applications::{self as service, Draft, Review};
    let app = spawn_app().await;
    let call = call(&app, -1, 30).await;
    let staff = Actor::system("staff");
    let mut visited = std::collections::BTreeSet::new();
    for seed in 1..=8u64 {
        let mobile = format!("1350000{seed:04}");
        let id = applicant(
            &app,
            call,
            &format!("10.7.0.{seed}"),
            &format!("w{seed}@example.org"),
            &mobile,
        )
        .await;
        app.logout().await;
        let (user,): (i64,) = sqlx::query_as("select user_id from app_user where mobile = $1")
            .bind(&mobile)
            .fetch_one(&app.store.pool)
            .await
            .unwrap();
        let user = expertpool::domain::UserId(user);
        let me = Actor {
            user_id: Some(user),
            name: mobile.clone(),
        };
        let valid: ExpertInput =
            serde_json::from_value(profile_json(&format!("随机{seed}"))).unwrap();
        let invalid = ExpertInput {
            birth_year: "abc".into(),
            ..valid.clone()
        };
        let mut m = Model {
            state: "draft",
            steps: 1,
            ..Default::default()
        };
        let mut rng = seed.wrapping_mul(0xD1B5_4A32_D192_ED03);
        for step in 0..60 {
            // splitmix64: every bit of the draw mixed.
            rng = rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = rng;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            let draw = z ^ (z >> 31);
            let before = m.clone();
            // Mostly moves forward; withdrawing (final) is rare so that walks go far.
            let k = match draw % 20 {
                0..=3 => 0,
                4 => 1,
                5..=7 => 2,
                8 => 3,
                9..=11 => 4,
                12 => 5,
                13..=15 => 6,
                16 => 7,
                _ => 8,
            };
            let (what, result) = match k {
                0 | 1 => {
                    let ok = k == 0;
                    let pledge = (draw >> 8) % 4 != 0;
                    let draft = Draft {
                        profile: Some(if ok { valid.clone() } else { invalid.clone() }),
                        pledge,
                        note: String::new(),
                    };
                    let r = service::save(&app.store, &me, user, id, draft).await;
                    if before.editable() {
                        m.profile_ok = ok;
                        m.pledge = pledge;
                    }
                    ("save", r.map(|_| ()))
                }
                2 => {
                    let doc =
                        Document::check("title_certificate", "证书.pdf", PDF.to_vec(), 1 << 20)
                            .unwrap();
                    let r = service::upload(&app.store, &me, user, id, &doc).await;
                    if before.editable() {
                        m.current = 1;
                        m.stored += 1;
                        m.steps += 1;
                    }
                    ("upload", r.map(|_| ()))
                }
                3 => {
                    let current: Option<(i64,)> = sqlx::query_as(
                        "select document_id from application_document where application_id = $1 and replaced_at is null",
                    )
                    .bind(id)
                    .fetch_optional(&app.store.pool)
                    .await
                    .unwrap();
                    let Some((doc,)) = current else { continue };
                    let r = service::remove_document(&app.store, &me, user, id, doc).await;
                    if before.editable() {
                        m.current = 0;
                        m.steps += 1;
                    }
                    ("remove", r)
                }
                4 => {
                    let r = service::submit(&app.store, &me, user, id).await;
                    if before.editable() && m.profile_ok && m.pledge && m.current == 1 {
                        m.state = "submitted";
                        m.steps += 1;
                    }
                    ("submit", r)
                }
                5 => {
                    let r = service::withdraw(&app.store, &me, user, id).await;
                    if matches!(before.state, "draft" | "submitted" | "returned") {
                        m.state = "withdrawn";
                        m.steps += 1;
                    }
                    ("withdraw", r)
                }
                6 | 7 => {
                    let decision = if k == 6 {
                        Review::Return("改".into())
                    } else {
                        Review::Refuse("否".into())
                    };
                    let r = service::review(&app.store, &staff, id, decision).await;
                    if before.state == "submitted" {
                        m.state = if k == 6 { "returned" } else { "refused" };
                        m.steps += 1;
                    }
                    ("review", r)
                }
                _ => {
                    let r = service::review(&app.store, &staff, id, Review::Pass).await;
                    if before.state == "submitted" {
                        m.state = "passed";
                        m.steps += 1;
                    }
                    ("pass", r)
                }
            };
            let changed = m.state != before.state
                || m.steps != before.steps
                || m.profile_ok != before.profile_ok
                || m.pledge != before.pledge;
            let expected_ok = changed || (what == "save" && before.editable());
            assert_eq!(
                result.is_ok(),
                expected_ok,
                "seed {seed} step {step} {what} from {before:?}: {result:?}"
            );
            // The invariants, after every action.
            let (state, membership, expert): (String, Option<i64>, Option<i64>) = sqlx::query_as(
                "select state, membership_id, expert_id from application where application_id = $1",
            )
            .bind(id)
            .fetch_one(&app.store.pool)
            .await
            .unwrap();
            assert_eq!(state, m.state, "seed {seed} step {step} {what}");
            visited.insert(state);
            let (current, stored): (i64, i64) = sqlx::query_as(
                "select coalesce(sum(case when replaced_at is null then 1 else 0 end), 0), count(*) from application_document where application_id = $1",
            )
            .bind(id)
            .fetch_one(&app.store.pool)
            .await
            .unwrap();
            assert_eq!(
                (current, stored),
                (m.current, m.stored),
                "documents are never deleted"
            );
            let (steps,): (i64,) =
                sqlx::query_as("select count(*) from application_step where application_id = $1")
                    .bind(id)
                    .fetch_one(&app.store.pool)
                    .await
                    .unwrap();
            assert_eq!(
                steps, m.steps,
                "seed {seed} step {step} {what}: one step per change"
            );
            assert_eq!(
                membership.is_some(),
                m.state == "passed",
                "a membership exactly when passed"
            );
            if let Some(membership) = membership {
                let (mstate, mcall, mexpert): (String, Option<i64>, i64) = sqlx::query_as(
                    "select state, call_id, expert_id from membership where membership_id = $1",
                )
                .bind(membership)
                .fetch_one(&app.store.pool)
                .await
                .unwrap();
                assert_eq!(
                    (mstate.as_str(), mcall, Some(mexpert)),
                    ("applied", Some(call), expert)
                );
            }
        }
        let (records,): (i64,) = sqlx::query_as("select count(*) from expert where name = $1")
            .bind(format!("随机{seed}"))
            .fetch_one(&app.store.pool)
            .await
            .unwrap();
        assert!(records <= 1, "at most one expert record per applicant");
    }
    for state in ["draft", "submitted", "returned", "withdrawn"] {
        assert!(
            visited.contains(state),
            "the walks reached {state}: {visited:?}"
        );
    }
    assert!(
        visited.contains("passed") || visited.contains("refused"),
        "{visited:?}"
    );
}

#[tokio::test]
async fn with_an_sms_gateway_the_code_activates_and_five_wrong_codes_end_it() {
    let app = spawn_app_with(expertpool::config::Messaging {
        sms_url: Some("log".into()),
        ..Default::default()
    })
    .await;
    let call = call(&app, -1, 30).await;
    let (status, page) = register(
        &app,
        call,
        "10.8.0.1",
        "孙",
        "sun@example.org",
        "13600000001",
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(page.contains("/register/code"), "the page offers the code");
    let (sms,): (String,) = sqlx::query_as(
        "select body from outbox where channel = 'sms' and recipient = '13600000001'",
    )
    .fetch_one(&app.store.pool)
    .await
    .unwrap();
    let code: String = sms
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("a six-digit code")
        .to_string();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let form = |code: &str| {
        format!("mobile=13600000001&sms_code={code}&password=Kexue-2027!&repeat=Kexue-2027!")
    };
    let (status, _, html) = post_form(&app, "/register/code", "/register/code", &form(wrong)).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("验证码错误"), "{html}");
    let (status, location, _) =
        post_form(&app, "/register/code", "/register/code", &form(&code)).await;
    assert_eq!(status, Status::SeeOther);
    assert!(location.starts_with("/applications/"), "{location}");
    app.logout().await;
    assert_eq!(
        app.login("sun@example.org", "Kexue-2027!").await,
        Status::Ok
    );
    app.logout().await;

    // Another registration: five wrong codes and the right one no longer works.
    register(
        &app,
        call,
        "10.8.0.2",
        "钱",
        "qian@example.org",
        "13600000002",
    )
    .await;
    let (sms,): (String,) = sqlx::query_as(
        "select body from outbox where channel = 'sms' and recipient = '13600000002'",
    )
    .fetch_one(&app.store.pool)
    .await
    .unwrap();
    let code: String = sms
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap()
        .to_string();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let form = |code: &str| {
        format!("mobile=13600000002&sms_code={code}&password=Kexue-2027!&repeat=Kexue-2027!")
    };
    for _ in 0..5 {
        let (status, _, _) =
            post_form(&app, "/register/code", "/register/code", &form(wrong)).await;
        assert_eq!(status, Status::UnprocessableEntity);
    }
    let (status, _, _) = post_form(&app, "/register/code", "/register/code", &form(&code)).await;
    assert_eq!(
        status,
        Status::UnprocessableEntity,
        "the code is spent after five wrong tries"
    );
    // The e-mailed link still works.
    let link = link_in(&mails_to(&app, "qian@example.org").await[0].1);
    assert_eq!(activate(&app, &link).await.0, Status::SeeOther);
}

#[tokio::test]
async fn the_dashboard_counts_every_application_by_state_and_the_csv_agrees() {
    let app = spawn_app().await;
    let call = call(&app, -1, 30).await;
    // One draft, one submitted, one passed to approval; one withdrawn.
    let mut ids = Vec::new();
    for (i, mobile) in ["13100000001", "13100000002", "13100000003", "13100000004"]
        .iter()
        .enumerate()
    {
        let id = applicant(
            &app,
            call,
            &format!("10.6.0.{i}"),
            &format!("d{i}@example.org"),
            mobile,
        )
        .await;
        let me = format!("/applications/{id}");
        send_profile(&app, &me, &format!("看板{i}"), "save").await;
        if i > 0 {
            upload(&app, id, "title_certificate", "证书.pdf", PDF).await;
            let (status, _, _) = send_profile(&app, &me, &format!("看板{i}"), "submit").await;
            assert_eq!(status, Status::SeeOther);
        }
        if i == 3 {
            post_form(&app, &me, &format!("{me}/withdraw"), "").await;
        }
        app.logout().await;
        ids.push(id);
    }
    app.login_admin().await;
    let me = format!("/applications/{}", ids[2]);
    post_form(&app, &me, &format!("{me}/review"), "decision=pass").await;
    let csv = app.page(format!("/calls/{call}/dashboard.csv")).await;
    let count = |state: &str| -> i64 {
        csv.lines()
            .filter(|l| l.contains(state))
            .map(|l| l.rsplit(',').next().unwrap().trim().parse::<i64>().unwrap())
            .sum()
    };
    assert_eq!(
        (
            count(",草稿,"),
            count(",待审核,"),
            count(",申请中,"),
            count(",已撤回,")
        ),
        (1, 1, 1, 1),
        "{csv}"
    );
    // The page shows the same: sought 2, applied 2 (submitted and passed), approved 0.
    let page = app.page(format!("/calls/{call}/dashboard")).await;
    assert!(page.contains("<svg"), "{page}");
    let row = page
        .split("<tr>")
        .skip(1)
        .find(|r| r.contains("冶金原料"))
        .expect("the line of the discipline sought");
    let cells: Vec<&str> = row
        .split("</td>")
        .map(|c| c.rsplit('>').next().unwrap_or_default())
        .collect();
    assert!(cells.len() >= 4, "{row}");
    assert_eq!(&cells[1..4], &["2", "2", "0"], "{row}");
}
