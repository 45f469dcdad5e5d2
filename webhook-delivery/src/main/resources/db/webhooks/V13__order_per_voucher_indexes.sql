-- V12's indexes of the pending deliveries (order per voucher). Built here, after V12 committed, so that building them
-- holds off writes to the deliveries (recordings, attempts) but not reads (the API's listings), for as long as the
-- builds take: seconds for the pending deliveries of a month's table. The lock waits 5 s at most; a V13 that gives up
-- runs again at the next migration.
SET LOCAL lock_timeout = '5s';

-- An endpoint's vouchers' heads by when they are due: its head is the first.
CREATE INDEX webhook_deliveries_voucher_heads ON webhook_deliveries (endpoint_id, next_attempt_at, delivery_id)
    WHERE status = 'PENDING' AND waiting_behind IS NULL;
-- A voucher's last pending delivery to an endpoint, which a new one queues behind.
CREATE INDEX webhook_deliveries_voucher_queue ON webhook_deliveries (endpoint_id, voucher_id, delivery_id)
    WHERE status = 'PENDING';
-- The delivery waiting behind one that ends.
CREATE INDEX webhook_deliveries_waiting ON webhook_deliveries (waiting_behind)
    WHERE status = 'PENDING' AND waiting_behind IS NOT NULL;
