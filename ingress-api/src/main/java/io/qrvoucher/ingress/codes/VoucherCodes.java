package io.qrvoucher.ingress.codes;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Bearer codes: {@code QRV1.<voucher id>.<tag>}, where the tag is 128 bits of an HMAC-SHA256 of the
 * voucher id under the bank's secret key. A code cannot be guessed or forged without the key, yet the
 * ingress can show the payer their code again at any time without storing it. Only a SHA-256 of the
 * code ever goes on a topic.
 */
public final class VoucherCodes {

    private static final String PREFIX = "QRV1.";
    private static final int TAG_BYTES = 16;
    private static final int NONCE_BYTES = 12;
    private static final int REDEMPTION_TAG_BYTES = 12;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder BASE64 = Base64.getUrlEncoder().withoutPadding();

    private final SecretKeySpec key;

    public VoucherCodes(byte[] secret) {
        if (secret.length < 32) {
            throw new IllegalArgumentException("The code secret needs at least 256 bits");
        }
        this.key = new SecretKeySpec(secret, "HmacSHA256");
    }

    public String codeOf(String voucherId) {
        return PREFIX + voucherId + "." + BASE64.encodeToString(tag(voucherId));
    }

    /** The voucher a genuine code names, or empty for anything else. */
    public Optional<String> voucherIdOf(String code) {
        if (code == null || code.length() > 200 || !code.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String[] parts = code.substring(PREFIX.length()).split("\\.", -1);
        if (parts.length != 2 || !isUuid(parts[0])) {
            return Optional.empty();
        }
        return decoded(parts[1])
                .filter(presented -> MessageDigest.isEqual(presented, tag(parts[0])))
                .map(genuine -> parts[0]);
    }

    /**
     * A new id for a customer's redemption of a voucher: {@code <voucher id>.<nonce>.<tag>}. It names the
     * voucher, so a read of the redemption goes to the voucher's owner, and it is tagged for the customer,
     * so that the ingress can tell its requester a redemption is still pending before the owner has
     * seen it, and tell anyone else it does not exist.
     */
    public String redemptionId(String customerId, String voucherId) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        String encodedNonce = BASE64.encodeToString(nonce);
        return voucherId + "." + encodedNonce + "." + BASE64.encodeToString(redemptionTag(customerId, voucherId, encodedNonce));
    }

    /** The voucher of a redemption id made for this customer, or empty for any other string. */
    public Optional<String> voucherOfRedemption(String redemptionId, String customerId) {
        if (redemptionId == null || redemptionId.length() > 100) {
            return Optional.empty();
        }
        String[] parts = redemptionId.split("\\.", -1);
        if (parts.length != 3 || !isUuid(parts[0])) {
            return Optional.empty();
        }
        return decoded(parts[2])
                .filter(presented -> MessageDigest.isEqual(presented, redemptionTag(customerId, parts[0], parts[1])))
                .map(genuine -> parts[0]);
    }

    private byte[] redemptionTag(String customerId, String voucherId, String nonce) {
        return Arrays.copyOf(mac("redemption\u0000" + customerId + "\u0000" + voucherId + "\u0000" + nonce),
                REDEMPTION_TAG_BYTES);
    }

    /** What the topology stores and compares: the hex SHA-256 of the code. */
    public static String hashOf(String code) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(code.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private byte[] tag(String voucherId) {
        return Arrays.copyOf(mac(voucherId), TAG_BYTES);
    }

    private byte[] mac(String message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Optional<byte[]> decoded(String base64) {
        try {
            return Optional.of(Base64.getUrlDecoder().decode(base64));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static boolean isUuid(String value) {
        try {
            return UUID.fromString(value).toString().equals(value);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
