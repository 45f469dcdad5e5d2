-- The resends of a delivery, by the delivery they resend. Deleting a delivery (the retention sweep, an endpoint's
-- removal) cascades to its resends through resend_of: without this index each deleted delivery was a scan of every
-- customer's deliveries. On a large table, create it by hand with CREATE INDEX CONCURRENTLY before the upgrade
-- (docs/operations.md): built here, it holds up recordings for as long as it takes. Its lock is waited for 5 s at
-- most (the release before's retention sweep may hold the table): given up, the migration runs again at the next start.
SET LOCAL lock_timeout = '5s';
CREATE INDEX IF NOT EXISTS webhook_deliveries_resend_of ON webhook_deliveries (resend_of) WHERE resend_of IS NOT NULL;

-- A CREATE INDEX CONCURRENTLY that failed leaves an invalid index of that name, which IF NOT EXISTS skips.
DO $$
BEGIN
    IF NOT (SELECT indisvalid FROM pg_index WHERE indexrelid = 'webhook_deliveries_resend_of'::regclass) THEN
        RAISE EXCEPTION 'index webhook_deliveries_resend_of is invalid (a failed CREATE INDEX CONCURRENTLY): '
            'drop it and build it again';
    END IF;
END
$$;
