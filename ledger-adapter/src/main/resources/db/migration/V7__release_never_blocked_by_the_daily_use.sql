-- A hold's closing gives its released part back to the outward use of the day it was frozen on. A hold that day's
-- running total never counted (frozen by an adapter from before V2, beside a new one during a rolling upgrade, or
-- before V2's back-fill saw it) has no row there, or less than its part: that must not stop the hold from ending,
-- for a release that fails is retried forever and holds up every later command of its partition. The day's total
-- stays at zero or above, and PostgreSQL's log says which account and day did not add up.
CREATE OR REPLACE FUNCTION ledger_give_back_outward_use(p_account text, p_day date, p_released bigint)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    used bigint;
BEGIN
    SELECT used_minor INTO used FROM daily_outward_use
    WHERE account_id = p_account AND business_date = p_day FOR UPDATE;
    IF p_released > 0 AND (NOT FOUND OR used < p_released) THEN
        RAISE WARNING 'Outward use of % on % was % where % is given back: counted as none', p_account, p_day,
            coalesce(used, 0), p_released;
    END IF;
    UPDATE daily_outward_use SET used_minor = greatest(used_minor - p_released, 0)
    WHERE account_id = p_account AND business_date = p_day;
END
$$;

-- The journal and the record of applied commands are only ever added to: the service's role may no longer change
-- them (the balance trigger checks what is inserted, not what is updated). Where one role both owns the tables and
-- runs the service, this takes UPDATE from the owner, who may grant it back: a later migration that must change
-- these rows grants it first.
REVOKE UPDATE ON journal_transactions, journal_entries, processed_commands FROM "${application_role}";
