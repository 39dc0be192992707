//! The binary carries its templates and static files: it starts from an empty folder, serves
//! pages and files, and a template folder named in the configuration overrides by name.

use crate::helpers::spawn_app;
use expertpool::config::Config;
use rocket::http::{Header, Status};
use rocket::local::asynchronous::Client;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the service when the test ends, passed or failed.
struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A plain HTTP/1.1 GET: the status line and headers, and the body.
fn get(port: u16, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).expect("read");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (head.to_lowercase(), body.to_string())
}

fn log_of(dir: &Path) -> String {
    let out = std::fs::read_to_string(dir.join("stdout.log")).unwrap_or_default();
    let err = std::fs::read_to_string(dir.join("stderr.log")).unwrap_or_default();
    format!("stdout:\n{out}\nstderr:\n{err}")
}

#[test]
fn the_binary_alone_in_an_empty_folder_serves_pages_and_static_files() {
    // Arrange: the binary copied alone into an empty folder, started there.
    let dir = tempfile::tempdir().expect("temp dir");
    let binary = dir.path().join("expertpool");
    std::fs::copy(env!("CARGO_BIN_EXE_expertpool"), &binary).expect("copy the binary");
    let port = free_port();
    let mut service = Service(
        Command::new(&binary)
            .current_dir(dir.path())
            .env_clear()
            .env(
                "DATABASE_URL",
                format!(
                    "sqlite://{}/data/expertpool.db?mode=rwc",
                    dir.path().display()
                ),
            )
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", port.to_string())
            .env("EXPERTPOOL_ADMIN_PASSWORD", "Admin-Password-1")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.path().join("stdout.log")).expect("log"))
            .stderr(std::fs::File::create(dir.path().join("stderr.log")).expect("log"))
            .spawn()
            .expect("start the binary"),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = service.0.try_wait().expect("wait") {
            panic!("the service stopped with {status}\n{}", log_of(dir.path()));
        }
        assert!(
            Instant::now() < deadline,
            "the service did not listen in time\n{}",
            log_of(dir.path())
        );
        std::thread::sleep(Duration::from_millis(25));
    }

    // Act
    let (login_head, login) = get(port, "/login");
    let (css_head, css) = get(port, "/static/site.css");

    // Assert
    assert!(login_head.starts_with("http/1.1 200"), "{login_head}");
    assert!(
        login_head.contains("content-type: text/html"),
        "{login_head}"
    );
    assert!(login.contains("<form"), "{login}");
    assert!(css_head.starts_with("http/1.1 200"), "{css_head}");
    assert!(css_head.contains("content-type: text/css"), "{css_head}");
    assert!(css_head.contains("cache-control:"), "{css_head}");
    assert!(css.contains("--accent"), "{css}");
    assert!(dir.path().join("data/expertpool.db").is_file());
}

#[tokio::test]
async fn static_files_are_served_with_type_and_caching_and_nothing_else_is() {
    let app = spawn_app().await;

    let css = app.client.get("/static/site.css").dispatch().await;
    assert_eq!(css.status(), Status::Ok);
    assert_eq!(css.content_type(), Some(rocket::http::ContentType::CSS));
    assert!(css.headers().get_one("Cache-Control").is_some());
    let etag = css.headers().get_one("ETag").expect("an ETag").to_string();
    let again = app
        .client
        .get("/static/site.css")
        .header(Header::new("If-None-Match", etag))
        .dispatch()
        .await;
    assert_eq!(again.status(), Status::NotModified);

    for path in [
        "/static/missing.css",
        "/static/../Cargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/static/..%2FCargo.toml",
        "/static/.hidden",
        "/static/",
    ] {
        let status = app.client.get(path).dispatch().await.status();
        assert_eq!(status, Status::NotFound, "{path}");
    }
}

#[tokio::test]
async fn compiled_in_templates_escape_what_they_show() {
    let app = spawn_app().await;

    let page = app.client.get("/no-such-page").dispatch().await;

    assert_eq!(page.status(), Status::NotFound);
    assert_eq!(page.content_type(), Some(rocket::http::ContentType::HTML));
    // The page links back to its own path; autoescaping writes `/` as `&#x2F;`.
    let html = page.into_string().await.unwrap_or_default();
    assert!(html.contains("&#x2F;no-such-page"), "{html}");
}

fn config_with_templates(dir: &Path) -> Config {
    Config {
        max_document_bytes: expertpool::config::DEFAULT_MAX_DOCUMENT_BYTES,
        database_url: String::new(),
        secret_key: vec![3u8; 64],
        admin_password: None,
        port: None,
        templates_dir: Some(dir.to_path_buf()),
        messaging: Default::default(),
    }
}

#[tokio::test]
async fn a_template_folder_replaces_templates_of_the_same_name() {
    // Arrange: the bureau's own layout, extended by every page as "base/layout".
    let app = spawn_app().await;
    let overrides = tempfile::tempdir().expect("temp dir");
    let layout = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/base/layout.html.tera"),
    )
    .expect("layout");
    std::fs::create_dir_all(overrides.path().join("base")).expect("mkdir");
    std::fs::write(
        overrides.path().join("base/layout.html.tera"),
        layout.replacen(
            "<body>",
            "<body>\n<p class=\"bureau\">{{ \"Bureau <of> Tests\" }}</p>",
            1,
        ),
    )
    .expect("write");
    let client = Client::tracked(expertpool::build(
        &config_with_templates(overrides.path()),
        app.store.clone(),
    ))
    .await
    .expect("rocket");

    // Act
    let page = client.get("/login").dispatch().await;

    // Assert: the new header, the compiled-in login form, still escaped.
    assert_eq!(page.status(), Status::Ok);
    let html = page.into_string().await.unwrap_or_default();
    assert!(
        html.contains("<p class=\"bureau\">Bureau &lt;of&gt; Tests</p>"),
        "{html}"
    );
    assert!(html.contains("<form"), "{html}");
}

#[tokio::test]
async fn a_broken_template_override_stops_the_launch() {
    let app = spawn_app().await;
    let overrides = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        overrides.path().join("broken.html.tera"),
        "{% if unclosed %}",
    )
    .expect("write");

    let client = Client::tracked(expertpool::build(
        &config_with_templates(overrides.path()),
        app.store.clone(),
    ))
    .await;

    let Err(error) = client else {
        panic!("the service launched with a broken template");
    };
    assert!(matches!(
        error.kind(),
        rocket::error::ErrorKind::FailedFairings(_)
    ));
}
