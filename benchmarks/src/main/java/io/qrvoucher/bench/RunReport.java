package io.qrvoucher.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** The results of one run of the harness, with what produced them; written as one JSON file. */
final class RunReport {

    static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private final Instant startedAt;
    private final Machine machine;
    private final Map<String, String> options;
    private final Map<String, String> voucherOverrides;
    private final Map<String, String> ledgerOverrides;
    private final Map<String, Object> results = new LinkedHashMap<>();

    private RunReport(Instant startedAt, Machine machine, Map<String, String> options, Map<String, String> voucherOverrides,
                      Map<String, String> ledgerOverrides) {
        this.startedAt = startedAt;
        this.machine = machine;
        this.options = Map.copyOf(options);
        this.voucherOverrides = Map.copyOf(voucherOverrides);
        this.ledgerOverrides = Map.copyOf(ledgerOverrides);
    }

    static RunReport start(Machine machine, Map<String, String> options, Map<String, String> voucherOverrides,
                           Map<String, String> ledgerOverrides) {
        return new RunReport(Instant.now().truncatedTo(ChronoUnit.SECONDS), machine, options, voucherOverrides,
                ledgerOverrides);
    }

    void put(String benchmark, Object result) {
        results.put(benchmark, result);
    }

    /** Writes {@code <directory>/<start time>.json}; returns its path. */
    Path write(Path directory) {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("startedAt", startedAt.toString());
        document.put("machine", machine);
        document.put("options", options);
        document.put("voucherStreams", voucherOverrides);
        document.put("ledgerAdapter", ledgerOverrides);
        document.put("results", results);
        try {
            Files.createDirectories(directory);
            Path file = directory.resolve(startedAt.toString().replace(":", "") + ".json");
            Files.writeString(file, JSON.writeValueAsString(document));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
