package io.qrvoucher.support;

import java.math.BigDecimal;
import java.time.ZoneId;
import java.util.Currency;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import io.qrvoucher.schemas.DecimalAmounts;
import io.qrvoucher.schemas.VoucherRules;

/**
 * The bank's rules that more than one service applies, configured once under {@code bank.*} and bound
 * alike by every service that needs them: give each service the same {@code bank.*} settings (compose and
 * the launcher do) and they cannot disagree.
 *
 * @param zone              the time zone whose days bound a voucher's validity (voucher-streams) and a
 *                          customer's daily outward limit (the ledger)
 * @param defaultVoucherCap the most one voucher may hold, in major units, in a currency without a cap of its own
 * @param voucherCaps       the most one voucher may hold by ISO 4217 code, in major units: checked at once by
 *                          the ingress, enforced by voucher-streams
 */
@ConfigurationProperties("bank")
public record BankRules(
        @DefaultValue("Asia/Shanghai") ZoneId zone,
        @DefaultValue("1000.00") BigDecimal defaultVoucherCap,
        Map<String, BigDecimal> voucherCaps) {

    public BankRules {
        voucherCaps = voucherCaps == null ? Map.of() : byUpperCaseCode(voucherCaps);
        // A cap that rounds down to no minor unit would refuse every voucher in its currency.
        if (defaultVoucherCap.compareTo(BigDecimal.ONE) < 0) {
            throw new IllegalArgumentException("bank.default-voucher-cap must be at least 1: it is the cap of "
                    + "currencies without minor units too");
        }
        voucherCaps.forEach((code, cap) -> {
            Currency currency = VoucherRules.iso4217(code).orElseThrow(() -> new IllegalArgumentException(
                    "bank.voucher-caps." + code + ": not an ISO 4217 currency"));
            if (DecimalAmounts.minorUnitsWithin(cap, currency) < 1) {
                throw new IllegalArgumentException("bank.voucher-caps." + code + " must be at least one minor unit of "
                        + code);
            }
        });
    }

    /**
     * The caps by their codes in upper case: Spring Boot binds an environment variable's map key in lower case
     * ({@code BANK_VOUCHERCAPS_JPY} is {@code bank.voucher-caps.jpy}), so the variable the documentation names
     * stopped the service at start, as a code that is not ISO 4217's.
     */
    private static Map<String, BigDecimal> byUpperCaseCode(Map<String, BigDecimal> caps) {
        Map<String, BigDecimal> byCode = new HashMap<>();
        caps.forEach((code, cap) -> {
            if (byCode.put(code.toUpperCase(Locale.ROOT), cap) != null) {
                throw new IllegalArgumentException("bank.voucher-caps." + code + " is set twice, in upper and lower case");
            }
        });
        return Map.copyOf(byCode);
    }

    /** The cap of one voucher in the currency, in major units. */
    public BigDecimal voucherCapFor(String currency) {
        return voucherCaps.getOrDefault(currency, defaultVoucherCap);
    }
}
