-- The reconciliation of the ledger with the vouchers' final states (docs/reliability.md, "Reconciliation").
-- Every adapter instance works on these tables; none keeps a copy of them.

-- What the ledger must show for a voucher that reached a final status, as read from voucher-events.
-- Checked once due (a grace period after the event, for a release still in flight); deleted once the
-- ledger agrees, checked again later while it does not.
CREATE TABLE reconciliation_expectations (
    voucher_id        text        PRIMARY KEY,
    status            text        NOT NULL
                                  CHECK (status IN ('REJECTED', 'REDEEMED', 'REDEEM_FAILED', 'CANCELLED', 'EXPIRED')),
    voucher_version   bigint      NOT NULL,
    account_id        text        NOT NULL,
    currency          char(3)     NOT NULL,
    face_value_minor  bigint      NOT NULL,
    -- the redemption's amount for a REDEEMED voucher, 0 otherwise
    redeemed_minor    bigint      NOT NULL,
    due_at            timestamptz NOT NULL,
    recorded_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX reconciliation_expectations_due ON reconciliation_expectations (due_at);

-- What disagrees now, one row per check and subject (a voucher id, a journal transaction id or an
-- account id); a row goes away when its check passes again.
CREATE TABLE reconciliation_mismatches (
    check_name  text        NOT NULL,
    subject     text        NOT NULL,
    voucher_id  text,
    expected    text        NOT NULL,
    found       text        NOT NULL,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (check_name, subject)
);

CREATE INDEX reconciliation_mismatches_newest ON reconciliation_mismatches (first_seen DESC);

-- Where each sweep over the ledger's own tables has got to. The instance that holds a sweep's row
-- lock moves it on; the others skip that sweep for the run.
CREATE TABLE reconciliation_sweeps (
    sweep     text        PRIMARY KEY CHECK (sweep IN ('journal', 'holds', 'accounts')),
    position  text        NOT NULL,
    moved_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO reconciliation_sweeps (sweep, position) VALUES ('journal', '0'), ('holds', ''), ('accounts', '');

-- A voucher's redemption transactions, read by voucher for every check of a voucher.
CREATE INDEX journal_transactions_voucher ON journal_transactions (voucher_id) WHERE kind = 'VOUCHER_REDEMPTION';
