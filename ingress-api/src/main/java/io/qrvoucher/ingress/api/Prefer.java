package io.qrvoucher.ingress.api;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The {@code Prefer: wait=N} header (RFC 7240): how long the caller is willing to wait for the outcome. */
final class Prefer {

    private static final Pattern WAIT = Pattern.compile("(?:^|[;,\\s])wait\\s*=\\s*(\\d{1,6})(?:$|[;,\\s])");

    private Prefer() {
    }

    static Duration waitOf(String header, Duration max) {
        if (header == null) {
            return Duration.ZERO;
        }
        Matcher matcher = WAIT.matcher(header);
        if (!matcher.find()) {
            return Duration.ZERO;
        }
        Duration wanted = Duration.ofSeconds(Long.parseLong(matcher.group(1)));
        return wanted.compareTo(max) > 0 ? max : wanted;
    }
}
