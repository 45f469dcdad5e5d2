-- The service may run as its own role alone, the migrations having run as the owner beforehand (`migrate`, a job of
-- the deployment's own): its Flyway then only reads which migrations were applied, and finds none pending.
GRANT SELECT ON "${flyway:table}" TO "${application_role}";
