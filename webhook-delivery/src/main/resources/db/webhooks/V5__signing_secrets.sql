-- An endpoint's signing secrets: the current one and, for a while after a rotation, those it replaced. Deliveries
-- are signed with each secret still valid (a v1 apiece), so that a receiver can take the new secret after the
-- service did, without refusing a request meanwhile.
CREATE TABLE webhook_signing_secrets (
    secret_id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id                text        NOT NULL REFERENCES webhook_endpoints (endpoint_id) ON DELETE CASCADE,
    -- Encrypted as the endpoint's first secret is (AES-GCM, the endpoint id as associated data).
    secret_key_id              text        NOT NULL,
    secret_ciphertext          bytea       NOT NULL,
    created_at                 timestamptz NOT NULL,
    -- Null while it is the endpoint's current secret; once replaced, when signing with it stops.
    retired_at                 timestamptz,
    -- The rotation that made it (null for the registration's secret): its Idempotency-Key, a hash of what it asked,
    -- and what it answered, so that a retry gets the first answer.
    rotation_key               text,
    rotation_hash              text,
    previous_secret_expires_at timestamptz,
    CONSTRAINT webhook_signing_secrets_rotation_once UNIQUE (endpoint_id, rotation_key)
);

CREATE UNIQUE INDEX webhook_signing_secrets_one_current ON webhook_signing_secrets (endpoint_id) WHERE retired_at IS NULL;

-- The registration's secret stays in the endpoint's row, where instances of the release before read it (a rolling
-- upgrade), and is copied here by the database, also when one of those instances registers the endpoint.
INSERT INTO webhook_signing_secrets (endpoint_id, secret_key_id, secret_ciphertext, created_at)
SELECT endpoint_id, secret_key_id, secret_ciphertext, created_at FROM webhook_endpoints;

CREATE FUNCTION webhook_endpoint_first_secret() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO public.webhook_signing_secrets (endpoint_id, secret_key_id, secret_ciphertext, created_at)
    VALUES (NEW.endpoint_id, NEW.secret_key_id, NEW.secret_ciphertext, NEW.created_at);
    RETURN NULL;
END $$;

CREATE TRIGGER webhook_endpoints_first_secret AFTER INSERT ON webhook_endpoints
    FOR EACH ROW EXECUTE FUNCTION webhook_endpoint_first_secret();

-- The service forgets the secrets replaced more than a day ago (WebhookStore.rotateSecret).
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_signing_secrets TO "${application_role}";
