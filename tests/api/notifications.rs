//! Invitations that reach experts (issue 13): the outbox, e-mail through a real SMTP server
//! on 127.0.0.1, SMS through a local gateway, answer links, deadlines and the scheduler, on
//! a clock the tests move.

use crate::helpers::*;
use crate::mailbox::{SmsGateway, SmtpServer};
use crate::workflow::{confirm, draw, event, review_pool, roster};
use expertpool::config::Messaging;
use expertpool::service::{delivery, scheduler};
use rocket::http::{ContentType, Status};
use serde_json::{json, Value};

fn mail_to(port: u16) -> Messaging {
    Messaging {
        smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
        mail_from: "kjj@example.org".into(),
        public_url: "http://expertpool.test".into(),
        ..Default::default()
    }
}

/// A confirmed event of one panel of `size` drawn from a pool of `pool` experts.
async fn confirmed(app: &TestApp, pool: usize, size: u32) -> i64 {
    app.login_admin().await;
    review_pool(app, pool).await;
    let id = event(
        app,
        "EVN",
        "2027-03-10",
        "S1=2027-03-10 am",
        1,
        size,
        |_| {},
    )
    .await;
    assert_eq!(draw(app, id, 7).await.0, Status::Created);
    assert_eq!(confirm(app, id).await.0, Status::Ok);
    id
}

fn path_of(link: &str) -> String {
    link.trim_start_matches("http://expertpool.test")
        .to_string()
}

async fn page(app: &TestApp, path: &str) -> (Status, String) {
    let r = app.client.get(path).dispatch().await;
    (r.status(), r.into_string().await.unwrap_or_default())
}

async fn post_form(app: &TestApp, path: &str, fields: &str) -> (Status, String) {
    // This browser's form token, from the page when it still has a form, else the login page.
    let (_, mut html) = page(app, path).await;
    if !html.contains("name=\"csrf\"") {
        html = page(app, "/login").await.1;
    }
    let token = csrf_token(&html);
    let r = app
        .client
        .post(path)
        .header(ContentType::Form)
        .body(format!("csrf={token}&{fields}"))
        .dispatch()
        .await;
    (r.status(), r.into_string().await.unwrap_or_default())
}

async fn status_of(app: &TestApp, event: i64, expert: &str) -> String {
    roster(app, event)
        .await
        .iter()
        .filter(|i| i["expert_code"] == expert)
        .map(|i| i["status"].as_str().unwrap().to_string())
        .next_back()
        .unwrap_or_default()
}

