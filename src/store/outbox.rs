//! The outbox: messages written with the change that causes them, claimed and delivered by
//! a worker, retried with backoff, never deleted.

use super::{Backend, Store, StoreError};
use serde::Serialize;
use sqlx::{Any, AnyConnection, Transaction};

/// A message to write.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    /// invitation, reminder, meeting_reminder, cancellation, application_result, term_ending.
    pub kind: &'a str,
    /// `email` or `sms`.
    pub channel: &'a str,
    /// The address or number.
    pub recipient: &'a str,
    /// The expert it is for.
    pub expert_id: Option<i64>,
    /// The invitation it is about.
    pub invitation_id: Option<i64>,
    /// Subject (e-mail).
    pub subject: &'a str,
    /// Text.
    pub body: &'a str,
}

/// A stored message.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Message {
    /// Id.
    pub message_id: i64,
    /// Kind.
    pub kind: String,
    /// Channel.
    pub channel: String,
    /// Address or number.
    pub recipient: String,
    /// Expert.
    pub expert_id: Option<i64>,
    /// Invitation.
    pub invitation_id: Option<i64>,
    /// Subject.
    pub subject: String,
    /// Text.
    pub body: String,
    /// queued, sent, failed.
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// When the next attempt is due.
    pub next_attempt_at: String,
    /// The last error, if any.
    pub last_error: String,
    /// Written at.
    pub created_at: String,
    /// Delivered at.
    pub sent_at: Option<String>,
}

const COLUMNS: &str = "message_id, kind, channel, recipient, expert_id, invitation_id, subject, body, status, attempts, next_attempt_at, last_error, created_at, sent_at";

/// Writes a message inside the caller's transaction, due at `now`.
pub async fn enqueue(
    tx: &mut Transaction<'_, Any>,
    m: &NewMessage<'_>,
    now: &str,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "insert into outbox (kind, channel, recipient, expert_id, invitation_id, subject, body, status, attempts, next_attempt_at, last_error, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, 'queued', 0, $8, '', $8) returning message_id",
    )
    .bind(m.kind)
    .bind(m.channel)
    .bind(m.recipient)
    .bind(m.expert_id)
    .bind(m.invitation_id)
    .bind(m.subject)
    .bind(m.body)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Claims up to `limit` due messages of the given channels for `instance` until
/// `claim_until`, counting the attempt. On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several
/// instances claim at once without waiting for or taking each other's rows; SQLite has one
/// writer at a time. A claim that outlives its instance (a crash mid-send) expires and the
/// message is claimed again.
pub async fn claim(
    store: &Store,
    instance: &str,
    channels: &[&str],
    now: &str,
    claim_until: &str,
    limit: i64,
) -> Result<Vec<Message>, StoreError> {
    if channels.is_empty() {
        return Ok(Vec::new());
    }
    let channel_list = channels
        .iter()
        .map(|c| format!("'{}'", c.replace('\'', "")))
        .collect::<Vec<_>>()
        .join(", ");
    let lock = if store.backend == Backend::Postgres {
        "for update skip locked"
    } else {
        ""
    };
    let mut tx = store.begin_write().await?;
    let ids: Vec<(i64,)> = sqlx::query_as(&format!(
        "select message_id from outbox
          where status = 'queued' and next_attempt_at <= $1 and channel in ({channel_list})
            and (claimed_until is null or claimed_until < $1)
          order by next_attempt_at, message_id limit $2 {lock}"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let mut out = Vec::with_capacity(ids.len());
    for (id,) in ids {
        sqlx::query("update outbox set claimed_by = $1, claimed_until = $2, attempts = attempts + 1 where message_id = $3")
            .bind(instance)
            .bind(claim_until)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        out.push(get_in(&mut tx, id).await?);
    }
    tx.commit().await?;
    Ok(out)
}

async fn get_in(conn: &mut AnyConnection, id: i64) -> Result<Message, StoreError> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from outbox where message_id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)
}

/// A message by id.
pub async fn get(store: &Store, id: i64) -> Result<Message, StoreError> {
    let mut conn = store.pool.acquire().await?;
    get_in(&mut conn, id).await
}

