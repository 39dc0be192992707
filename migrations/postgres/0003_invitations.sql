-- Invitations: the tracking record of who was asked, answered, came, and how they did.

create table invitation (
    invitation_id bigserial primary key,
    event_id bigint not null references event(event_id),
    draw_id bigint not null references draw(draw_id),
    panel_code text not null,
    expert_id bigint not null references expert(expert_id),
    role text not null,
    status text not null,
    decline_reason text not null default '',
    declared_conflict text not null default '',
    pledge bigint not null default 0,
    responded_at text,
    responded_by text,
    attendance text not null default '',
    rating_expertise bigint,
    rating_diligence bigint,
    rating_fairness bigint,
    replaced_by bigint,
    created_at text not null
);
create index invitation_event on invitation(event_id);
create index invitation_expert on invitation(expert_id, status);
