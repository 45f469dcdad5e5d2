package io.qrvoucher.ingress.api;

import java.math.BigDecimal;
import java.util.Currency;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import io.qrvoucher.avro.AccountSnapshot;
import io.qrvoucher.ingress.codes.VoucherCodes;
import io.qrvoucher.schemas.DecimalAmounts;
import io.qrvoucher.schemas.VoucherRules;
import io.qrvoucher.support.BankRules;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import reactor.core.publisher.Mono;

/**
 * The bank's limits as they apply to the caller, read from the one place they are configured
 * ({@code bank.default-voucher-cap}, {@code bank.voucher-caps.<ISO>}, the accounts' own daily limits): the
 * web app shows and checks them instead of carrying numbers of its own.
 */
@RestController
@Tag(name = "limits", description = "The bank's limits on your vouchers")
class LimitsController {

    private final Customers customers;
    private final BankRules rules;
    private final LiveStatusProperties liveStatus;

    LimitsController(Customers customers, BankRules rules, LiveStatusProperties liveStatus) {
        this.customers = customers;
        this.rules = rules;
        this.liveStatus = liveStatus;
    }

    @GetMapping("/api/limits")
    @Operation(summary = "The most one voucher may hold, your accounts' daily outward limits, how often a counter code "
            + "changes, how many vouchers a live status stream follows",
            description = "`voucherCaps` holds the cap of every currency the bank set one for and of every currency "
                    + "of your accounts; any other currency's cap is `defaultVoucherCap`. Amounts are decimal strings "
                    + "at the currency's scale (the default's as configured).")
    Mono<Limits> limits(@AuthenticationPrincipal Jwt caller) {
        return customers.accountsOf(caller.getSubject()).map(accounts -> {
            Map<String, String> caps = new TreeMap<>();
            Stream.concat(rules.voucherCaps().keySet().stream(), accounts.stream().map(AccountSnapshot::getCurrency))
                    .forEach(code -> VoucherRules.iso4217(code)
                            .ifPresent(currency -> caps.put(code, atScale(rules.voucherCapFor(code), currency))));
            List<AccountLimits> perAccount = accounts.stream()
                    .map(account -> new AccountLimits(account.getAccountId(), account.getCurrency(),
                            caps.get(account.getCurrency()),
                            DecimalAmounts.format(account.getDailyOutwardLimitMinor(), account.getCurrency()),
                            account.getOutwardTransfersAllowed()))
                    .toList();
            return new Limits(caps, rules.defaultVoucherCap().toPlainString(), perAccount,
                    VoucherCodes.COUNTER_STEP.toSeconds(), liveStatus.maxVouchers());
        });
    }

    /** A cap as the currency writes amounts: a cap finer than its minor unit is shown as what can be reached. */
    private static String atScale(BigDecimal major, Currency currency) {
        return DecimalAmounts.format(DecimalAmounts.minorUnitsWithin(major, currency), currency.getCurrencyCode());
    }

    @Schema(description = "The limits that apply to your vouchers")
    record Limits(
            @Schema(description = "the most one voucher may hold, by ISO 4217 code", example = "{\"CNY\": \"1000.00\"}")
            Map<String, String> voucherCaps,
            @Schema(description = "the cap of a currency not in voucherCaps", example = "1000.00") String defaultVoucherCap,
            @Schema(description = "each of your accounts: its voucher cap and daily outward limit") List<AccountLimits> accounts,
            @Schema(description = "how often the code shown in counter mode changes, in seconds", example = "30")
            long counterCodeSeconds,
            @Schema(description = "how many vouchers one live status stream may follow", example = "20")
            int maxLiveVouchers) {
    }

    record AccountLimits(
            @Schema(example = "alice-cny") String accountId,
            @Schema(example = "CNY") String currency,
            @Schema(example = "1000.00") String voucherCap,
            @Schema(description = "the most the account may pay out (vouchers frozen) in one day of the bank's time zone",
                    example = "50000.00") String dailyOutwardLimit,
            @Schema(description = "whether vouchers may be generated from it at all") boolean outwardTransfersAllowed) {
    }
}
