-- An endpoint's resends waiting to be sent, which a resend counts (at most 100 may wait): read without the deliveries
-- queued behind a failing one, or the month of finished ones.
CREATE INDEX webhook_deliveries_pending_resends ON webhook_deliveries (endpoint_id)
    WHERE status = 'PENDING' AND resend_of IS NOT NULL;
