//! One error type for the whole service, mapped to an HTTP status and a JSON or HTML body.

use crate::domain::ValidationError;
use crate::store::StoreError;
use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder};
use rocket::Request;
use serde::Serialize;

/// Every failure a request can end in.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input (422) naming the field.
    #[error("{0}")]
    Validation(#[from] ValidationError),
    /// Malformed request (400).
    #[error("{0}")]
    BadRequest(String),
    /// Not logged in (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Logged in, not allowed (403).
    #[error("{0}")]
    Forbidden(String),
    /// No such thing (404).
    #[error("{0} not found")]
    NotFound(String),
    /// A conflicting state or duplicate (409).
    #[error("{message}")]
    Conflict {
        /// Message.
        message: String,
        /// Field, when a unique key is at fault.
        field: Option<String>,
    },
    /// An event action tried in a state that does not allow it (409, code `event_state`).
    #[error("{0}")]
    WrongState(#[from] crate::domain::event::WrongState),
    /// Too many attempts (429).
    #[error("{0}")]
    TooManyRequests(String),
    /// The database cannot take the request now: busy (an import runs), or its disk is full
    /// (503); nothing was changed and the request may be tried again.
    #[error("{0}")]
    Unavailable(String),
    /// Anything unexpected (500); logged, never shown.
    #[error("internal error")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate { field } => AppError::Conflict {
                message: format!("{field} already exists"),
                field: Some(field),
            },
            StoreError::NotFound => AppError::NotFound("record".into()),
            StoreError::Stale(message) => AppError::Conflict {
                message,
                field: None,
            },
            StoreError::Database(e) => match (unavailable(&e), unstorable_text(&e)) {
                (Some(why), _) => AppError::Unavailable(why.into()),
                (None, true) => AppError::BadRequest(
                    "the text contains a character that cannot be stored (a NUL byte)".into(),
                ),
                (None, false) => AppError::Internal(StoreError::Database(e).to_string()),
            },
            StoreError::Unwritable(message) => AppError::Unavailable(message),
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// Why the database cannot serve now, for errors that pass: a lock held by a long write, a
/// full disk, no free connection.
fn unavailable(e: &sqlx::Error) -> Option<&'static str> {
    match e {
        sqlx::Error::PoolTimedOut => Some("the database is busy; try again in a minute"),
        sqlx::Error::Database(db) => {
            let text = db.message().to_lowercase();
            let code = db.code().unwrap_or_default();
            if text.contains("database is locked") || text.contains("database is busy") {
                Some("the database is busy (an import or a backup may be running); try again in a minute")
            } else if text.contains("disk is full")
                || text.contains("no space left")
                || code == "53100"
            {
                Some("the server's disk is full: nothing was saved; tell the administrator")
            } else {
                None
            }
        }
        _ => None,
    }
}

/// PostgreSQL refuses text with a NUL byte (SQLSTATE 22021) or a character its encoding
/// lacks (22P05): bad input, not a server fault.
fn unstorable_text(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("22021" | "22P05")))
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::from(StoreError::from(e))
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

/// The JSON error body: `{"error": {"code", "message", "field"}}`.
#[derive(Serialize)]
pub struct Detail<'a> {
    /// Machine code.
    pub code: &'a str,
    /// Message for people.
    pub message: String,
    /// The field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl AppError {
    /// HTTP status.
    pub fn status(&self) -> Status {
        match self {
            AppError::Validation(_) => Status::UnprocessableEntity,
            AppError::BadRequest(_) => Status::BadRequest,
            AppError::Unauthorized(_) => Status::Unauthorized,
            AppError::Forbidden(_) => Status::Forbidden,
            AppError::NotFound(_) => Status::NotFound,
            AppError::Conflict { .. } | AppError::WrongState(_) => Status::Conflict,
            AppError::TooManyRequests(_) => Status::TooManyRequests,
            AppError::Unavailable(_) => Status::ServiceUnavailable,
            AppError::Internal(_) => Status::InternalServerError,
        }
    }

    /// Machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "validation",
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict { .. } => "conflict",
            AppError::WrongState(_) => "event_state",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// The field at fault, if any.
    pub fn field(&self) -> Option<String> {
        match self {
            AppError::Validation(v) => Some(v.field.clone()),
            AppError::Conflict { field, .. } => field.clone(),
            AppError::WrongState(_) => Some("status".into()),
            _ => None,
        }
    }

    /// The JSON body.
    pub fn json(&self) -> String {
        let message = match self {
            AppError::Validation(v) => v.message.clone(),
            other => other.to_string(),
        };
        serde_json::to_string(&Body {
            error: Detail {
                code: self.code(),
                message,
                field: self.field(),
            },
        })
        .unwrap_or_default()
    }
}

impl<'r> Responder<'r, 'static> for AppError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        if let AppError::Internal(detail) = &self {
            eprintln!(
                "internal error on {} {}: {detail}",
                req.method(),
                req.uri().path()
            );
        }
        let status = self.status();
        if req.uri().path().starts_with("/api/") {
            return response::Response::build()
                .status(status)
                .header(ContentType::JSON)
                .sized_body(None, std::io::Cursor::new(self.json()))
                .ok();
        }
        crate::web::pages::app_error_page(req, &self).respond_to(req)
    }
}

/// Result of a handler.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_database_is_a_503_that_may_be_retried_not_a_500() {
        let busy = AppError::from(StoreError::Database(sqlx::Error::PoolTimedOut));
        assert_eq!(busy.status(), Status::ServiceUnavailable);
        assert_eq!(busy.code(), "unavailable");
        let other = AppError::from(StoreError::Database(sqlx::Error::RowNotFound));
        assert_eq!(other.status(), Status::InternalServerError);
    }
}
