package io.qrvoucher.ingress.api;

import java.time.Instant;
import java.util.List;

import io.swagger.v3.oas.annotations.media.Schema;

/** The JSON shapes of the API. */
final class Dtos {

    private Dtos() {
    }

    @Schema(description = "Generate a voucher from one of your accounts")
    record GenerateVoucher(
            @Schema(example = "alice-cny") String accountId,
            @Schema(example = "12.34", description = "decimal string at the currency's scale") String amount,
            @Schema(example = "CNY") String currency,
            @Schema(description = "optional earlier end of validity; default: end of today in the bank's time zone")
            Instant expiresAt) {
    }

    @Schema(description = "Redeem a voucher by its code; amount defaults to the full face value")
    record Redeem(String code, String amount, String accountId, ExternalAccount externalAccount) {
    }

    @Schema(description = "A voucher's code, to see what it stands for before redeeming it")
    record CodePresented(@Schema(description = "the code as scanned: a voucher's or a counter code") String code) {
    }

    @Schema(description = "What a code stands for, to whoever holds it: enough to choose an amount and confirm")
    record VoucherPreview(
            @Schema(description = "the code as presented (read from the picture, if one was sent): redeem with it")
            String code,
            String voucherId,
            @Schema(description = "UNUSED if it can be redeemed now (until expiresAt); else why not, e.g. REDEEMED")
            String status,
            @Schema(description = "the face value: the most a redemption may take") String amount,
            String currency,
            Instant expiresAt) {
    }

    @Schema(description = "The code a payer shows at a counter: taken until the end of the next 30-second step")
    record CounterCode(
            @Schema(description = "what the QR code holds; a payee redeems it like the voucher's code") String code,
            @Schema(description = "when the next code replaces it on the payer's screen") Instant refreshAt) {
    }

    @Schema(description = "An account at another bank")
    record ExternalAccount(String bank, String name, String number) {
    }

    record Destination(String type, String accountId, String bank, String name, String number) {
        static Destination own(String accountId) {
            return new Destination("OWN_ACCOUNT", accountId, null, null, null);
        }

        static Destination external(String bank, String name, String number) {
            return new Destination("EXTERNAL_ACCOUNT", null, bank, name, number);
        }
    }

    record Voucher(
            String id,
            String status,
            String amount,
            String currency,
            String redeemedAmount,
            Instant createdAt,
            Instant expiresAt,
            Instant updatedAt,
            String reason,
            @Schema(description = "the bearer code: only to the payer, only while UNUSED") String code,
            @Schema(description = "payer or payee: how the caller relates to the voucher") String role,
            @Schema(description = "the payer's account; only to the payer") String accountId,
            Destination destination,
            long version) {

        /** The same voucher without its bearer code: what a cancel under way answers. */
        Voucher withoutCode() {
            return new Voucher(id, status, amount, currency, redeemedAmount, createdAt, expiresAt, updatedAt, reason,
                    null, role, accountId, destination, version);
        }
    }

    record Redemption(String id, String voucherId, String status, String reason, String amount, String currency,
                      Destination destination, Instant requestedAt) {
    }

    record Account(String accountId, String currency, String balance, String held, String available, String status) {
    }

    record Settings(String defaultGenerationAccountId, String defaultRedemptionAccountId,
                    @Schema(allowableValues = {"REDEEM_ON_SCAN", "SCAN_THEN_CONFIRM"}) String redemptionMode,
                    @Schema(allowableValues = {"EVERY_TIME", "FIRST_TIME_ONLY"}) String stepUpPolicy,
                    @Schema(description = "the destination of your last successful redemption", accessMode = Schema.AccessMode.READ_ONLY)
                    Destination lastUsedRedemptionDestination) {
    }

    record Page<T>(List<T> items, int page, int size, boolean hasMore,
                   @Schema(description = "pass as `cursor` for the next page; null on the last page") String next) {
    }

    record TokenRequest(String customerId) {
    }

    record Token(String accessToken, String tokenType, long expiresIn) {
    }
}
