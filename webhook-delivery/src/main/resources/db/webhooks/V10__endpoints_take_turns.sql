-- Endpoints take turns: an endpoint attempted goes behind the endpoints whose heads fell due before its attempt ended,
-- however long its own queue has waited. Ordered by due time alone, a customer's backlog (deliveries due long ago)
-- came first again after each of its attempts, and two customers with slow receivers, each holding its two places,
-- held every worker of an instance while everyone else's deliveries waited behind their backlogs.
--
-- The release before orders by due time alone while it runs beside during an upgrade (without this index, a sort of
-- the due rows: one an endpoint with deliveries pending).
SET LOCAL lock_timeout = '5s';

-- when the endpoint's last attempt was recorded; null for none since its row was made
ALTER TABLE webhook_endpoint_heads ADD COLUMN last_attempted_at timestamptz;

CREATE INDEX webhook_endpoint_heads_turn ON webhook_endpoint_heads ((greatest(due_at, last_attempted_at)), endpoint_id);
DROP INDEX webhook_endpoint_heads_due;
