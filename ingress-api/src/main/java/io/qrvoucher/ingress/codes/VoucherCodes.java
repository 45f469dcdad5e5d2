package io.qrvoucher.ingress.codes;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.qrvoucher.schemas.VoucherRules;

/**
 * Bearer codes: {@code QRV2.<key id>.<voucher id>.<tag>}, where the tag is 128 bits of an HMAC-SHA256 of
 * the voucher id under the bank's secret key of that id (or {@code QRV1.<voucher id>.<tag>} under the
 * single key of a deployment that has not rotated, {@code ingress.code-secret}). A code cannot be
 * guessed or forged without the key, yet the ingress can show the payer their code again at any time
 * without storing it. Only a SHA-256 of the code ever goes on a topic.
 *
 * <p>Counter codes, {@code QRC1.<voucher id>.<step>.<tag>}, are what a payer shows at a shop counter: the
 * tag is an HMAC over the voucher id and a 30-second time step, so the code changes every step, and it is
 * taken only in its own step and the next one. A photo of the screen is useless a minute later; the bearer
 * code behind it never leaves the ingress.
 *
 * <p>Keys rotate without voiding unused vouchers: new codes are made with the current key, and a
 * code made with any key still configured stays genuine. Drop a key only once no unused voucher can
 * have a code made with it (after the longest validity).
 */
public final class VoucherCodes {

    private static final String LEGACY_PREFIX = "QRV1.";
    private static final String PREFIX = "QRV2.";
    private static final String COUNTER_PREFIX = "QRC1.";
    /** How long a counter code is shown before the next one. */
    public static final Duration COUNTER_STEP = Duration.ofSeconds(30);
    private static final int TAG_BYTES = 16;
    private static final int NONCE_BYTES = 12;
    private static final int REDEMPTION_TAG_BYTES = 12;
    /** The low 48 bits of a voucher id: its tag. */
    private static final long VOUCHER_ID_TAG = 0xFFFF_FFFF_FFFFL;
    /**
     * The high 16 bits of a voucher id: the UTC day it was made on, counted from 1970 (to 2149). The other 58 bits
     * not fixed by the UUID layout are random; two ids of one day and customer are alike with odds of 2^-58, and of
     * two customers not at all, for their tags differ.
     */
    private static final long ISSUE_DAY = 0xFFFF_0000_0000_0000L;
    private static final int ISSUE_DAY_SHIFT = 48;
    private static final long SECONDS_A_DAY = 86_400L;
    private static final long UUID_VERSION = 0xF000L;
    private static final long VERSION_8 = 0x8000L;
    private static final long UUID_VARIANT = 0xC000_0000_0000_0000L;
    private static final long VARIANT_RFC = 0x8000_0000_0000_0000L;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder BASE64 = Base64.getUrlEncoder().withoutPadding();

    private final SecretKeySpec legacyKey;
    private final Map<String, SecretKeySpec> keys;
    private final String currentKeyId;

    /** One key, never rotated: QRV1 codes. */
    public VoucherCodes(byte[] secret) {
        this(secret, Map.of(), null);
    }

    /**
     * @param legacySecret the key of QRV1 codes, null if there are none
     * @param secrets      the keys of QRV2 codes, by id (letters and digits)
     * @param currentKeyId the key new codes are made with; null to make QRV1 codes with {@code legacySecret}
     */
    public VoucherCodes(byte[] legacySecret, Map<String, byte[]> secrets, String currentKeyId) {
        this.legacyKey = legacySecret == null ? null : key("ingress.code-secret", legacySecret);
        Map<String, SecretKeySpec> byId = new LinkedHashMap<>();
        secrets.forEach((id, secret) -> {
            if (!id.matches("[A-Za-z0-9]{1,16}")) {
                throw new IllegalArgumentException("A code key id is 1 to 16 letters and digits, not " + id);
            }
            byId.put(id, key("code key " + id, secret));
        });
        this.keys = Map.copyOf(byId);
        if (currentKeyId == null ? legacyKey == null : !keys.containsKey(currentKeyId)) {
            throw new IllegalArgumentException(currentKeyId == null
                    ? "No code key: set ingress.code-secret, or ingress.code-keys.keys.<id> and ingress.code-keys.key-id"
                    : "The code key id " + currentKeyId + " names no configured key");
        }
        this.currentKeyId = currentKeyId;
    }

    private static SecretKeySpec key(String name, byte[] secret) {
        if (secret.length < 32) {
            throw new IllegalArgumentException("The " + name + " needs at least 256 bits");
        }
        return new SecretKeySpec(secret, "HmacSHA256");
    }

