//! What experts are told, and when it is written: each message is composed from the catalog
//! (Chinese, the bureau's language) and written to the outbox inside the transaction of the
//! change that causes it, once per channel the expert can be reached on (e-mail, mobile).

use crate::domain::answer_link;
use crate::error::AppResult;
use crate::service::events::Event;
use crate::store::outbox::{self, NewMessage};
use crate::store::Store;
use chrono::{DateTime, Utc};
use sqlx::{Any, Transaction};

/// The language messages are written in.
const LANG: &str = "zh";

fn text(key: &str, values: &[(&str, &str)]) -> String {
    let t = crate::web::i18n::catalog(LANG);
    let mut out = t.get(key).cloned().unwrap_or_else(|| key.to_string());
    for (k, v) in values {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// A local time as experts read it: `2026年12月1日 18:00`.
pub fn local(at: DateTime<Utc>) -> String {
    crate::clock::show(at, "zh")
}

/// Where an expert can be reached.
#[derive(Clone, Copy)]
pub struct Recipient<'a> {
    /// Expert row id (none for someone who registered and has no expert record yet).
    pub expert_id: Option<i64>,
    /// Name.
    pub name: &'a str,
    /// E-mail, if any.
    pub email: Option<&'a str>,
    /// Mobile number, if any.
    pub phone: &'a str,
}

/// Writes one message per channel the recipient has: the e-mail with subject and body, the
/// SMS with its short text.
async fn send(
    tx: &mut Transaction<'_, Any>,
    store: &Store,
    kind: &str,
    to: &Recipient<'_>,
    invitation: Option<i64>,
    key: &str,
    values: &[(&str, &str)],
) -> AppResult<()> {
    let now = store.clock.stamp();
    let mut values: Vec<(&str, &str)> = values.to_vec();
    values.push(("name", to.name));
    if let Some(email) = to.email.filter(|e| !e.is_empty()) {
        let subject = text(&format!("{key}_subject"), &values);
        let body = text(&format!("{key}_body"), &values);
        outbox::enqueue(
            tx,
            &NewMessage {
                kind,
                channel: "email",
                recipient: email,
                expert_id: to.expert_id,
                invitation_id: invitation,
                subject: &subject,
                body: &body,
            },
            &now,
        )
        .await?;
    }
    let phone = to.phone.trim();
    if !phone.is_empty() {
        let body = text(&format!("{key}_sms"), &values);
        outbox::enqueue(
            tx,
            &NewMessage {
                kind,
                channel: "sms",
                recipient: phone,
                expert_id: to.expert_id,
                invitation_id: invitation,
                subject: "",
                body: &body,
            },
            &now,
        )
        .await?;
    }
    Ok(())
}

/// The answer link of an invitation with this nonce.
pub fn answer_link(store: &Store, invitation: i64, nonce: &str) -> String {
    let token = answer_link::sign(&store.messaging.link_key, invitation, nonce);
    format!("{}/a/{token}", store.messaging.public_url)
}

/// What the messages about one invitation say.
pub struct Seat<'a> {
    /// Invitation id.
    pub invitation: i64,
    /// The event.
    pub event: &'a Event,
    /// When the panel meets, as read (`2027年1月13日 上午`), or the event's dates.
    pub when: String,
}

fn when_of(seat: &Seat<'_>) -> String {
    if seat.event.venue.is_empty() {
        seat.when.clone()
    } else {
        format!("{}，{}", seat.when, seat.event.venue)
    }
}

/// An invitation (sent at confirmation or as a replacement): sets its answer deadline and
/// link nonce, and writes the messages.
pub async fn invitation(
    tx: &mut Transaction<'_, Any>,
    store: &Store,
    seat: &Seat<'_>,
    to: &Recipient<'_>,
) -> AppResult<DateTime<Utc>> {
    let now = store.clock.now();
    let due = crate::service::follow_up::deadline(seat.event, now);
    let nonce = answer_link::nonce();
    crate::store::invitations::set_deadline(tx, seat.invitation, &crate::clock::stamp(due), &nonce)
        .await?;
    let link = answer_link(store, seat.invitation, &nonce);
    send(
        tx,
        store,
        "invitation",
        to,
        Some(seat.invitation),
        "msg_invitation",
        &[
            ("event", &seat.event.title),
            ("when", &when_of(seat)),
            ("deadline", &local(due)),
            ("link", &link),
        ],
    )
    .await?;
    Ok(due)
}

/// A reminder before the answer deadline, with the same link.
pub async fn reminder(
    tx: &mut Transaction<'_, Any>,
    store: &Store,
    seat: &Seat<'_>,
    to: &Recipient<'_>,
    due: DateTime<Utc>,
    nonce: &str,
) -> AppResult<()> {
    let link = answer_link(store, seat.invitation, nonce);
    send(
        tx,
        store,
        "reminder",
        to,
        Some(seat.invitation),
        "msg_reminder",
        &[
            ("event", &seat.event.title),
            ("when", &when_of(seat)),
            ("deadline", &local(due)),
            ("link", &link),
        ],
    )
    .await
}

/// A reminder the day before the meeting, to an expert who accepted.
pub async fn meeting_reminder(
    tx: &mut Transaction<'_, Any>,
    store: &Store,
    seat: &Seat<'_>,
    to: &Recipient<'_>,
) -> AppResult<()> {
    send(
        tx,
        store,
        "meeting_reminder",
        to,
        Some(seat.invitation),
        "msg_meeting",
        &[("event", &seat.event.title), ("when", &when_of(seat))],
    )
    .await
}

