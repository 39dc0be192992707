//! Delivering the outbox: a worker in each service instance claims due messages of the
//! configured channels, sends them, and retries failures with exponential backoff until
//! `max_attempts`, when the message is marked failed with its last error. Channels not
//! configured leave their messages queued and visible, so nothing is lost.

use crate::config::Messaging;
use crate::error::{AppError, AppResult};
use crate::store::outbox::{self, Message};
use crate::store::Store;
use chrono::Duration;

/// How long a claim holds a message before another instance may take it (a send that takes
/// longer, or a crash mid-send, lets it go out again: delivery is at least once).
const CLAIM_SECONDS: i64 = 120;

/// Messages claimed per round.
const BATCH: i64 = 20;

/// The channels this instance can deliver.
pub fn channels(m: &Messaging) -> Vec<&'static str> {
    let mut out = Vec::new();
    if m.smtp_url.is_some() {
        out.push("email");
    }
    if m.sms_url.is_some() {
        out.push("sms");
    }
    out
}

/// The wait before attempt `n + 1` after `n` failed ones: 30 s, 1 min, 2 min … capped at an
/// hour.
pub fn backoff(attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 8) - 1;
    Duration::seconds((30i64 << exp).min(3600))
}

/// Sends what is due now; returns how many messages went out.
pub async fn deliver_due(store: &Store) -> AppResult<usize> {
    let m = store.messaging.clone();
    let channels = channels(&m);
    let now = store.clock.now();
    let claimed = outbox::claim(
        store,
        &m.instance,
        &channels,
        &crate::clock::stamp(now),
        &crate::clock::stamp(now + Duration::seconds(CLAIM_SECONDS)),
        BATCH,
    )
    .await?;
    let mut sent = 0;
    for msg in claimed {
        match send(&m, &msg).await {
            Ok(()) => {
                outbox::mark_sent(store, msg.message_id, &m.instance, &store.clock.stamp()).await?;
                sent += 1;
            }
            Err(error) => {
                let retry = (msg.attempts < i64::from(m.max_attempts))
                    .then(|| crate::clock::stamp(store.clock.now() + backoff(msg.attempts)));
                outbox::mark_attempt_failed(
                    store,
                    msg.message_id,
                    &m.instance,
                    &error,
                    retry.as_deref(),
                )
                .await?;
            }
        }
    }
    Ok(sent)
}

async fn send(m: &Messaging, msg: &Message) -> Result<(), String> {
    match msg.channel.as_str() {
        "email" => send_email(m, msg).await,
        "sms" => send_sms(m, msg).await,
        other => Err(format!("unknown channel {other}")),
    }
}

async fn send_email(m: &Messaging, msg: &Message) -> Result<(), String> {
    use lettre::message::header::{ContentTransferEncoding, ContentType};
    use lettre::message::Body;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message as Mail, Tokio1Executor};
    let url = m.smtp_url.as_deref().unwrap_or_default();
    let mail = Mail::builder()
        .from(
            m.mail_from
                .parse()
                .map_err(|e| format!("EXPERTPOOL_MAIL_FROM: {e}"))?,
        )
        .to(msg
            .recipient
            .parse()
            .map_err(|e| format!("recipient {}: {e}", msg.recipient))?)
        .subject(&msg.subject)
        .header(ContentType::TEXT_PLAIN)
        // Base64 keeps long Chinese lines and the answer link intact through every relay.
        .body(
            Body::new_with_encoding(msg.body.clone(), ContentTransferEncoding::Base64)
                .map_err(|_| "the message cannot be encoded".to_string())?,
        )
        .map_err(|e| e.to_string())?;
    if url == "log" {
        // A closed or full stdout must not stop delivery: the message counts as logged.
        use std::io::Write;
        let _ = writeln!(
            std::io::stdout().lock(),
            "mail to {}: {}\n{}",
            msg.recipient,
            msg.subject,
            msg.body
        );
        return Ok(());
    }
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|e| format!("EXPERTPOOL_SMTP_URL: {e}"))?
        .timeout(Some(std::time::Duration::from_secs(20)))
        .build();
    transport
        .send(mail)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn send_sms(m: &Messaging, msg: &Message) -> Result<(), String> {
    let url = m.sms_url.as_deref().unwrap_or_default();
    if url == "log" {
        use std::io::Write;
        let _ = writeln!(
            std::io::stdout().lock(),
            "sms to {}: {}",
            msg.recipient,
            msg.body
        );
        return Ok(());
    }
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .map_err(|e| e.to_string())?;
    let mut request = client
        .post(url)
        .json(&serde_json::json!({"to": msg.recipient, "text": msg.body}));
    if let Some(token) = &m.sms_token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("SMS gateway answered {}", response.status()))
    }
}

/// Staff send a message again (after fixing an address, or a failed delivery): it is queued
/// now with its attempts counted afresh.
pub async fn resend(
    store: &Store,
    actor: &crate::store::audit::Actor,
    id: i64,
) -> AppResult<Message> {
    let before = outbox::get(store, id)
        .await
        .map_err(|_| AppError::NotFound(format!("message {id}")))?;
    let mut tx = store.begin_write().await?;
    outbox::requeue(&mut tx, id, &store.clock.stamp()).await?;
    crate::store::audit::record(
        &mut tx,
        actor,
        "message.resend",
        "message",
        &id.to_string(),
        Some(&serde_json::json!({"status": before.status, "attempts": before.attempts, "last_error": before.last_error})),
        Some(&serde_json::json!({"status": "queued"})),
    )
    .await?;
    tx.commit().await?;
    Ok(outbox::get(store, id).await?)
}

/// Runs the worker while the service runs: a round every few seconds (more often while
/// there is work), each failure logged and the next round tried.
pub fn spawn(store: Store) {
    tokio::spawn(async move {
        loop {
            let pause = match deliver_due(&store).await {
                Ok(n) if n as i64 == BATCH => 0,
                Ok(_) => 3,
                Err(e) => {
                    eprintln!("outbox: {e}");
                    10
                }
            };
            tokio::time::sleep(std::time::Duration::from_secs(pause)).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        let secs: Vec<i64> = (1..=9).map(|n| backoff(n).num_seconds()).collect();
        assert_eq!(secs, vec![30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }
}
