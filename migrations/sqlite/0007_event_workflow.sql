-- Review events through a real week (issue 10).
-- Draws: the hash of each part of their input (to tell when a draw is out of date) and the
-- digest of the event's previous draw (a chain: a deleted or edited draw shows).
alter table draw add column input_parts text not null default '{}';
alter table draw add column prev_digest text not null default '';
-- Invitations: the half-day they occupy (date and am/pm; empty for correspondence review), so
-- that nobody is booked twice in one slot across events; and a seat staff chose to leave empty.
alter table invitation add column slot_date text not null default '';
alter table invitation add column slot_part text not null default '';
alter table invitation add column waived_reason text not null default '';
create index invitation_slot on invitation(slot_date, status);
-- What an invited expert is told: where, and by when to answer.
alter table event add column venue text not null default '';
alter table event add column answer_by text not null default '';