/// The expert's seat was withdrawn (their membership ended or was suspended, or staff left
/// the seat).
pub async fn cancellation(
    tx: &mut Transaction<'_, Any>,
    store: &Store,
    invitation: i64,
    event_title: &str,
    to: &Recipient<'_>,
) -> AppResult<()> {
    send(
        tx,
        store,
        "cancellation",
        to,
        Some(invitation),
        "msg_cancel",
        &[("event", event_title)],
    )
    .await
}

/// The decision on an application to a pool.
pub async fn application_result(
    tx: &mut Transaction<'_, Any>,
    store: &Store,
    pool_name: &str,
    approved: bool,
    term_end: &str,
    to: &Recipient<'_>,
) -> AppResult<()> {
    let key = if approved {
        "msg_approved"
    } else {
        "msg_refused"
    };
    send(
        tx,
        store,
        "application_result",
        to,
        None,
        key,
        &[("pool", pool_name), ("term_end", term_end)],
    )
    .await
}

/// A member's term ends soon.
pub async fn term_ending(
    tx: &mut Transaction<'_, Any>,
    store: &Store,
    pool_name: &str,
    term_end: &str,
    to: &Recipient<'_>,
) -> AppResult<()> {
    send(
        tx,
        store,
        "term_ending",
        to,
        None,
        "msg_term",
        &[("pool", pool_name), ("term_end", term_end)],
    )
    .await
}

/// The name of a pool in the messages' language.
pub fn pool_name(pool: crate::domain::membership::Pool) -> String {
    text(&format!("pool_{pool}"), &[])
}

/// When a panel meets, as read: `2027年1月13日 上午`, or the event's dates.
pub fn when(event: &Event, slot_date: &str, slot_part: &str) -> String {
    let day = |d: chrono::NaiveDate| d.format("%Y年%-m月%-d日").to_string();
    match chrono::NaiveDate::parse_from_str(slot_date, "%Y-%m-%d") {
        Ok(d) => match slot_part {
            "am" => format!("{} {}", day(d), text("part_am", &[])),
            "pm" => format!("{} {}", day(d), text("part_pm", &[])),
            _ => day(d),
        },
        Err(_) => event
            .dates
            .iter()
            .map(|d| day(*d))
            .collect::<Vec<_>>()
            .join("、"),
    }
}

/// Where a link or code goes: the e-mail (and, with an SMS gateway, the mobile number).
fn link_url(store: &Store, path: &str) -> String {
    format!("{}{path}", store.messaging.public_url)
}

/// A registration's activation link (and SMS code, when the gateway is configured).
pub async fn activation(
    tx: &mut Transaction<'_, Any>,
    store: &Store,
    to: &Recipient<'_>,
    token: &str,
    code: Option<&str>,
    hours: i64,
) -> AppResult<()> {
    let link = link_url(store, &format!("/register/activate/{token}"));
    let hours = hours.to_string();
    let values = [
        ("link", link.as_str()),
        ("hours", hours.as_str()),
        ("code", code.unwrap_or("")),
    ];
    let mail_only = Recipient {
        phone: if code.is_some() { to.phone } else { "" },
        ..*to
    };
    send(
        tx,
        store,
        "registration",
        &mail_only,
        None,
        "msg_activate",
        &values,
    )
    .await
}

/// Someone registered with the e-mail or mobile number of an existing account: its holder is
/// told how to sign in, with a link to set a new password (the registering stranger sees only
/// "check your mailbox").
pub async fn existing_account(
    tx: &mut Transaction<'_, Any>,
    store: &Store,
    to: &Recipient<'_>,
    username: &str,
    token: &str,
    hours: i64,
) -> AppResult<()> {
    let link = link_url(store, &format!("/register/activate/{token}"));
    let login = link_url(store, "/login");
    let hours = hours.to_string();
    send(
        tx,
        store,
        "registration",
        to,
        None,
        "msg_existing",
        &[
            ("username", username),
            ("link", &link),
            ("login", &login),
            ("hours", &hours),
        ],
    )
    .await
}

/// Someone registered a new account with the mobile number of an existing one: its holder is
/// told at their own address how to sign in (nothing goes to the stranger about it).
pub async fn mobile_used(
    tx: &mut Transaction<'_, Any>,
    store: &Store,
    to: &Recipient<'_>,
    username: &str,
) -> AppResult<()> {
    let login = link_url(store, "/login");
    send(
        tx,
        store,
        "registration",
        to,
        None,
        "msg_mobile_used",
        &[("username", username), ("login", &login)],
    )
    .await
}

/// A step staff took on an application to a call (returned, refused, passed, reopened).
pub async fn application_step(
    tx: &mut Transaction<'_, Any>,
    store: &Store,
    to: &Recipient<'_>,
    step: &str,
    call_title: &str,
    application: i64,
    comment: &str,
) -> AppResult<()> {
    let link = link_url(store, &format!("/applications/{application}"));
    send(
        tx,
        store,
        "application_step",
        to,
        None,
        &format!("msg_app_{step}"),
        &[("call", call_title), ("link", &link), ("comment", comment)],
    )
    .await
}
