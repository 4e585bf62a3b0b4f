-- Session lifetimes, third-party clients and consent.

-- A session also ends when it has not been used for the idle lifetime: each use moves
-- this forward, never past `expires_at` (the absolute lifetime). Existing sessions keep
-- their absolute end.
alter table sessions add column idle_expires_at bigint not null default 0;
update sessions set idle_expires_at = expires_at;
create index sessions_idle_expiry on sessions (idle_expires_at);
-- Ending a session, a user's sessions or a consent deletes their codes not yet redeemed.
create index authorization_codes_sid on authorization_codes (sid);
create index authorization_codes_user on authorization_codes (user_id);

-- A request waiting for consent rather than a login: the `sid` of the session it waits
-- in; only that session can finish it.
alter table authorization_requests add column sid text;

-- A third-party client gets the consent page; a first-party one (the default) does not.
alter table clients add column third_party boolean not null default false;

-- What a user agreed to share with a third-party client: the union of the scopes they
-- approved. The consent page comes back only for a scope outside it.
create table consents (
    user_id text not null references users (id) on delete cascade,
    client_id text not null references clients (id) on delete cascade,
    -- space-separated scope tokens
    scope text not null,
    created_at bigint not null,
    updated_at bigint not null,
    primary key (user_id, client_id)
);
create index consents_client on consents (client_id);