#[tokio::test]
async fn each_invited_expert_gets_one_mail_whose_link_answers_once_without_login() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(mail_to(smtp.port)).await;
    let id = confirmed(&app, 6, 5).await;
    // Five invitations, and the six approvals to the pool that came before them.
    assert_eq!(delivery::deliver_due(&app.store).await.unwrap(), 11);
    assert_eq!(delivery::deliver_due(&app.store).await.unwrap(), 0);
    let mails = smtp.invitations();
    assert_eq!(mails.len(), 5);
    let seats = roster(&app, id).await;
    for seat in &seats {
        let email = seat["email"].as_str().unwrap();
        let theirs: Vec<_> = mails.iter().filter(|m| m.to == vec![email]).collect();
        assert_eq!(theirs.len(), 1, "one mail to {email}");
        assert!(theirs[0].text.contains("评审 EVN"), "{}", theirs[0].text);
        assert!(theirs[0].subject.starts_with("评审邀请：") && theirs[0].subject.contains("EVN"));
    }
    // SMS rows wait (no gateway configured): nothing is lost, staff see them.
    let (_, outbox) = app.get_json("/api/v1/outbox?status=queued").await;
    assert_eq!(outbox["total"], 11, "{outbox}");

    // The link opens without logging in and shows this invitation only.
    app.logout().await;
    let first = &seats[0];
    let mail = mails
        .iter()
        .find(|m| m.to[0] == first["email"].as_str().unwrap())
        .unwrap();
    let path = path_of(&mail.link());
    let (status, html) = page(&app, &path).await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(html.contains("评审 EVN") && html.contains("P1"), "{html}");
    for other in seats.iter().skip(1) {
        assert!(
            !html.contains(other["expert_name"].as_str().unwrap()),
            "the link shows another member"
        );
    }
    // Accepting needs the pledge; then it is recorded, and the link cannot change it.
    let (status, _) = post_form(&app, &path, "answer=accept").await;
    assert_eq!(status, Status::UnprocessableEntity);
    let (status, html) = post_form(&app, &path, "answer=accept&pledge=true").await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(html.contains("已收到您的答复"), "{html}");
    let (status, html) = post_form(&app, &path, "answer=decline&reason=x").await;
    assert_eq!(status, Status::Conflict, "{html}");
    app.login_admin().await;
    let code = first["expert_code"].as_str().unwrap();
    assert_eq!(status_of(&app, id, code).await, "accepted");
    let (_, audit) = app.get_json("/api/v1/audit?action=invitation.answer").await;
    assert!(audit.to_string().contains("answer link"), "{audit}");

    // A changed digit is refused like an unknown link.
    let mut forged = path.clone();
    forged.pop();
    forged.push(if path.ends_with('0') { '1' } else { '0' });
    app.logout().await;
    let (status, html) = page(&app, &forged).await;
    assert_eq!(status, Status::NotFound);
    assert!(html.contains("链接无效"), "{html}");

    // After the deadline the link says so and refuses an answer.
    let second = &seats[1];
    let mail = mails
        .iter()
        .find(|m| m.to[0] == second["email"].as_str().unwrap())
        .unwrap();
    let path = path_of(&mail.link());
    app.store.clock.advance(chrono::Duration::hours(25));
    let (status, html) = page(&app, &path).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("答复期限已过"), "{html}");
    let (status, _) = post_form(&app, &path, "answer=accept&pledge=true").await;
    assert_eq!(status, Status::Conflict);
}

