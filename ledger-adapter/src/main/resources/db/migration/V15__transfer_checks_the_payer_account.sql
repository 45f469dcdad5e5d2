-- A redemption's transfer checks the payer's account again, as it is when the money moves: one blocked since its
-- voucher was frozen (fraud, a court order), or whose outward transfers were stopped, sends nothing; the transfer fails
-- with PAYER_ACCOUNT_RESTRICTED, which the payee reads too and so says no more of the payer's account than that, and
-- the voucher's release frees the hold. Before, only the freeze looked at the payer's account.
--
-- The same function otherwise, under the same name and arguments: the release before calls it alike while it runs
-- beside during an upgrade.
CREATE OR REPLACE FUNCTION ledger_transfer(p_command text, p_voucher text, p_amount bigint, p_currency text, p_payee text,
                                p_own_account text, p_bank text, p_holder text, p_number text, p_now timestamptz)
RETURNS SETOF ledger_result
LANGUAGE plpgsql AS $$
DECLARE
    hold holds%ROWTYPE;
    destination_id text;
    destination accounts%ROWTYPE;
    payer accounts%ROWTYPE;
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
        SELECT * INTO payer FROM accounts WHERE account_id = hold.account_id;
        SELECT * INTO destination FROM accounts WHERE account_id = destination_id;
        refusal := CASE
            -- The payer's account as it is now, not as it was at the freeze: blocked since (fraud, a court order),
            -- or its outward transfers stopped, no money leaves it; the voucher's release then frees the hold.
            WHEN payer.status <> 'ACTIVE' OR NOT payer.outward_transfers_allowed THEN 'PAYER_ACCOUNT_RESTRICTED'
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
