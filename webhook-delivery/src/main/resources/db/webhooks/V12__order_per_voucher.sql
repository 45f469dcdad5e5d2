-- In order per voucher, not per endpoint: an event the receiver keeps failing holds only the later events of its own
-- voucher, not every later event of the endpoint for up to a day. An endpoint still takes one attempt at a time; among
-- its vouchers' first pending deliveries (each voucher's head) the one due first goes first. A delivery recorded while
-- its voucher has one pending to the endpoint waits behind the last of them (waiting_behind), and is due once that one
-- is delivered or given up.
--
-- And an endpoint that fails rests: after a failed attempt nothing is sent to it for the backoff its failures in a row
-- have earned (as a delivery's: 10 s doubling to 1 h, or longer if it asked with Retry-After), so that a dead endpoint
-- with many vouchers queued is tried about as seldom as one head was before, not once for each voucher's head. A
-- delivered attempt ends the rest; one that gives its delivery up (and those as old with it) starts none, so that a dead
-- endpoint's queue drains past the give-up age as fast as before. Kept on the endpoint by the service (resting_until)
-- and folded into its head row's due time by the database.
--
-- Locks: a recording share-locks the delivery it queues behind until it commits, so that the attempt ending that one
-- waits for it and then wakes it (a recording that saw the delivery still pending while its end was being committed
-- would otherwise wait behind a finished delivery for good). The wake waits for such a lock too, except in a give-up of
-- many deliveries at once (webhook.wake_skip_locked), whose transaction holds the endpoint's head row that a recording
-- may be waiting for: there a delivery held is passed over and left to the head repair, which wakes a delivery waiting
-- behind one that is no longer pending.
--
-- Adding the columns waits for the attempts in flight (their transactions read these tables until their requests end);
-- the lock waits 5 s at most and a V12 that gives up runs again at the next migration; the indexes come in V13, whose
-- builds hold off writes but not reads. The release before must not run beside this one (operations.md): its bulk
-- give-up would wait to wake deliveries while holding head rows that recordings wait for.
SET LOCAL lock_timeout = '5s';

-- the pending delivery of the same voucher to the same endpoint this one waits for; null: its voucher's head
ALTER TABLE webhook_deliveries ADD COLUMN waiting_behind bigint;
ALTER TABLE webhook_endpoints
    -- attempts that failed since the last one delivered
    ADD COLUMN failures_in_a_row integer NOT NULL DEFAULT 0,
    -- nothing is sent to the endpoint before this (after a failed attempt); null: not resting
    ADD COLUMN resting_until timestamptz;

-- The queues as they are: each voucher's later pending deliveries to an endpoint wait behind the one before.
UPDATE webhook_deliveries d SET waiting_behind = queued.before
  FROM (SELECT delivery_id, lag(delivery_id) OVER (PARTITION BY endpoint_id, voucher_id ORDER BY delivery_id) AS before
          FROM webhook_deliveries WHERE status = 'PENDING') queued
 WHERE d.delivery_id = queued.delivery_id AND queued.before IS NOT NULL;

-- Before a pending delivery is recorded: behind its voucher's last pending delivery to the endpoint, share-locked
-- (see above); one whose end commits meanwhile is waited for and found no longer pending. Read again until a fresh
-- look agrees: a delivery committed after the locking read's snapshot (queued by another transaction, and woken by the
-- end waited for) is the one to queue behind.
CREATE FUNCTION webhook_delivery_queued() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    behind bigint;
    latest bigint;
BEGIN
    LOOP
        SELECT delivery_id INTO behind FROM public.webhook_deliveries
         WHERE endpoint_id = NEW.endpoint_id AND voucher_id = NEW.voucher_id AND status = 'PENDING'
         ORDER BY delivery_id DESC LIMIT 1 FOR SHARE;
        SELECT delivery_id INTO latest FROM public.webhook_deliveries
         WHERE endpoint_id = NEW.endpoint_id AND voucher_id = NEW.voucher_id AND status = 'PENDING'
         ORDER BY delivery_id DESC LIMIT 1;
        EXIT WHEN behind IS NOT DISTINCT FROM latest;
    END LOOP;
    NEW.waiting_behind := behind;
    RETURN NEW;