    /** The code of a new voucher, made with the current key. */
    public String codeOf(String voucherId) {
        return currentKeyId == null ? legacyCode(voucherId) : code(currentKeyId, voucherId);
    }

    /**
     * The code a voucher was issued with, whose hash is {@code codeHash}, made again with the key it was
     * made with; empty if that key is no longer configured (the code is void).
     */
    public Optional<String> codeOf(String voucherId, String codeHash) {
        Stream<String> candidates = Stream.concat(
                legacyKey == null ? Stream.empty() : Stream.of(legacyCode(voucherId)),
                keys.keySet().stream().map(id -> code(id, voucherId)));
        return candidates.filter(code -> hashOf(code).equals(codeHash)).findFirst();
    }

    private String legacyCode(String voucherId) {
        return LEGACY_PREFIX + voucherId + "." + BASE64.encodeToString(tag(legacyKey, voucherId));
    }

    private String code(String keyId, String voucherId) {
        return PREFIX + keyId + "." + voucherId + "." + BASE64.encodeToString(tag(keys.get(keyId), voucherId));
    }

    /**
     * The id of a new voucher of this payer, made {@code now}: a UUID (version 8, RFC 9562) of the day it was made,
     * 58 random bits and a 48-bit tag, an HMAC over the payer and the rest. The ingress can thus tell, without asking
     * anyone, that a voucher id was made for its reader lately ({@link #mayBeUnrecorded}): a payer who reads their
     * voucher before its owner recorded it (the Location of a 202) is kept waiting for it, not told it does not exist.
     */
    public String newVoucherId(String customerId, Instant now) {
        long high = (issueDay(now) << ISSUE_DAY_SHIFT) | (RANDOM.nextLong() & ~ISSUE_DAY & ~UUID_VERSION) | VERSION_8;
        long low = (RANDOM.nextLong() & ~UUID_VARIANT & ~VOUCHER_ID_TAG) | VARIANT_RFC;
        return new UUID(high, low | voucherIdTag(currentKey(), customerId, high, low)).toString();
    }

    /**
     * Whether the voucher id was made for this customer by {@link #newVoucherId}, with any key configured, within
     * {@code window} before {@code now} (to the UTC day; a day ahead too, for the instances' clocks may differ): a
     * voucher its owner may not have recorded yet. Any other, missing, is not on its way: it never was, or its owner
     * has forgotten it ({@code voucher.final-retention}). An id made before session 34 carries no day (nor this tag)
     * and is not.
     */
    public boolean mayBeUnrecorded(String voucherId, String customerId, Instant now, Duration window) {
        if (!Uuids.isCanonical(voucherId)) {
            return false;
        }
        UUID id = UUID.fromString(voucherId);
        long high = id.getMostSignificantBits();
        long untagged = id.getLeastSignificantBits() & ~VOUCHER_ID_TAG;
        long tag = id.getLeastSignificantBits() & VOUCHER_ID_TAG;
        long daysAgo = issueDay(now) - (high >>> ISSUE_DAY_SHIFT);
        long windowDays = (window.toSeconds() + SECONDS_A_DAY - 1) / SECONDS_A_DAY;
        return id.version() == 8 && daysAgo >= -1 && daysAgo <= windowDays
                && allKeys().anyMatch(key -> voucherIdTag(key, customerId, high, untagged) == tag);
    }

    private static long issueDay(Instant now) {
        return Math.floorDiv(now.getEpochSecond(), SECONDS_A_DAY) & (ISSUE_DAY >>> ISSUE_DAY_SHIFT);
    }

    private static long voucherIdTag(SecretKeySpec key, String customerId, long high, long untaggedLow) {
        // Not the MAC of the ids before session 34 ("voucher"), whose high bits held no day: none of those passes.
        byte[] mac = mac(key, "dated-voucher\u0000" + customerId + "\u0000" + Long.toHexString(high) + "."
                + Long.toHexString(untaggedLow));
        long tag = 0;
        for (int i = 0; i < 6; i++) {
            tag = (tag << 8) | (mac[i] & 0xFF);
        }
        return tag;
    }

    /** The voucher a genuine code names, or empty for anything else. */
    public Optional<String> voucherIdOf(String code) {
        if (code == null || code.length() > 200) {
            return Optional.empty();
        }
        if (code.startsWith(LEGACY_PREFIX) && legacyKey != null) {
            String[] parts = code.substring(LEGACY_PREFIX.length()).split("\\.", -1);
            return parts.length == 2 ? genuine(legacyKey, parts[0], parts[1]) : Optional.empty();
        }
        if (code.startsWith(PREFIX)) {
            String[] parts = code.substring(PREFIX.length()).split("\\.", -1);
            return parts.length == 3 && keys.containsKey(parts[0]) ? genuine(keys.get(parts[0]), parts[1], parts[2])
                    : Optional.empty();
        }
        return Optional.empty();
    }

