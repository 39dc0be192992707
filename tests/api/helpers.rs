//! A fresh service per test: a temp SQLite file, or a uuid-named PostgreSQL database when
//! `TEST_DATABASE_URL` points at a server (CI runs the suite both ways).

use expertpool::config::Config;
use expertpool::service::users::{self, NewUserInput};
use expertpool::store::audit::Actor;
use expertpool::store::Store;
use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use serde_json::Value;

pub const ADMIN_PASSWORD: &str = "Admin-Password-1";
pub const PASSWORD: &str = "User-Password-1";

pub struct TestApp {
    pub client: Client,
    pub store: Store,
    /// The database, for a second store standing for another instance.
    pub database_url: String,
    _dir: tempfile::TempDir,
}

fn random_name() -> String {
    use rand::RngExt;
    let bytes: [u8; 8] = rand::rng().random();
    format!("ep_test_{}", hex::encode(bytes))
}

/// A database URL for a new, empty database.
pub async fn fresh_database(dir: &std::path::Path) -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(server) if server.starts_with("postgres") => {
            sqlx::any::install_default_drivers();
            let name = random_name();
            let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&server)
                .await
                .expect("connect to TEST_DATABASE_URL");
            sqlx::query(&format!("create database {name}"))
                .execute(&mut admin)
                .await
                .expect("create test database");
            let base = server
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or(server.clone());
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}/test.db?mode=rwc", dir.display()),
    }
}

/// The sample's organizations: every test starts with them, as a real installation would.
pub async fn seed_organizations(store: &Store) {
    let orgs: Vec<(u64, expertpool::domain::organization::OrganizationInput)> =
        expertpool::dataset::read_csv(&sample_dir(), "organizations.csv").expect("organizations");
    let mut tx = store.pool.begin().await.expect("tx");
    for (_, o) in orgs {
        let org = expertpool::domain::organization::Organization::try_from(o)
            .expect("valid organization");
        expertpool::store::reference::upsert_organization(&mut tx, &org)
            .await
            .expect("insert organization");
    }
    tx.commit().await.expect("commit");
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Default::default()).await
}

/// The key the test services sign cookies and answer links with.
pub const SECRET_KEY: [u8; 64] = [7u8; 64];

/// A fresh service whose messages go out as `messaging` says (answer links signed with
/// `SECRET_KEY`).
pub async fn spawn_app_with(messaging: expertpool::config::Messaging) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database(dir.path()).await;
    let messaging = expertpool::config::Messaging {
        link_key: expertpool::config::link_key(&SECRET_KEY),
        ..messaging
    };
    let store = Store::connect(&database_url)
        .await
        .expect("open store")
        .with_messaging(messaging.clone());
    expertpool::service::auth::bootstrap_admin(&store, Some(ADMIN_PASSWORD))
        .await
        .expect("bootstrap admin");
    seed_organizations(&store).await;
    let config = Config {
        max_document_bytes: expertpool::config::DEFAULT_MAX_DOCUMENT_BYTES,
        database_url: database_url.clone(),
        secret_key: SECRET_KEY.to_vec(),
        admin_password: None,
        port: None,
        templates_dir: None,
        messaging,
    };
    let client = Client::tracked(expertpool::build(&config, store.clone()))
        .await
        .expect("rocket");
    TestApp {
        client,
        store,
        database_url,
        _dir: dir,
    }
}

impl TestApp {
    pub async fn login(&self, username: &str, password: &str) -> Status {
        self.client
            .post("/api/v1/session")
            .header(ContentType::JSON)
            .body(serde_json::json!({"username": username, "password": password}).to_string())
            .dispatch()
            .await
            .status()
    }

    pub async fn login_admin(&self) {
        assert_eq!(self.login("admin", ADMIN_PASSWORD).await, Status::Ok);
    }

    pub async fn logout(&self) {
        self.client.delete("/api/v1/session").dispatch().await;
    }

    /// Creates an account directly through the service.
    pub async fn add_user(&self, username: &str, role: &str, expert_code: &str) {
        users::create(
            &self.store,
            &Actor::system("test"),
            NewUserInput {
                username: username.into(),
                password: PASSWORD.into(),
                role: role.into(),
                expert_code: expert_code.into(),
            },
        )
        .await
        .expect("create user");
    }

    /// A page's HTML (whatever its status).
    pub async fn page(&self, uri: impl AsRef<str>) -> String {
        self.client
            .get(uri.as_ref().to_string())
            .dispatch()
            .await
            .into_string()
            .await
            .unwrap_or_default()
    }

    pub async fn get_json(&self, uri: &str) -> (Status, Value) {
        json_of(self.client.get(uri.to_string()).dispatch().await).await
    }

