-- One live seat per expert and panel of an event, whatever the application does: a second
-- pending or accepted invitation for the same (event, panel, expert) cannot be stored.
create unique index invitation_live on invitation(event_id, panel_code, expert_id) where status in ('pending', 'accepted');
