-- The accounts sweep (docs/reliability.md, "Reconciliation") compares each balance with the sum of the
-- account's journal entries. Summing the whole journal every round grows with the ledger's age; each
-- account's total up to a settled journal transaction is kept here instead, and a round sums only the
-- entries after it. A total is summed again from the first entry once it is `full-sum-every` old, so a
-- change behind it is still found.
CREATE TABLE reconciliation_account_totals (
    -- no foreign key: its check would lock the account row against the ledger's transfers (accounts are
    -- never deleted)
    account_id              text        PRIMARY KEY,
    -- the entries of journal transactions up to this id are in journal_minor
    through_transaction_id  bigint      NOT NULL,
    journal_minor           bigint      NOT NULL,
    summed_in_full_at       timestamptz NOT NULL
);

GRANT SELECT, INSERT, UPDATE ON reconciliation_account_totals TO "${application_role}";

-- An account's entries after a transaction, with their amounts, from the index alone. On a large
-- journal, create it by hand with CREATE INDEX CONCURRENTLY before the upgrade (docs/operations.md):
-- built here, it blocks the ledger's writes for as long as it takes.
CREATE INDEX IF NOT EXISTS journal_entries_account_transaction
    ON journal_entries (account_id, transaction_id) INCLUDE (amount_minor);

-- A CREATE INDEX CONCURRENTLY that failed leaves an invalid index of that name, which IF NOT EXISTS skips:
-- without this check the old index would go with nothing usable in its place.
DO $$
BEGIN
    IF NOT (SELECT indisvalid FROM pg_index WHERE indexrelid = 'journal_entries_account_transaction'::regclass) THEN
        RAISE EXCEPTION 'index journal_entries_account_transaction is invalid (a failed CREATE INDEX CONCURRENTLY): '
            'drop it and build it again';
    END IF;
END
$$;

-- The new index serves every lookup of an account's entries that this one did.
DROP INDEX IF EXISTS journal_entries_account;
