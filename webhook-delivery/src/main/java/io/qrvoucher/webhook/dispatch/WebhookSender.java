package io.qrvoucher.webhook.dispatch;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import javax.net.ssl.SSLException;

import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.utils.DateUtils;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.qrvoucher.webhook.core.EndpointUrls;
import io.qrvoucher.webhook.core.WebhookSignature;
import io.qrvoucher.webhook.store.WebhookStore;

/**
 * POSTs one delivery to its endpoint, signed, and says how it went. A 2xx answer is a delivery; anything else
 * — another status (redirects are not followed: they could lead anywhere), a timeout, a refused connection, an
 * address the policy refuses — is a failed attempt. No proxy is used: it would connect for us, past the
 * address check.
 * <p>
 * An attempt has a deadline, the connect timeout plus the response timeout: those timeouts bound each wait on
 * the socket, not the attempt, and an endpoint that trickles its answer a byte at a time would otherwise hold
 * the worker, its endpoint's lock and its database connection without end. At the deadline the request is
 * cancelled (its connection closed at once); without a status by then, the attempt failed with a timeout. The
 * status decides: a status received in time is the outcome, whatever the body does after it. The body is not
 * kept; a short one is read to its end only so that the connection serves the next delivery, a longer one —
 * or one still coming at the deadline — is cut off with its connection rather than drained.
 */
public final class WebhookSender implements AutoCloseable {

    static final String USER_AGENT = "QRVoucher-Webhooks/1";

    private static final Logger log = LoggerFactory.getLogger(WebhookSender.class);
    /** A Java exception's class name and its colon, as messages quote the exceptions they wrap. */
    private static final Pattern EXCEPTION_NAMES = Pattern.compile("\\b(?:[a-z_$][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error)(?:: |$)");
    /** The most of an answer's body read (and thrown away) to keep its connection; past that it is closed. */
    static final int BODY_READ_LIMIT = 4 * 1024;

    /**
     * How an attempt went: delivered (2xx), or why not.
     *
     * @param retryAfter how long the endpoint asked to be left alone ({@code Retry-After} of a 429 or 503); null if it
     *                   did not
     */
    public record Outcome(boolean delivered, Integer statusCode, String error, long durationMs, Duration retryAfter) {

        Outcome(boolean delivered, Integer statusCode, String error, long durationMs) {
            this(delivered, statusCode, error, durationMs, null);
        }
    }

    /** An answer's status, and its {@code Retry-After} where a 429 or 503 gave one. */
    private record Answer(int status, Duration retryAfter) {
    }

    private final CloseableHttpClient http;
    private final EndpointUrls destinations;
    private final Clock clock;
    private final Duration deadline;
    /** Cancels the attempts past their deadline. */
    private final ScheduledThreadPoolExecutor deadlines;
    private final PolicyDnsResolver lookups;

    /** @param destinations where webhooks may go: the rules a URL was registered under, applied at every attempt */
    public WebhookSender(EndpointUrls destinations, Duration connectTimeout, Duration responseTimeout, int connections,
                         Clock clock) {
        this(destinations, InetAddress::getAllByName, connectTimeout, responseTimeout, connections, clock);
    }

