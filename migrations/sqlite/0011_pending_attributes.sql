-- Changes an expert made to their own title, types, region, birth year or employer, held for
-- staff to verify (JSON; empty when nothing waits). The columns keep the verified values.
alter table expert add column pending_json text not null default '';
