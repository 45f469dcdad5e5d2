package io.qrvoucher.ingress.api;

import java.math.BigInteger;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The {@code Prefer: wait=N} header (RFC 7240): how long the caller is willing to wait for the outcome. */
final class Prefer {

    /** Preference names are case-insensitive, and a value may be a quoted string (RFC 7240, section 2). */
    private static final Pattern WAIT = Pattern.compile("(?i)(?:^|[;,\\s])wait\\s*=\\s*(\"?)(\\d+)\\1(?:$|[;,\\s])");
    private static final Pattern RESPOND_ASYNC = Pattern.compile("(?i)(?:^|[;,\\s])respond-async(?:$|[;,\\s=])");

    private Prefer() {
    }

    /** The wait asked for, at most {@code max}; none without a {@code wait} preference. */
    static Duration waitOf(String header, Duration max) {
        return waitOf(header, Duration.ZERO, max);
    }

    /**
     * The wait asked for, at most {@code max}; none for {@code respond-async} alone (the caller prefers the answer
     * at once, and the outcome later); {@code unasked} where the header asks neither.
     */
    static Duration waitOf(String header, Duration unasked, Duration max) {
        Matcher matcher = header == null ? null : WAIT.matcher(header);
        if (matcher == null || !matcher.find()) {
            if (header != null && RESPOND_ASYNC.matcher(header).find()) {
                return Duration.ZERO;
            }
            return unasked.compareTo(max) > 0 ? max : unasked;
        }
        // However many digits: a wait past the longest is the longest.
        BigInteger seconds = new BigInteger(matcher.group(2)).min(BigInteger.valueOf(max.toSeconds()));
        return Duration.ofSeconds(seconds.longValueExact());
    }
}
