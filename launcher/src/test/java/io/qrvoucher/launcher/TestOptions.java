package io.qrvoucher.launcher;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import io.qrvoucher.ports.FreePorts;

/** A one-machine run for a test: its data in {@code data}, every port its own and free. */
final class TestOptions {

    private TestOptions() {
    }

    static EmbeddedPipeline.Options in(Path data) {
        return EmbeddedPipeline.Options.parse(arguments(data).toArray(String[]::new));
    }

    /** The command line of such a run, for a test to add to. */
    static List<String> arguments(Path data) {
        int[] ports = IntStream.generate(FreePorts::next).limit(11).toArray();
        return List.of("--data-dir=" + data,
                "--http-port=" + ports[0], "--management-port=" + ports[1], "--ledger-port=" + ports[2],
                "--ledger-management-port=" + ports[3], "--streams-port=" + ports[4], "--webhook-port=" + ports[5],
                "--webhook-management-port=" + ports[6], "--kafka-port=" + ports[7],
                "--controller-port=" + ports[8], "--postgres-port=" + ports[9],
                "--streams-management-port=" + ports[10]);
    }

    /** Those arguments and more: the later of two of one option wins. */
    static EmbeddedPipeline.Options with(List<String> arguments, String... more) {
        List<String> all = new ArrayList<>(arguments);
        all.addAll(List.of(more));
        return EmbeddedPipeline.Options.parse(all.toArray(String[]::new));
    }
}
