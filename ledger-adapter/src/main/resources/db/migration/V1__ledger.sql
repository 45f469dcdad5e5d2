-- The bank's ledger: accounts, holds, a double-entry journal, and the commands already applied.
-- Amounts are in the currency's minor units (fen for CNY).

CREATE TABLE accounts (
    account_id                 text        PRIMARY KEY,
    owner_customer_id          text        NOT NULL,
    kind                       text        NOT NULL CHECK (kind IN ('CUSTOMER', 'CLEARING', 'CAPITAL')),
    currency                   char(3)     NOT NULL,
    balance_minor              bigint      NOT NULL,
    held_minor                 bigint      NOT NULL DEFAULT 0 CHECK (held_minor >= 0),
    status                     text        NOT NULL CHECK (status IN ('ACTIVE', 'BLOCKED', 'CLOSED')),
    outward_transfers_allowed  boolean     NOT NULL DEFAULT true,
    daily_outward_limit_minor  bigint      NOT NULL DEFAULT 0 CHECK (daily_outward_limit_minor >= 0),
    version                    bigint      NOT NULL DEFAULT 1,
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    -- A customer's available balance (balance minus holds) never goes below zero.
    CONSTRAINT customer_available_not_negative CHECK (kind <> 'CUSTOMER' OR balance_minor - held_minor >= 0)
);

CREATE INDEX accounts_owner ON accounts (owner_customer_id);

-- One hold per voucher: the frozen amount, and how it ended.
CREATE TABLE holds (
    voucher_id      text        PRIMARY KEY,
    account_id      text        NOT NULL REFERENCES accounts (account_id),
    amount_minor    bigint      NOT NULL CHECK (amount_minor > 0),
    currency        char(3)     NOT NULL,
    state           text        NOT NULL CHECK (state IN ('HELD', 'CAPTURED', 'RELEASED')),
    captured_minor  bigint      NOT NULL DEFAULT 0 CHECK (captured_minor >= 0),
    released_minor  bigint      NOT NULL DEFAULT 0 CHECK (released_minor >= 0),
    business_date   date        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    closed_at       timestamptz,
    CONSTRAINT hold_ends_exactly CHECK (
        (state = 'HELD' AND captured_minor = 0 AND released_minor = 0 AND closed_at IS NULL)
        OR (state <> 'HELD' AND captured_minor + released_minor = amount_minor AND closed_at IS NOT NULL))
);

-- Outward use of an account on one business day, for its daily limit.
CREATE INDEX holds_account_day ON holds (account_id, business_date);

CREATE TABLE journal_transactions (
    transaction_id           bigserial   PRIMARY KEY,
    kind                     text        NOT NULL CHECK (kind IN ('OPENING', 'VOUCHER_REDEMPTION')),
    command_id               text        UNIQUE,
    voucher_id               text,
    external_bank            text,
    external_holder_name     text,
    external_account_number  text,
    created_at               timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE journal_entries (
    entry_id        bigserial PRIMARY KEY,
    transaction_id  bigint    NOT NULL REFERENCES journal_transactions (transaction_id),
    account_id      text      NOT NULL REFERENCES accounts (account_id),
    amount_minor    bigint    NOT NULL CHECK (amount_minor <> 0),
    currency        char(3)   NOT NULL
);

CREATE INDEX journal_entries_transaction ON journal_entries (transaction_id);
CREATE INDEX journal_entries_account ON journal_entries (account_id);

-- Double entry, enforced by the database: at commit, each transaction's entries sum to zero per currency.
CREATE FUNCTION journal_transaction_balances() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM journal_entries
               WHERE transaction_id = NEW.transaction_id
               GROUP BY currency HAVING sum(amount_minor) <> 0) THEN
        RAISE EXCEPTION 'journal transaction % does not balance', NEW.transaction_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER journal_entries_balance
    AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION journal_transaction_balances();

-- Every command applied, with its result: a command delivered again is answered from here.
CREATE TABLE processed_commands (
    command_id         text        PRIMARY KEY,
    voucher_id         text        NOT NULL,
    outcome            text        NOT NULL,
    reason             text,
    transferred_minor  bigint      NOT NULL DEFAULT 0,
    released_minor     bigint      NOT NULL DEFAULT 0,
    affected_accounts  text[]      NOT NULL,
    processed_at       timestamptz NOT NULL DEFAULT now()
);
