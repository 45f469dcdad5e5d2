package io.qrvoucher.webhook.dispatch;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.util.Timeout;

import io.qrvoucher.webhook.core.AddressPolicy;
import io.qrvoucher.webhook.core.WebhookSignature;
import io.qrvoucher.webhook.store.WebhookStore;

/**
 * POSTs one delivery to its endpoint, signed, and says how it went. A 2xx answer is a delivery; anything else
 * — another status (redirects are not followed: they could lead anywhere), a timeout, a refused connection, an
 * address the policy refuses — is a failed attempt. No proxy is used: it would connect for us, past the
 * address check.
 */
public final class WebhookSender implements AutoCloseable {

    static final String USER_AGENT = "QRVoucher-Webhooks/1";

    /** How an attempt went: delivered (2xx), or why not. */
    public record Outcome(boolean delivered, Integer statusCode, String error, long durationMs) {
    }

    private final CloseableHttpClient http;
    private final boolean allowHttp;
    private final Clock clock;

    public WebhookSender(AddressPolicy addresses, boolean allowHttp, Duration connectTimeout, Duration responseTimeout,
                         int connections, Clock clock) {
        this.allowHttp = allowHttp;
        this.clock = clock;
        this.http = HttpClients.custom()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setDnsResolver(new PolicyDnsResolver(addresses))
                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                .setConnectTimeout(Timeout.of(connectTimeout))
                                .setSocketTimeout(Timeout.of(responseTimeout))
                                .build())
                        .setMaxConnTotal(connections)
                        .setMaxConnPerRoute(2)
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
        URI url = URI.create(due.url());
        if (!url.getScheme().toLowerCase(Locale.ROOT).equals("https") && !allowHttp) {
            return new Outcome(false, null, "refused: not an https URL", 0);
        }
        HttpPost post = new HttpPost(url);
        post.setHeader(WebhookSignature.HEADER, WebhookSignature.sign(due.secret(), started, due.payload()));
        post.setHeader(WebhookSignature.EVENT_ID_HEADER, due.eventId());
        post.setHeader(WebhookSignature.DELIVERY_ID_HEADER, Long.toString(due.deliveryId()));
        post.setEntity(new ByteArrayEntity(due.payload(), ContentType.APPLICATION_JSON));
        try {
            int status = http.execute(post, response -> {
                EntityUtils.consume(response.getEntity()); // the answer's body is not read, only drained
                return response.getCode();
            });
            return new Outcome(status >= 200 && status < 300, status, null, millisSince(started));
        } catch (PolicyDnsResolver.RefusedAddressException e) {
            return new Outcome(false, null, "refused: " + e.getMessage(), millisSince(started));
        } catch (InterruptedIOException e) {
            return new Outcome(false, null, "timeout: " + e.getMessage(), millisSince(started));
        } catch (ConnectException e) {
            return new Outcome(false, null, "connection failed: " + e.getMessage(), millisSince(started));
        } catch (IOException | RuntimeException e) {
            return new Outcome(false, null, e.getClass().getSimpleName() + ": " + e.getMessage(), millisSince(started));
        }
    }

    private long millisSince(Instant started) {
        return Duration.between(started, clock.instant()).toMillis();
    }

    @Override
    public void close() throws IOException {
        http.close();
    }
}
