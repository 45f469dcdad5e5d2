package io.qrvoucher.webhook.core;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signature of a webhook, as Stripe signs its own: header {@value #HEADER} with
 * {@code t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">}, keyed with the endpoint's secret (its
 * UTF-8 bytes, as the customer was shown it). The timestamp is inside the MAC, so a receiver that refuses
 * old timestamps cannot be sent a captured request again later; the body is the raw bytes, so a receiver
 * verifies before it parses. {@link #verify} is what a receiver does, and what the tests do.
 */
public final class WebhookSignature {

    public static final String HEADER = "QRVoucher-Signature";
    /** The event's id: the same on every delivery of one event, so that a receiver can de-duplicate. */
    public static final String EVENT_ID_HEADER = "QRVoucher-Event-Id";
    /** This delivery's id: a resend is a new delivery of the same event. */
    public static final String DELIVERY_ID_HEADER = "QRVoucher-Delivery-Id";

    private WebhookSignature() {
    }

    /**
     * The header's value for this body, sent at this time: a {@code v1} per secret, in their order (while a
     * rotated secret still signs, the new one and the one it replaced).
     */
    public static String sign(List<String> secrets, Instant at, byte[] body) {
        if (secrets.isEmpty()) {
            throw new IllegalArgumentException("A webhook is never sent unsigned: its endpoint has no secret");
        }
        long t = at.getEpochSecond();
        StringBuilder header = new StringBuilder("t=").append(t);
        for (String secret : secrets) {
            header.append(",v1=").append(HexFormat.of().formatHex(mac(secret, t, body)));
        }
        return header.toString();
    }

    /**
     * Whether the header is a signature of the body with the secret, made no longer than {@code tolerance}
     * from {@code now} (either way: clocks differ). A header may carry several {@code v1} signatures (one per
     * secret, while a secret is rotated); one that matches is enough.
     */
    public static boolean verify(String secret, String header, byte[] body, Instant now, Duration tolerance) {
        if (header == null) {
            return false;
        }
        Long t = null;
        List<String> signatures = new ArrayList<>();
        for (String part : header.split(",")) {
            int equals = part.indexOf('=');
            if (equals < 0) {
                continue;
            }
            String name = part.substring(0, equals).trim();
            String value = part.substring(equals + 1).trim();
            if (name.equals("t")) {
                try {
                    t = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    return false;
                }
            } else if (name.equals("v1")) {
                signatures.add(value);
            }
        }
        if (t == null || Math.abs(now.getEpochSecond() - t) > tolerance.toSeconds()) {
            return false;
        }
        byte[] expected = mac(secret, t, body);
        for (String signature : signatures) {
            byte[] given;
            try {
                given = HexFormat.of().parseHex(signature);
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (MessageDigest.isEqual(expected, given)) { // constant time
                return true;
            }
        }
        return false;
    }

    private static byte[] mac(String secret, long t, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((t + ".").getBytes(StandardCharsets.US_ASCII));
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("Every Java has HmacSHA256", e);
        }
    }
}
