package io.qrvoucher.webhook.dispatch;

import static org.assertj.core.api.Assertions.assertThatCode;

import org.junit.jupiter.api.Test;

class DeliveryTracesTest {

    @Test
    void aKeptContextThatCannotBeReadStartsATraceOfItsOwnInsteadOfHoldingTheDeliveryUp() {
        DeliveryTraces traces = DeliveryTraces.untraced();

        assertThatCode(() -> traces.attempt("{\"traceparent\": ").end()).doesNotThrowAnyException();
        assertThatCode(() -> traces.attempt("[1, 2]").end()).doesNotThrowAnyException();
    }
}