/// Records a delivery (only by the instance that holds the claim).
pub async fn mark_sent(
    store: &Store,
    id: i64,
    instance: &str,
    now: &str,
) -> Result<(), StoreError> {
    sqlx::query("update outbox set status = 'sent', sent_at = $1, last_error = '', claimed_until = null where message_id = $2 and claimed_by = $3 and status = 'queued'")
        .bind(now)
        .bind(id)
        .bind(instance)
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// Records a failed attempt: due again at `retry_at`, or `failed` for good when `retry_at`
/// is `None`.
pub async fn mark_attempt_failed(
    store: &Store,
    id: i64,
    instance: &str,
    error: &str,
    retry_at: Option<&str>,
) -> Result<(), StoreError> {
    let error: String = error.chars().take(500).collect();
    match retry_at {
        Some(at) => sqlx::query("update outbox set last_error = $1, next_attempt_at = $2, claimed_until = null where message_id = $3 and claimed_by = $4 and status = 'queued'")
            .bind(error)
            .bind(at)
            .bind(id)
            .bind(instance),
        None => sqlx::query("update outbox set last_error = $1, status = 'failed', claimed_until = null where message_id = $2 and claimed_by = $3 and status = 'queued'")
            .bind(error)
            .bind(id)
            .bind(instance),
    }
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// Queues a message again (staff's "resend"): due now, attempts counted afresh.
pub async fn requeue(tx: &mut Transaction<'_, Any>, id: i64, now: &str) -> Result<(), StoreError> {
    let done = sqlx::query("update outbox set status = 'queued', attempts = 0, next_attempt_at = $1, claimed_until = null, last_error = '' where message_id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The messages about an invitation, oldest first.
pub async fn for_invitation(store: &Store, invitation: i64) -> Result<Vec<Message>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from outbox where invitation_id = $1 order by message_id"
    ))
    .bind(invitation)
    .fetch_all(&store.pool)
    .await?)
}

/// The messages of an event's invitations, oldest first.
pub async fn for_event(store: &Store, event: i64) -> Result<Vec<Message>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from outbox where invitation_id in (select invitation_id from invitation where event_id = $1) order by message_id"
    ))
    .bind(event)
    .fetch_all(&store.pool)
    .await?)
}

/// The messages to an expert, newest first.
pub async fn for_expert(store: &Store, expert: i64) -> Result<Vec<Message>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from outbox where expert_id = $1 order by message_id desc"
    ))
    .bind(expert)
    .fetch_all(&store.pool)
    .await?)
}

/// A message as the outbox is read by people: the one-time link and code of a registration
/// hidden (only the recipient may use them; the hash in `registration` stays their only
/// other trace).
pub fn redacted(kind: &str, body: &str) -> String {
    if kind != "registration" {
        return body.to_string();
    }
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    const PATH: &str = "/register/activate/";
    while let Some(at) = rest.find(PATH) {
        out.push_str(&rest[..at + PATH.len()]);
        rest = &rest[at + PATH.len()..];
        let token_end = rest
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(rest.len());
        out.push('…');
        rest = &rest[token_end..];
    }
    out.push_str(rest);
    // A six-digit code (the SMS) becomes dots.
    let chars: Vec<char> = out.chars().collect();
    let mut masked = String::with_capacity(out.len());
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if run == 6 {
            masked.push_str("······");
            i += 6;
        } else if run > 0 {
            masked.extend(&chars[i..i + run]);
            i += run;
        } else {
            masked.push(chars[i]);
            i += 1;
        }
    }
    masked
}

/// One page of the outbox, failures first, then waiting, then sent; newest first within
/// each; with the count by status.
pub async fn page(
    store: &Store,
    status: &str,
    page: i64,
    per_page: i64,
) -> Result<(Vec<Message>, Vec<(String, i64)>), StoreError> {
    let rows: Vec<Message> = sqlx::query_as(&format!(
        "select {COLUMNS} from outbox where ($1 = '' or status = $1)
          order by case status when 'failed' then 0 when 'queued' then 1 else 2 end, message_id desc
          limit $2 offset $3"
    ))
    .bind(status)
    .bind(per_page)
    .bind((page - 1) * per_page)
    .fetch_all(&store.pool)
    .await?
    .into_iter()
    .map(|m: Message| Message {
        body: redacted(&m.kind, &m.body),
        ..m
    })
    .collect();
    let counts: Vec<(String, i64)> =
        sqlx::query_as("select status, count(*) from outbox group by status order by status")
            .fetch_all(&store.pool)
            .await?;
    Ok((rows, counts))
}

#[cfg(test)]
mod tests {
    #[test]
    fn registration_links_and_codes_are_hidden_from_readers() {
        let body = "链接：https://x.example/register/activate/0af39c\n验证码 123456，48 小时";
        let shown = super::redacted("registration", body);
        assert_eq!(
            shown,
            "链接：https://x.example/register/activate/…\n验证码 ······，48 小时"
        );
        assert_eq!(super::redacted("invitation", body), body);
    }
}
