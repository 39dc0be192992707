-- Messages to experts (invitations, reminders, cancellations, pool decisions, terms ending),
-- each written in the transaction of the change that causes it and delivered afterwards by
-- the service's worker, with retries. Nothing is deleted: the outbox is also the record of
-- what was sent, when, and what failed.
create table outbox (
    message_id integer primary key autoincrement,
    kind text not null,
    channel text not null,
    recipient text not null,
    expert_id integer references expert(expert_id),
    invitation_id integer references invitation(invitation_id),
    subject text not null default '',
    body text not null,
    status text not null,
    attempts integer not null default 0,
    next_attempt_at text not null,
    claimed_by text,
    claimed_until text,
    last_error text not null default '',
    created_at text not null,
    sent_at text
);
create index outbox_due on outbox(status, next_attempt_at);
create index outbox_invitation on outbox(invitation_id);
create index outbox_expert on outbox(expert_id);

-- Each invitation's answer deadline (RFC 3339, UTC), the nonce its answer link is signed
-- with, and when the scheduler reminded the expert (before the deadline, before the meeting).
alter table invitation add column answer_deadline text;
alter table invitation add column answer_nonce text not null default '';
alter table invitation add column reminded_at text;
alter table invitation add column meeting_reminded_at text;

-- Each event's answer window and follow-up policy: replace decliners and missed answers
-- automatically, or leave them to staff.
alter table event add column answer_hours integer not null default 24;
alter table event add column auto_replace integer not null default 1;

-- When the member was told that their term ends soon (once per term).
alter table membership add column term_notice_at text;

-- Why the scheduler could not fill a seat automatically (then staff decide; empty: not tried
-- or filled).
alter table invitation add column auto_replace_note text not null default '';