    /** With the name lookups of {@code resolver}, given up after the connect timeout (DNS is part of connecting). */
    WebhookSender(EndpointUrls destinations, EndpointUrls.Resolver resolver, Duration connectTimeout,
                  Duration responseTimeout, int connections, Clock clock) {
        this.destinations = destinations;
        this.clock = clock;
        this.deadline = connectTimeout.plus(responseTimeout);
        this.deadlines = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "webhook-deadlines");
            thread.setDaemon(true);
            return thread;
        });
        // Nearly every attempt ends before its deadline: its timer leaves the queue then, not at the deadline.
        this.deadlines.setRemoveOnCancelPolicy(true);
        this.lookups = new PolicyDnsResolver(destinations.addresses(), resolver, connectTimeout);
        this.http = HttpClients.custom()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setDnsResolver(lookups)
                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                .setConnectTimeout(Timeout.of(connectTimeout))
                                .setSocketTimeout(Timeout.of(responseTimeout))
                                .build())
                        .setMaxConnTotal(connections)
                        // As many to one host as in all: an attempt never waits for a connection. With two a host,
                        // two slow endpoints of a receiver that serves many customers made a third customer's attempt
                        // wait, and time out, and be counted against that customer's endpoint.
                        .setMaxConnPerRoute(connections)
                        .build())
                .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(Timeout.of(responseTimeout)).build())
                .disableRedirectHandling()
                .disableAutomaticRetries()
                .disableCookieManagement()
                .disableAuthCaching()
                .setUserAgent(USER_AGENT)
                .build();
    }

    public Outcome send(WebhookStore.Due due) {
        Instant started = clock.instant();
        URI url = null;
        try {
            // Within the try: whatever fails here is an attempt failed on this side, recorded, its endpoint backing
            // off, not a delivery standing due in front of every worker.
            url = URI.create(due.url());
            Optional<String> wrongDestination = destinations.wrongDestination(url);
            if (wrongDestination.isPresent()) {
                return new Outcome(false, null, "refused: " + wrongDestination.get(), 0);
            }
            if (due.secrets().isEmpty()) {
                throw new IllegalStateException("no signing secret of the endpoint can be opened");
            }
            HttpPost post = new HttpPost(url);
            post.setHeader(WebhookSignature.HEADER, WebhookSignature.sign(due.secrets(), started, due.payload()));
            post.setHeader(WebhookSignature.EVENT_ID_HEADER, due.eventId());
            post.setHeader(WebhookSignature.DELIVERY_ID_HEADER, Long.toString(due.deliveryId()));
            post.setEntity(new ByteArrayEntity(due.payload(), ContentType.APPLICATION_JSON));
            Answer answer = answerTo(post);
            int status = answer.status();
            return new Outcome(status >= 200 && status < 300, status, null, millisSince(started), answer.retryAfter());
        } catch (UnknownHostException e) {
            // Refused by the policy, not resolved, or not in time: the customer sees one answer for all three.
            return new Outcome(false, null, "refused: " + EndpointUrls.notPublic(url.getHost()), millisSince(started));
        } catch (InterruptedIOException e) {
            return new Outcome(false, null, "timeout: " + reason(e), millisSince(started));
        } catch (SSLException e) {
            return new Outcome(false, null, "TLS failed: " + reason(e), millisSince(started));
        } catch (IOException e) {
            // Refused, reset, closed mid-answer: the connection, in the failure's own words.
            return new Outcome(false, null, "connection failed: " + reason(e), millisSince(started));
        } catch (RuntimeException e) {
            // Not the endpoint's doing, and its text is ours: the operators get it, the customer the fact.
            log.warn("Delivery {} to endpoint {} failed on this side", due.deliveryId(), due.endpointId(), e);
            return new Outcome(false, null, "failed on the sending side", millisSince(started));
        }
    }

    /**
     * What went wrong, in the words of the exception nearest the cause that has any (some, a refused connection's among
     * them, carry none of their own): the customer reads it in the endpoint's attempts.
     */
    private static String reason(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            // A message may quote the exception it wraps ("…: sun.security…Exception: unable to find…").
            String message = cause.getMessage() == null ? "" : EXCEPTION_NAMES.matcher(cause.getMessage()).replaceAll("");
            if (!message.isBlank()) {
                return message.strip();
            }
        }
        return failure.getClass().getSimpleName();
    }

    /** Sends the request, before its deadline, and gives the answer's status (without one by then, a timeout). */
    private Answer answerTo(HttpPost post) throws IOException {
        // Cancelling closes the connection at once, under whatever the attempt waits for: connection, answer, body.
        ScheduledFuture<?> timer = deadlines.schedule(post::cancel, deadline.toMillis(), TimeUnit.MILLISECONDS);
        try {
            ClassicHttpResponse response;
            try {
                response = http.executeOpen(null, post, null);
            } catch (IOException | RuntimeException e) {
                if (!post.isCancelled()) {
                    throw e;
                }
                InterruptedIOException timeout = new InterruptedIOException("no answer within " + deadline.toMillis() + " ms");
                timeout.initCause(e);
                throw timeout;
            }
            boolean ended = false;
            try {
                ended = readToEnd(response.getEntity());
            } catch (IOException | RuntimeException e) {
                // The status is in, and decides: a body that fails, or is cut off by the deadline, changes nothing.
            } finally {
                if (!ended) {
                    post.cancel(); // the connection goes now: closing the response would first drain the rest
                }
                try {
                    response.close();
                } catch (IOException e) {
                    // its connection is closed already
                }
            }
            int status = response.getCode();
            return new Answer(status, status == 429 || status == 503 ? retryAfter(response.getFirstHeader("Retry-After"),
                    clock.instant()) : null);
        } finally {
            timer.cancel(false);
        }
    }

    /**
     * A {@code Retry-After} (RFC 9110: whole seconds, or an HTTP date) as a wait from {@code now}; null without one that
     * reads, or for a date past.
     */
    static Duration retryAfter(Header header, Instant now) {
        if (header == null || header.getValue() == null) {
            return null;
        }
        String value = header.getValue().strip();
        if (value.matches("\\d+")) {
            // However many digits: a pause past the schedule's longest is the longest.
            return Duration.ofSeconds(new java.math.BigInteger(value).min(java.math.BigInteger.valueOf(Integer.MAX_VALUE))
                    .longValueExact());
        }
        Instant until = DateUtils.parseStandardDate(value); // the dates HttpClient reads: IMF-fixdate, RFC 850
        return until == null || until.isBefore(now) ? null : Duration.between(now, until);
    }

    /** Whether the body ended within {@link #BODY_READ_LIMIT} bytes (its connection then went back to the pool). */
    private static boolean readToEnd(HttpEntity entity) throws IOException {
        if (entity == null) {
            return true;
        }
        InputStream body = entity.getContent(); // not closed: that would read it to its end, which may never come
        return body == null || body.readNBytes(BODY_READ_LIMIT + 1).length <= BODY_READ_LIMIT;
    }

    private long millisSince(Instant started) {
        return Duration.between(started, clock.instant()).toMillis();
    }

    @Override
    public void close() throws IOException {
        deadlines.shutdownNow();
        http.close();
        lookups.close();
    }
}
