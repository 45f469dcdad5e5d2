-- The service runs as its own role (${application_role}, the datasource user), which reads and writes rows
-- but owns nothing: it cannot drop or alter a table. Migrations run as the schema's owner (spring.flyway.user).
-- Where one role does both (tests) these grants change nothing.
GRANT USAGE ON SCHEMA public TO "${application_role}";
GRANT SELECT, INSERT, UPDATE ON webhook_endpoints, webhook_deliveries, webhook_attempts TO "${application_role}";
-- A customer removes an endpoint; its deliveries and attempts go with it (the cascade runs as the owner).
GRANT DELETE ON webhook_endpoints TO "${application_role}";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "${application_role}";
