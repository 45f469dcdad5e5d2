-- Each ledger command in one call, so in one round trip: the database takes the voucher's lock, answers a
-- command applied before from processed_commands, takes the rows' locks, checks the rules and makes the
-- change, and records the result. The adapter calls one of these per command, each in a transaction of its
-- own (the journal's balance trigger runs at its commit).
--
-- Each statement of a function sees what committed before the statement started (READ COMMITTED takes a
-- snapshot per statement), so a read that follows a lock sees the work of the lock's previous holder.
-- Locks are taken in one order everywhere: the voucher's advisory lock, the hold, then accounts by id in
-- byte order (COLLATE "C", whatever the database's collation), then the day's outward use.
--
-- Every function returns the command's result as processed_commands keeps it, and whether it was stored
-- before (the command was delivered again).

-- A command's result, as processed_commands keeps it, and whether it was stored before.
CREATE TYPE ledger_result AS (outcome text, reason text, transferred_minor bigint, released_minor bigint,
                              affected_accounts text[], processed_at timestamptz, redelivered boolean);

-- Takes the voucher's lock (two instances given the same command apply it one after the other), then
-- returns the command's stored result if it was applied before.
CREATE FUNCTION ledger_applied_before(p_voucher text, p_command text)
RETURNS SETOF ledger_result
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_voucher, 0));
    RETURN QUERY SELECT outcome, reason, transferred_minor, released_minor, affected_accounts, processed_at, true
                 FROM processed_commands WHERE command_id = p_command;
END
$$;

-- Records a command's result and returns it.
CREATE FUNCTION ledger_record(p_command text, p_voucher text, p_outcome text, p_reason text, p_transferred bigint,
                              p_released bigint, p_accounts text[], p_now timestamptz)
RETURNS SETOF ledger_result
LANGUAGE sql AS $$
    INSERT INTO processed_commands (command_id, voucher_id, outcome, reason, transferred_minor, released_minor,
                                    affected_accounts, processed_at)
    VALUES (p_command, p_voucher, p_outcome, p_reason, p_transferred, p_released, p_accounts, p_now)
    RETURNING outcome, reason, transferred_minor, released_minor, affected_accounts, processed_at, false
$$;

-- Refuses a command for a reason, unless it was applied before: a command the adapter finds invalid, or
-- a transfer it gives up on.
CREATE FUNCTION ledger_refuse(p_command text, p_voucher text, p_outcome text, p_reason text, p_now timestamptz)
RETURNS SETOF ledger_result
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT * FROM ledger_applied_before(p_voucher, p_command);
    IF NOT FOUND THEN
        RETURN QUERY SELECT * FROM ledger_record(p_command, p_voucher, p_outcome, p_reason, 0, 0, '{}', p_now);
    END IF;
END
$$;

-- Freeze: hold the amount on the customer's own account for the voucher, within the day's outward limit.
CREATE FUNCTION ledger_freeze(p_command text, p_voucher text, p_customer text, p_account text, p_amount bigint,
                              p_currency text, p_day date, p_now timestamptz)
RETURNS SETOF ledger_result
LANGUAGE plpgsql AS $$
DECLARE
    account accounts%ROWTYPE;
    refusal text;
