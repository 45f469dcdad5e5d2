-- An endpoint whose receiver answered 410 Gone is disabled: nothing is sent to it, nor recorded for it, until its
-- customer enables it again. What was queued for it stays queued, in order, for then (a day at most: the retention
-- sweep gives up the queues of endpoints disabled longer than the give-up age).
--
-- Adding the columns waits for the attempts in flight, whose transactions hold rows of this table until their requests
-- end (up to about 15 s), and holds off the recordings and the workers meanwhile: the lock waits 5 s at most, and a V11
-- that gives up runs again at the next migration. Migrate with the dispatch paused (operations.md), as for V10.
SET LOCAL lock_timeout = '5s';

ALTER TABLE webhook_endpoints
    ADD COLUMN disabled_at timestamptz,
    ADD COLUMN disabled_reason text;
