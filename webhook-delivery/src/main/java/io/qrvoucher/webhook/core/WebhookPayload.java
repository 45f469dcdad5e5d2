package io.qrvoucher.webhook.core;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import io.qrvoucher.avro.ExternalAccount;
import io.qrvoucher.avro.OwnAccount;
import io.qrvoucher.avro.Redemption;
import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.avro.VoucherView;
import io.qrvoucher.schemas.DecimalAmounts;

/**
 * The body of a webhook: one voucher event as JSON, for one of the voucher's two parties — the stable,
 * documented shape (docs/architecture.md, "Webhooks"), not the Avro record. Amounts are decimal strings at
 * the currency's scale, as in the API. It carries the public view of the voucher and nothing that could
 * redeem it (no code, no code hash), nothing about a third party (the customer behind a refused request),
 * each party's customer id to that party only (a bearer voucher's payee may be a stranger to its payer, and the
 * API shows neither the other's id), the payer's account only to the payer, and the redemption (the payee's
 * destination) to the payer only once it succeeded, as the API shows them.
 *
 * <pre>
 * {"id": "…/v4", "type": "REDEEMED", "occurredAt": "2026-…Z", "voucherId": "…", "reason": null, "role": "payee",
 *  "voucher": {"id": "…", "status": "REDEEMED", "amount": "88.80", "currency": "CNY", "payerCustomerId": null,
 *              "accountId": null, "createdAt": "…", "expiresAt": "…", "updatedAt": "…", "version": 4, "reason": null,
 *              "redemption": {"payeeCustomerId": "bob", "amount": "88.80", "requestedAt": "…",
 *                             "destination": {"type": "OWN_ACCOUNT", "accountId": "bob-cny"}}}}
 * </pre>
 */
public final class WebhookPayload {

    private WebhookPayload() {
    }

    /** The body for {@code recipient} (the voucher's payer or payee), as ordered JSON members. */
    public static Map<String, Object> of(VoucherEvent event, Recipients.Recipient recipient) {
        VoucherView voucher = event.getVoucher();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", event.getEventId());
        body.put("type", event.getType().name());
        body.put("occurredAt", text(event.getOccurredAt()));
        body.put("voucherId", event.getVoucherId());
        body.put("reason", event.getReason());
        body.put("role", recipient.role().name().toLowerCase(java.util.Locale.ROOT));
        body.put("voucher", voucher(voucher, recipient.role() == Recipients.Role.PAYER));
        return body;
    }

    private static Map<String, Object> voucher(VoucherView voucher, boolean toPayer) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", voucher.getVoucherId());
        body.put("status", voucher.getStatus().name());
        body.put("amount", DecimalAmounts.format(voucher.getFaceValueMinor(), voucher.getCurrency()));
        body.put("currency", voucher.getCurrency());
        body.put("payerCustomerId", toPayer ? voucher.getPayerCustomerId() : null);
        body.put("accountId", toPayer ? voucher.getAccountId() : null);
        body.put("createdAt", text(voucher.getCreatedAt()));
        body.put("expiresAt", text(voucher.getExpiresAt()));
        body.put("updatedAt", text(voucher.getUpdatedAt()));
        body.put("version", voucher.getVersion());
        body.put("reason", voucher.getReason());
        boolean redeemed = voucher.getStatus() == VoucherStatus.REDEEMED;
        body.put("redemption", toPayer && !redeemed ? null
                : redemption(voucher.getRedemption(), voucher.getCurrency(), toPayer));
        return body;
    }

    private static Map<String, Object> redemption(Redemption redemption, String currency, boolean toPayer) {
        if (redemption == null) {
            return null;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("payeeCustomerId", toPayer ? null : redemption.getPayeeCustomerId());
        body.put("amount", DecimalAmounts.format(redemption.getAmountMinor(), currency));
        body.put("requestedAt", text(redemption.getRequestedAt()));
        Map<String, Object> destination = new LinkedHashMap<>();
        if (redemption.getDestination() instanceof OwnAccount own) {
            destination.put("type", "OWN_ACCOUNT");
            destination.put("accountId", own.getAccountId());
        } else if (redemption.getDestination() instanceof ExternalAccount external) {
            destination.put("type", "EXTERNAL_ACCOUNT");
            destination.put("bank", external.getBank());
            destination.put("name", external.getHolderName());
            destination.put("number", external.getAccountNumber());
        }
        body.put("destination", destination);
        return body;
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
