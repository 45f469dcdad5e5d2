package io.qrvoucher.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * CPU time and peak memory of one service: the processes it runs as (a JVM, or PostgreSQL's server
 * and its backends). Memory is the proportional set size (shared pages split among the processes
 * that share them), sampled, so that PostgreSQL's shared buffers count once.
 */
final class ServiceMeter {

    record Usage(String service, double cpuSeconds, double cores, long peakMemoryMiB) {
    }

    private final String service;
    private final Supplier<List<ProcessHandle>> processes;
    private long cpuAtStart;
    private long peakPssKiB;

    ServiceMeter(String service, Supplier<List<ProcessHandle>> processes) {
        this.service = service;
        this.processes = processes;
    }

    void begin() {
        cpuAtStart = cpuNanos();
        peakPssKiB = 0;
        sample();
    }

    void sample() {
        peakPssKiB = Math.max(peakPssKiB, processes.get().stream().mapToLong(ServiceMeter::pssKiB).sum());
    }

    Usage end(double wallSeconds) {
        sample();
        double cpuSeconds = (cpuNanos() - cpuAtStart) / 1e9;
        return new Usage(service, cpuSeconds, cpuSeconds / wallSeconds, peakPssKiB / 1024);
    }

    private long cpuNanos() {
        return processes.get().stream()
                .mapToLong(process -> process.info().totalCpuDuration().map(Duration::toNanos).orElse(0L))
                .sum();
    }

    private static long pssKiB(ProcessHandle process) {
        try {
            return Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "smaps_rollup")).stream()
                    .filter(line -> line.startsWith("Pss:"))
                    .mapToLong(line -> Long.parseLong(line.replaceAll("[^0-9]", "")))
                    .sum();
        } catch (IOException | RuntimeException e) {
            return 0; // the process ended between listing and reading
        }
    }
}
