package io.qrvoucher.reliability;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import tools.jackson.databind.json.JsonMapper;

/**
 * The ingress's HTTP API, as the apps call it: each request to one of the ingress instances, chosen at
 * random, as a load balancer without sticky sessions would.
 */
final class Api {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final List<String> baseUrls;

    Api(String baseUrl) {
        this(List.of(baseUrl));
    }

    Api(List<String> baseUrls) {
        this.baseUrls = List.copyOf(baseUrls);
    }

    record Response(int status, Map<String, Object> body, String raw) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        String string(String field) {
            Object value = body == null ? null : body.get(field);
            return value == null ? null : value.toString();
        }
    }

    /** A demo sign-in; a clear failure, with the ingress's answer, when it issues none. */
    String token(String customerId) {
        Response response = signIn(customerId);
        String token = response.string("accessToken");
        if (token == null) {
            throw new IllegalStateException("No token for " + customerId + ": " + response.status() + " " + response.raw());
        }
        return token;
    }

    /** The ingress's answer to a demo sign-in, its token in {@code accessToken} when it issued one. */
    Response signIn(String customerId) {
        return send("POST", "/dev/token", null, null, Map.of("customerId", customerId));
    }

    Response send(String method, String path, String token, String prefer, Object body) {
        try {
            return sendRaw(method, path, token, prefer, "application/json", body == null ? null : JSON.writeValueAsString(body));
        } catch (RuntimeException e) {
            return new Response(-1, null, e.toString());
        }
    }

    Response sendRaw(String method, String path, String token, String prefer, String contentType, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (prefer != null) {
            request.header("Prefer", prefer);
        }
        return exchange(request.build());
    }

    Response exchange(HttpRequest request) {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), parse(response.body()), response.body());
        } catch (IOException e) {
            return new Response(-1, null, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Response(-1, null, e.toString());
        }
    }

    /** One of the instances, at random. */
    String baseUrl() {
        return baseUrls.get(ThreadLocalRandom.current().nextInt(baseUrls.size()));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> parse(String body) {
        try {
            return body == null || !body.startsWith("{") ? null : JSON.readValue(body, Map.class);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
