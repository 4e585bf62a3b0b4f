-- Login throttle counters are keyed by the SHA-256 of `user:<name>` or `ip:<address>`
-- (32 bytes): nothing typed into the username field is kept, and a long username
-- cannot overflow the primary key's index (which answered a server error).
-- The old rows are short-lived counters under the old keys: they are dropped.
drop table login_throttle;
create table login_throttle (
    key bytea primary key check (octet_length(key) = 32),
    failures bigint not null,
    window_start bigint not null,
    blocked_until bigint
);
