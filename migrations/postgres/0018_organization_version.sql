-- An organization's names are shown and searched in the expert list, which each service
-- instance keeps in memory per registry_version (src/store/search/memory.rs): renaming an
-- organization bumps the counter too. Per row (the function of 0006 serves row triggers as
-- well: an AFTER trigger's return value is ignored), so that the import's upsert, which
-- updates only changed rows, bumps nothing when it changes nothing.
create trigger organization_changed after insert or update or delete on organization
    for each row execute function bump_registry_version();
