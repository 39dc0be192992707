-- Draw attempts that found no panel assignment (the rules cannot be met): kept with their
-- seed and input like a draw, so a supervisor sees every attempt and can replay it.
create table draw_attempt (
    attempt_id bigserial primary key,
    event_id bigint not null references event(event_id),
    seed text not null,
    engine_version text not null,
    input_hash text not null,
    input_json text not null,
    reason text not null,
    actor text not null,
    at text not null
);
create index draw_attempt_event on draw_attempt(event_id);
