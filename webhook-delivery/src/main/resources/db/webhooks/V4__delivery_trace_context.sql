-- The trace context of the event's recording (the propagation's fields, in JSON): each attempt of the delivery
-- is a span of the event's trace. Resends have none: their attempts are traces of their own.
ALTER TABLE webhook_deliveries ADD COLUMN trace_context text;
