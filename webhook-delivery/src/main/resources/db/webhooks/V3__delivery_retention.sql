-- Finished deliveries are kept for webhook.delivery.retention, then forgotten with their attempts (the cascade
-- runs as the owner: the service's role still cannot delete attempts by itself). An event's deliveries to one
-- endpoint (the first and its resends, which share endpoint and event) are forgotten together, once all are
-- finished and old: a resend still pending or recent keeps the deliveries it came from.
GRANT DELETE ON webhook_deliveries TO "${application_role}";
-- The oldest finished first deliveries, where each sweep starts.
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at)
    WHERE resend_of IS NULL AND status <> 'PENDING';
-- An event's deliveries to one endpoint, resends included.
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (endpoint_id, event_id);
