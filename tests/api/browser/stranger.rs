//! A stranger answers a call on a phone: opens the public call page, registers, follows the
//! e-mailed link (caught by a real SMTP server on loopback), fills the application with the
//! pickers, uploads a PDF and submits; staff return it with a comment; the expert fixes it
//! and submits again; staff pass it; the administrator approves; the expert is a member.

use super::Walk;
use crate::helpers::*;
use crate::mailbox::SmtpServer;
use crate::recruiting::{call, PDF};
use expertpool::config::Messaging;
use expertpool::service::delivery;

/// The path of the activation link in the last mail to `address`.
fn activation_path(smtp: &SmtpServer, address: &str) -> String {
    let mail = smtp
        .received()
        .into_iter()
        .rev()
        .find(|m| m.to.iter().any(|t| t == address))
        .unwrap_or_else(|| panic!("a mail to {address}"));
    crate::recruiting::link_in(&mail.text)
}

async fn sign_out(walk: &Walk) {
    walk.click("header form.inline button").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver; run by .ci/run with --ignored"]
async fn a_stranger_registers_applies_on_a_phone_and_becomes_a_member() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(Messaging {
        smtp_url: Some(format!("smtp://127.0.0.1:{}", smtp.port)),
        mail_from: "kjj@example.org".into(),
        ..Default::default()
    })
    .await;
    let call = call(&app, -1, 30).await;
    app.add_user("staffer", "staff", "").await;
    let store = app.store.clone();
    let walk = Walk::start(app, "stranger").await;
    walk.browser.set_window_size(390, 844).await.unwrap();

    // The public call page, and registration on it.
    walk.goto(&format!("/calls/{call}")).await;
    walk.look("call").await;
    walk.fill("form.register input[name=name]", "李华").await;
    walk.fill("form.register input[name=email]", "li.hua@lzu.edu.cn")
        .await;
    walk.fill("form.register input[name=mobile]", "139 1234 5678")
        .await;
    walk.click("form.register button[type=submit]").await;
    walk.look("registered").await;

    // The mail arrives through SMTP; its link sets the password and opens the application.
    assert!(delivery::deliver_due(&store).await.unwrap() >= 1);
    walk.goto(&activation_path(&smtp, "li.hua@lzu.edu.cn"))
        .await;
    walk.look("activate").await;
    walk.fill("input[name=password]", "Kexue-2027!").await;
    walk.fill("input[name=repeat]", "Kexue-2027!").await;
    walk.click("main form button[type=submit]").await;
    let application = walk.path().await;
    assert!(application.starts_with("/applications/"), "{application}");
    walk.look("application-draft").await;

    // The application with pickers; the pledge; saved.
    walk.fill("input[name=birth_year]", "1975").await;
    walk.choose("select[name=title]", "正高").await;
    walk.fill("input[name=position]", "教授").await;
    walk.fill("input[name=org]", "兰州大学").await;
    walk.choose("select[name=region]", "province").await;
    walk.fill("input[name='disciplines[0]']", "45020").await;
    walk.fill("input[name=field_since]", "1998").await;
    walk.fill("input[name='jobs[0].org']", "兰州大学").await;
    walk.fill("input[name='jobs[0].from']", "2001").await;
    walk.find("input[name='app.pledge']")
        .await
        .click()
        .await
        .unwrap();
    walk.click("button[value=save]").await;
    let page = walk.browser.source().await.unwrap();
    assert!(page.contains("草稿已保存"), "saved");
    assert!(page.contains("✓ 符合"), "the rules judged by name");
    walk.look("application-saved").await;

    // The title certificate as a PDF, then the submission.
    let file = std::env::temp_dir().join(format!("职称证书-{}.pdf", std::process::id()));
    std::fs::write(&file, PDF).unwrap();
    walk.choose("select[name=kind]", "title_certificate").await;
    walk.find("input[type=file]")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    walk.click("form.upload button[type=submit]").await;
    assert!(walk.browser.source().await.unwrap().contains("材料已上传"));
    walk.click("button[value=submit]").await;
    assert!(walk.browser.source().await.unwrap().contains("申请已提交"));
    walk.look("application-submitted").await;
    sign_out(&walk).await;

    // Staff return it with a comment.
    walk.login("staffer", PASSWORD).await;
    walk.goto(&format!("/calls/{call}/applications")).await;
    walk.look("queue").await;
    walk.click("table.list a[href^='/applications/']").await;
    walk.look("review").await;
    walk.fill("textarea[name=comment]", "请补充单位推荐意见")
        .await;
    walk.click("button[value=return]").await;
    assert!(walk
        .browser
        .source()
        .await
        .unwrap()
        .contains("已退回申请人修改"));
    sign_out(&walk).await;
    assert!(delivery::deliver_due(&store).await.unwrap() >= 1);
    assert!(smtp
        .received()
        .iter()
        .any(|m| m.subject.contains("需要修改") && m.text.contains("请补充单位推荐意见")));

    // The expert adds the recommendation and submits again.
    walk.login("li.hua@lzu.edu.cn", "Kexue-2027!").await;
    walk.goto(&application).await;
    assert!(walk
        .browser
        .source()
        .await
        .unwrap()
        .contains("请补充单位推荐意见"));
    walk.look("application-returned").await;
    walk.choose("select[name=kind]", "employer_recommendation")
        .await;
    walk.find("input[type=file]")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    walk.click("form.upload button[type=submit]").await;
    walk.click("button[value=submit]").await;
    assert!(walk.browser.source().await.unwrap().contains("申请已提交"));
    sign_out(&walk).await;

    // Staff pass it (asked first: one new expert record).
    walk.login("staffer", PASSWORD).await;
    walk.goto(&application).await;
    walk.click_confirming("button[value=pass]", "1").await;
    assert!(walk.browser.source().await.unwrap().contains("已通过初审"));
    let membership = walk
        .find("a[href^='/memberships/']")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    sign_out(&walk).await;

    // The administrator approves on the membership page, whose timeline shows the review.
    walk.login("admin", ADMIN_PASSWORD).await;
    walk.goto(&membership).await;
    assert!(walk.browser.source().await.unwrap().contains("退回修改"));
    walk.look("membership").await;
    walk.choose("select[name=action]", "approve").await;
    walk.click_confirming("form[action^='/memberships/'] button[type=submit]", "")
        .await;
    sign_out(&walk).await;

    // The expert is an active member and has their own page.
    walk.login("li.hua@lzu.edu.cn", "Kexue-2027!").await;
    walk.goto("/me").await;
    let page = walk.browser.source().await.unwrap();
    assert!(page.contains("李华"), "the expert's own page");
    walk.look("member").await;
    let (state,): (String,) = sqlx::query_as(
        "select m.state from membership m join application a on a.membership_id = m.membership_id",
    )
    .fetch_one(&store.pool)
    .await
    .unwrap();
    assert_eq!(state, "active");
    let _ = std::fs::remove_file(file);
    walk.finish().await;
}
