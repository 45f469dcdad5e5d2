package io.qrvoucher.voucher.app;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.qrvoucher.broker.TestBroker;
import io.qrvoucher.schemas.Topics;
import io.qrvoucher.support.KafkaConnection;

/** A voucher's ledger results must reach the task that holds the voucher: mismatched topics stop the start. */
class CoPartitioningTest {

    @Test
    void theServiceRefusesToStartWhenRequestsAndLedgerResultsDifferInPartitions(@TempDir Path stateDir) {
        try (TestBroker broker = TestBroker.start(3, Topics.names().stream()
                .filter(topic -> !topic.equals(Topics.LEDGER_RESULTS)).toArray(String[]::new))) {
            broker.createTopics(2, "ledger-results");

            assertThatThrownBy(() -> VoucherStreamsApplication.builder().run("--server.port=0", "--management.server.port=0",
                    "--voucher.bootstrap-servers=" + broker.bootstrapServers(), "--voucher.state-dir=" + stateDir, "--voucher.request-signing.keys.k1=" + VoucherStreamsBrokerTest.SIGNING_KEY).close())
                    .hasStackTraceContaining("Topics [voucher-requests, ledger-results] must have the same number of partitions")
                    .hasStackTraceContaining("voucher-requests=3")
                    .hasStackTraceContaining("ledger-results=2");
        }
    }

    /** A topic still missing when the service starts is waited for (two minutes in the service), then checked. */
    @Test
    void aTopicMadeWhileTheServiceWaitsToCheckIsCheckedToo() {
        try (TestBroker broker = TestBroker.start(3, Topics.names().stream()
                .filter(topic -> !topic.equals(Topics.LEDGER_RESULTS)).toArray(String[]::new))) {
            KafkaConnection cluster = KafkaConnection.plaintext(broker.bootstrapServers());
            CompletableFuture<Void> check = CompletableFuture.runAsync(() -> CoPartitioning.check(cluster,
                    Topics.coPartitioned(), Duration.ofSeconds(60), Duration.ofMillis(200)));

            broker.createTopics(2, "ledger-results");

            assertThatThrownBy(() -> check.get(60, TimeUnit.SECONDS))
                    .hasStackTraceContaining("Topics [voucher-requests, ledger-results] must have the same number of partitions");
        }
    }

    /** The start used to go on unchecked, so that a topic made afterwards with another count went unnoticed. */
    @Test
    void topicsThatCannotBeCheckedInTimeStopTheStart() {
        try (TestBroker broker = TestBroker.start(3, Topics.names().stream()
                .filter(topic -> !topic.equals(Topics.LEDGER_RESULTS)).toArray(String[]::new))) {
            assertThatThrownBy(() -> CoPartitioning.check(KafkaConnection.plaintext(broker.bootstrapServers()),
                    Topics.coPartitioned(), Duration.ofSeconds(2), Duration.ofMillis(200)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("Could not check the partition counts");
        }
    }
}
