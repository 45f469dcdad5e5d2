package io.qrvoucher.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class CommandLineTest {

    private static final List<String> KNOWN = List.of("qr", "topology", "e2e");

    @Test
    void settingsGoToTheServiceTheyConfigureAndTheRestToTheHarness() {
        CommandLine command = CommandLine.parse(KNOWN, "e2e", "--duration=30", "--voucher.commit-interval=30ms",
                "--ledger.listener-concurrency=1", "--spring.kafka.listener.ack-mode=record",
                "--service-jvm=-XX:+UseSerialGC -Xss512k", "--redemptions-per-second=50, 100");

        assertThat(command.benchmarks()).containsExactly("e2e");
        assertThat(command.integer("duration", 60)).isEqualTo(30);
        assertThat(command.integer("warm-up", 60)).isEqualTo(60);
        assertThat(command.voucherStreams()).isEqualTo(Map.of("voucher.commit-interval", "30ms"));
        assertThat(command.ledgerAdapter()).isEqualTo(Map.of("ledger.listener-concurrency", "1",
                "spring.kafka.listener.ack-mode", "record"));
        assertThat(command.list("service-jvm", "", " ")).containsExactly("-XX:+UseSerialGC", "-Xss512k");
        assertThat(command.list("redemptions-per-second", "", ",")).containsExactly("50", "100");
    }

    @Test
    void noBenchmarkNamedRunsThemAll() {
        assertThat(CommandLine.parse(KNOWN).benchmarks()).isEqualTo(KNOWN);
        assertThat(CommandLine.parse(KNOWN, "all").benchmarks()).isEqualTo(KNOWN);
    }

    @Test
    void anUnknownBenchmarkOrAnOptionWithoutValueIsRefused() {
        assertThatThrownBy(() -> CommandLine.parse(KNOWN, "ledgr")).hasMessageContaining("Unknown benchmark ledgr");
        assertThatThrownBy(() -> CommandLine.parse(KNOWN, "--records")).hasMessageContaining("--name=value");
    }
}
