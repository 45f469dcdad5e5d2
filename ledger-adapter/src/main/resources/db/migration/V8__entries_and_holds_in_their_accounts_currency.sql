-- A journal entry and a hold are in their account's currency. The command functions and the account opening write
-- them so; the database now holds every writer to it, as it holds each transaction to balance per currency (a
-- balanced transaction in the wrong currency would still move money between currencies).
--
-- Each lock here is waited for 5 s at most: freezes lock accounts before holds, transfers and releases holds before
-- accounts, so no order of this migration's locks is safe from a running adapter; a migration that gives up is
-- rolled back whole and runs again at the adapter's next start (docs/operations.md, Upgrades).
SET LOCAL lock_timeout = '5s';

-- What the foreign keys refer to. Building it keeps account rows from being written (not read) for as long as it
-- takes; on a large ledger, create it by hand with CREATE UNIQUE INDEX CONCURRENTLY before the upgrade.
CREATE UNIQUE INDEX IF NOT EXISTS accounts_account_id_currency ON accounts (account_id, currency);

-- A CREATE INDEX CONCURRENTLY that failed leaves an invalid index of that name, which IF NOT EXISTS skips.
DO $$
BEGIN
    IF NOT (SELECT indisvalid FROM pg_index WHERE indexrelid = 'accounts_account_id_currency'::regclass) THEN
        RAISE EXCEPTION 'index accounts_account_id_currency is invalid (a failed CREATE INDEX CONCURRENTLY): '
            'drop it and build it again';
    END IF;
END
$$;

-- Added unchecked, so that their locks are brief: V9, a transaction of its own, checks the rows already written.
ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_in_account_currency
    FOREIGN KEY (account_id, currency) REFERENCES accounts (account_id, currency) NOT VALID;
ALTER TABLE holds ADD CONSTRAINT holds_in_account_currency
    FOREIGN KEY (account_id, currency) REFERENCES accounts (account_id, currency) NOT VALID;
