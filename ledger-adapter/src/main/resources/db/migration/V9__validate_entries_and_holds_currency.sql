-- Checks the rows written before V8 against its constraints (reading the journal once, without blocking writers),
-- then drops the foreign keys on the account alone, which the ones on account and currency imply: each entry and
-- hold is checked once, not twice.
ALTER TABLE journal_entries VALIDATE CONSTRAINT journal_entries_in_account_currency;
ALTER TABLE holds VALIDATE CONSTRAINT holds_in_account_currency;
ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_account_id_fkey;
ALTER TABLE holds DROP CONSTRAINT holds_account_id_fkey;
