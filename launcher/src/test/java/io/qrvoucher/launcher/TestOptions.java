package io.qrvoucher.launcher;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A one-machine run for a test: its data in {@code data}, every port its own and free. */
final class TestOptions {

    private TestOptions() {
    }

    static EmbeddedPipeline.Options in(Path data) throws IOException {
        return EmbeddedPipeline.Options.parse(arguments(data).toArray(String[]::new));
    }

    /** The command line of such a run, for a test to add to. */
    static List<String> arguments(Path data) throws IOException {
        int[] ports = freePorts(10);
        return List.of("--data-dir=" + data,
                "--http-port=" + ports[0], "--management-port=" + ports[1], "--ledger-port=" + ports[2],
                "--ledger-management-port=" + ports[3], "--streams-port=" + ports[4], "--webhook-port=" + ports[5],
                "--webhook-management-port=" + ports[6], "--kafka-port=" + ports[7],
                "--controller-port=" + ports[8], "--postgres-port=" + ports[9]);
    }

    /** Those arguments and more: the later of two of one option wins. */
    static EmbeddedPipeline.Options with(List<String> arguments, String... more) {
        List<String> all = new ArrayList<>(arguments);
        all.addAll(List.of(more));
        return EmbeddedPipeline.Options.parse(all.toArray(String[]::new));
    }

    /** Ports free now, all different: held open together while they are chosen (one at a time, two could be one). */
    private static int[] freePorts(int count) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                held.add(new ServerSocket(0));
            }
            return held.stream().mapToInt(ServerSocket::getLocalPort).toArray();
        } finally {
            for (ServerSocket socket : held) {
                socket.close();
            }
        }
    }
}