#[tokio::test]
async fn smtp_down_means_retries_and_every_mail_goes_out_once_it_is_back() {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    smtp.stop();
    tokio::task::yield_now().await;
    let app = spawn_app_with(mail_to(port)).await;
    confirmed(&app, 3, 3).await;
    assert_eq!(delivery::deliver_due(&app.store).await.unwrap(), 0);
    let (_, queued) = app.get_json("/api/v1/outbox?status=queued").await;
    let mails: Vec<&Value> = queued["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["channel"] == "email" && m["kind"] == "invitation")
        .collect();
    assert_eq!(mails.len(), 3);
    for m in &mails {
        assert_eq!(m["attempts"], 1, "{m}");
        assert!(!m["last_error"].as_str().unwrap().is_empty(), "{m}");
    }
    // Not due again before the backoff.
    assert_eq!(delivery::deliver_due(&app.store).await.unwrap(), 0);
    let back = SmtpServer::start_on(port).await;
    app.store.clock.advance(chrono::Duration::seconds(31));
    // A second instance started after a crash (the commit made, nothing delivered) finds
    // the same rows and sends them; the first finds nothing left.
    let other = expertpool::store::Store::connect(&app.database_url)
        .await
        .unwrap()
        .with_messaging(Messaging {
            instance: "second".into(),
            ..(*app.store.messaging).clone()
        });
    other.clock.advance(chrono::Duration::seconds(31));
    assert_eq!(delivery::deliver_due(&other).await.unwrap(), 6);
    assert_eq!(delivery::deliver_due(&app.store).await.unwrap(), 0);
    assert_eq!(back.invitations().len(), 3, "every invitation once");
    assert_eq!(back.received().len(), 6, "and every approval");
}

#[tokio::test]
async fn a_message_that_keeps_failing_is_marked_failed_and_can_be_sent_again() {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    smtp.stop();
    let app = spawn_app_with(Messaging {
        max_attempts: 2,
        ..mail_to(port)
    })
    .await;
    confirmed(&app, 3, 3).await;
    delivery::deliver_due(&app.store).await.unwrap();
    app.store.clock.advance(chrono::Duration::minutes(5));
    delivery::deliver_due(&app.store).await.unwrap();
    let (_, failed) = app.get_json("/api/v1/outbox?status=failed").await;
    assert_eq!(failed["total"], 6, "{failed}");
    let html = page(&app, "/outbox").await.1;
    assert!(html.contains("发送失败"), "{html}");
    let back = SmtpServer::start_on(port).await;
    let id = failed["items"][0]["message_id"].clone();
    let (status, m) = app
        .send_json(
            rocket::http::Method::Post,
            &format!("/api/v1/messages/{id}/resend"),
            &json!({}),
        )
        .await;
    assert_eq!((status, m["status"].as_str()), (Status::Ok, Some("queued")));
    assert_eq!(delivery::deliver_due(&app.store).await.unwrap(), 1);
    assert_eq!(back.received().len(), 1);
}

#[tokio::test]
async fn sms_go_through_the_gateway_with_the_token_and_the_link() {
    let gateway = SmsGateway::start().await;
    let app = spawn_app_with(Messaging {
        sms_url: Some(format!("http://127.0.0.1:{}/send", gateway.port)),
        sms_token: Some("secret-token".into()),
        public_url: "http://expertpool.test".into(),
        ..Default::default()
    })
    .await;
    confirmed(&app, 3, 3).await;
    assert_eq!(delivery::deliver_due(&app.store).await.unwrap(), 6);
    let received = gateway.received.lock().unwrap().clone();
    assert_eq!(received.len(), 6);
    let mut links = 0;
    for sms in &received {
        assert_eq!(sms.authorization, "Bearer secret-token");
        assert_eq!(sms.body["to"], "13800000000");
        let text = sms.body["text"].as_str().unwrap();
        links += usize::from(text.contains("http://expertpool.test/a/"));
    }
    assert_eq!(links, 3, "one link per invitation: {received:?}");
}

#[tokio::test]
async fn two_instances_deliver_every_message_exactly_once() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(mail_to(smtp.port)).await;
    confirmed(&app, 12, 10).await;
    let second = expertpool::store::Store::connect(&app.database_url)
        .await
        .unwrap()
        .with_messaging(Messaging {
            instance: "second".into(),
            ..(*app.store.messaging).clone()
        });
    let (mut a, mut b) = (0, 0);
    loop {
        let (x, y) = tokio::join!(
            delivery::deliver_due(&app.store),
            delivery::deliver_due(&second)
        );
        let (x, y) = (x.unwrap(), y.unwrap());
        a += x;
        b += y;
        if x + y == 0 {
            break;
        }
    }
    assert_eq!(a + b, 22, "ten invitations and twelve approvals");
    let mails = smtp.invitations();
    assert_eq!(mails.len(), 10);
    let mut to: Vec<String> = mails.iter().map(|m| m.to[0].clone()).collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), 10, "nobody got two");
}

