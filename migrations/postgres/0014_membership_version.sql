-- A counter that every change to memberships bumps in the writer's transaction, so that each
-- instance keeps the pools' standings in memory and reads them again only when it moved
-- (every overview and draw needs them for the whole registry).
create table membership_version (
    id integer primary key,
    version bigint not null
);
insert into membership_version (id, version) values (1, 0);

create function bump_membership_version() returns trigger language plpgsql as $$
begin
    update membership_version set version = version + 1 where id = 1;
    return null;
end
$$;

create trigger membership_changed after insert or update or delete on membership
    for each statement execute function bump_membership_version();
