-- Server-side sessions: the cookie holds a random token; this table holds its SHA-256, so
-- logout, a password change, a role change or deactivation ends a session on every instance.
create table app_session (
    session_hash text primary key,
    user_id integer not null references app_user(user_id),
    issued_at text not null,
    last_seen text not null,
    address text not null default '',
    user_agent text not null default '',
    ended_at text,
    end_reason text not null default ''
);
create index app_session_user on app_session(user_id, ended_at);
