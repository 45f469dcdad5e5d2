-- The active clearing account of a currency, which a transfer to another bank credits: found through the accounts'
-- primary key in id order, or read from every account, it was a scan of the customers' accounts for each such
-- transfer, under the hold's lock. Partial, so that it holds the few clearing accounts only; no column a balance
-- change writes is in it, so such updates stay heap-only.
--
-- Building it keeps account rows from being written (not read) for as long as it scans the accounts, and waits 5 s at
-- most for its lock (docs/operations.md, Upgrades); on a large ledger, create it by hand with CREATE INDEX CONCURRENTLY
-- before the upgrade.
SET LOCAL lock_timeout = '5s';

CREATE INDEX IF NOT EXISTS accounts_active_clearing ON accounts (currency, account_id)
    WHERE kind = 'CLEARING' AND status = 'ACTIVE';

-- An index of that name made before (by hand, CONCURRENTLY) is kept by IF NOT EXISTS whatever it is: it must be this
-- one, and valid (a concurrent build that failed, or is still running, leaves it invalid).
DO $$
DECLARE
    made text := pg_get_indexdef('accounts_active_clearing'::regclass);
BEGIN
    IF made NOT LIKE '% ON %accounts USING btree (currency, account_id) WHERE ((kind = ''CLEARING''::text) AND (status = ''ACTIVE''::text))' THEN
        RAISE EXCEPTION 'index accounts_active_clearing is not the one this migration makes: %; drop it', made;
    END IF;
    IF NOT (SELECT indisvalid FROM pg_index WHERE indexrelid = 'accounts_active_clearing'::regclass) THEN
        RAISE EXCEPTION 'index accounts_active_clearing is invalid: a CREATE INDEX CONCURRENTLY failed (drop it and build '
            'it again) or is still running (wait for it)';
    END IF;
END
$$;
