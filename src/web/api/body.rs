//! JSON request bodies, only when sent as JSON: a body with any other content type is refused
//! with 415, so a plain HTML form on another site (`text/plain`, form encoding) cannot drive
//! the API with the user's cookie; and a browser's request whose `Origin` is another site is
//! refused with 403.

use rocket::data::{Data, FromData, Outcome};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::Request;

/// A JSON body (`Content-Type: application/json`).
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    /// The parsed value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for JsonBody<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

#[rocket::async_trait]
impl<'r, T: serde::de::DeserializeOwned> FromData<'r> for JsonBody<T> {
    type Error = ();

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r, Self, ()> {
        if !req.content_type().is_some_and(|c| c.is_json()) {
            return Outcome::Error((Status::UnsupportedMediaType, ()));
        }
        if let Some(origin) = req.headers().get_one("Origin") {
            let host = req.headers().get_one("Host").unwrap_or("");
            if !same_site(origin, host) {
                return Outcome::Error((Status::Forbidden, ()));
            }
        }
        match Json::<T>::from_data(req, data).await {
            Outcome::Success(json) => Outcome::Success(JsonBody(json.into_inner())),
            Outcome::Error((status, _)) => Outcome::Error((status, ())),
            Outcome::Forward(f) => Outcome::Forward(f),
        }
    }
}

/// Whether an `Origin` header names the host the request was sent to (any scheme).
pub fn same_site(origin: &str, host: &str) -> bool {
    let named = origin
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(origin)
        .trim_end_matches('/');
    !host.is_empty() && named.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::same_site;

    #[test]
    fn only_the_same_host_is_the_same_site() {
        assert!(same_site("http://10.1.2.3:8000", "10.1.2.3:8000"));
        assert!(same_site("https://ep.kjj.gov.cn", "ep.kjj.gov.cn"));
        assert!(!same_site("https://evil.example", "ep.kjj.gov.cn"));
        assert!(!same_site("null", "ep.kjj.gov.cn"));
        assert!(!same_site("http://10.1.2.3:8000", ""));
    }
}
