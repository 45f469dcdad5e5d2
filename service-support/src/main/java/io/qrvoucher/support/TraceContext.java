package io.qrvoucher.support;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * W3C trace context ({@code traceparent: 00-<trace id>-<parent id>-<flags>}) carried from the HTTP
 * request through every Kafka hop in a record header of the same name. Each hop keeps the trace id
 * and names itself as the new parent, so a tracing backend, or a person with grep, can follow one
 * voucher request from the API through the topology and the ledger back to its events.
 */
public final class TraceContext {

    public static final String HEADER = "traceparent";

    private static final Pattern VALID = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");
    private static final SecureRandom RANDOM = new SecureRandom();

    private TraceContext() {
    }

    /** The start of a new trace. */
    public static String newTrace() {
        return "00-" + randomHex(16) + "-" + randomHex(8) + "-01";
    }

    /** A valid incoming traceparent, or empty for anything else (which is then ignored, as the spec says). */
    public static Optional<String> parse(String traceparent) {
        return traceparent != null && VALID.matcher(traceparent).matches()
                && !traceparent.substring(3, 35).equals("0".repeat(32))
                ? Optional.of(traceparent) : Optional.empty();
    }

    /** The same trace, continued by a new hop. */
    public static String childOf(String traceparent) {
        return traceparent.substring(0, 36) + randomHex(8) + traceparent.substring(52);
    }

    public static String traceIdOf(String traceparent) {
        return traceparent.substring(3, 35);
    }

    /** The traceparent of a record, if it carries a valid one. */
    public static Optional<String> of(Headers headers) {
        Header header = headers.lastHeader(HEADER);
        return header == null ? Optional.empty() : parse(new String(header.value(), StandardCharsets.UTF_8));
    }

    /** Writes the next hop of {@code traceparent} into {@code headers}. */
    public static void continueIn(Headers headers, String traceparent) {
        headers.remove(HEADER);
        headers.add(HEADER, childOf(traceparent).getBytes(StandardCharsets.UTF_8));
    }

    private static String randomHex(int bytes) {
        byte[] random = new byte[bytes];
        RANDOM.nextBytes(random);
        return HexFormat.of().formatHex(random);
    }
}
