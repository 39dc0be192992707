//! A staff member's week in headless Chromium: login → create event → upload items → group →
//! draw → confirm → roster. Needs `chromium` and `chromedriver` (Debian: chromium,
//! chromium-driver); `.ci/run` installs them and runs this test with `--ignored`.

use crate::helpers::*;
use expertpool::config::Config;
use fantoccini::{ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn wait_for(port: u16) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nothing listens on port {port}");
}

/// Clicks and waits for the next page: the old page's body goes stale once the browser has
/// navigated, so the next lookup cannot find an element of the page being left.
async fn click_and_wait(browser: &fantoccini::Client, selector: &str) {
    let body = browser.find(Locator::Css("body")).await.unwrap();
    browser
        .find(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
        .click()
        .await
        .unwrap();
    for _ in 0..200 {
        if body.text().await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("clicking {selector} did not leave the page");
}

/// Clicks a button whose form asks first (`data-confirm`), checks the question names the
/// count, accepts it, and waits for the next page.
async fn click_confirm_and_wait(browser: &fantoccini::Client, selector: &str) {
    let body = browser.find(Locator::Css("body")).await.unwrap();
    browser
        .find(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
        .click()
        .await
        .unwrap();
    let question = browser
        .get_alert_text()
        .await
        .expect("a confirmation dialog");
    assert!(
        question.chars().any(|c| c.is_ascii_digit()),
        "the question names the count: {question}"
    );
    browser.accept_alert().await.unwrap();
    for _ in 0..200 {
        if body.text().await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("clicking {selector} did not leave the page");
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver; run by .ci/run with --ignored"]
async fn a_staff_member_draws_and_confirms_panels_in_the_browser() {
    // The real service on a free port, with the sample data and a staff account.
    let app = spawn_app().await;
    let data = expertpool::dataset::Dataset::load(&sample_dir()).unwrap();
    expertpool::store::import::import(
        &app.store,
        &data,
        &expertpool::store::audit::Actor::system("test"),
    )
    .await
    .unwrap();
    app.add_user("staffer", "staff", "").await;
    let port = free_port();
    let config = Config {
        database_url: String::new(),
        secret_key: vec![9u8; 64],
        admin_password: None,
        port: Some(port),
        templates_dir: None,
        messaging: Default::default(),
    };
    let server = expertpool::build(&config, app.store.clone())
        .ignite()
        .await
        .unwrap();
    let shutdown = server.shutdown();
    tokio::spawn(server.launch());
    wait_for(port).await;

    let driver_port = free_port();
    let _driver = Driver(
        Command::new("chromedriver")
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed"),
    );
    wait_for(driver_port).await;
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({"binary": "/usr/bin/chromium", "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=en-US", "--window-size=1280,900"]}),
    );
    // The service's TLS (mail, SMS gateway) uses ring and fantoccini's default brings
    // aws-lc-rs: with both compiled in, rustls wants the process to name one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let browser = ClientBuilder::rustls()
        .expect("tls")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("a browser session");
    let base = format!("http://127.0.0.1:{port}");
    let css = |s: &'static str| Locator::Css(s);

    browser.goto(&format!("{base}/login")).await.unwrap();
    browser
        .find(css("input[name=username]"))
        .await
        .unwrap()
        .send_keys("staffer")
        .await
        .unwrap();
    browser
        .find(css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    click_and_wait(&browser, "main form button[type=submit]").await;
    assert_eq!(browser.current_url().await.unwrap().path(), "/");

    browser.goto(&format!("{base}/events")).await.unwrap();
    browser
        .find(css("form[action='/events'] input[name=title]"))
        .await
        .unwrap()
        .send_keys("Acceptance checks, January")
        .await
        .unwrap();
    browser
        .find(css(
            "form[action='/events'] select[name=kind] option[value=acceptance]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .find(css("form[action='/events'] input[name=slots]"))
        .await
        .unwrap()
        .send_keys("S1=2027-01-13 am; S2=2027-01-13 pm")
        .await
        .unwrap();
    browser
        .find(css("form[action='/events'] input[name=code]"))
        .await
        .unwrap()
        .send_keys("EV-BROWSER")
        .await
        .unwrap();
    click_and_wait(&browser, "form[action='/events'] button[type=submit]").await;
    let event_url = browser.current_url().await.unwrap();
    assert!(event_url.path().starts_with("/events/"), "{event_url}");

    let acc = data.events.iter().find(|e| e.id == "EV001-ACC").unwrap();
    let ids: Vec<&str> = acc
        .panels
        .iter()
        .flat_map(|p| p.items.iter().map(String::as_str))
        .take(6)
        .collect();
    let text = std::fs::read_to_string(sample_dir().join("projects.csv")).unwrap();
    let mut lines = text.lines();
    let mut csv = vec![lines.next().unwrap().to_string()];
    csv.extend(
        lines
            .filter(|l| ids.iter().any(|id| l.starts_with(&format!("{id},"))))
            .map(String::from),
    );
    browser
        .find(css("textarea[name=csv]"))
        .await
        .unwrap()
        .send_keys(&csv.join("\n"))
        .await
        .unwrap();
    click_and_wait(&browser, "form[action$='/items'] button[type=submit]").await;
    click_and_wait(&browser, "form[action$='/panels'] button[type=submit]").await;
    browser
        .find(css("form[action$='/draws'] input[name=seed]"))
        .await
        .unwrap()
        .send_keys("2027")
        .await
        .unwrap();
    click_and_wait(&browser, "form[action$='/draws'] button[type=submit]").await;
    let page = browser.source().await.unwrap();
    assert!(
        page.contains("EV-BROWSER-P01") && page.contains("/replay"),
        "the draw is shown"
    );
    click_confirm_and_wait(&browser, "form[action$='/confirm'] button[type=submit]").await;
    browser
        .goto(&format!(
            "{}/roster",
            event_url.as_str().trim_end_matches('/')
        ))
        .await
        .unwrap();
    let rows = browser
        .find_all(css("table.roster tbody tr"))
        .await
        .unwrap();
    assert!(
        !rows.is_empty() && rows.len() % 5 == 0,
        "five members per panel: {} rows",
        rows.len()
    );
    let png = browser.screenshot().await.unwrap();
    assert!(png.len() > 10_000, "the roster renders");
    // The pool dashboard renders its SVG charts without any network resource.
    browser
        .goto(&format!("{base}/pools/review/dashboard?date=2026-11-24"))
        .await
        .unwrap();
    let charts = browser.find_all(css("svg.chart rect")).await.unwrap();
    assert!(charts.len() > 20, "bars drawn: {}", charts.len());
    let png = browser.screenshot().await.unwrap();
    std::fs::write(std::env::temp_dir().join("expertpool-dashboard.png"), &png).unwrap();
    assert!(
        png.len() > 30_000,
        "the dashboard screenshot is not blank ({} bytes)",
        png.len()
    );
    browser.close().await.unwrap();
    shutdown.notify();
}
