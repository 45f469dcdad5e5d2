-- Customers' webhook endpoints, the deliveries of voucher events to them, and every attempt.

CREATE TABLE webhook_endpoints (
    endpoint_id        text        PRIMARY KEY,
    customer_id        text        NOT NULL,
    url                text        NOT NULL,
    event_types        text[]      NOT NULL,
    -- The signing secret, encrypted (AES-GCM, the endpoint id as associated data) under a key of the
    -- service's configuration: the database alone cannot sign.
    secret_key_id      text        NOT NULL,
    secret_ciphertext  bytea       NOT NULL,
    -- The registration's Idempotency-Key and a hash of what it asked for: a retry gets the first answer.
    idempotency_key    text        NOT NULL,
    request_hash       text        NOT NULL,
    created_at         timestamptz NOT NULL,
    CONSTRAINT webhook_endpoints_key_once UNIQUE (customer_id, idempotency_key)
);

CREATE INDEX webhook_endpoints_customer ON webhook_endpoints (customer_id);

-- One row per event and endpoint (and one per resend). An endpoint's deliveries are sent in delivery_id
-- order, one at a time: the next waits until the one before was delivered or given up.
CREATE TABLE webhook_deliveries (
    delivery_id      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id      text        NOT NULL REFERENCES webhook_endpoints (endpoint_id) ON DELETE CASCADE,
    event_id         text        NOT NULL,
    event_type       text        NOT NULL,
    voucher_id       text        NOT NULL,
    payload          bytea       NOT NULL,
    status           text        NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'GIVEN_UP')),
    created_at       timestamptz NOT NULL,
    next_attempt_at  timestamptz,
    attempts         integer     NOT NULL DEFAULT 0,
    finished_at      timestamptz,
    resend_of        bigint      REFERENCES webhook_deliveries (delivery_id) ON DELETE CASCADE,
    idempotency_key  text,
    CONSTRAINT webhook_deliveries_resend_key_once UNIQUE (endpoint_id, idempotency_key),
    CONSTRAINT webhook_deliveries_pending_are_due CHECK ((status = 'PENDING') = (next_attempt_at IS NOT NULL)
                                                        AND (status = 'PENDING') = (finished_at IS NULL))
);

-- An event redelivered by Kafka is recorded once per endpoint; resends are further rows.
CREATE UNIQUE INDEX webhook_deliveries_once_per_event ON webhook_deliveries (endpoint_id, event_id)
    WHERE resend_of IS NULL;
-- The endpoints with a due delivery, and the head of each endpoint's queue.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (endpoint_id, delivery_id) WHERE status = 'PENDING';
-- An endpoint's deliveries, newest first.
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, delivery_id);

CREATE TABLE webhook_attempts (
    delivery_id   bigint      NOT NULL REFERENCES webhook_deliveries (delivery_id) ON DELETE CASCADE,
    attempt       integer     NOT NULL,
    attempted_at  timestamptz NOT NULL,
    duration_ms   bigint      NOT NULL,
    status_code   integer,
    error         text,
    PRIMARY KEY (delivery_id, attempt)
);
