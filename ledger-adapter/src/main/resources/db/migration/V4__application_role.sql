-- The service runs as its own role (${application_role}, the datasource user), which reads and writes
-- the ledger's rows but owns nothing: it cannot drop or alter a table, a constraint or the trigger that
-- keeps every journal transaction balanced. Migrations run as the schema's owner (spring.flyway.user).
-- Where one role does both (tests, older set-ups) these grants change nothing.
GRANT USAGE ON SCHEMA public TO "${application_role}";
GRANT SELECT, INSERT, UPDATE ON accounts, holds, journal_transactions, journal_entries, processed_commands,
    daily_outward_use, reconciliation_expectations, reconciliation_mismatches, reconciliation_sweeps
    TO "${application_role}";
-- Only the reconciliation's own bookkeeping is ever deleted from; the ledger's rows never are.
GRANT DELETE ON reconciliation_expectations, reconciliation_mismatches TO "${application_role}";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "${application_role}";