    private Optional<String> genuine(SecretKeySpec key, String voucherId, String tag) {
        if (!Uuids.isCanonical(voucherId)) {
            return Optional.empty();
        }
        return decoded(tag)
                .filter(presented -> MessageDigest.isEqual(presented, tag(key, voucherId)))
                .map(matching -> voucherId);
    }

    /** A voucher's counter code for the time step of {@code now}, made with the current key. */
    public String counterCodeOf(String voucherId, Instant now) {
        long step = stepOf(now);
        return COUNTER_PREFIX + voucherId + "." + step + "." + BASE64.encodeToString(counterTag(currentKey(), voucherId, step));
    }

    /** When the counter code shown at {@code now} gives way to the next one. */
    public static Instant nextCounterStepAt(Instant now) {
        return Instant.ofEpochSecond((stepOf(now) + 1) * COUNTER_STEP.toSeconds());
    }

    /** The voucher and step a genuine counter code (made with any configured key) names, whatever its age; empty for anything else. */
    public Optional<CounterCode> asCounterCode(String code) {
        if (code == null || code.length() > 200 || !code.startsWith(COUNTER_PREFIX)) {
            return Optional.empty();
        }
        String[] parts = code.substring(COUNTER_PREFIX.length()).split("\\.", -1);
        if (parts.length != 3 || !Uuids.isCanonical(parts[0]) || !parts[1].matches("[0-9]{1,12}")) {
            return Optional.empty();
        }
        long step = Long.parseLong(parts[1]);
        return decoded(parts[2])
                .filter(presented -> allKeys().anyMatch(key -> MessageDigest.isEqual(presented, counterTag(key, parts[0], step))))
                .map(genuine -> new CounterCode(parts[0], step));
    }

    /** A genuine counter code: its voucher, and the time step it was shown in. */
    public record CounterCode(String voucherId, long step) {

        /** Taken in the step it was shown in and in the next one only. */
        public boolean isCurrentAt(Instant now) {
            long current = stepOf(now);
            return step == current || step == current - 1;
        }
    }

    private static long stepOf(Instant now) {
        return Math.floorDiv(now.getEpochSecond(), COUNTER_STEP.toSeconds());
    }

    private static byte[] counterTag(SecretKeySpec key, String voucherId, long step) {
        return Arrays.copyOf(mac(key, "counter\u0000" + voucherId + "\u0000" + step), TAG_BYTES);
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
        return voucherId + "." + encodedNonce + "." + BASE64.encodeToString(
                redemptionTag(currentKey(), customerId, voucherId, encodedNonce));
    }

    /** The voucher of a redemption id made for this customer (with any configured key), or empty for any other string. */
    public Optional<String> voucherOfRedemption(String redemptionId, String customerId) {
        if (redemptionId == null || redemptionId.length() > 100) {
            return Optional.empty();
        }
        String[] parts = redemptionId.split("\\.", -1);
        if (parts.length != 3 || !Uuids.isCanonical(parts[0])) {
            return Optional.empty();
        }
        return decoded(parts[2])
                .filter(presented -> allKeys().anyMatch(key ->
                        MessageDigest.isEqual(presented, redemptionTag(key, customerId, parts[0], parts[1]))))
                .map(genuine -> parts[0]);
    }

    private SecretKeySpec currentKey() {
        return currentKeyId == null ? legacyKey : keys.get(currentKeyId);
    }

    private Stream<SecretKeySpec> allKeys() {
        return Stream.concat(Stream.ofNullable(legacyKey), keys.values().stream());
    }

    private static byte[] redemptionTag(SecretKeySpec key, String customerId, String voucherId, String nonce) {
        return Arrays.copyOf(mac(key, "redemption\u0000" + customerId + "\u0000" + voucherId + "\u0000" + nonce),
                REDEMPTION_TAG_BYTES);
    }

    /** What the topology stores and compares: the hex SHA-256 of the code. */
    public static String hashOf(String code) {
        return VoucherRules.sha256Hex(code);
    }

    private static byte[] tag(SecretKeySpec key, String voucherId) {
        return Arrays.copyOf(mac(key, voucherId), TAG_BYTES);
    }

    private static byte[] mac(SecretKeySpec key, String message) {
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
}
