//! Request guards: who is calling. A handler's signature says who may call it.
//!
//! `CurrentUser` (any account) → `Reader` (staff, admin, supervisor) → `Staff` (staff, admin)
//! → `Admin`; `AuditReader` (admin, supervisor); `ExpertUser` (an expert account linked to a
//! record). Missing login → 401; wrong role → 403.

use crate::domain::user::Role;
use crate::domain::{ExpertId, UserId};
use crate::store::audit::Actor;
use crate::store::users::{self, User};
use crate::store::Store;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};

/// Name of the private session cookie (holds the session token; the database its hash).
pub const SESSION_COOKIE: &str = "ep_session";
/// Name of the private CSRF cookie.
pub const CSRF_COOKIE: &str = "ep_csrf";

/// Opens a server-side session for `user` and writes its token into the cookie.
pub async fn start_session(
    cookies: &CookieJar<'_>,
    store: &Store,
    user: UserId,
    client: &ClientInfo,
) -> crate::error::AppResult<()> {
    let token = crate::service::sessions::open(
        store,
        user.0,
        client.ip.as_deref().unwrap_or(""),
        &client.user_agent,
    )
    .await?;
    let cookie = Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/");
    cookies.add_private(cookie);
    Ok(())
}

/// Ends the session of this browser (in the database too) and removes the cookie.
pub async fn end_session(cookies: &CookieJar<'_>, store: &Store) -> crate::error::AppResult<()> {
    if let Some(c) = cookies.get_private(SESSION_COOKIE) {
        crate::service::sessions::close(store, c.value()).await?;
    }
    cookies.remove_private(Cookie::build(SESSION_COOKIE).path("/"));
    Ok(())
}

/// The session token of this browser, if any.
pub fn session_token(cookies: &CookieJar<'_>) -> Option<String> {
    cookies
        .get_private(SESSION_COOKIE)
        .map(|c| c.value().to_string())
}

/// The logged-in account.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User);

