-- The pool rules of DESIGN §2–§6 that need facts the registry did not keep.

-- Entry rules: the year the expert started working in their field (≥ 5 years), and a
-- distinction (academician, nationally recognized expert) that raises the entry age limit.
alter table expert add column field_since bigint;
alter table expert add column distinction text not null default '';

-- When the expert signed the integrity and confidentiality pledge for this membership, and
-- the day a suspension ends by itself (none: until reinstated).
alter table membership add column pledge_at text;
alter table membership add column suspended_until text;

-- Items: why the applicant asks to avoid each expert (JSON object expert code → reason),
-- experts with a prior role on the item (JSON [{"expert", "reason"}]) and the codes of the
-- earlier items it continues (an acceptance check names its application: whoever reviewed
-- that application has a prior role).
alter table item add column avoid_reasons text not null default '';
alter table item add column prior_roles text not null default '';
alter table item add column earlier_items text not null default '';

-- Correspondence review: the days experts work on their items (`from..to`; empty: the
-- event's dates).
alter table event add column review_window text not null default '';

-- One account per expert. A database that already links two accounts to one expert keeps
-- the oldest link; the later accounts stay, unlinked, for an administrator to review.
update app_user set expert_id = null
 where expert_id is not null
   and user_id not in (select min(user_id) from app_user where expert_id is not null group by expert_id);
create unique index app_user_one_per_expert on app_user(expert_id) where expert_id is not null;
