-- When each endpoint's head (its oldest pending delivery) is due, one row an endpoint with a delivery pending: the
-- dispatcher finds the endpoint whose head has been due the longest with one probe of an index, instead of reading
-- the pending deliveries (O(deliveries due), or O(endpoints) with queues behind failing heads).
--
-- Kept by the database, in the transactions that record, resend and attempt deliveries, so that the release before
-- (which does not know the table) keeps it too while it runs beside during an upgrade, as V5's trigger does.
--
-- Recording a delivery never waits for an attempt in flight, nor an attempt for another's recording, except at its
-- very end: an attempt that ends its endpoint's head re-reads the queue once the recordings under way for the
-- endpoint have committed (they hold a share lock on its row, which the refresh's FOR UPDATE waits for), so a
-- delivery recorded meanwhile is never left without its row.
SET LOCAL lock_timeout = '30s';

CREATE TABLE webhook_endpoint_heads (
    endpoint_id text        PRIMARY KEY REFERENCES webhook_endpoints (endpoint_id) ON DELETE CASCADE,
    -- next_attempt_at of the endpoint's lowest-id PENDING delivery
    due_at      timestamptz NOT NULL
);

CREATE INDEX webhook_endpoint_heads_due ON webhook_endpoint_heads (due_at, endpoint_id);

-- Sets an endpoint's row from its queue as committed now. Its caller holds the endpoint (an attempt, a repair) or has
-- just changed its head.
CREATE FUNCTION webhook_endpoint_head_refresh(endpoint text) RETURNS void LANGUAGE plpgsql
    SET search_path = public, pg_temp AS $$
DECLARE
    due timestamptz;
BEGIN
    -- Waits for the recordings under way for the endpoint; the statements below see what they committed.
    PERFORM 1 FROM public.webhook_endpoint_heads WHERE endpoint_id = endpoint FOR UPDATE;
    SELECT next_attempt_at INTO due FROM public.webhook_deliveries
     WHERE endpoint_id = endpoint AND status = 'PENDING' ORDER BY delivery_id LIMIT 1;
    IF due IS NULL THEN
        DELETE FROM public.webhook_endpoint_heads WHERE endpoint_id = endpoint;
    ELSE
        INSERT INTO public.webhook_endpoint_heads (endpoint_id, due_at) VALUES (endpoint, due)
        ON CONFLICT (endpoint_id) DO UPDATE SET due_at = EXCLUDED.due_at;
    END IF;
END $$;

-- A delivery recorded: behind the endpoint's head if it has one (the row is share-locked until this transaction
-- ends, so that a head finished meanwhile re-reads the queue after it), else the head.
CREATE FUNCTION webhook_delivery_recorded() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    LOOP
        PERFORM 1 FROM public.webhook_endpoint_heads WHERE endpoint_id = NEW.endpoint_id FOR KEY SHARE;
        EXIT WHEN FOUND;
        INSERT INTO public.webhook_endpoint_heads (endpoint_id, due_at) VALUES (NEW.endpoint_id, NEW.next_attempt_at)
        ON CONFLICT (endpoint_id) DO NOTHING;
        EXIT WHEN FOUND;
        -- Another recording made the row first: share-lock it.
    END LOOP;
    RETURN NULL;
END $$;

-- A head attempted: tried again later (and still the head), its row moves to then without waiting; delivered or
-- given up, the next head's due time, or no row.
CREATE FUNCTION webhook_delivery_attempted() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    IF NEW.status = 'PENDING' THEN
        UPDATE public.webhook_endpoint_heads SET due_at = NEW.next_attempt_at
         WHERE endpoint_id = NEW.endpoint_id
           AND NOT EXISTS (SELECT 1 FROM public.webhook_deliveries
                            WHERE endpoint_id = NEW.endpoint_id AND status = 'PENDING' AND delivery_id < NEW.delivery_id);
        IF FOUND THEN
            RETURN NULL;
        END IF;
    END IF;
    PERFORM public.webhook_endpoint_head_refresh(NEW.endpoint_id);
    RETURN NULL;
END $$;

CREATE TRIGGER webhook_deliveries_recorded AFTER INSERT ON webhook_deliveries
    FOR EACH ROW WHEN (NEW.status = 'PENDING') EXECUTE FUNCTION webhook_delivery_recorded();

CREATE TRIGGER webhook_deliveries_attempted AFTER UPDATE OF status, next_attempt_at ON webhook_deliveries
    FOR EACH ROW WHEN (OLD.status = 'PENDING') EXECUTE FUNCTION webhook_delivery_attempted();

GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoint_heads TO "${application_role}";

-- After the triggers: creating them holds off writes to the deliveries until this migration commits, so none is
-- recorded between this and them.
INSERT INTO webhook_endpoint_heads (endpoint_id, due_at)
SELECT DISTINCT ON (endpoint_id) endpoint_id, next_attempt_at FROM webhook_deliveries
 WHERE status = 'PENDING' ORDER BY endpoint_id, delivery_id;
