-- A journal entry and a hold are in their account's currency. The command functions and the account opening write
-- them so; the database now holds every writer to it, as it holds each transaction to balance per currency (a
-- balanced transaction in the wrong currency would still move money between currencies). The constraints are added
-- here unchecked, so that their locks are brief; V9, a transaction of its own that blocks no writer, checks the rows
-- already written. The unique constraint on accounts builds an index (a few seconds a million accounts, while
-- account rows cannot be written: docs/operations.md, Upgrades).
ALTER TABLE accounts ADD CONSTRAINT accounts_account_id_currency UNIQUE (account_id, currency);
ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_in_account_currency
    FOREIGN KEY (account_id, currency) REFERENCES accounts (account_id, currency) NOT VALID;
ALTER TABLE holds ADD CONSTRAINT holds_in_account_currency
    FOREIGN KEY (account_id, currency) REFERENCES accounts (account_id, currency) NOT VALID;
