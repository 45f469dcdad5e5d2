-- Outward use of an account per business day, kept as a running total in the transaction that
-- changes it: checking the daily limit reads one row, however many vouchers the account made that day.
-- A hold counts its whole amount while HELD, what was captured once CAPTURED, nothing once RELEASED.
CREATE TABLE daily_outward_use (
    account_id     text   NOT NULL REFERENCES accounts (account_id),
    business_date  date   NOT NULL,
    used_minor     bigint NOT NULL CHECK (used_minor >= 0),
    PRIMARY KEY (account_id, business_date)
);

INSERT INTO daily_outward_use (account_id, business_date, used_minor)
SELECT account_id, business_date,
       sum(CASE state WHEN 'HELD' THEN amount_minor WHEN 'CAPTURED' THEN captured_minor ELSE 0 END)
FROM holds
GROUP BY account_id, business_date;

-- The running total replaces the sum over the day's holds.
DROP INDEX holds_account_day;
