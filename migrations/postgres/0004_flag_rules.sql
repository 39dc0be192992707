-- Flag thresholds per pool (tracking and rotation).
create table pool_flag_rules (
    pool text primary key,
    rules_json text not null,
    updated_at text not null,
    updated_by text not null
);