BEGIN
    RETURN QUERY SELECT * FROM ledger_applied_before(p_voucher, p_command);
    IF FOUND THEN
        RETURN;
    END IF;
    SELECT * INTO account FROM accounts WHERE account_id = p_account FOR UPDATE;
    refusal := CASE
        WHEN NOT FOUND THEN 'ACCOUNT_NOT_FOUND'
        WHEN account.kind <> 'CUSTOMER' OR account.owner_customer_id <> p_customer THEN 'NOT_ACCOUNT_OWNER'
        WHEN account.status <> 'ACTIVE' THEN 'ACCOUNT_NOT_ACTIVE'
        WHEN NOT account.outward_transfers_allowed THEN 'OUTWARD_TRANSFERS_NOT_ALLOWED'
        WHEN account.currency <> p_currency THEN 'CURRENCY_MISMATCH'
        -- Read after the account's lock: what the lock's previous holder committed is seen.
        WHEN EXISTS (SELECT 1 FROM holds WHERE voucher_id = p_voucher) THEN 'VOUCHER_ALREADY_HELD'
        WHEN coalesce((SELECT used_minor FROM daily_outward_use
                       WHERE account_id = p_account AND business_date = p_day), 0) + p_amount
             > account.daily_outward_limit_minor THEN 'DAILY_LIMIT_EXCEEDED'
        WHEN account.balance_minor - account.held_minor < p_amount THEN 'INSUFFICIENT_FUNDS'
    END;
    IF refusal IS NOT NULL THEN
        RETURN QUERY SELECT * FROM ledger_record(p_command, p_voucher, 'FREEZE_REFUSED', refusal, 0, 0, '{}', p_now);
        RETURN;
    END IF;
    INSERT INTO holds (voucher_id, account_id, amount_minor, currency, state, business_date)
    VALUES (p_voucher, p_account, p_amount, p_currency, 'HELD', p_day);
    UPDATE accounts SET held_minor = held_minor + p_amount, version = version + 1, updated_at = p_now
    WHERE account_id = p_account;
    INSERT INTO daily_outward_use (account_id, business_date, used_minor) VALUES (p_account, p_day, p_amount)
    ON CONFLICT (account_id, business_date)
    DO UPDATE SET used_minor = daily_outward_use.used_minor + excluded.used_minor;
    RETURN QUERY SELECT * FROM ledger_record(p_command, p_voucher, 'FROZEN', NULL, 0, 0, ARRAY[p_account], p_now);
END
$$;

-- Closing a hold gives its released part back to the outward use of the day it was frozen on; the freeze
-- counted it there, so the row must exist, or the books disagree.
CREATE FUNCTION ledger_give_back_outward_use(p_account text, p_day date, p_released bigint)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE daily_outward_use SET used_minor = used_minor - p_released
    WHERE account_id = p_account AND business_date = p_day;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'No outward use of % on % to take % back from', p_account, p_day, p_released;
    END IF;
END
$$;

