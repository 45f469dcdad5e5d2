package io.qrvoucher.launcher;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;

import io.qrvoucher.support.internal.InternalApi;
import io.qrvoucher.support.internal.InternalApi.Call;

/**
 * An operator's read of a service's internal API (a voucher-streams instance's stalled vouchers, the ledger's
 * reconciliation report), sealed as the ingress seals its calls: with the called service's own internal API key from
 * the environment ({@code INTERNAL_API_KEY}, base64; its id {@code INTERNAL_API_KEY_ID}, {@code k1} unless set).
 * Prints the answer's body; exits 1 if the answer is not 2xx.
 *
 * <pre>
 * INTERNAL_API_KEY=… java -cp launcher/target/launcher-*-exec.jar -Dloader.main=io.qrvoucher.launcher.InternalCall \
 *      org.springframework.boot.loader.launch.PropertiesLauncher http://voucher-streams-1:8082/internal/stalled-vouchers
 * </pre>
 */
public final class InternalCall {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private InternalCall() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        String key = System.getenv("INTERNAL_API_KEY");
        if (args.length != 1 || key == null || key.isBlank()) {
            System.err.println("Usage: INTERNAL_API_KEY=<base64 key of the service called> [INTERNAL_API_KEY_ID=k1] "
                    + "InternalCall <url of an internal API>");
            System.exit(2);
        }
        String keyId = System.getenv().getOrDefault("INTERNAL_API_KEY_ID", "k1");
        HttpResponse<String> answer = get(URI.create(args[0]), new InternalApi.Callee(keyId, key));
        System.out.println(answer.body());
        if (answer.statusCode() / 100 != 2) {
            System.err.println("HTTP " + answer.statusCode());
            System.exit(1);
        }
    }

    /** A GET of an internal API, sealed with the service's key. */
    public static HttpResponse<String> get(URI url, InternalApi.Callee service) throws IOException, InterruptedException {
        Call call = new Call("GET", InternalApi.pathAndQuery(url), null, null);
        HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30))
                .header(InternalApi.HEADER, service.seals(Clock.systemUTC()).seal(call)).build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
