-- An endpoint whose receiver answered 410 Gone is disabled: nothing is sent to it, nor recorded for it, until its
-- customer enables it again. What was queued for it stays queued, in order, for then.
ALTER TABLE webhook_endpoints
    ADD COLUMN disabled_at timestamptz,
    ADD COLUMN disabled_reason text;
