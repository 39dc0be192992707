-- A counter that every change to the expert registry bumps (in the writer's transaction), so
-- that each service instance can keep the registry in memory and reload it only when the
-- counter moved. Triggers catch every write path: pages, API, import, verification.
create table registry_version (
    id integer primary key,
    version bigint not null
);
insert into registry_version (id, version) values (1, 0);

create function bump_registry_version() returns trigger language plpgsql as $$
begin
    update registry_version set version = version + 1 where id = 1;
    return null;
end
$$;

create trigger expert_changed after insert or update or delete on expert
    for each statement execute function bump_registry_version();
create trigger expert_discipline_changed after insert or update or delete on expert_discipline
    for each statement execute function bump_registry_version();
create trigger expert_employment_changed after insert or update or delete on expert_employment
    for each statement execute function bump_registry_version();
create trigger expert_relation_changed after insert or update or delete on expert_relation
    for each statement execute function bump_registry_version();
create trigger expert_unavailable_changed after insert or update or delete on expert_unavailable
    for each statement execute function bump_registry_version();
