-- A counter that every change to memberships bumps in the writer's transaction, so that each
-- instance keeps the pools' standings in memory and reads them again only when it moved
-- (every overview and draw needs them for the whole registry).
create table membership_version (
    id integer primary key,
    version integer not null
);
insert into membership_version (id, version) values (1, 0);

create trigger membership_ins after insert on membership begin update membership_version set version = version + 1 where id = 1; end;
create trigger membership_upd after update on membership begin update membership_version set version = version + 1 where id = 1; end;
create trigger membership_del after delete on membership begin update membership_version set version = version + 1 where id = 1; end;
