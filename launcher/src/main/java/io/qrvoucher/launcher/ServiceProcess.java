package io.qrvoucher.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One service in a JVM of its own, started through its production main class on this JVM's class
 * path, so that it can be measured on its own or killed the way a machine dies: {@link #kill()} sends
 * SIGKILL, no shutdown hook runs, nothing is flushed or committed. {@link #stop()} is the orderly
 * SIGTERM.
 */
public final class ServiceProcess {

    /** Small and quick to start: for tests that run many services on two cores. */
    public static final List<String> TEST_JVM = List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration READY_WITHIN = Duration.ofSeconds(120);
    private static final int LOG_LINES_SHOWN = 30;

    private final String name;
    private final String mainClass;
    private final List<String> jvmOptions;
    private final List<String> arguments;
    private final int port;
    private final int managementPort;
    private final Path log;
    private Process process;

    /**
     * A process whose readiness is asked on its one port (the benchmarks' broker; every service has a management
     * port of its own).
     *
     * @param port the service's HTTP port, where its readiness is asked; {@code --server.port} is set to it
     */
    public ServiceProcess(String name, String mainClass, int port, Path logDirectory, List<String> jvmOptions,
                          List<String> arguments) {
        this(name, mainClass, port, port, logDirectory, jvmOptions, arguments);
    }

    /**
     * A service whose actuator answers on a port of its own (every service's: the ingress's, voucher-streams', the
     * ledger adapter's, the webhook delivery's).
     *
     * @param port           the service's HTTP port; {@code --server.port} is set to it
     * @param managementPort where its actuator answers and its readiness is asked;
     *                       {@code --management.server.port} is set to it
     */
    public ServiceProcess(String name, String mainClass, int port, int managementPort, Path logDirectory,
                          List<String> jvmOptions, List<String> arguments) {
        this.name = name;
        this.mainClass = mainClass;
        this.port = port;
        this.managementPort = managementPort;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.arguments = List.copyOf(arguments);
        this.log = logDirectory.resolve(name + ".log");
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    /** Where the actuator answers: readiness, metrics. */
    public int managementPort() {
        return managementPort;
    }

    /** The running JVM's process, for measuring it. */
    public ProcessHandle handle() {
        return process.toHandle();
    }

    public ServiceProcess start() {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass,
                "--server.port=" + port, "--spring.main.banner-mode=off"));
        if (managementPort != port) {
            command.add("--management.server.port=" + managementPort);
        }
        command.addAll(arguments);
        try {
            Files.createDirectories(log.getParent());
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Waits until the service says it is ready (its readiness health group is UP). */
    public ServiceProcess awaitReady() {
        long deadline = System.nanoTime() + READY_WITHIN.toNanos();
        while (!isReady()) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited; see " + log + lastLinesOfLog());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " not ready within " + READY_WITHIN + "; see " + log + lastLinesOfLog());
            }
            LockSupport.parkNanos(Duration.ofMillis(250).toNanos());
        }
        return this;
    }

    /** The end of the log, for a failure's message: where a run on a machine that keeps no files shows why. */
    private String lastLinesOfLog() {
        try {
            // Any byte reads as a character: a log cut mid-character still shows its end.
            List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
            return ", which ends:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_LINES_SHOWN), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    public boolean isReady() {
        try {
            HttpResponse<Void> response = HTTP.send(HttpRequest.newBuilder(
                            URI.create("http://localhost:" + managementPort + "/actuator/health/readiness"))
                    .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.discarding());
            return response.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The machine dies: SIGKILL, nothing cleaned up. */
    public void kill() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            waitForExit();
        }
    }

    /** An orderly shutdown: SIGTERM. */
    public void stop() {
        if (process != null && process.isAlive()) {
            process.destroy();
            waitForExit();
        }
    }

    private void waitForExit() {
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
