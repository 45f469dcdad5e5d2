-- The holds still open, by account: the reconciliation's accounts sweep compares each account's held amount with
-- their sum (check held_matches_holds), and finds those open too long (hold_open_too_long). Partial, so that it
-- holds the open holds only, a few an account at a time.
--
-- Building it keeps hold rows from being written (not read) for as long as it scans the holds, and waits 5 s at most
-- for its lock (docs/operations.md, Upgrades); on a large ledger, create it by hand with CREATE INDEX CONCURRENTLY
-- before the upgrade.
SET LOCAL lock_timeout = '5s';

CREATE INDEX IF NOT EXISTS holds_open_by_account ON holds (account_id) INCLUDE (amount_minor) WHERE state = 'HELD';

-- An index of that name made before (by hand, CONCURRENTLY) is kept by IF NOT EXISTS whatever it is: it must be this
-- one, and valid (a concurrent build that failed, or is still running, leaves it invalid).
DO $$
DECLARE
    made text := pg_get_indexdef('holds_open_by_account'::regclass);
BEGIN
    IF made NOT LIKE '% ON %holds USING btree (account_id) INCLUDE (amount_minor) WHERE (state = ''HELD''::text)' THEN
        RAISE EXCEPTION 'index holds_open_by_account is not the one this migration makes: %; drop it', made;
    END IF;
    IF NOT (SELECT indisvalid FROM pg_index WHERE indexrelid = 'holds_open_by_account'::regclass) THEN
        RAISE EXCEPTION 'index holds_open_by_account is invalid: a CREATE INDEX CONCURRENTLY failed (drop it and build '
            'it again) or is still running (wait for it)';
    END IF;
END
$$;