-- Transfer: capture the voucher's hold, move the amount to the payee's own account (or, for an account at
-- another bank, to the clearing account in the currency, with the payee's details on the journal), and
-- release the rest. Payer and payee may be one account: its row is changed once, by both amounts.
CREATE FUNCTION ledger_transfer(p_command text, p_voucher text, p_amount bigint, p_currency text, p_payee text,
                                p_own_account text, p_bank text, p_holder text, p_number text, p_now timestamptz)
RETURNS SETOF ledger_result
LANGUAGE plpgsql AS $$
DECLARE
    hold holds%ROWTYPE;
    destination_id text;
    destination accounts%ROWTYPE;
    refusal text;
    released bigint;
    journal bigint;
BEGIN
    RETURN QUERY SELECT * FROM ledger_applied_before(p_voucher, p_command);
    IF FOUND THEN
        RETURN;
    END IF;
    SELECT * INTO hold FROM holds WHERE voucher_id = p_voucher FOR UPDATE;
    refusal := CASE
        WHEN NOT FOUND THEN 'HOLD_NOT_FOUND'
        WHEN hold.state <> 'HELD' THEN 'HOLD_NOT_OPEN'
        WHEN p_amount <= 0 THEN 'INVALID_COMMAND'
        WHEN p_amount > hold.amount_minor THEN 'AMOUNT_EXCEEDS_HOLD'
        WHEN hold.currency <> p_currency THEN 'CURRENCY_MISMATCH'
    END;
    IF refusal IS NULL THEN
        destination_id := coalesce(p_own_account,
            (SELECT account_id FROM accounts
             WHERE kind = 'CLEARING' AND currency = p_currency AND status = 'ACTIVE'
             ORDER BY account_id LIMIT 1));
        IF destination_id IS NULL THEN
            refusal := 'CLEARING_ACCOUNT_MISSING';
        END IF;
    END IF;
    IF refusal IS NULL THEN
        -- Both accounts locked in id order, so that two transfers between the same accounts cannot deadlock.
        PERFORM 1 FROM accounts WHERE account_id IN (hold.account_id, destination_id)
        ORDER BY account_id COLLATE "C" FOR UPDATE;
        SELECT * INTO destination FROM accounts WHERE account_id = destination_id;
        refusal := CASE
            WHEN NOT FOUND THEN 'DESTINATION_NOT_FOUND'
            WHEN destination.status <> 'ACTIVE' THEN 'DESTINATION_NOT_ACTIVE'
            WHEN destination.currency <> p_currency THEN 'CURRENCY_MISMATCH'
            WHEN p_own_account IS NOT NULL
                 AND (destination.kind <> 'CUSTOMER' OR destination.owner_customer_id <> p_payee)
                THEN 'DESTINATION_NOT_OWNED'
        END;
    END IF;
    IF refusal IS NOT NULL THEN
        RETURN QUERY SELECT * FROM ledger_record(p_command, p_voucher, 'TRANSFER_FAILED', refusal, 0, 0, '{}', p_now);
        RETURN;
    END IF;

    released := hold.amount_minor - p_amount;
    UPDATE accounts
    SET balance_minor = balance_minor + CASE WHEN account_id = hold.account_id THEN -p_amount ELSE 0 END
                                      + CASE WHEN account_id = destination_id THEN p_amount ELSE 0 END,
        held_minor = held_minor - CASE WHEN account_id = hold.account_id THEN hold.amount_minor ELSE 0 END,
        version = version + 1, updated_at = p_now
    WHERE account_id IN (hold.account_id, destination_id);
    UPDATE holds SET state = 'CAPTURED', captured_minor = p_amount, released_minor = released, closed_at = p_now
    WHERE voucher_id = p_voucher;
    INSERT INTO journal_transactions (kind, command_id, voucher_id,
                                      external_bank, external_holder_name, external_account_number)
    VALUES ('VOUCHER_REDEMPTION', p_command, p_voucher, p_bank, p_holder, p_number)
    RETURNING transaction_id INTO journal;
    INSERT INTO journal_entries (transaction_id, account_id, amount_minor, currency)
    VALUES (journal, hold.account_id, -p_amount, p_currency), (journal, destination_id, p_amount, p_currency);
    PERFORM ledger_give_back_outward_use(hold.account_id, hold.business_date, released);
    RETURN QUERY SELECT * FROM ledger_record(p_command, p_voucher, 'TRANSFERRED', NULL, p_amount, released,
        ARRAY(SELECT id FROM unnest(ARRAY[hold.account_id, destination_id]) AS id GROUP BY id ORDER BY id COLLATE "C"),
        p_now);
END
$$;

-- Release: free the whole hold of the voucher.
CREATE FUNCTION ledger_release(p_command text, p_voucher text, p_now timestamptz)
RETURNS SETOF ledger_result
LANGUAGE plpgsql AS $$
DECLARE
    hold holds%ROWTYPE;
BEGIN
    RETURN QUERY SELECT * FROM ledger_applied_before(p_voucher, p_command);
    IF FOUND THEN
        RETURN;
    END IF;
    SELECT * INTO hold FROM holds WHERE voucher_id = p_voucher FOR UPDATE;
    IF NOT FOUND OR hold.state <> 'HELD' THEN
        RETURN QUERY SELECT * FROM ledger_record(p_command, p_voucher, 'RELEASE_REFUSED',
            CASE WHEN NOT FOUND THEN 'HOLD_NOT_FOUND'
                 WHEN hold.state = 'CAPTURED' THEN 'HOLD_ALREADY_CAPTURED'
                 ELSE 'HOLD_ALREADY_RELEASED' END, 0, 0, '{}', p_now);
        RETURN;
    END IF;
    PERFORM 1 FROM accounts WHERE account_id = hold.account_id FOR UPDATE;
    UPDATE accounts SET held_minor = held_minor - hold.amount_minor, version = version + 1, updated_at = p_now
    WHERE account_id = hold.account_id;
    UPDATE holds SET state = 'RELEASED', captured_minor = 0, released_minor = hold.amount_minor, closed_at = p_now
    WHERE voucher_id = p_voucher;
    PERFORM ledger_give_back_outward_use(hold.account_id, hold.business_date, hold.amount_minor);
    RETURN QUERY SELECT * FROM ledger_record(p_command, p_voucher, 'RELEASED', NULL, 0, hold.amount_minor,
        ARRAY[hold.account_id], p_now);
END
$$;
