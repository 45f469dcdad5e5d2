package io.qrvoucher.ingress;

import static org.awaitility.Awaitility.await;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;

import io.qrvoucher.avro.AttemptKind;
import io.qrvoucher.avro.query.AttemptsAnswer;
import io.qrvoucher.keys.TestKeys;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.support.internal.InternalApi;

/**
 * The abuse limits hold for a customer whose requests a balancer spreads over several ingress instances:
 * a second instance runs beside the tests' own, in front of the same pipeline, and the customer alternates
 * between the two, staying under the limit at each.
 */
class SharedLimitsTest extends IngressTestBase {

    private static final AvroSerde<AttemptsAnswer> ATTEMPTS = AvroSerde.of(AttemptsAnswer.class);
    private static final Map<String, Object> NOWHERE = Map.of("bank", "B", "name", "N", "number", "1");

    private static ConfigurableApplicationContext secondInstance;
    private static WebTestClient second;

    @BeforeAll
    static void startASecondIngressInstance() {
        RealPipeline pipeline = RealPipeline.start();
        // Its own Reactor Netty resources: closing a context that uses the JVM's global ones disposes them, and with
        // them the servers of the tests' pipeline (voucher-streams, the tests' ingress) for every test class after.
        secondInstance = IngressApplication.builder().initializers(context -> ((GenericApplicationContext) context)
                        .registerBean(ReactorResourceFactory.class, SharedLimitsTest::ownResources))
                .run("--server.port=0", "--management.server.port=0",
                "--spring.autoconfigure.exclude=" + RealPipeline.NO_DATABASE,
                "--ingress.security.issuer=" + ApiClient.ISSUER,
                "--ingress.security.audience=" + ApiClient.AUDIENCE,
                "--ingress.security.demo-token-secret=" + Base64.getEncoder().encodeToString(ApiClient.TOKEN_KEY),
                "--ingress.limits.wrong-codes-per-window=5",
                "--ingress.bootstrap-servers=" + pipeline.bootstrapServers(),
                "--ingress.voucher-streams.urls=" + pipeline.voucherStreamsUrl(),
                "--ingress.ledger.urls=" + pipeline.ledgerUrl(),
                "--ingress.code-secret=" + CODE_SECRET,
                "--ingress.request-signing.keys.k1=" + RealPipeline.REQUEST_SIGNING_KEY,
                "--internal-api.callees.voucher-streams.key=" + TestKeys.VOUCHER_STREAMS_INTERNAL_KEY,
                "--internal-api.callees.ledger-adapter.key=" + TestKeys.LEDGER_ADAPTER_INTERNAL_KEY,
                "--internal-api.callees.webhook-delivery.key=" + TestKeys.WEBHOOK_DELIVERY_INTERNAL_KEY);
        int port = ((WebServerApplicationContext) secondInstance).getWebServer().getPort();
        second = WebTestClient.bindToServer().baseUrl("http://localhost:" + port).responseTimeout(Duration.ofSeconds(60))
                .build();
    }

    private static ReactorResourceFactory ownResources() {
        ReactorResourceFactory resources = new ReactorResourceFactory();
        resources.setUseGlobalResources(false);
        return resources;
    }

    @AfterAll
    static void stopTheSecondInstance() {
        secondInstance.close();
    }

    @Test
    void aGuesserSpreadOverTwoInstancesIsStoppedAtTheLimitOnce() {
        String guesser = "spread-guesser-" + System.nanoTime();
        List<ApiClient> instances = List.of(new ApiClient(http, guesser), new ApiClient(second, guesser));
        String genuine = (String) alice.issuedVoucher("2.00").get("code");

        // Three wrong codes at one instance, two at the other: under the limit of five at each.
        for (int attempt = 0; attempt < 5; attempt++) {
            instances.get(attempt % 2).post("/api/redemptions")
                    .bodyValue(Map.of("code", "QRV1.wrong-" + attempt, "externalAccount", NOWHERE))
                    .exchange().expectStatus().isEqualTo(422)
                    .expectBody().jsonPath("$.code").isEqualTo("INVALID_CODE");
        }
        awaitAttemptsKept(guesser, AttemptKind.FAILED_REDEMPTION, 5);

        for (ApiClient instance : instances) {
            instance.post("/api/redemptions").bodyValue(Map.of("code", genuine, "externalAccount", NOWHERE))
                    .exchange().expectStatus().isEqualTo(429)
                    .expectHeader().exists("Retry-After")
                    .expectBody().jsonPath("$.code").isEqualTo("TOO_MANY_WRONG_CODES");
        }
    }

    @Test
    void picturesUploadedThroughTwoInstancesCountAgainstOneLimit() throws IOException {
        String uploader = "spread-uploader-" + System.nanoTime();
        List<ApiClient> instances = List.of(new ApiClient(http, uploader), new ApiClient(second, uploader));
        ByteArrayOutputStream blank = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB), "png", blank);

        for (int upload = 0; upload < 30; upload++) {
            upload(instances.get(upload % 2), blank.toByteArray()).expectStatus().isEqualTo(422).expectBody(Void.class);
        }
        awaitAttemptsKept(uploader, AttemptKind.PICTURE_UPLOAD, 30);

        for (ApiClient instance : instances) {
            upload(instance, blank.toByteArray()).expectStatus().isEqualTo(429)
                    .expectHeader().exists("Retry-After")
                    .expectBody().jsonPath("$.code").isEqualTo("TOO_MANY_PICTURES");
        }
    }

    private static WebTestClient.ResponseSpec upload(ApiClient customer, byte[] picture) {
        MultipartBodyBuilder form = new MultipartBodyBuilder();
        form.part("image", picture).filename("blank.png").contentType(MediaType.IMAGE_PNG);
        form.part("accountId", "none");
        return customer.post("/api/redemptions").contentType(MediaType.MULTIPART_FORM_DATA)
                .body(BodyInserters.fromMultipartData(form.build())).exchange();
    }

    /** Until voucher-streams, which keeps the customer's attempts for every instance, has all of them. */
    private static void awaitAttemptsKept(String customerId, AttemptKind kind, int expected) {
        WebTestClient keeper = WebTestClient.bindToServer().baseUrl(RealPipeline.start().voucherStreamsUrl())
                .filter(InternalApi.Callee.withKey(TestKeys.VOUCHER_STREAMS_INTERNAL_KEY).sealedCalls()).build();
        String since = Instant.now().minus(Duration.ofMinutes(10)).toString();
        await().atMost(Duration.ofSeconds(20)).until(() -> ATTEMPTS.decode(keeper.get()
                        .uri(uri -> uri.path("/internal/customers/{customer}/attempts").queryParam("kind", kind)
                                .queryParam("since", since).queryParam("max", 1000).build(customerId))
                        .exchange().expectStatus().isOk().expectBody(byte[].class).returnResult().getResponseBody())
                .getAttemptedAt().size() == expected);
    }
}