END $$;

CREATE TRIGGER webhook_deliveries_queued BEFORE INSERT ON webhook_deliveries
    FOR EACH ROW WHEN (NEW.status = 'PENDING') EXECUTE FUNCTION webhook_delivery_queued();

-- A delivery recorded: behind the endpoint's head row as V7's, and, the first of its voucher's, the row no later than
-- it (nor than the endpoint's rest): a voucher's head may be due before the endpoint's head so far (one backing off).
-- Moved only if no other transaction holds the row: another recording moving it (to about the same time), or an
-- attempt ending, whose refresh moves a row recordings hold earlier only (above). A row so left late (rarely: the
-- attempt's refresh took the row whole just before) is mended by the next voucher's first delivery or the repair.
CREATE OR REPLACE FUNCTION webhook_delivery_recorded() RETURNS trigger LANGUAGE plpgsql
    SET search_path = public, pg_temp AS $$
DECLARE
    due timestamptz;
BEGIN
    LOOP
        PERFORM 1 FROM public.webhook_endpoint_heads WHERE endpoint_id = NEW.endpoint_id FOR KEY SHARE;
        EXIT WHEN FOUND;
        INSERT INTO public.webhook_endpoint_heads (endpoint_id, due_at) VALUES (NEW.endpoint_id, NEW.next_attempt_at)
        ON CONFLICT (endpoint_id) DO NOTHING;
        EXIT WHEN FOUND;
        -- Another recording made the row first: share-lock it.
    END LOOP;
    IF NEW.waiting_behind IS NULL THEN
        SELECT greatest(NEW.next_attempt_at, e.resting_until) INTO due
          FROM public.webhook_endpoints e WHERE e.endpoint_id = NEW.endpoint_id;
        UPDATE public.webhook_endpoint_heads SET due_at = due
         WHERE endpoint_id IN (SELECT endpoint_id FROM public.webhook_endpoint_heads
                                WHERE endpoint_id = NEW.endpoint_id AND due_at > due
                                FOR NO KEY UPDATE SKIP LOCKED);
    END IF;
    RETURN NULL;
END $$;

-- An endpoint's row due when the first of its vouchers' heads is, and not while the endpoint rests; otherwise as V7's,
-- but for a row recordings hold: it is moved earlier only, never later. A recording under way may be making a voucher's
-- head due before every head this transaction can see (in V7's order per endpoint it was always behind them), so a row
-- moved later could be late; left early, it is passed over (false) until the recordings commit and a worker sets it.
CREATE OR REPLACE FUNCTION webhook_endpoint_head_refresh(endpoint text) RETURNS boolean LANGUAGE plpgsql
    SET search_path = public, pg_temp AS $$
DECLARE
    due timestamptz;
    set_to timestamptz;
BEGIN
    PERFORM 1 FROM public.webhook_endpoint_heads WHERE endpoint_id = endpoint FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        -- No recording under way: the queue seen is the queue.
        SELECT d.due_at INTO due FROM public.webhook_endpoint_due(endpoint) d;
        IF due IS NULL THEN
            DELETE FROM public.webhook_endpoint_heads WHERE endpoint_id = endpoint;
        ELSE
            UPDATE public.webhook_endpoint_heads SET due_at = due WHERE endpoint_id = endpoint;
        END IF;
        RETURN true;
    END IF;
    SELECT d.due_at INTO due FROM public.webhook_endpoint_due(endpoint) d;
    -- Held by recordings, or no row: the head seen, if any and no later than the row (a missing row, set so, waits
    -- for a recording making it); true if the row now says it.
    IF due IS NOT NULL THEN
        INSERT INTO public.webhook_endpoint_heads AS h (endpoint_id, due_at) VALUES (endpoint, due)
        ON CONFLICT (endpoint_id) DO UPDATE SET due_at = least(h.due_at, EXCLUDED.due_at)
        RETURNING h.due_at INTO set_to;
        RETURN set_to = due;
    END IF;
    -- None seen: a row held by recordings is left as it was (false: the caller may pass the endpoint over); no row is
    -- right (a recording making one makes it right).
    RETURN NOT EXISTS (SELECT 1 FROM public.webhook_endpoint_heads WHERE endpoint_id = endpoint);
END $$;

-- When the endpoint's next delivery is due as committed now: its first voucher's head, not before its rest ends;
-- no row if nothing is pending but deliveries waiting behind others. A one-row table of a single SELECT, without a
-- SET clause, so that the planner inlines it into a query over every endpoint (the head repair's): a scalar SQL function
-- with a FROM is planned again at each call, ten times slower over 100,000 endpoints. Its names are schema-qualified.
CREATE FUNCTION webhook_endpoint_due(endpoint text) RETURNS TABLE (due_at timestamptz) LANGUAGE sql STABLE AS $$
    SELECT greatest(head.next_attempt_at, e.resting_until)
      FROM public.webhook_endpoints e
      CROSS JOIN LATERAL (SELECT d.next_attempt_at FROM public.webhook_deliveries d
                           WHERE d.endpoint_id = e.endpoint_id AND d.status = 'PENDING' AND d.waiting_behind IS NULL
                           ORDER BY d.next_attempt_at, d.delivery_id LIMIT 1) head
     WHERE e.endpoint_id = endpoint
$$;

-- A delivery attempted, or no longer pending: a delivery that ended wakes the one waiting behind it, due since it was
-- recorded (so at once, and before the heads of vouchers recorded after it); then the endpoint's row is set from its
-- queue (left early while deliveries to it are being recorded). Two waiting behind one (a resend recorded at the same
-- moment as an event of its voucher, each seeing the same last delivery): the first becomes the head, the other waits
-- behind it, so the voucher's deliveries still go in the order they were recorded.
CREATE OR REPLACE FUNCTION webhook_delivery_attempted() RETURNS trigger LANGUAGE plpgsql
    SET search_path = public, pg_temp AS $$
BEGIN
    IF NEW.status <> 'PENDING' THEN
        IF coalesce(current_setting('webhook.wake_skip_locked', true), '') = 'on' THEN
            UPDATE public.webhook_deliveries waiting
               SET waiting_behind = nullif(first.delivery_id, waiting.delivery_id)
              FROM (SELECT min(delivery_id) AS delivery_id FROM public.webhook_deliveries
                     WHERE waiting_behind = NEW.delivery_id AND status = 'PENDING') first
             WHERE waiting.delivery_id IN (SELECT delivery_id FROM public.webhook_deliveries
                                            WHERE waiting_behind = NEW.delivery_id AND status = 'PENDING'
                                            FOR NO KEY UPDATE SKIP LOCKED);
        ELSE
            UPDATE public.webhook_deliveries waiting
               SET waiting_behind = nullif(first.delivery_id, waiting.delivery_id)
              FROM (SELECT min(delivery_id) AS delivery_id FROM public.webhook_deliveries
                     WHERE waiting_behind = NEW.delivery_id AND status = 'PENDING') first
             WHERE waiting.waiting_behind = NEW.delivery_id AND waiting.status = 'PENDING';
        END IF;
    END IF;
    PERFORM public.webhook_endpoint_head_refresh(NEW.endpoint_id);
    RETURN NULL;
END $$;

-- Woken too when only waiting_behind changes (the head repair), so that the endpoint's row follows.
DROP TRIGGER webhook_deliveries_attempted ON webhook_deliveries;
CREATE TRIGGER webhook_deliveries_attempted AFTER UPDATE OF status, next_attempt_at, waiting_behind ON webhook_deliveries
    FOR EACH ROW WHEN (OLD.status = 'PENDING') EXECUTE FUNCTION webhook_delivery_attempted();

GRANT EXECUTE ON FUNCTION webhook_endpoint_due(text) TO "${application_role}";

-- The rows as the queues now say (a voucher's head behind an earlier delivery of another voucher is due sooner).
UPDATE webhook_endpoint_heads h SET due_at = due.due_at
  FROM webhook_endpoint_heads each CROSS JOIN LATERAL webhook_endpoint_due(each.endpoint_id) due
 WHERE h.endpoint_id = each.endpoint_id;
