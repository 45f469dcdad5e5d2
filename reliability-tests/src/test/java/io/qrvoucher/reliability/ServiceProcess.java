package io.qrvoucher.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;

/**
 * One service in a JVM of its own, started through its production main class, so that it can be
 * killed the way a machine dies: {@link #kill()} sends SIGKILL, no shutdown hook runs, nothing is
 * flushed or committed. {@link #stop()} is the orderly SIGTERM.
 */
final class ServiceProcess {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final String mainClass;
    private final List<String> arguments;
    private final int port;
    private final Path log;
    private Process process;

    ServiceProcess(String name, String mainClass, int port, Path logDirectory, List<String> arguments) {
        this.name = name;
        this.mainClass = mainClass;
        this.port = port;
        this.arguments = List.copyOf(arguments);
        this.log = logDirectory.resolve(name + ".log");
    }

    String name() {
        return name;
    }

    int port() {
        return port;
    }

    ServiceProcess start() {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"),
                mainClass, "--server.port=" + port, "--spring.main.banner-mode=off"));
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
    ServiceProcess awaitReady() {
        Awaitility.await(name + " ready").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException(name + " exited; see " + log);
                    }
                    return isReady();
                });
        return this;
    }

    boolean isReady() {
        try {
            HttpResponse<Void> response = HTTP.send(HttpRequest.newBuilder(
                            URI.create("http://localhost:" + port + "/actuator/health/readiness"))
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
    void kill() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            waitForExit();
        }
    }

    /** An orderly shutdown: SIGTERM. */
    void stop() {
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
