package io.qrvoucher.webhook.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.webhook.VoucherEvents;

class WebhookPayloadTest {

    private final VoucherEvent[] events = VoucherEvents.redemption("v-1", "alice", "bob");

    @Test
    void anEventBeforeTheRedemptionReachesThePayerOnlyAndOneAfterItBothParties() {
        assertThat(Recipients.of(events[1])).containsExactly(new Recipients.Recipient("alice", Recipients.Role.PAYER));
        assertThat(Recipients.of(events[3])).containsExactly(new Recipients.Recipient("alice", Recipients.Role.PAYER),
                new Recipients.Recipient("bob", Recipients.Role.PAYEE));
    }

    @Test
    void theRequesterOfAnEventIsNoRecipientUnlessAParty() {
        // The events say "someone" sent their requests: that customer hears nothing.
        assertThat(Recipients.of(events[3])).extracting(Recipients.Recipient::customerId).doesNotContain("someone");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theBodyIsThePublicViewWithAmountsAsDecimalsAndThePayersAccountAndEachPartysIdOnlyToThatParty() {
        Map<String, Object> toPayee = WebhookPayload.of(events[3], new Recipients.Recipient("bob", Recipients.Role.PAYEE));
        Map<String, Object> toPayer = WebhookPayload.of(events[3], new Recipients.Recipient("alice", Recipients.Role.PAYER));

        assertThat(toPayee.keySet()).containsExactly("id", "type", "occurredAt", "voucherId", "reason", "role", "voucher");
        assertThat(toPayee).containsEntry("id", "v-1/v4").containsEntry("type", "REDEEMED").containsEntry("role", "payee");
        Map<String, Object> voucher = (Map<String, Object>) toPayee.get("voucher");
        assertThat(voucher).containsEntry("amount", "88.80").containsEntry("currency", "CNY")
                .containsEntry("payerCustomerId", null).containsEntry("accountId", null)
                .doesNotContainKeys("codeHash", "generateRequestId");
        assertThat((Map<String, Object>) voucher.get("redemption")).containsEntry("payeeCustomerId", "bob")
                .containsEntry("amount", "88.80")
                .containsEntry("destination", Map.of("type", "OWN_ACCOUNT", "accountId", "bob-cny"));
        Map<String, Object> payers = (Map<String, Object>) toPayer.get("voucher");
        assertThat(payers).containsEntry("accountId", "alice-cny").containsEntry("payerCustomerId", "alice");
        assertThat((Map<String, Object>) payers.get("redemption")).containsEntry("payeeCustomerId", null)
                .containsEntry("amount", "88.80");
        assertThat(toPayer).doesNotContainKeys("customerId", "requestId");
    }

    /** As the API shows it: a payee's destination reaches the payer once the payment is made, not while it is tried. */
    @Test
    @SuppressWarnings("unchecked")
    void theRedemptionReachesThePayerOnlyOnceItSucceededAndThePayeeAtOnce() {
        Map<String, Object> startedToPayer = WebhookPayload.of(events[2], new Recipients.Recipient("alice", Recipients.Role.PAYER));
        Map<String, Object> startedToPayee = WebhookPayload.of(events[2], new Recipients.Recipient("bob", Recipients.Role.PAYEE));
        Map<String, Object> redeemedToPayer = WebhookPayload.of(events[3], new Recipients.Recipient("alice", Recipients.Role.PAYER));

        assertThat((Map<String, Object>) startedToPayer.get("voucher")).containsEntry("redemption", null);
        assertThat((Map<String, Object>) ((Map<String, Object>) startedToPayee.get("voucher")).get("redemption"))
                .containsEntry("payeeCustomerId", "bob");
        assertThat((Map<String, Object>) ((Map<String, Object>) redeemedToPayer.get("voucher")).get("redemption"))
                .containsEntry("destination", Map.of("type", "OWN_ACCOUNT", "accountId", "bob-cny"));
    }

    @Test
    void onlyTheContractsKnownTypesCanBeSubscribed() {
        assertThat(EventTypes.check(List.of("REDEEMED", "ISSUED", "REDEEMED"))).containsExactly("REDEEMED", "ISSUED");
        for (List<String> bad : List.of(List.<String>of(), List.of("UNKNOWN"), List.of("redeemed"), List.of("PAID"))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> EventTypes.check(bad)).isInstanceOf(Refusal.class)
                    .extracting(refusal -> ((Refusal) refusal).code()).isEqualTo("UNKNOWN_EVENT_TYPE");
        }
    }
}
