-- Login attempts being checked are counted per throttle key, so that no more are
-- checked at once than may still fail before the block, and the others wait.
-- The count lapses at `in_flight_until` (a lease, renewed by each attempt), so that
-- an instance that dies mid-check cannot hold an account's or address's slots for long.
alter table login_throttle add column in_flight integer not null default 0;
alter table login_throttle add column in_flight_until integer not null default 0;
