-- An organization's names are shown and searched in the expert list, which each service
-- instance keeps in memory per registry_version (src/store/search/memory.rs): renaming an
-- organization bumps the counter too. The import's upsert updates only changed rows, so a
-- re-import of the same organizations bumps nothing.
create trigger organization_ins after insert on organization begin update registry_version set version = version + 1 where id = 1; end;
create trigger organization_upd after update on organization begin update registry_version set version = version + 1 where id = 1; end;
create trigger organization_del after delete on organization begin update registry_version set version = version + 1 where id = 1; end;
