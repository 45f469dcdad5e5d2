-- When each endpoint's head (its oldest pending delivery) is due, one row an endpoint with a delivery pending: the
-- dispatcher finds the endpoint whose head has been due the longest with one probe of an index, instead of reading
-- the pending deliveries (O(deliveries due), or O(endpoints) with queues behind failing heads).
--
-- Kept by the database, in the transactions that record, resend and attempt deliveries, so that the release before
-- (which does not know the table) keeps it too while it runs beside during an upgrade, as V5's trigger does.
--
-- A row is never missing, and nothing that keeps the rows waits for a recording (recordings for a busy endpoint may
-- follow each other without end), but for setting a row found missing, which waits for a recording making it.
-- Recording a delivery share-locks its endpoint's row (or makes it) and never waits for an attempt in flight. Setting
-- a row from its queue takes it whole only if no recording holds it; otherwise it updates it (an update of the time
-- alone is not held off by their share locks) to the head it can see, or leaves it as it was (due when the ended head
-- was) if it sees none — early rather than late: their deliveries are due once they commit. A row may so be early,
-- or left when a recording was rolled back; the next worker to take the endpoint sends its head, mends the row, or
-- passes it over while deliveries to it are being recorded.
--
-- Creating the triggers holds off writes to the deliveries (and the foreign key, to the endpoints) until this
-- commits; should that wait, the migration gives up soon rather than hold off the service longer, and runs again at
-- the next start.
SET LOCAL lock_timeout = '5s';

CREATE TABLE webhook_endpoint_heads (
    endpoint_id text        PRIMARY KEY REFERENCES webhook_endpoints (endpoint_id) ON DELETE CASCADE,
    -- when the endpoint's lowest-id PENDING delivery is due (or earlier or later for a while: see above)
    due_at      timestamptz NOT NULL
) WITH (
    -- Every attempt rewrites or deletes a row, at the front of the index the workers read: vacuumed by the count of
    -- dead rows, not by a fraction of a small table.
    autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000
);

CREATE INDEX webhook_endpoint_heads_due ON webhook_endpoint_heads (due_at, endpoint_id);

-- Sets an endpoint's row from its queue as committed now, without waiting for the recordings under way (see above);
-- false if it left the row as it was. Its caller holds the endpoint (an attempt ending, a worker, the repair).
CREATE FUNCTION webhook_endpoint_head_refresh(endpoint text) RETURNS boolean LANGUAGE plpgsql
    SET search_path = public, pg_temp AS $$
DECLARE
    due timestamptz;
BEGIN
    PERFORM 1 FROM public.webhook_endpoint_heads WHERE endpoint_id = endpoint FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        -- No recording under way: the queue seen is the queue.
        SELECT next_attempt_at INTO due FROM public.webhook_deliveries
         WHERE endpoint_id = endpoint AND status = 'PENDING' ORDER BY delivery_id LIMIT 1;
        IF due IS NULL THEN
            DELETE FROM public.webhook_endpoint_heads WHERE endpoint_id = endpoint;
        ELSE
            UPDATE public.webhook_endpoint_heads SET due_at = due WHERE endpoint_id = endpoint;
        END IF;
        RETURN true;
    END IF;
    SELECT next_attempt_at INTO due FROM public.webhook_deliveries
     WHERE endpoint_id = endpoint AND status = 'PENDING' ORDER BY delivery_id LIMIT 1;
    -- Held by recordings, or no row: the head seen, if any (a missing row, set so, waits for a recording making it).
    IF due IS NOT NULL THEN
        INSERT INTO public.webhook_endpoint_heads (endpoint_id, due_at) VALUES (endpoint, due)
        ON CONFLICT (endpoint_id) DO UPDATE SET due_at = EXCLUDED.due_at;
        RETURN true;
    END IF;
    -- None seen: a row held by recordings is left as it was (false: the caller may pass the endpoint over); no row is
    -- right (a recording making one makes it right).
    RETURN NOT EXISTS (SELECT 1 FROM public.webhook_endpoint_heads WHERE endpoint_id = endpoint);
END $$;

-- A delivery recorded: behind the endpoint's head if it has one (the row is share-locked until this transaction
-- ends, so that a head ended meanwhile leaves the row early instead of removing it), else the head.
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

-- A head attempted: tried again later (and still the head), its row moves to then; delivered or given up, the next
-- head's due time, or no row, as the refresh sets them (left early while deliveries to it are being recorded).
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
-- Called by the service too (a worker or the repair mending a row): granted, not left to PUBLIC's default.
GRANT EXECUTE ON FUNCTION webhook_endpoint_head_refresh(text) TO "${application_role}";

-- After the triggers: creating them holds off writes to the deliveries until this migration commits, so none is
-- recorded between this and them.
INSERT INTO webhook_endpoint_heads (endpoint_id, due_at)
SELECT DISTINCT ON (endpoint_id) endpoint_id, next_attempt_at FROM webhook_deliveries
 WHERE status = 'PENDING' ORDER BY endpoint_id, delivery_id;
