-- RFC 8252 §7.3: a native app's registered redirect URI on 127.0.0.1 or [::1] may
-- match any port at request time, when the client opted in at registration.
alter table clients add column loopback_any_port boolean not null default false;
