package io.qrvoucher.voucher.domain;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Currency;
import java.util.Map;
import java.util.Optional;

import io.qrvoucher.schemas.DecimalAmounts;
import io.qrvoucher.schemas.VoucherRules;

/**
 * The bank's rules for new vouchers. A voucher is valid for whole natural days in the bank's time
 * zone, the day of generation included: with {@code defaultValidityDays} 1 it expires at the end
 * of the generation day. A caller may ask for an earlier end, never a later one than
 * {@code maxValidityDays} allows. Each voucher's face value is capped per currency.
 */
public record VoucherPolicy(ZoneId bankZone, int defaultValidityDays, int maxValidityDays,
                            BigDecimal defaultCap, Map<String, BigDecimal> capByCurrency) {

    public VoucherPolicy {
        if (defaultValidityDays < 1 || maxValidityDays < defaultValidityDays) {
            throw new IllegalArgumentException("Need 1 <= default validity days <= max validity days");
        }
        capByCurrency = Map.copyOf(capByCurrency);
    }

    public static VoucherPolicy standard(ZoneId bankZone) {
        return new VoucherPolicy(bankZone, 1, 1, new BigDecimal("1000.00"), Map.of());
    }

    public Instant defaultExpiry(Instant generatedAt) {
        return endOfDays(generatedAt, defaultValidityDays);
    }

    public Instant latestExpiry(Instant generatedAt) {
        return endOfDays(generatedAt, maxValidityDays);
    }

    /** The longest a voucher can stay valid after it is asked for: its days, one of them 25 h where clocks go back. */
    public Duration longestValidity() {
        return longestValidity(maxValidityDays);
    }

    /** The longest a voucher can stay valid under a policy of at most {@code maxValidityDays}. */
    public static Duration longestValidity(int maxValidityDays) {
        return Duration.ofDays(maxValidityDays).plusHours(1);
    }

    /**
     * The cap in the currency's minor units (the most within it, where it is finer than the minor unit), or empty for
     * a code that is not an ISO 4217 currency.
     */
    public Optional<Money> capFor(String currency) {
        Optional<Currency> known = VoucherRules.iso4217(currency);
        if (known.isEmpty()) {
            return Optional.empty();
        }
        BigDecimal cap = capByCurrency.getOrDefault(currency, defaultCap);
        return Optional.of(new Money(DecimalAmounts.minorUnitsWithin(cap, known.get()), currency));
    }

    private Instant endOfDays(Instant generatedAt, int days) {
        return generatedAt.atZone(bankZone).toLocalDate().plusDays(days).atStartOfDay(bankZone).toInstant();
    }
}
