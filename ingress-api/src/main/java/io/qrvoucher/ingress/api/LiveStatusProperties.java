package io.qrvoucher.ingress.api;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The live status streams ({@code GET /api/vouchers/events}, several vouchers, and {@code GET /api/vouchers/{id}/events},
 * one), under {@code ingress.live-status.*}.
 *
 * @param maxVouchers how many vouchers one stream follows at most; a request for more is refused
 * @param maxAge      how long one stream lasts: then it ends, and the client resumes it from its last event id
 *                    (on any instance: streams spread again over the instances). A stream also ends when the
 *                    caller's token expires, so that it never outlives the sign-in
 * @param pollWait    how long one long poll on a voucher's owner waits before it asks again
 * @param heartbeat   how often a comment is sent on a quiet stream, so that proxies keep it open
 * @param connections connections to each voucher-streams instance that the streams' long polls may hold, in
 *                    a pool of their own: a page following many vouchers never holds up other reads. Over HTTP/2
 *                    each carries up to 100 long polls at once
 * @param http2       whether the long polls speak HTTP/2 without TLS (h2c) to voucher-streams, many over a connection;
 *                    else HTTP/1.1, one a connection (for a path that does not carry h2c, or instances of a release
 *                    before session 39)
 * @param maxStreamsPerCustomer streams one customer may have open at once on one instance (a page per device or
 *                    tab); one more is refused 429, so that no customer can take the pool's long polls
 * @param maxFollowedPerCustomer vouchers one customer's open streams follow at most, together, on one instance:
 *                    each holds a long poll, so a stream that would follow more is refused 429 too. At least
 *                    {@code maxVouchers}, so that one full stream opens
 */
@ConfigurationProperties("ingress.live-status")
public record LiveStatusProperties(
        @DefaultValue("20") int maxVouchers,
        @DefaultValue("5m") Duration maxAge,
        @DefaultValue("25s") Duration pollWait,
        @DefaultValue("15s") Duration heartbeat,
        @DefaultValue("512") int connections,
        @DefaultValue("true") boolean http2,
        @DefaultValue("8") int maxStreamsPerCustomer,
        @DefaultValue("40") int maxFollowedPerCustomer) {

    public LiveStatusProperties {
        if (maxFollowedPerCustomer < maxVouchers) {
            throw new IllegalArgumentException("ingress.live-status.max-followed-per-customer (" + maxFollowedPerCustomer
                    + ") must be at least max-vouchers (" + maxVouchers + "): a full stream would never open");
        }
    }
}
