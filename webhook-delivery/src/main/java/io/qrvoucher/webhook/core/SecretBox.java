package io.qrvoucher.webhook.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Endpoints' signing secrets as the database keeps them: encrypted with AES-256-GCM under a key of the
 * service's configuration, bound to their endpoint (the endpoint id is the associated data, so a ciphertext
 * copied onto another endpoint does not decrypt). HMAC needs the secret itself, so it cannot be hashed; a
 * reader of the database, a backup or a dump without the key cannot sign. Keys have ids, so that a new key
 * can encrypt new secrets while the old one still decrypts the secrets made with it.
 */
public final class SecretBox {

    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A secret as stored: the id of the key it is encrypted with, nonce and ciphertext. */
    public record Sealed(String keyId, byte[] ciphertext) {
    }

    private final String currentKeyId;
    private final Map<String, SecretKeySpec> keys = new LinkedHashMap<>();

    /**
     * @param keys         base64 keys by id, each of at least 256 bits (the AES key is their SHA-256)
     * @param currentKeyId the key new secrets are encrypted with
     */
    public SecretBox(Map<String, String> keys, String currentKeyId) {
        keys.forEach((id, key) -> {
            byte[] bytes = key == null ? new byte[0] : Base64.getDecoder().decode(key.trim());
            if (bytes.length < 32) {
                throw new IllegalArgumentException("webhook.secret-encryption.keys." + id
                        + " must be a base64 key of at least 256 bits");
            }
            this.keys.put(id, new SecretKeySpec(sha256(bytes), "AES"));
        });
        if (!this.keys.containsKey(currentKeyId)) {
            throw new IllegalArgumentException("Set webhook.secret-encryption.keys." + currentKeyId
                    + ": a base64 key of at least 256 bits, the same on every instance");
        }
        this.currentKeyId = currentKeyId;
    }

    /** A new secret for an endpoint, as the customer is shown it once: {@code whsec_} and 256 random bits. */
    public static String newSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return "whsec_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    public Sealed seal(String endpointId, String secret) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher cipher = cipher(Cipher.ENCRYPT_MODE, keys.get(currentKeyId), nonce, endpointId);
            byte[] encrypted = cipher.doFinal(secret.getBytes(StandardCharsets.UTF_8));
            return new Sealed(currentKeyId, ByteBuffer.allocate(NONCE_BYTES + encrypted.length).put(nonce).put(encrypted).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed", e);
        }
    }

    /** The secret; fails if its key is no longer configured or the ciphertext is not this endpoint's. */
    public String open(String endpointId, Sealed sealed) {
        SecretKeySpec key = keys.get(sealed.keyId());
        if (key == null) {
            throw new IllegalStateException("The secret of endpoint " + endpointId + " is encrypted with key "
                    + sealed.keyId() + ", which webhook.secret-encryption.keys no longer has");
        }
        try {
            byte[] nonce = java.util.Arrays.copyOf(sealed.ciphertext(), NONCE_BYTES);
            Cipher cipher = cipher(Cipher.DECRYPT_MODE, key, nonce, endpointId);
            return new String(cipher.doFinal(sealed.ciphertext(), NONCE_BYTES, sealed.ciphertext().length - NONCE_BYTES),
                    StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("The secret of endpoint " + endpointId + " does not decrypt", e);
        }
    }

    private static Cipher cipher(int mode, SecretKeySpec key, byte[] nonce, String endpointId)
            throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
        cipher.updateAAD(endpointId.getBytes(StandardCharsets.UTF_8));
        return cipher;
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Every Java has SHA-256", e);
        }
    }
}
