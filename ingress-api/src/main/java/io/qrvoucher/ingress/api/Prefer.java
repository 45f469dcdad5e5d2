package io.qrvoucher.ingress.api;

import java.math.BigInteger;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The {@code Prefer: wait=N} header (RFC 7240): how long the caller is willing to wait for the outcome. */
final class Prefer {

    private static final Pattern WAIT = Pattern.compile("(?:^|[;,\\s])wait\\s*=\\s*(\\d+)(?:$|[;,\\s])");

    private Prefer() {
    }

    /** The wait asked for, at most {@code max}; none without a {@code wait} preference. */
    static Duration waitOf(String header, Duration max) {
        return waitOf(header, Duration.ZERO, max);
    }

    /**
     * The wait asked for, at most {@code max}; {@code unasked} where the header asks none (absent, or other
     * preferences only, such as {@code respond-async}).
     */
    static Duration waitOf(String header, Duration unasked, Duration max) {
        Matcher matcher = header == null ? null : WAIT.matcher(header);
        if (matcher == null || !matcher.find()) {
            return unasked.compareTo(max) > 0 ? max : unasked;
        }
        // However many digits: a wait past the longest is the longest.
        BigInteger seconds = new BigInteger(matcher.group(1)).min(BigInteger.valueOf(max.toSeconds()));
        return Duration.ofSeconds(seconds.longValueExact());
    }
}
