package io.qrvoucher.voucher.app;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.qrvoucher.broker.TestBroker;
import io.qrvoucher.schemas.Topics;

/** A voucher's ledger results must reach the task that holds the voucher: mismatched topics stop the start. */
class CoPartitioningTest {

    @Test
    void theServiceRefusesToStartWhenRequestsAndLedgerResultsDifferInPartitions(@TempDir Path stateDir) {
        try (TestBroker broker = TestBroker.start(3, Topics.names().stream()
                .filter(topic -> !topic.equals(Topics.LEDGER_RESULTS)).toArray(String[]::new))) {
            broker.createTopics(2, "ledger-results");

            assertThatThrownBy(() -> VoucherStreamsApplication.builder().run("--server.port=0",
                    "--voucher.bootstrap-servers=" + broker.bootstrapServers(), "--voucher.state-dir=" + stateDir, "--voucher.request-signing.keys.k1=" + VoucherStreamsBrokerTest.SIGNING_KEY).close())
                    .hasStackTraceContaining("Topics [voucher-requests, ledger-results] must have the same number of partitions")
                    .hasStackTraceContaining("voucher-requests=3")
                    .hasStackTraceContaining("ledger-results=2");
        }
    }
}
