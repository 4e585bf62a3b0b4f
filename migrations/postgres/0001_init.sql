-- gatehouse schema, PostgreSQL flavour. Kept in step with migrations/sqlite/0001_init.sql:
-- same tables, columns and constraints; only the column types differ.
-- Times are integer Unix seconds bound from gatehouse's clock, never the database's.
-- Secrets (client secrets, cookies, codes, refresh tokens) are stored only as SHA-256 hashes.

-- Relying parties, registered by the admin CLI or a seed file.
create table clients (
    id text primary key,
    name text not null default '',
    kind text not null check (kind in ('confidential', 'public')),
    -- sha-256 of the secret; a public client has none, a confidential one must.
    secret_hash bytea,
    -- json arrays of strings
    redirect_uris text not null,
    grant_types text not null,
    post_logout_redirect_uris text not null default '[]',
    audiences text not null default '[]',
    -- null: the server's default signing algorithm
    id_token_signed_response_alg text,
    -- PKCE (S256) required at /authorize; always true for public clients
    require_pkce boolean not null default true,
    created_at bigint not null,
    check ((kind = 'public') = (secret_hash is null)),
    check (kind = 'confidential' or require_pkce)
);

-- People who log in. `id` is the stable subject identifier (`sub`).
create table users (
    id text primary key,
    username text not null,
    -- lower-cased username, so that "Alice" and "alice" cannot be two accounts
    username_key text not null unique,
    -- argon2id PHC string
    password_hash text not null,
    disabled boolean not null default false,
    -- json object of OpenID Connect standard claims
    claims text not null default '{}',
    created_at bigint not null,
    updated_at bigint not null
);

-- Browser sessions, one per login in a browser.
create table sessions (
    -- sha-256 of the cookie value
    id_hash bytea primary key,
    -- the public session id, the `sid` claim
    sid text not null unique,
    user_id text not null references users (id) on delete cascade,
    auth_time bigint not null,
    created_at bigint not null,
    expires_at bigint not null
);
create index sessions_user on sessions (user_id);
create index sessions_expiry on sessions (expires_at);

-- Authorization requests waiting for the user to log in: any instance can finish them.
create table authorization_requests (
    id text primary key,
    client_id text not null references clients (id) on delete cascade,
    -- sha-256 of the browser cookie of the browser that made the request: only that
    -- browser can finish it (login CSRF protection)
    browser_hash bytea not null,
    -- the validated request as json
    request text not null,
    created_at bigint not null,
    expires_at bigint not null
);
create index authorization_requests_expiry on authorization_requests (expires_at);

-- One login of one user for one client (or one client-credentials issue): the unit that is
-- revoked. Access tokens carry its id; a refresh-token family is its chain of refresh tokens.
create table grants (
    id text primary key,
    client_id text not null references clients (id) on delete cascade,
    -- null for client_credentials
    user_id text references users (id) on delete cascade,
    scope text not null,
    -- the browser session's `sid`, for logout
    sid text,
    auth_time bigint,
    -- the `claims` request parameter, json, if any
    claims text,
    created_at bigint not null,
    -- end of the refresh-token family (absolute lifetime)
    expires_at bigint not null,
    revoked_at bigint
);
create index grants_client on grants (client_id);
create index grants_user on grants (user_id);
create index grants_sid on grants (sid);
create index grants_expiry on grants (expires_at);

-- Authorization codes: single use, redeemed by marking `consumed_at` in one statement.
create table authorization_codes (
    code_hash bytea primary key,
    -- the grant this code creates when redeemed, fixed now so that a losing concurrent
    -- redemption (a replay) can revoke what the winner created
    grant_id text not null unique,
    client_id text not null references clients (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    sid text not null,
    redirect_uri text not null,
    scope text not null,
    nonce text,
    code_challenge text,
    auth_time bigint not null,
    claims text,
    created_at bigint not null,
    expires_at bigint not null,
    consumed_at bigint
);
create index authorization_codes_expiry on authorization_codes (expires_at);

-- Refresh tokens; every one belongs to the family of one grant.
create table refresh_tokens (
    token_hash bytea primary key,
    grant_id text not null references grants (id) on delete cascade,
    created_at bigint not null,
    -- idle expiry; the grant's expires_at bounds the family
    expires_at bigint not null,
    -- set when the token is rotated; presenting it again is reuse
    spent_at bigint,
    -- the successor, sealed under a key derived from this token, for the reuse grace window
    successor_sealed bytea
);
create index refresh_tokens_grant on refresh_tokens (grant_id);
create index refresh_tokens_expiry on refresh_tokens (expires_at);

-- Access tokens revoked before their expiry (RFC 7009), by `jti`.
create table revoked_access_tokens (
    jti text primary key,
    expires_at bigint not null
);
create index revoked_access_tokens_expiry on revoked_access_tokens (expires_at);

-- Signing keys. Their state is derived from these times, so that every instance reaches
-- the same answer at the same moment: next (published, activates_at null or in the
-- future), active (the latest activates_at not in the future, per alg), retired (a newer
-- key has activated; still published until every token it signed has expired).
create table signing_keys (
    kid text primary key,
    alg text not null,
    -- DER private key (PKCS#1 for RSA, PKCS#8 otherwise); AES-256-GCM sealed when
    -- kek_id names the key-encryption key
    private_der bytea not null,
    kek_id text,
    created_at bigint not null,
    published_at bigint not null,
    activates_at bigint,
    retires_at bigint,
    check (activates_at is null or published_at <= activates_at)
);
create index signing_keys_alg on signing_keys (alg, activates_at);

-- Failed-login counters, per account and per client address.
create table login_throttle (
    key text primary key,
    failures bigint not null,
    window_start bigint not null,
    blocked_until bigint
);
