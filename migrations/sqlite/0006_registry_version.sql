-- A counter that every change to the expert registry bumps (in the writer's transaction), so
-- that each service instance can keep the registry in memory and reload it only when the
-- counter moved. Triggers catch every write path: pages, API, import, verification.
create table registry_version (
    id integer primary key,
    version integer not null
);
insert into registry_version (id, version) values (1, 0);

create trigger expert_ins after insert on expert begin update registry_version set version = version + 1 where id = 1; end;
create trigger expert_upd after update on expert begin update registry_version set version = version + 1 where id = 1; end;
create trigger expert_del after delete on expert begin update registry_version set version = version + 1 where id = 1; end;
create trigger expert_discipline_ins after insert on expert_discipline begin update registry_version set version = version + 1 where id = 1; end;
create trigger expert_discipline_upd after update on expert_discipline begin update registry_version set version = version + 1 where id = 1; end;
create trigger expert_discipline_del after delete on expert_discipline begin update registry_version set version = version + 1 where id = 1; end;
create trigger expert_employment_ins after insert on expert_employment begin update registry_version set version = version + 1 where id = 1; end;
create trigger expert_employment_upd after update on expert_employment begin update registry_version set version = version + 1 where id = 1; end;
create trigger expert_employment_del after delete on expert_employment begin update registry_version set version = version + 1 where id = 1; end;
create trigger expert_relation_ins after insert on expert_relation begin update registry_version set version = version + 1 where id = 1; end;
create trigger expert_relation_upd after update on expert_relation begin update registry_version set version = version + 1 where id = 1; end;
create trigger expert_relation_del after delete on expert_relation begin update registry_version set version = version + 1 where id = 1; end;
create trigger expert_unavailable_ins after insert on expert_unavailable begin update registry_version set version = version + 1 where id = 1; end;
create trigger expert_unavailable_upd after update on expert_unavailable begin update registry_version set version = version + 1 where id = 1; end;
create trigger expert_unavailable_del after delete on expert_unavailable begin update registry_version set version = version + 1 where id = 1; end;
