-- Accounts, organizations, disciplines, experts (with child tables), audit, login throttle.
-- PostgreSQL: same tables and names as migrations/sqlite; integers are BIGINT so that sqlx Any decodes i64.

create table organization (
    organization_id bigserial primary key,
    code text not null unique,
    name_zh text not null,
    name_en text not null default '',
    kind text not null,
    region text not null,
    city text not null default ''
);

create table discipline (
    code text primary key,
    parent_code text,
    level bigint not null,
    name_zh text not null,
    name_en text not null default ''
);

create table expert (
    expert_id bigserial primary key,
    code text not null unique,
    name text not null,
    gender text not null,
    birth_year bigint not null,
    title text not null,
    position text not null default '',
    organization_code text not null references organization(code),
    region text not null,
    keywords_zh text not null default '',
    keywords_en text not null default '',
    summary text not null default '',
    types text not null default '',
    email text,
    phone text not null default '',
    to_verify text not null default '',
    created_at text not null,
    updated_at text not null
);
create index expert_name on expert(name);
create index expert_org on expert(organization_code);

create table expert_discipline (
    expert_id bigint not null references expert(expert_id),
    position bigint not null,
    code text not null references discipline(code),
    primary key (expert_id, position)
);
create index expert_discipline_code on expert_discipline(code);

create table expert_employment (
    expert_id bigint not null references expert(expert_id),
    position bigint not null,
    organization_code text not null,
    year_from bigint,
    year_to bigint,
    primary key (expert_id, position)
);

create table expert_relation (
    expert_id bigint not null references expert(expert_id),
    position bigint not null,
    kind text not null,
    person_name text,
    organization_code text,
    since bigint,
    until bigint,
    primary key (expert_id, position)
);

create table expert_unavailable (
    expert_id bigint not null references expert(expert_id),
    position bigint not null,
    date_from text not null,
    date_to text not null,
    primary key (expert_id, position)
);

create table app_user (
    user_id bigserial primary key,
    username text not null unique,
    password_hash text not null,
    role text not null,
    expert_id bigint references expert(expert_id),
    active bigint not null default 1,
    created_at text not null
);

create table membership (
    membership_id bigserial primary key,
    expert_id bigint not null references expert(expert_id),
    pool text not null,
    state text not null,
    since text not null,
    term_end text,
    reason text not null default '',
    updated_at text not null default ''
);
-- One open (applied, active or suspended) membership per expert and pool; refused and exited
-- ones stay as history, and the expert may apply again.
create unique index membership_open on membership(expert_id, pool) where state in ('applied', 'active', 'suspended');
create index membership_pool_state on membership(pool, state);

create table membership_transition (
    membership_transition_id bigserial primary key,
    membership_id bigint not null references membership(membership_id),
    at text not null,
    actor text not null,
    action text not null,
    from_state text,
    to_state text not null,
    reason_code text not null default '',
    reason_text text not null default '',
    override_reason text not null default ''
);
create index membership_transition_membership on membership_transition(membership_id);

create table pool_rules (
    pool text primary key,
    rules_json text not null,
    updated_at text not null,
    updated_by text not null
);

create table tracking_record (
    tracking_record_id bigserial primary key,
    expert_id bigint not null references expert(expert_id),
    event_ref text not null,
    event_kind text not null,
    event_date text not null,
    response text not null,
    decline_reason text not null default '',
    attendance text not null default '',
    rating_expertise bigint,
    rating_diligence bigint,
    rating_fairness bigint,
    unique (expert_id, event_ref)
);

create table audit (
    audit_id bigserial primary key,
    at text not null,
    actor_user_id bigint,
    actor text not null,
    action text not null,
    entity text not null,
    entity_ref text not null,
    before_json text,
    after_json text
);
create index audit_entity on audit(entity, entity_ref);

create table login_failure (
    login_failure_id bigserial primary key,
    throttle_key text not null,
    at text not null
);
create index login_failure_key on login_failure(throttle_key, at);
