package io.qrvoucher.support;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The ingress's seal on the requests it publishes: an HMAC-SHA256 of the record's key and value, with a
 * key only the ingress and voucher-streams hold, in the header {@value #HEADER} as
 * {@code <key id>:<base64url mac>}. voucher-streams acts only on sealed requests, so that whoever can
 * write {@code voucher-requests} without being the ingress (a leaked credential, a misconfigured ACL)
 * still cannot redeem, generate or cancel. Several keys may be known at once, by id, so a key is
 * rotated without stopping: add the new key everywhere, then sign with it, then drop the old one.
 */
public final class RequestSignatures {

    public static final String HEADER = "qr-signature";
    private static final String ALGORITHM = "HmacSHA256";
    private static final int MIN_KEY_BYTES = 32;

    private final String signingKeyId;
    private final Map<String, SecretKeySpec> keys;

    /**
     * @param signingKeyId the key new requests are signed with; null for a verifier that never signs
     * @param keys         every key a request may be signed with, by id, base64-encoded, at least 256 bits each
     */
    public RequestSignatures(String signingKeyId, Map<String, String> keys) {
        this("request signing", signingKeyId, keys);
    }

    /** @param label what the keys are, as a configuration mistake names them ("internal API") */
    public RequestSignatures(String label, String signingKeyId, Map<String, String> keys) {
        // A key left empty (an unset variable in configuration) is no key.
        keys = keys == null ? Map.of() : keys.entrySet().stream().filter(entry -> entry.getValue() != null
                && !entry.getValue().isBlank()).collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("No " + label + " key is configured: the services that seal and check "
                    + "need the same one (see docs/security.md)");
        }
        this.keys = keys.entrySet().stream().collect(java.util.stream.Collectors.toUnmodifiableMap(Map.Entry::getKey,
                entry -> new SecretKeySpec(decode(label, entry.getKey(), entry.getValue()), ALGORITHM)));
        if (signingKeyId != null && !this.keys.containsKey(signingKeyId)) {
            throw new IllegalArgumentException("The " + label + " key id " + signingKeyId + " names no configured key");
        }
        this.signingKeyId = signingKeyId;
    }

    /** Seals a record about to be published. */
    public void sign(Headers headers, String key, byte[] value) {
        headers.remove(HEADER);
        headers.add(HEADER, seal(key, value).getBytes(StandardCharsets.US_ASCII));
    }

    /** Why a record's seal does not hold; empty if the ingress sealed exactly this key and value. */
    public Optional<String> problem(Headers headers, String key, byte[] value) {
        Header header = headers.lastHeader(HEADER);
        if (header == null || header.value() == null) {
            return Optional.of("The request carries no " + HEADER + " header: it was not published by the ingress");
        }
        return problem(HEADER, new String(header.value(), StandardCharsets.US_ASCII), key, value);
    }

    /** The seal of a key and value, {@code <key id>:<base64url mac>}, with the signing key. */
    public String seal(String key, byte[] value) {
        if (signingKeyId == null) {
            throw new IllegalStateException("This instance verifies requests; it has no key to sign with");
        }
        return signingKeyId + ":" + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(mac(keys.get(signingKeyId), key, value));
    }

    /**
     * Why a seal (found in {@code carrier}, named in the answer) does not hold for a key and value; empty if one
     * of the known keys sealed exactly these.
     */
    public Optional<String> problem(String carrier, String seal, String key, byte[] value) {
        int colon = seal.indexOf(':');
        SecretKeySpec secret = colon < 0 ? null : keys.get(seal.substring(0, colon));
        if (secret == null) {
            return Optional.of("The request's " + carrier + " names no known key");
        }
        byte[] presented;
        try {
            presented = Base64.getUrlDecoder().decode(seal.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            return Optional.of("The request's " + carrier + " is not base64url");
        }
        return MessageDigest.isEqual(presented, mac(secret, key, value)) ? Optional.empty()
                : Optional.of("The request's " + carrier + " does not match what it seals");
    }

    private static byte[] mac(SecretKeySpec secret, String key, byte[] value) {
        byte[] keyBytes = key == null ? new byte[0] : key.getBytes(StandardCharsets.UTF_8);
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(secret);
            // The key's length first, so that no other split of the same bytes into key and value has this MAC.
            mac.update(ByteBuffer.allocate(Integer.BYTES).putInt(keyBytes.length).array());
            mac.update(keyBytes);
            return mac.doFinal(value == null ? new byte[0] : value);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(ALGORITHM + " is not available", e);
        }
    }

    private static byte[] decode(String label, String id, String base64) {
        byte[] key;
        try {
            key = Base64.getDecoder().decode(base64 == null ? "" : base64.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("The " + label + " key " + id + " is not base64", e);
        }
        if (key.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("The " + label + " key " + id + " has " + key.length
                    + " bytes; it needs at least " + MIN_KEY_BYTES);
        }
        return key;
    }
}
