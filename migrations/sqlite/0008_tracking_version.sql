-- A counter that every change to the record (history rows and invitations) bumps in the
-- writer's transaction, so that each instance keeps every expert's participations in memory
-- and reads them again only when the counter moved (a draw needs them all).
create table tracking_version (
    id integer primary key,
    version integer not null
);
insert into tracking_version (id, version) values (1, 0);

create trigger tracking_record_ins after insert on tracking_record begin update tracking_version set version = version + 1 where id = 1; end;
create trigger tracking_record_upd after update on tracking_record begin update tracking_version set version = version + 1 where id = 1; end;
create trigger tracking_record_del after delete on tracking_record begin update tracking_version set version = version + 1 where id = 1; end;
create trigger invitation_ins after insert on invitation begin update tracking_version set version = version + 1 where id = 1; end;
create trigger invitation_upd after update on invitation begin update tracking_version set version = version + 1 where id = 1; end;
create trigger invitation_del after delete on invitation begin update tracking_version set version = version + 1 where id = 1; end;
-- Event codes and dates reach the record too.
create trigger event_tracking_upd after update of code, dates on event begin update tracking_version set version = version + 1 where id = 1; end;
