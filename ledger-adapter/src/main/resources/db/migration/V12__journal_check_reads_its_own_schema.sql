-- The check that every journal transaction balances read the journal by its bare name, so by the session's search
-- path, where temporary tables come first: a role that made a temporary table named journal_entries (every role may
-- make temporary tables unless told otherwise) had it read in place of the journal at commit, and an unbalanced
-- transaction passed. It now reads the journal of its own schema, whatever the session's path, and no role but the
-- database's owner makes temporary tables in it (the service never does).
CREATE OR REPLACE FUNCTION journal_transaction_balances() RETURNS trigger LANGUAGE plpgsql
    SET search_path = public, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM public.journal_entries
               WHERE transaction_id = NEW.transaction_id
               GROUP BY currency HAVING sum(amount_minor) <> 0) THEN
        RAISE EXCEPTION 'journal transaction % does not balance', NEW.transaction_id;
    END IF;
    RETURN NULL;
END $$;

DO $$
BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END $$;