impl CurrentUser {
    /// The audit actor.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.0.id),
            name: self.0.username.clone(),
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CurrentUser {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let cached = req
            .local_cache_async(async {
                let token = req.cookies().get_private(SESSION_COOKIE)?;
                let store = req.rocket().state::<Store>()?;
                let session = crate::service::sessions::resolve(store, token.value())
                    .await
                    .ok()
                    .flatten()?;
                users::get(store, UserId(session.user_id))
                    .await
                    .ok()
                    .flatten()
                    .filter(|u| u.active)
            })
            .await;
        match cached {
            Some(user) => Outcome::Success(CurrentUser(user.clone())),
            None => Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

macro_rules! role_guard {
    ($(#[$doc:meta])* $name:ident, $allowed:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub CurrentUser);

        #[rocket::async_trait]
        impl<'r> FromRequest<'r> for $name {
            type Error = ();
            async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
                let user = match CurrentUser::from_request(req).await {
                    Outcome::Success(u) => u,
                    Outcome::Error(e) => return Outcome::Error(e),
                    Outcome::Forward(f) => return Outcome::Forward(f),
                };
                let allowed: &[Role] = &$allowed;
                if allowed.contains(&user.0.role) {
                    Outcome::Success($name(user))
                } else {
                    Outcome::Error((Status::Forbidden, ()))
                }
            }
        }
    };
}

role_guard!(
    /// Staff, administrators and supervisors: may read every expert.
    Reader, [Role::Admin, Role::Staff, Role::Supervisor]
);
role_guard!(
    /// Staff and administrators: may change experts.
    Staff, [Role::Admin, Role::Staff]
);
role_guard!(
    /// Administrators.
    Admin, [Role::Admin]
);
role_guard!(
    /// Administrators and supervisors: may read the audit log.
    AuditReader, [Role::Admin, Role::Supervisor]
);

/// An expert account linked to its expert record.
#[derive(Debug, Clone)]
pub struct ExpertUser {
    /// The account.
    pub user: CurrentUser,
    /// The linked record.
    pub expert: ExpertId,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ExpertUser {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let user = match CurrentUser::from_request(req).await {
            Outcome::Success(u) => u,
            Outcome::Error(e) => return Outcome::Error(e),
            Outcome::Forward(f) => return Outcome::Forward(f),
        };
        match (user.0.role, user.0.expert_id) {
            (Role::Expert, Some(expert)) => Outcome::Success(ExpertUser { user, expert }),
            _ => Outcome::Error((Status::Forbidden, ())),
        }
    }
}

/// The CSRF token of this browser (created on first use); forms carry it in a hidden field.
#[derive(Debug, Clone)]
pub struct Csrf(pub String);

impl Csrf {
    /// Checks a submitted token.
    pub fn verify(&self, submitted: &str) -> Result<(), crate::error::AppError> {
        use subtle_eq::eq;
        if !submitted.is_empty() && eq(submitted.as_bytes(), self.0.as_bytes()) {
            Ok(())
        } else {
            Err(crate::error::AppError::Forbidden("the form expired or did not come from this site (CSRF check): reload the page and try again".into()))
        }
    }
}

mod subtle_eq {
    /// Constant-time comparison, so the token cannot be guessed byte by byte.
    pub fn eq(a: &[u8], b: &[u8]) -> bool {
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Csrf {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let token = req.local_cache(|| {
            let cookies = req.cookies();
            match cookies.get_private(CSRF_COOKIE) {
                Some(c) => c.value().to_string(),
                None => {
                    use rand::RngExt;
                    let bytes: [u8; 32] = rand::rng().random();
                    let token = hex::encode(bytes);
                    cookies.add_private(
                        Cookie::build((CSRF_COOKIE, token.clone()))
                            .http_only(true)
                            .same_site(SameSite::Lax)
                            .path("/"),
                    );
                    token
                }
            }
        });
        Outcome::Success(Csrf(token.clone()))
    }
}

/// Who is calling, for a new session: the address (as [`ClientIp`]) and the browser.
pub struct ClientInfo {
    /// Address.
    pub ip: Option<String>,
    /// `User-Agent`.
    pub user_agent: String,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientInfo {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let ip = match ClientIp::from_request(req).await {
            Outcome::Success(ClientIp(ip)) => ip,
            _ => None,
        };
        Outcome::Success(ClientInfo {
            ip,
            user_agent: req
                .headers()
                .get_one("User-Agent")
                .unwrap_or("")
                .to_string(),
        })
    }
}

/// The caller's address, for the login rate limit: the socket's peer, unless that peer is a
/// proxy named in `EXPERTPOOL_TRUSTED_PROXIES` (comma-separated addresses), whose `X-Real-IP`
/// (or last `X-Forwarded-For` entry) is then believed. Any other client could write those
/// headers to lock out an office's address or to escape the limit.
pub struct ClientIp(pub Option<String>);

/// The proxies whose forwarding headers are believed.
fn trusted_proxies() -> &'static Vec<std::net::IpAddr> {
    static TRUSTED: std::sync::OnceLock<Vec<std::net::IpAddr>> = std::sync::OnceLock::new();
    TRUSTED.get_or_init(|| {
        std::env::var("EXPERTPOOL_TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .filter_map(|a| a.trim().parse().ok())
            .collect()
    })
}

/// The client address given the peer and the forwarding headers (pure, for tests).
pub fn client_address(
    peer: Option<std::net::IpAddr>,
    real_ip: Option<&str>,
    forwarded_for: Option<&str>,
    trusted: &[std::net::IpAddr],
) -> Option<String> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer.to_string());
    }
    let forwarded = forwarded_for.and_then(|f| f.rsplit(',').next());
    real_ip
        .or(forwarded)
        .and_then(|a| a.trim().parse::<std::net::IpAddr>().ok())
        .map(|a| a.to_string())
        .or(Some(peer.to_string()))
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientIp {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        Outcome::Success(ClientIp(client_address(
            req.remote().map(|a| a.ip()),
            req.headers().get_one("X-Real-IP"),
            req.headers().get_one("X-Forwarded-For"),
            trusted_proxies(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::client_address;

    #[test]
    fn forwarding_headers_count_only_from_a_trusted_proxy() {
        let peer = "10.0.0.5".parse().ok();
        let proxy: std::net::IpAddr = "10.0.0.5".parse().unwrap();
        assert_eq!(
            client_address(peer, Some("1.2.3.4"), None, &[]),
            Some("10.0.0.5".into())
        );
        assert_eq!(
            client_address(peer, Some("1.2.3.4"), None, &[proxy]),
            Some("1.2.3.4".into())
        );
        assert_eq!(
            client_address(peer, None, Some("9.9.9.9, 1.2.3.4"), &[proxy]),
            Some("1.2.3.4".into())
        );
        assert_eq!(
            client_address(peer, Some("garbage"), None, &[proxy]),
            Some("10.0.0.5".into())
        );
    }
}
