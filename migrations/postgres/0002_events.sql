-- Review events, their items and panels, staff exclusions, and stored draws.

create table event (
    event_id bigserial primary key,
    code text not null unique,
    title text not null,
    kind text not null,
    pool text not null,
    mode text not null,
    dates text not null,
    slots_json text not null default '[]',
    rules_json text not null,
    status text not null,
    created_at text not null,
    updated_at text not null
);

create table item (
    item_id bigserial primary key,
    event_id bigint not null references event(event_id),
    code text not null,
    title text not null,
    applicant_orgs text not null,
    team text not null default '',
    disciplines text not null,
    keywords text not null default '',
    abstract text not null default '',
    requested_avoid text not null default '',
    unique (event_id, code)
);

create table panel (
    panel_id bigserial primary key,
    event_id bigint not null references event(event_id),
    code text not null,
    slot text,
    position bigint not null,
    unique (event_id, code)
);

create table panel_item (
    panel_id bigint not null references panel(panel_id),
    item_id bigint not null references item(item_id),
    position bigint not null,
    primary key (panel_id, item_id)
);

create table exclusion (
    exclusion_id bigserial primary key,
    event_id bigint not null references event(event_id),
    item_code text not null,
    expert_code text not null,
    kind text not null,
    reason text not null,
    actor text not null,
    at text not null
);

create table draw (
    draw_id bigserial primary key,
    event_id bigint not null references event(event_id),
    seed text not null,
    engine_version text not null,
    solver text not null,
    input_hash text not null,
    input_json text not null,
    result_hash text not null,
    result_json text not null,
    actor text not null,
    at text not null
);
create index draw_event on draw(event_id);
