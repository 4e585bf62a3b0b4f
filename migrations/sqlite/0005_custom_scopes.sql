-- Seed files: custom scopes and the claims they release, claim presets for dev's login
-- page, and clients that want their scope's claims in the ID token.

-- A scope beyond OpenID Connect's own, naming the user claims it releases.
create table scopes (
    name text primary key,
    -- json array of claim names
    claims text not null,
    -- put the released claims in the ID token too, not only in userinfo
    id_token integer not null default 0,
    created_at integer not null,
    updated_at integer not null
) strict;

-- Named sets of claims that dev's login page offers one click away.
create table claim_presets (
    name text primary key,
    -- json object
    claims text not null,
    created_at integer not null,
    updated_at integer not null
) strict;

-- The granted scope's claims go in the ID token too (many RP libraries read only it).
alter table clients add column id_token_claims integer not null default 0;
