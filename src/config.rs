//! Settings from the environment: database, secret key, administrator bootstrap.

use std::path::{Path, PathBuf};

/// Default database: an SQLite file under `data/`, created at start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/expertpool.db?mode=rwc";

/// Service settings.
#[derive(Clone)]
pub struct Config {
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// 64-byte key for Rocket's private cookies.
    pub secret_key: Vec<u8>,
    /// Password of the first administrator, when no user exists yet.
    pub admin_password: Option<String>,
    /// Port to listen on, overriding `ROCKET_PORT` (tests that run a real server pick one).
    pub port: Option<u16>,
    /// A folder of `*.html.tera` files replacing the compiled-in templates of the same name
    /// (`EXPERTPOOL_TEMPLATES_DIR`), so a bureau can change its header without rebuilding.
    pub templates_dir: Option<PathBuf>,
    /// How messages reach experts.
    pub messaging: Messaging,
    /// The largest document an applicant may upload (`EXPERTPOOL_MAX_DOCUMENT_MB`, default
    /// 10 MB).
    pub max_document_bytes: usize,
}

/// The default upload limit of an application's document.
pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

/// How messages reach experts: the channels (none configured: messages wait, visible in the
/// service), the public address of answer links and the key that signs them.
#[derive(Clone)]
pub struct Messaging {
    /// `EXPERTPOOL_PUBLIC_URL`: the address experts open answer links at (empty: links are
    /// relative, for the expert's own page).
    pub public_url: String,
    /// Signs answer links (derived from the secret key, never the cookie key itself).
    pub link_key: Vec<u8>,
    /// `EXPERTPOOL_SMTP_URL`: `smtp://user:pass@host:587` (STARTTLS when the server offers
    /// it; `?tls=required` to insist), `smtps://…` (TLS), or `log` (print, for development).
    pub smtp_url: Option<String>,
    /// `EXPERTPOOL_MAIL_FROM`: the sender address.
    pub mail_from: String,
    /// `EXPERTPOOL_SMS_WEBHOOK_URL`: a gateway that takes a POST of `{"to", "text"}` (or
    /// `log`).
    pub sms_url: Option<String>,
    /// `EXPERTPOOL_SMS_TOKEN`: sent as `Authorization: Bearer …` when set.
    pub sms_token: Option<String>,
    /// `EXPERTPOOL_OUTBOX_ATTEMPTS`: attempts before a message is marked failed.
    pub max_attempts: u32,
    /// This instance's name in claims (several instances share one outbox).
    pub instance: String,
}

impl Default for Messaging {
    fn default() -> Self {
        use rand::RngExt;
        let id: u64 = rand::rng().random();
        Messaging {
            public_url: String::new(),
            link_key: Vec::new(),
            smtp_url: None,
            mail_from: "expertpool@localhost".into(),
            sms_url: None,
            sms_token: None,
            max_attempts: 8,
            instance: format!("{}-{id:016x}", std::process::id()),
        }
    }
}

impl std::fmt::Debug for Messaging {
    // Passwords in the SMTP URL and the gateway token never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messaging")
            .field("public_url", &self.public_url)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("sms_url", &self.sms_url)
            .finish_non_exhaustive()
    }
}

impl Messaging {
    /// Reads the `EXPERTPOOL_*` messaging variables; `secret_key` keys the answer links.
    pub fn from_env(secret_key: &[u8]) -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let max_attempts = match var("EXPERTPOOL_OUTBOX_ATTEMPTS") {
            Some(n) => n
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or("EXPERTPOOL_OUTBOX_ATTEMPTS must be a number from 1 to 100")?,
            None => 8,
        };
        Ok(Messaging {
            public_url: var("EXPERTPOOL_PUBLIC_URL")
                .map(|u| u.trim().trim_end_matches('/').to_string())
                .unwrap_or_default(),
            link_key: link_key(secret_key),
            smtp_url: var("EXPERTPOOL_SMTP_URL"),
            mail_from: var("EXPERTPOOL_MAIL_FROM").unwrap_or_else(|| "expertpool@localhost".into()),
            sms_url: var("EXPERTPOOL_SMS_WEBHOOK_URL"),
            sms_token: var("EXPERTPOOL_SMS_TOKEN"),
            max_attempts,
            ..Default::default()
        })
    }
}

