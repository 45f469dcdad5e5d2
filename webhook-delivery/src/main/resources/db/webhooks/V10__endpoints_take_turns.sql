-- Customers take turns: after an attempt to one of a customer's endpoints, each of its endpoints goes behind the
-- endpoints whose heads fell due before that attempt ended, however long its own queue has waited. Ordered by due time
-- alone, a customer's backlog (deliveries due long ago) came first again after each of its attempts, and two customers
-- with slow receivers, each holding its two places, held every worker of an instance while everyone else's deliveries
-- waited behind their backlogs.
--
-- Adding the column and building the index wait for the attempts in flight, whose transactions read this table until
-- their requests end (up to about 15 s), and hold off the recordings and the workers meanwhile: the lock waits 5 s at
-- most, and a V10 that gives up runs again at the next migration. Migrate with the dispatch paused (operations.md).
-- The index by due time stays for the release before, which orders by it while it runs beside.
SET LOCAL lock_timeout = '5s';

-- when an attempt to one of the customer's endpoints was last recorded; null for none since the row was made
ALTER TABLE webhook_endpoint_heads ADD COLUMN last_attempted_at timestamptz;

CREATE INDEX webhook_endpoint_heads_turn ON webhook_endpoint_heads ((greatest(due_at, last_attempted_at)), endpoint_id);
