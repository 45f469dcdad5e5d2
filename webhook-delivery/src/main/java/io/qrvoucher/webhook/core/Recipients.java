package io.qrvoucher.webhook.core;

import java.util.ArrayList;
import java.util.List;

import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.avro.VoucherEventType;

/**
 * Whose endpoints an event reaches: only the voucher's own parties — its payer, and once it is redeemed its
 * payee. Nobody else's, whoever sent the request behind the event (a refused redemption of someone else's
 * voucher reaches the payer, not the one who tried).
 */
public final class Recipients {

    public enum Role { PAYER, PAYEE }

    public record Recipient(String customerId, Role role) {
    }

    private Recipients() {
    }

    /** The parties, payer first; a customer who redeemed their own voucher is there once, as payer. */
    public static List<Recipient> of(VoucherEvent event) {
        List<Recipient> recipients = new ArrayList<>();
        if (event.getVoucher() == null || event.getType() == VoucherEventType.UNKNOWN) {
            return recipients; // a request about no voucher; a type this service cannot name
        }
        String payer = event.getVoucher().getPayerCustomerId();
        recipients.add(new Recipient(payer, Role.PAYER));
        if (event.getVoucher().getRedemption() != null) {
            String payee = event.getVoucher().getRedemption().getPayeeCustomerId();
            if (!payee.equals(payer)) {
                recipients.add(new Recipient(payee, Role.PAYEE));
            }
        }
        return recipients;
    }
}
