package io.qrvoucher.schemas;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Currency;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import io.qrvoucher.avro.CustomerSettings;
import io.qrvoucher.avro.RedemptionMode;
import io.qrvoucher.avro.StepUpPolicy;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherStatus;

/**
 * What the records mean, where every service must read them the same way: which currencies an amount may
 * be in (and so its minor unit), which statuses a voucher never leaves, which change of settings weakens a
 * protection, and how a code or a request becomes the hash that travels instead of it.
 */
public final class VoucherRules {

    /** The statuses a voucher never leaves, by name (the Avro enum's and the domain's alike). */
    public static final Set<String> FINAL_STATUSES = Set.of("REJECTED", "REDEEMED", "REDEEM_FAILED", "CANCELLED", "EXPIRED");

    private static final Pattern ISO_4217_CODE = Pattern.compile("[A-Z]{3}");

    private VoucherRules() {
    }

    /** At most what OpenID Connect allows a subject. */
    public static final int MAX_CUSTOMER_ID_LENGTH = 255;

    /**
     * Whether the text can name a customer: a token's subject as an identity provider issues it ({@code auth0|65f1…},
     * an email address, a URL), present, at most {@link #MAX_CUSTOMER_ID_LENGTH} characters, without control
     * characters (it goes into keys, stores and logs) and without a lone half of a surrogate pair: written as UTF-8,
     * to a record's key or the database, one becomes {@code ?}, and two customers would share one id there. The one
     * rule for the ingress's tokens and the ledger's accounts alike: a customer who can sign in can be given an
     * account.
     */
    public static boolean isCustomerId(String id) {
        return id != null && !id.isBlank() && id.length() <= MAX_CUSTOMER_ID_LENGTH
                && id.codePoints().noneMatch(point -> Character.isISOControl(point)
                        || Character.getType(point) == Character.SURROGATE);
    }

    /** The kinds of ledger command, as their ids name them ({@link #ledgerCommandId}). */
    public static final String FREEZE = "freeze";
    public static final String TRANSFER = "transfer";
    public static final String RELEASE = "release";

    /**
     * A ledger command's id: its voucher's id and its kind ({@link #FREEZE}, {@link #TRANSFER}, {@link #RELEASE}). A
     * voucher has one hold, so each kind happens once a voucher, and the ledger knows a command sent again by its id;
     * it answers an id it applied before with the stored result, so a command whose id is not so made (another
     * voucher's, another kind's) must never reach it: it would be answered with what was done for another.
     */
    public static String ledgerCommandId(String voucherId, String kind) {
        return voucherId + "/" + kind;
    }

    public static boolean isFinal(String status) {
        return FINAL_STATUSES.contains(status);
    }

    /** Whether setting these fields (null: left as they are) could weaken some settings: {@link #weakens} for any. */
    public static boolean mayWeaken(RedemptionMode redemptionMode, StepUpPolicy stepUpPolicy) {
        return redemptionMode == RedemptionMode.REDEEM_ON_SCAN || stepUpPolicy == StepUpPolicy.FIRST_TIME_ONLY;
    }

    /**
     * Whether setting these fields (null: left as they are) lowers a protection of the settings against a stolen
     * token: confirming vouchers only the first time, or redeeming on scan without a confirmation. Such a change
     * needs a fresh sign-in.
     */
    public static boolean weakens(CustomerSettings current, RedemptionMode redemptionMode, StepUpPolicy stepUpPolicy) {
        return stepUpPolicy == StepUpPolicy.FIRST_TIME_ONLY && current.getStepUpPolicy() != StepUpPolicy.FIRST_TIME_ONLY
                || redemptionMode == RedemptionMode.REDEEM_ON_SCAN
                        && current.getRedemptionMode() != RedemptionMode.REDEEM_ON_SCAN;
    }

    /**
     * Whether the settings change published at {@code offset} was merged in none of its fields (an unconfirmed
     * weakening met by a change that made the settings stronger), told from the settings read after it: exactly where
     * they are as that change left them ({@code changeOffset} its own), and never for a change that could weaken nothing
     * or came with a fresh sign-in. Empty where later changes were merged too and it cannot be told: they may have made
     * the settings weaker or stronger again since.
     */
    public static Optional<Boolean> notMerged(CustomerSettings after, long offset, boolean confirmed,
                                              RedemptionMode redemptionMode, StepUpPolicy stepUpPolicy) {
        if (confirmed || !mayWeaken(redemptionMode, stepUpPolicy)) {
            return Optional.of(false);
        }
        return after.getChangeOffset() == offset ? Optional.of(weakens(after, redemptionMode, stepUpPolicy))
                : Optional.empty();
    }

    /**
     * Why a request that does not fit a voucher in this status is refused, by name: for every status but
     * {@code UNUSED}, the one a request is not refused for.
     */
    public static String refusalForStatus(String status) {
        return switch (status) {
            case "PENDING", "REJECTED" -> "VOUCHER_NOT_ISSUED";
            case "REDEEMING", "REDEEMED", "REDEEM_FAILED" -> "ALREADY_REDEEMED";
            case "CANCELLED" -> "CANCELLED";
            case "EXPIRED" -> "EXPIRED";
            default -> throw new IllegalArgumentException("A voucher " + status + " is not refused for its status");
        };
    }

    /**
     * The currency of an ISO 4217 code that has a minor unit (amounts are whole numbers of it); empty for
     * anything else, funds and precious metals included.
     */
    public static Optional<Currency> iso4217(String code) {
        if (code == null || !ISO_4217_CODE.matcher(code).matches()) {
            return Optional.empty();
        }
        try {
            Currency currency = Currency.getInstance(code);
            return currency.getDefaultFractionDigits() < 0 ? Optional.empty() : Optional.of(currency);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The lowercase hex SHA-256 of the text's UTF-8 bytes: what a code hash and a request hash are. */
    public static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java has SHA-256", e);
        }
    }

    /**
     * The key an Idempotency-Key's claim is published and kept under: the customer's, a slash, then the key. A slash
     * or percent sign in the customer's id (an identity provider's subject may hold either) is percent-encoded, so
     * that the first slash ends the customer and customer "a" with key "b/c" never shares the claims of customer
     * "a/b" with key "c"; every other id is itself, as it was before this rule.
     */
    public static String claimKey(String customerId, String idempotencyKey) {
        String customer = customerId.indexOf('/') < 0 && customerId.indexOf('%') < 0 ? customerId
                : customerId.replace("%", "%25").replace("/", "%2F");
        return customer + "/" + idempotencyKey;
    }

    /**
     * The status a reader is shown at {@code now}: an UNUSED voucher past its end is EXPIRED, also in the moment
     * before its owner marks it so (within a second, longer where many end at once, as at midnight) — its code is
     * no longer shown, and a redemption of it is refused EXPIRED by the owner all the same.
     */
    public static VoucherStatus statusAt(VoucherState voucher, Instant now) {
        return voucher.getStatus() == VoucherStatus.UNUSED && !now.isBefore(voucher.getExpiresAt())
                ? VoucherStatus.EXPIRED : voucher.getStatus();
    }
}
