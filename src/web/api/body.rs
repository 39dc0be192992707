//! JSON request bodies, only when sent as JSON: a body with any other content type is refused
//! with 415, so a plain HTML form on another site (`text/plain`, form encoding) cannot drive
//! the API with the user's cookie.

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
        match Json::<T>::from_data(req, data).await {
            Outcome::Success(json) => Outcome::Success(JsonBody(json.into_inner())),
            Outcome::Error((status, _)) => Outcome::Error((status, ())),
            Outcome::Forward(f) => Outcome::Forward(f),
        }
    }
}