/// The answer-link key of a secret key: a hash with a purpose label, so that a leaked link
/// key says nothing about the cookie key.
pub fn link_key(secret_key: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"expertpool answer links\0");
    h.update(secret_key);
    h.finalize().to_vec()
}

impl std::fmt::Debug for Config {
    // The key and the password never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .finish_non_exhaustive()
    }
}

/// A URL with any password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Where a generated secret key is kept: next to the SQLite file, else in `data/`.
fn key_path(database_url: &str) -> PathBuf {
    let dir = crate::store::sqlite_path(database_url)
        .and_then(|p| Path::new(&p).parent().map(Path::to_path_buf))
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("EXPERTPOOL_DATA_DIR").unwrap_or_else(|_| "data".into()))
        });
    dir.join("secret.key")
}

fn load_or_create_key(path: &Path) -> Result<Vec<u8>, String> {
    if let Ok(text) = std::fs::read_to_string(path) {
        return hex::decode(text.trim())
            .map_err(|_| format!("{} does not hold a hex key", path.display()));
    }
    use rand::RngExt;
    let key: [u8; 64] = rand::rng().random();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, hex::encode(key)).map_err(|e| format!("{}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(key.to_vec())
}

/// `DATABASE_URL`, or the default SQLite file (for commands that need nothing else).
pub fn database_url_from_env() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.into())
}

impl Config {
    /// Reads `DATABASE_URL`, `EXPERTPOOL_SECRET_KEY` (hex, 64 bytes),
    /// `EXPERTPOOL_ADMIN_PASSWORD`, `EXPERTPOOL_TEMPLATES_DIR` and `EXPERTPOOL_TIMEZONE`; generates and persists a key
    /// when none is set.
    pub fn from_env() -> Result<Self, String> {
        let database_url = database_url_from_env();
        let secret_key = match std::env::var("EXPERTPOOL_SECRET_KEY") {
            Ok(hex_key) if !hex_key.is_empty() => hex::decode(hex_key.trim())
                .map_err(|_| "EXPERTPOOL_SECRET_KEY must be hex".to_string())?,
            _ => load_or_create_key(&key_path(&database_url))?,
        };
        if secret_key.len() < 64 {
            return Err("the secret key must be 64 bytes (128 hex digits)".into());
        }
        crate::clock::init_zone(std::env::var("EXPERTPOOL_TIMEZONE").ok().as_deref())?;
        Ok(Config {
            database_url,
            admin_password: std::env::var("EXPERTPOOL_ADMIN_PASSWORD")
                .ok()
                .filter(|p| !p.is_empty()),
            port: None,
            templates_dir: std::env::var_os("EXPERTPOOL_TEMPLATES_DIR")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from),
            messaging: Messaging::from_env(&secret_key)?,
            max_document_bytes: match std::env::var("EXPERTPOOL_MAX_DOCUMENT_MB") {
                Ok(mb) if !mb.trim().is_empty() => mb
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|mb| (1..=100).contains(mb))
                    .map(|mb| mb * 1024 * 1024)
                    .ok_or(
                        "EXPERTPOOL_MAX_DOCUMENT_MB must be a number of megabytes from 1 to 100",
                    )?,
                _ => DEFAULT_MAX_DOCUMENT_BYTES,
            },
            secret_key,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_in_urls_are_redacted() {
        assert_eq!(
            super::redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            super::redact_url("sqlite://data/x.db"),
            "sqlite://data/x.db"
        );
    }
}
