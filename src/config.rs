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
    /// `EXPERTPOOL_ADMIN_PASSWORD` and `EXPERTPOOL_TEMPLATES_DIR`; generates and persists a key
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
        Ok(Config {
            database_url,
            secret_key,
            admin_password: std::env::var("EXPERTPOOL_ADMIN_PASSWORD")
                .ok()
                .filter(|p| !p.is_empty()),
            port: None,
            templates_dir: std::env::var_os("EXPERTPOOL_TEMPLATES_DIR")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from),
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
