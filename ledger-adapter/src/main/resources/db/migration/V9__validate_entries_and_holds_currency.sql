-- Checks the rows written before V8 against its foreign keys: it reads the journal and the holds once, and blocks no
-- writer while it does. The foreign keys on the account alone stay: dropping them would lock accounts, holds and
-- the journal outright, and checking one more key of a row the transaction has locked already costs next to nothing.
ALTER TABLE journal_entries VALIDATE CONSTRAINT journal_entries_in_account_currency;
ALTER TABLE holds VALIDATE CONSTRAINT holds_in_account_currency;
