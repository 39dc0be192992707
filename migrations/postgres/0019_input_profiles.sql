-- The experts' profiles a draw was made from (stored input format 2, `assign::stored_input`):
-- one JSON array per registry snapshot, named by its SHA-256, shared by every draw and failed
-- attempt made from that snapshot instead of repeated in each (29 MB at 30,000 experts).
create table input_profiles (
    profiles_hash text primary key,
    profiles_json text not null,
    at text not null
);
