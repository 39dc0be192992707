-- Calls for experts (征集通知): an administrator publishes a call for one pool, with the
-- disciplines and numbers sought and the documents required; applications made in answer
-- to a call name it. Calls are never deleted: a closed call keeps its applications.
create table expert_call (
    call_id integer primary key autoincrement,
    pool text not null,
    title text not null,
    body text not null default '',
    opens_on text not null,
    closes_on text not null,
    sought_json text not null default '[]',
    documents text not null default '',
    created_by text not null,
    created_at text not null,
    updated_at text not null
);
alter table membership add column call_id integer references expert_call(call_id);
create index membership_call on membership(call_id);
