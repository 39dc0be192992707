-- A counter that every change to the record (history rows and invitations) bumps in the
-- writer's transaction, so that each instance keeps every expert's participations in memory
-- and reads them again only when the counter moved (a draw needs them all).
create table tracking_version (
    id integer primary key,
    version bigint not null
);
insert into tracking_version (id, version) values (1, 0);

create function bump_tracking_version() returns trigger language plpgsql as $$
begin
    update tracking_version set version = version + 1 where id = 1;
    return null;
end
$$;

create trigger tracking_record_changed after insert or update or delete on tracking_record
    for each statement execute function bump_tracking_version();
create trigger invitation_changed after insert or update or delete on invitation
    for each statement execute function bump_tracking_version();
create trigger event_tracking_changed after update of code, dates on event
    for each statement execute function bump_tracking_version();
