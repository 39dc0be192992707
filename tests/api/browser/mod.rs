//! Every role's week in headless Chromium, in Chinese, on a desk (1366 px) and on a phone
//! (390 px): staff run an event from creation to closing, an expert edits a profile with the
//! pickers, applies and answers an invitation on a phone, an administrator pages the pool,
//! rotates it and approves in bulk, a supervisor reads every draw, replays one and exports the
//! audit log. Every page looked at is checked (no horizontal scrolling, no catalog key,
//! snake_case code or English sentence, no error page) and kept as a screenshot in
//! `$CARGO_TARGET_TMPDIR/browser-shots/` (CI: `~/.cache/expertpool-target/tmp/browser-shots/`).
//! Needs `chromium` and `chromedriver`; `.ci/run` installs them and runs these with
//! `--ignored`.

mod admin;
mod expert;
mod staff;
mod stranger;
mod supervisor;

use crate::helpers::*;
use crate::zh_pages::{foreign_words, visible_text};
use expertpool::config::Config;
use fantoccini::{ClientBuilder, Locator};
use std::path::PathBuf;
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

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The folder the screenshots of the last run are kept in.
pub fn shots_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-shots")
}

/// The service on a free port and a Chromium session that reads Chinese.
pub struct Walk {
    pub app: TestApp,
    pub browser: fantoccini::Client,
    pub base: String,
    role: &'static str,
    shutdown: rocket::Shutdown,
    _driver: Driver,
}

impl Walk {
    /// Starts the service on `app`'s store and a browser for `role` (the screenshots' prefix).
    pub async fn start(app: TestApp, role: &'static str) -> Walk {
        let port = free_port();
        let config = Config {
            max_document_bytes: expertpool::config::DEFAULT_MAX_DOCUMENT_BYTES,
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
        let driver = Driver(
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
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=zh-CN", "--window-size=1366,900"],
                "prefs": {"intl.accept_languages": "zh-CN,zh"}
            }),
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
        std::fs::create_dir_all(shots_dir()).unwrap();
        Walk {
            app,
            browser,
            base: format!("http://127.0.0.1:{port}"),
            role,
            shutdown,
            _driver: driver,
        }
    }

    pub async fn goto(&self, path: &str) {
        self.browser
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
    }

    pub async fn login(&self, username: &str, password: &str) {
        self.goto("/login").await;
        self.fill("input[name=username]", username).await;
        self.fill("input[name=password]", password).await;
        self.click("main form button[type=submit]").await;
        let path = self.path().await;
        assert_ne!(path, "/login", "{username} is signed in");
    }

    pub async fn path(&self) -> String {
        self.browser.current_url().await.unwrap().path().to_string()
    }

    pub async fn find(&self, selector: &str) -> fantoccini::elements::Element {
        self.browser
            .find(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("{selector}: {e}"))
    }

    pub async fn fill(&self, selector: &str, text: &str) {
        let field = self.find(selector).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Puts text into a field as a paste would (tabs and all: typing a tab moves the focus).
    pub async fn paste(&self, selector: &str, text: &str) {
        let field = self.find(selector).await;
        self.browser
            .execute(
                "arguments[0].value = arguments[1];",
                vec![
                    serde_json::to_value(&field).unwrap(),
                    serde_json::json!(text),
                ],
            )
            .await
            .unwrap();
    }

    /// Picks an option of a select by its value.
    pub async fn choose(&self, select: &str, value: &str) {
        self.find(&format!("{select} option[value='{value}']"))
            .await
            .click()
            .await
            .unwrap();
    }

    /// Clicks and waits until the browser has left the page.
    pub async fn click(&self, selector: &str) {
        let body = self.find("body").await;
        self.find(selector).await.click().await.unwrap();
        self.left(&body, selector).await;
    }

    async fn left(&self, body: &fantoccini::elements::Element, selector: &str) {
        for _ in 0..300 {
            if body.text().await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("clicking {selector} did not leave the page");
    }

    /// Clicks a button that asks first: the question must name its count (`digits`), and is
    /// accepted.
    pub async fn click_confirming(&self, selector: &str, digits: &str) -> String {
        let body = self.find("body").await;
        self.find(selector).await.click().await.unwrap();
        let question = self
            .browser
            .get_alert_text()
            .await
            .unwrap_or_else(|e| panic!("{selector} asks first: {e}"));
        assert!(
            digits.is_empty() || question.contains(digits),
            "the question names {digits}: {question}"
        );
        self.browser.accept_alert().await.unwrap();
        self.left(&body, selector).await;
        question
    }

    /// Looks at the page as it is, at 1366 and at 390 px: keeps both screenshots and checks
    /// that nothing scrolls sideways, that it speaks Chinese, and that it is no error page.
    pub async fn look(&self, name: &str) {
        let source = self.browser.source().await.unwrap();
        let title = self.browser.title().await.unwrap_or_default();
        assert!(
            !title.starts_with("出错了"),
            "{name}: an error page\n{}",
            visible_text(&source)
        );
        let bad = foreign_words(&visible_text(&source));
        assert!(bad.is_empty(), "{name} shows {bad:?}");
        for width in [1366u32, 390] {
            self.browser.set_window_size(width, 900).await.unwrap();
            let size: Vec<i64> = serde_json::from_value(
                self.browser
                    .execute(
                        "return [document.documentElement.scrollWidth, window.innerWidth, document.documentElement.scrollHeight];",
                        vec![],
                    )
                    .await
                    .unwrap(),
            )
            .unwrap();
            let height = size[2].clamp(900, 8000) as u32;
            self.browser.set_window_size(width, height).await.unwrap();
            let png = self.browser.screenshot().await.unwrap();
            std::fs::write(
                shots_dir().join(format!("{}-{name}-{width}.png", self.role)),
                png,
            )
            .unwrap();
            assert!(
                size[0] <= size[1],
                "{name} at {width} px is {} px wide",
                size[0]
            );
        }
        self.browser.set_window_size(1366, 900).await.unwrap();
    }

    pub async fn finish(self) {
        self.browser.close().await.unwrap();
        self.shutdown.notify();
    }
}

/// The sample registry (2,000 experts, both pools) with accounts for every role.
pub async fn sample_walk(role: &'static str) -> Walk {
    let app = sample_app().await;
    app.add_user("staffer", "staff", "").await;
    app.add_user("watcher", "supervisor", "").await;
    Walk::start(app, role).await
}