#[tokio::test]
async fn a_week_of_deadlines_reminds_marks_no_response_and_replaces_automatically() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(mail_to(smtp.port)).await;
    let id = confirmed(&app, 9, 5).await;
    delivery::deliver_due(&app.store).await.unwrap();
    let invited: Vec<String> = roster(&app, id)
        .await
        .iter()
        .map(|i| i["expert_code"].as_str().unwrap().to_string())
        .collect();
    // One expert accepts through the link.
    let first_mail = smtp.invitations()[0].clone();
    app.logout().await;
    let (status, _) = post_form(
        &app,
        &path_of(&first_mail.link()),
        "answer=accept&pledge=true",
    )
    .await;
    assert_eq!(status, Status::Ok);
    app.login_admin().await;

    // Nothing is due at once.
    assert_eq!(
        scheduler::run(&app.store).await.unwrap(),
        Default::default()
    );
    // 17 hours later a third of the day is left: four reminders (the one who accepted has
    // none), delivered with the same links.
    app.store.clock.advance(chrono::Duration::hours(17));
    let report = scheduler::run(&app.store).await.unwrap();
    assert_eq!(report.reminders, 4, "{report:?}");
    assert_eq!(scheduler::run(&app.store).await.unwrap().reminders, 0);
    delivery::deliver_due(&app.store).await.unwrap();
    let reminders: Vec<_> = smtp
        .received()
        .into_iter()
        .filter(|m| m.text.contains("尚未答复"))
        .collect();
    assert_eq!(reminders.len(), 4);
    assert!(reminders.iter().all(|m| m.text.contains("/a/")));

    // At the deadline the four are marked no_response and the alternates invited at once.
    app.store.clock.advance(chrono::Duration::hours(8));
    let report = scheduler::run(&app.store).await.unwrap();
    assert_eq!(report.no_responses, 4, "{report:?}");
    assert_eq!(report.replaced, 4, "{report:?}");
    let seats = roster(&app, id).await;
    let newcomers: Vec<&Value> = seats
        .iter()
        .filter(|i| !invited.contains(&i["expert_code"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(newcomers.len(), 4);
    assert!(newcomers.iter().all(|i| i["status"] == "pending"));
    // The rules still hold: five live seats, five different people.
    let mut live: Vec<&str> = seats
        .iter()
        .filter(|i| i["status"] == "pending" || i["status"] == "accepted")
        .map(|i| i["expert_code"].as_str().unwrap())
        .collect();
    assert_eq!(live.len(), 5);
    live.sort();
    live.dedup();
    assert_eq!(live.len(), 5);
    // The new invitations go out at once, each with its own new deadline.
    delivery::deliver_due(&app.store).await.unwrap();
    assert_eq!(smtp.invitations().len(), 5 + 4);
    let (_, audit) = app
        .get_json("/api/v1/audit?actor=system:scheduler&per_page=100")
        .await;
    let text = audit.to_string();
    assert!(
        text.contains("invitation.answer") && text.contains("invitation.replace"),
        "{text}"
    );

    // With automatic replacement off, a decliner's seat waits for staff on the home page.
    let (status, e) = app
        .send_json(
            rocket::http::Method::Put,
            &format!("/api/v1/events/{id}/notice"),
            &json!({"venue": "科技大厦 301", "auto_replace": false}),
        )
        .await;
    assert_eq!(status, Status::Ok, "{e}");
    let (status, _) = crate::workflow::answer(&app, newcomers[0], crate::workflow::decline()).await;
    assert_eq!(status, Status::Ok);
    let report = scheduler::run(&app.store).await.unwrap();
    assert_eq!(report.replaced, 0, "{report:?}");
    let home = page(&app, "/").await.1;
    assert!(home.contains("待处理的空缺席位"), "{home}");
    assert!(home.contains(newcomers[0]["expert_name"].as_str().unwrap()));

    // The day before the meeting, whoever accepted is reminded, once.
    let eve = chrono::NaiveDate::from_ymd_opt(2027, 3, 9)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_local_timezone(chrono::Local)
        .unwrap()
        .with_timezone(&chrono::Utc);
    app.store.clock.advance(eve - app.store.clock.now());
    let report = scheduler::run(&app.store).await.unwrap();
    assert_eq!(report.meeting_reminders, 1, "{report:?}");
    assert_eq!(
        scheduler::run(&app.store).await.unwrap().meeting_reminders,
        0
    );
}

#[tokio::test]
async fn a_member_is_told_once_that_their_term_ends_soon() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(mail_to(smtp.port)).await;
    app.login_admin().await;
    let mut p = profile_json("任期将满");
    p["email"] = json!("term@example.org");
    let (_, e) = app
        .send_json(rocket::http::Method::Post, "/api/v1/experts", &p)
        .await;
    let (_, m) = app
        .send_json(
            rocket::http::Method::Post,
            "/api/v1/pools/review/memberships",
            &json!({"expert_code": e["code"], "pledge_on_paper": true}),
        )
        .await;
    let end = app.store.clock.today() + chrono::Days::new(30);
    let (status, _) = app
        .send_json(
            rocket::http::Method::Post,
            &format!("/api/v1/memberships/{}/transitions", m["id"]),
            &json!({"action": "approve", "term_end": end.to_string()}),
        )
        .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(scheduler::run(&app.store).await.unwrap().term_notices, 1);
    assert_eq!(scheduler::run(&app.store).await.unwrap().term_notices, 0);
    delivery::deliver_due(&app.store).await.unwrap();
    let notice = smtp
        .received()
        .into_iter()
        .find(|m| m.subject.starts_with("任期即将届满"))
        .expect("a term notice");
    assert!(notice.text.contains(&end.to_string()), "{}", notice.text);
}
