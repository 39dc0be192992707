-- Recruiting (征集): strangers register from a call's page and activate their account through
-- an e-mailed link (or an SMS code); each person's application to a call is a draft until
-- submitted, reviewed by staff (returned for changes, refused, or passed to the
-- administrator's approval), with its documents stored in the database. Nothing is deleted:
-- used and expired links, replaced documents and every review step stay.

-- One row per registration attempt (also the throttling record: attempts per address and per
-- e-mail domain in a window). `token_hash` is the SHA-256 of the e-mailed link's token;
-- `code_hash` that of the SMS code (empty without an SMS channel).
create table registration (
    registration_id bigserial primary key,
    purpose text not null,
    name text not null,
    email text not null,
    email_domain text not null,
    mobile text not null,
    call_id bigint references expert_call(call_id),
    address text not null default '',
    token_hash text not null,
    code_hash text not null default '',
    code_attempts bigint not null default 0,
    user_id bigint references app_user(user_id),
    created_at text not null,
    expires_at text not null,
    used_at text
);
create index registration_address on registration(address, created_at);
create index registration_domain on registration(email_domain, created_at);
create index registration_email on registration(email, created_at);
create index registration_mobile on registration(mobile, created_at);
create index registration_token on registration(token_hash);

-- What a self-registered account was registered with (experts created by staff keep theirs on
-- the expert record).
alter table app_user add column email text not null default '';
alter table app_user add column mobile text not null default '';
alter table app_user add column display_name text not null default '';
-- Which of them the person proved: the e-mail by following its link, the mobile by its SMS
-- code. Only proven contact details find an existing account or an expert record.
alter table app_user add column email_verified bigint not null default 0;
alter table app_user add column mobile_verified bigint not null default 0;

create table application (
    application_id bigserial primary key,
    call_id bigint not null references expert_call(call_id),
    user_id bigint not null references app_user(user_id),
    expert_id bigint references expert(expert_id),
    state text not null,
    profile_json text not null default '',
    pledge_at text,
    note text not null default '',
    review_comment text not null default '',
    reopened_until text,
    membership_id bigint references membership(membership_id),
    submitted_at text,
    created_at text not null,
    updated_at text not null
);
create unique index application_per_call on application(call_id, user_id);
create index application_state on application(call_id, state);

create table application_step (
    step_id bigserial primary key,
    application_id bigint not null references application(application_id),
    action text not null,
    from_state text not null default '',
    to_state text not null,
    comment text not null default '',
    actor text not null,
    at text not null
);
create index application_step_of on application_step(application_id);

create table application_document (
    document_id bigserial primary key,
    application_id bigint not null references application(application_id),
    kind text not null,
    file_name text not null,
    content_type text not null,
    size bigint not null,
    sha256 text not null,
    content bytea not null,
    uploaded_by text not null,
    uploaded_at text not null,
    replaced_at text
);
create index application_document_of on application_document(application_id);