    pub async fn send_json(
        &self,
        method: rocket::http::Method,
        uri: &str,
        body: &Value,
    ) -> (Status, Value) {
        json_of(
            self.client
                .req(method, uri.to_string())
                .header(ContentType::JSON)
                .body(body.to_string())
                .dispatch()
                .await,
        )
        .await
    }
}

pub async fn json_of(response: LocalResponse<'_>) -> (Status, Value) {
    let status = response.status();
    let text = response.into_string().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A small valid dataset folder: the sample's reference files and its first `n` experts.
pub fn small_dataset(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let sample = sample_dir();
    for f in ["organizations.csv", "disciplines.csv"] {
        std::fs::copy(sample.join(f), dir.path().join(f)).expect("copy");
    }
    let experts = std::fs::read_to_string(sample.join("experts.csv")).expect("experts.csv");
    let head: Vec<&str> = experts.lines().take(n + 1).collect();
    std::fs::write(dir.path().join("experts.csv"), head.join("\n") + "\n").expect("write");
    dir
}

pub fn sample_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/sample")
}

/// The region of a sample organization (an expert's region is their employer's).
pub fn org_region(org: &str) -> String {
    let text = std::fs::read_to_string(sample_dir().join("organizations.csv"))
        .expect("sample organizations");
    text.lines()
        .skip(1)
        .find_map(|line| {
            let cols: Vec<&str> = line.split(',').collect();
            (cols.first() == Some(&org)).then(|| cols[4].to_string())
        })
        .unwrap_or_else(|| panic!("{org} is not a sample organization"))
}

/// Moves a profile to an employer in `region` (the region follows the employer).
pub fn set_region(p: &mut Value, region: &str) {
    let org = match region {
        "local" => "bygroup",
        "province" => "lzu",
        _ => "tsinghua",
    };
    p["org_id"] = serde_json::json!(org);
    p["region"] = serde_json::json!(region);
}

/// A profile for the API: valid unless the test changes a field.
pub fn profile_json(name: &str) -> Value {
    serde_json::json!({
        "name": name, "gender": "F", "birth_year": "1972", "title": "正高", "position": "教授",
        "org_id": "lzu", "region": "province", "disciplines": ["45020", "45025"],
        "keywords_zh": ["铜冶炼", "烟气治理"], "keywords_en": ["copper smelting"], "summary": "长期从事铜冶炼研究。",
        "types": ["technical"], "email": format!("{name}@example.org"), "phone": "13800000000",
        "employments": [{"org_id": "nwimm", "from": "2001", "to": "2010"}],
        "relations": [{"kind": "advisor", "person_name": "王芳", "org_id": "lzu", "since": "1995", "until": "2000"}],
        "unavailable": ["2026-12-14..2026-12-20"], "field_since": "1995"
    })
}

/// The CSRF token of a rendered page's first form.
pub fn csrf_token(html: &str) -> String {
    let after = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .expect("the page has a form with a CSRF token");
    after.split('"').next().unwrap_or_default().to_string()
}

/// A fresh service with the whole sample imported (2,000 experts, both pools, history).
pub async fn sample_app() -> TestApp {
    let app = spawn_app().await;
    let data = expertpool::dataset::Dataset::load(&sample_dir()).expect("sample loads");
    expertpool::store::import::import(
        &app.store,
        &data,
        &expertpool::store::audit::Actor::system("test"),
    )
    .await
    .expect("import");
    app
}

/// A draft event with one item in one panel; `rules` edits the preset before the item is added.
pub async fn event_with_one_item(
    app: &TestApp,
    title: &str,
    date: &str,
    rules: impl Fn(&mut Value),
) -> Value {
    let (_, event) = app
        .send_json(
            rocket::http::Method::Post,
            "/api/v1/events",
            &serde_json::json!({"title": title, "kind": "application", "dates": date}),
        )
        .await;
    let id = event["id"].clone();
    let mut r = event["rules"].clone();
    rules(&mut r);
    app.send_json(
        rocket::http::Method::Put,
        &format!("/api/v1/events/{id}/rules"),
        &r,
    )
    .await;
    let csv = "id,title_zh,title_en,applicant_org_id,team,disciplines,keywords_zh,abstract_zh,requested_avoid\nP1,铜冶炼烟气治理,,gspu,陈晨@gspu,45020,铜冶炼,摘要,\n";
    app.client
        .post(format!("/api/v1/events/{id}/items"))
        .header(rocket::http::ContentType::CSV)
        .body(csv)
        .dispatch()
        .await;
    app.send_json(
        rocket::http::Method::Post,
        &format!("/api/v1/events/{id}/panels"),
        &serde_json::json!({}),
    )
    .await;
    event
}
