package io.qrvoucher.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;

import com.google.zxing.BinaryBitmap;
import com.google.zxing.DecodeHintType;
import com.google.zxing.client.j2se.BufferedImageLuminanceSource;
import com.google.zxing.common.HybridBinarizer;
import com.google.zxing.qrcode.QRCodeReader;
import com.jayway.jsonpath.JsonPath;

import io.qrvoucher.ingress.codes.PhonePhotos;
import io.qrvoucher.ingress.codes.VoucherCodes;

class RedeemTest extends IngressTestBase {

    @LocalServerPort
    int port;

    /**
     * A redemption id is issued only for a voucher its owner recorded: once the owner knows neither the voucher nor a
     * refusal of the request, it forgot the voucher (voucher.final-retention), and the redemption is not found.
     */
    @Test
    void aRedemptionOfAVoucherNoLongerKeptIsNotFound() {
        io.qrvoucher.ingress.codes.VoucherCodes codes =
                new io.qrvoucher.ingress.codes.VoucherCodes(Base64.getDecoder().decode(CODE_SECRET));
        String forgotten = codes.newVoucherId("alice", Instant.now().minus(Duration.ofDays(500)));

        bob.get("/api/redemptions/" + codes.redemptionId("bob", forgotten)).exchange()
                .expectStatus().isNotFound().expectBody(Void.class);
    }

    @Test
    void aPayeeRedeemsTheFullAmountByCodeAndThePayerSeesItRedeemed() {
        Map<String, Object> voucher = alice.issuedVoucher("20.00");

        Map<String, Object> redemption = body(bob.post("/api/redemptions").header("Prefer", "wait=20")
                .bodyValue(Map.of("code", voucher.get("code"), "accountId", "bob-cny"))
                .exchange().expectStatus().isOk());

        assertThat(redemption).containsEntry("status", "SUCCEEDED").containsEntry("amount", "20.00")
                .containsEntry("voucherId", voucher.get("id"));
        bob.get("/api/redemptions/" + redemption.get("id")).exchange()
                .expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("SUCCEEDED");
        alice.get("/api/vouchers/" + voucher.get("id")).exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.status").isEqualTo("REDEEMED")
                .jsonPath("$.redeemedAmount").isEqualTo("20.00")
                .jsonPath("$.destination.accountId").isEqualTo("bob-cny")
                .jsonPath("$.code").doesNotExist();
        bob.get("/api/vouchers/" + voucher.get("id")).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.role").isEqualTo("payee").jsonPath("$.accountId").doesNotExist();
    }

    @Test
    void aPartialRedemptionMovesOnlyWhatThePayeeAsksFor() {
        Map<String, Object> voucher = alice.issuedVoucher("30.00");

        bob.post("/api/redemptions").header("Prefer", "wait=20")
                .bodyValue(Map.of("code", voucher.get("code"), "amount", "7.50", "accountId", "bob-cny"))
                .exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("SUCCEEDED").jsonPath("$.amount").isEqualTo("7.50");

        alice.get("/api/vouchers/" + voucher.get("id")).exchange()
                .expectBody().jsonPath("$.redeemedAmount").isEqualTo("7.50");
    }

    @Test
    void aPayeeMayHaveTheMoneySentToAnotherBank() {
        Map<String, Object> voucher = alice.issuedVoucher("8.00");

        carol.post("/api/redemptions").header("Prefer", "wait=20")
                .bodyValue(Map.of("code", voucher.get("code"),
                        // Full-width digits, as a phone's keyboard may give them: the clearing gets digits.
                        "externalAccount", Map.of("bank", "ICBC", "name", "Carol Chen", "number", "\uFF16\uFF12\uFF12\uFF12 0202 ")))
                .exchange().expectStatus().isOk()
                .expectBody()
                .jsonPath("$.status").isEqualTo("SUCCEEDED")
                .jsonPath("$.destination.type").isEqualTo("EXTERNAL_ACCOUNT")
                .jsonPath("$.destination.bank").isEqualTo("ICBC");

        // The last destination is read from the payee's index, which follows the voucher within a commit or two.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> carol.get("/api/settings").exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.lastUsedRedemptionDestination.number").isEqualTo("6222 0202"));
    }

    @Test
    void aVoucherIsRedeemedOnlyOnce() {
        Map<String, Object> voucher = alice.issuedVoucher("9.00");
        bob.post("/api/redemptions").header("Prefer", "wait=20")
                .bodyValue(Map.of("code", voucher.get("code"), "accountId", "bob-cny"))
                .exchange().expectStatus().isOk().expectBody(Void.class);

        carol.post("/api/redemptions").header("Prefer", "wait=20")
                .bodyValue(Map.of("code", voucher.get("code"), "accountId", "carol-cny"))
                .exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("REJECTED").jsonPath("$.reason").isEqualTo("ALREADY_REDEEMED");
    }

    @Test
    void moreThanTheFaceValueIsRejected() {
        Map<String, Object> voucher = alice.issuedVoucher("5.00");

        bob.post("/api/redemptions").header("Prefer", "wait=20")
                .bodyValue(Map.of("code", voucher.get("code"), "amount", "5.01", "accountId", "bob-cny"))
                .exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("REJECTED")
                .jsonPath("$.reason").isEqualTo("AMOUNT_EXCEEDS_FACE_VALUE");
    }

    @Test
    void withoutADestinationTheRedemptionModeDecides() {
        Map<String, Object> voucher = alice.issuedVoucher("4.00");
        carol.put("/api/settings").bodyValue(Map.of("redemptionMode", "SCAN_THEN_CONFIRM")).exchange().expectStatus().isOk().expectBody(Void.class);

        carol.post("/api/redemptions").bodyValue(Map.of("code", voucher.get("code"))).exchange()
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.code").isEqualTo("DESTINATION_REQUIRED");

        carol.put("/api/settings").bodyValue(Map.of("redemptionMode", "REDEEM_ON_SCAN", "defaultRedemptionAccountId", "carol-cny"))
                .exchange().expectStatus().isOk().expectBody(Void.class);
        carol.post("/api/redemptions").header("Prefer", "wait=20").bodyValue(Map.of("code", voucher.get("code"))).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("SUCCEEDED")
                .jsonPath("$.amount").isEqualTo("4.00")
                .jsonPath("$.destination.accountId").isEqualTo("carol-cny");
    }

    /**
     * A payee who lost the answer of a redemption that went through, and then mistyped codes up to the limit, still
     * learns from its retry that the money moved; a new attempt is refused as before.
     */
    @Test
    void aRedemptionThatWentThroughRetriedWithItsKeyPastTheWrongCodeLimitIsAnsweredAsItWasTaken() {
        String payee = "unlucky-" + UUID.randomUUID();
        RealPipeline.start().openAccount(payee + "-cny", payee, 0);
        ApiClient unlucky = new ApiClient(http, payee);
        Map<String, Object> voucher = alice.issuedVoucher("2.40");
        byte[] png = alice.get("/api/vouchers/" + voucher.get("id") + "/qr.png").exchange().expectStatus().isOk()
                .expectBody(byte[].class).returnResult().getResponseBody();
        String key = UUID.randomUUID().toString();
        Map<String, Object> request = Map.of("code", voucher.get("code"), "accountId", payee + "-cny");
        Map<String, Object> first = body(unlucky.post("/api/redemptions").header("Idempotency-Key", key)
                .header("Prefer", "wait=20").bodyValue(request).exchange().expectStatus().isOk());
        for (int i = 0; i < 5; i++) {
            unlucky.post("/api/redemptions").bodyValue(Map.of("code", "QRV1.mistyped-" + i, "accountId", payee + "-cny"))
                    .exchange().expectStatus().isEqualTo(422).expectBody(Void.class);
        }

        Map<String, Object> retried = body(unlucky.post("/api/redemptions").header("Idempotency-Key", key)
                .header("Prefer", "wait=20").bodyValue(request).exchange().expectStatus().isOk());

        assertThat(retried).containsEntry("id", first.get("id")).containsEntry("status", "SUCCEEDED");
        // The web app redeems by picture: its retry, keyed, likewise.
        MultipartBodyBuilder pictured = new MultipartBodyBuilder();
        pictured.part("image", new ByteArrayResource(png) {
            @Override
            public String getFilename() {
                return "qr.png";
            }
        });
        pictured.part("accountId", payee + "-cny");
        unlucky.post("/api/redemptions").header("Idempotency-Key", key).header("Prefer", "wait=20")
                .contentType(MediaType.MULTIPART_FORM_DATA).body(BodyInserters.fromMultipartData(pictured.build()))
                .exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.id").isEqualTo(first.get("id")).jsonPath("$.status").isEqualTo("SUCCEEDED");
        // The same key and code asking for another amount is no retry: refused by the limit, with no more work.
        unlucky.post("/api/redemptions").header("Idempotency-Key", key)
                .bodyValue(Map.of("code", voucher.get("code"), "amount", "1.00", "accountId", payee + "-cny"))
                .exchange().expectStatus().isEqualTo(429)
                .expectBody().jsonPath("$.code").isEqualTo("TOO_MANY_WRONG_CODES");
        for (String other : new String[] {UUID.randomUUID().toString(), key}) {
            unlucky.post("/api/redemptions").header("Idempotency-Key", other)
                    .bodyValue(Map.of("code", alice.issuedVoucher("2.50").get("code"), "accountId", payee + "-cny"))
                    .exchange().expectStatus().isEqualTo(429)
                    .expectBody().jsonPath("$.code").isEqualTo("TOO_MANY_WRONG_CODES");
        }
    }

    @Test
    void aRedemptionRetriedWithItsKeyAfterItsDefaultDestinationWentAwayIsAnsweredAsItWasTaken() {
        String payee = "retrier-" + UUID.randomUUID();
        RealPipeline.start().openAccount(payee + "-cny", payee, 0);
        ApiClient retrier = new ApiClient(http, payee);
        retrier.put("/api/settings").bodyValue(Map.of("redemptionMode", "REDEEM_ON_SCAN")).exchange().expectStatus().isOk().expectBody(Void.class);
        Map<String, Object> voucher = alice.issuedVoucher("2.20");
        String key = UUID.randomUUID().toString();
        Map<String, Object> first = body(retrier.post("/api/redemptions").header("Idempotency-Key", key)
                .header("Prefer", "wait=20").bodyValue(Map.of("code", voucher.get("code"))).exchange()
                .expectStatus().isOk());

        retrier.put("/api/settings").bodyValue(Map.of("redemptionMode", "SCAN_THEN_CONFIRM")).exchange().expectStatus().isOk().expectBody(Void.class);

        retrier.post("/api/redemptions").header("Idempotency-Key", key).header("Prefer", "wait=20")
                .bodyValue(Map.of("code", voucher.get("code"))).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.id").isEqualTo(first.get("id")).jsonPath("$.status").isEqualTo("SUCCEEDED");
        retrier.post("/api/redemptions").bodyValue(Map.of("code", voucher.get("code"))).exchange()
                .expectStatus().isEqualTo(422).expectBody().jsonPath("$.code").isEqualTo("DESTINATION_REQUIRED");
    }

    @Test
    void aClosedAccountNeverReceivesTheMoneyAndTheVoucherStaysRedeemable() {
        String payee = "mover-" + System.nanoTime();
        RealPipeline pipeline = RealPipeline.start();
        pipeline.openAccount(payee + "-a", payee, 0);
        pipeline.openAccount(payee + "-b", payee, 0);
        pipeline.closeAccount(payee + "-a");
        ApiClient mover = new ApiClient(http, payee);
        mover.put("/api/settings").bodyValue(Map.of("redemptionMode", "REDEEM_ON_SCAN")).exchange().expectStatus().isOk().expectBody(Void.class);

        Map<String, Object> first = alice.issuedVoucher("1.11");
        mover.post("/api/redemptions").header("Prefer", "wait=20").bodyValue(Map.of("code", first.get("code"))).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("SUCCEEDED").jsonPath("$.destination.accountId").isEqualTo(payee + "-b");

        mover.put("/api/settings").bodyValue(Map.of("defaultRedemptionAccountId", payee + "-a")).exchange()
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.code").isEqualTo("ACCOUNT_NOT_ACTIVE");

        // A default account closed after it was chosen.
        pipeline.openAccount(payee + "-c", payee, 0);
        mover.put("/api/settings").bodyValue(Map.of("defaultRedemptionAccountId", payee + "-c")).exchange().expectStatus().isOk().expectBody(Void.class);
        pipeline.closeAccount(payee + "-c");
        Map<String, Object> second = alice.issuedVoucher("1.12");
        mover.post("/api/redemptions").bodyValue(Map.of("code", second.get("code"))).exchange()
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.code").isEqualTo("ACCOUNT_NOT_ACTIVE");
        alice.get("/api/vouchers/" + second.get("id")).exchange().expectBody().jsonPath("$.status").isEqualTo("UNUSED");

        // Named by the payee: refused before anything is published, not failed by the ledger (which would use the
        // voucher up), so the payee can take it into another account.
        mover.post("/api/redemptions").bodyValue(Map.of("code", second.get("code"), "accountId", payee + "-a")).exchange()
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.code").isEqualTo("ACCOUNT_NOT_ACTIVE");
        mover.post("/api/redemptions").header("Prefer", "wait=20")
                .bodyValue(Map.of("code", second.get("code"), "accountId", payee + "-b")).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("SUCCEEDED").jsonPath("$.destination.accountId").isEqualTo(payee + "-b");
    }

    @Test
    void aPayeeSeesWhatACodeStandsForBeforeConfirmingAndNothingIsRedeemed() throws Exception {
        Map<String, Object> voucher = alice.issuedVoucher("88.80");
        String code = (String) voucher.get("code");

        String preview = bob.post("/api/redemptions/preview").bodyValue(Map.of("code", code)).exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
        assertThat(JsonPath.<String>read(preview, "$.voucherId")).isEqualTo(voucher.get("id"));
        assertThat(JsonPath.<String>read(preview, "$.status")).isEqualTo("UNUSED");
        assertThat(JsonPath.<String>read(preview, "$.amount")).isEqualTo("88.80");
        assertThat(JsonPath.<String>read(preview, "$.currency")).isEqualTo("CNY");
        assertThat(JsonPath.<String>read(preview, "$.expiresAt")).isEqualTo(voucher.get("expiresAt"));
        assertThat(preview).doesNotContain("alice");

        // A picture's code comes back to redeem with; a counter code's does too, never the voucher's own code.
        byte[] png = alice.get("/api/vouchers/" + voucher.get("id") + "/qr.png").exchange()
                .expectBody(byte[].class).returnResult().getResponseBody();
        http.post().uri("/api/redemptions/preview").headers(h -> h.setBearerAuth(bob.token()))
                .contentType(MediaType.MULTIPART_FORM_DATA)
                .body(BodyInserters.fromMultipartData(picture(png, "qr.png").build())).exchange()
                .expectStatus().isOk().expectBody().jsonPath("$.code").isEqualTo(code).jsonPath("$.amount").isEqualTo("88.80");
        String counterCode = (String) body(alice.get("/api/vouchers/" + voucher.get("id") + "/counter-code").exchange()
                .expectStatus().isOk()).get("code");
        bob.post("/api/redemptions/preview").bodyValue(Map.of("code", counterCode)).exchange()
                .expectStatus().isOk().expectBody().jsonPath("$.code").isEqualTo(counterCode).jsonPath("$.status").isEqualTo("UNUSED");

        alice.get("/api/vouchers/" + voucher.get("id")).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("UNUSED");
        bob.post("/api/redemptions").header("Prefer", "wait=20").bodyValue(Map.of("code", code, "accountId", "bob-cny"))
                .exchange().expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("SUCCEEDED");
        bob.post("/api/redemptions/preview").bodyValue(Map.of("code", code)).exchange()
                .expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("REDEEMED");
    }

    @Test
    void aPreviewOfACodeThatIsNotGenuineIsRefusedAndCountsTowardTheWrongCodes() {
        Map<String, Object> voucher = alice.issuedVoucher("3.10");
        String code = (String) voucher.get("code");
        String forged = code.substring(0, code.length() - 4) + (code.endsWith("AAAA") ? "BBBB" : "AAAA");
        ApiClient guesser = new ApiClient(http, "preview-guesser-" + System.nanoTime());

        for (String wrong : new String[] {forged, "QRV1.nonsense", "hello", forged + "x", "QRV1."}) {
            guesser.post("/api/redemptions/preview").bodyValue(Map.of("code", wrong)).exchange()
                    .expectStatus().isEqualTo(422).expectBody().jsonPath("$.code").isEqualTo("INVALID_CODE");
        }
        guesser.post("/api/redemptions/preview").bodyValue(Map.of("code", code)).exchange()
                .expectStatus().isEqualTo(429).expectHeader().exists("Retry-After")
                .expectBody().jsonPath("$.code").isEqualTo("TOO_MANY_WRONG_CODES");
        bob.post("/api/redemptions/preview").bodyValue(Map.of()).exchange()
                .expectStatus().isEqualTo(422).expectBody().jsonPath("$.code").isEqualTo("CODE_REQUIRED");
    }

    @Test
    void aPreviewOfAnOldCounterCodeIsRefusedAndOfACancelledVoucherSaysSo() {
        Map<String, Object> voucher = alice.issuedVoucher("1.20");
        String voucherId = (String) voucher.get("id");
        String photographed = new VoucherCodes(Base64.getDecoder().decode(CODE_SECRET))
                .counterCodeOf(voucherId, Instant.now().minus(VoucherCodes.COUNTER_STEP.multipliedBy(2)));

        bob.post("/api/redemptions/preview").bodyValue(Map.of("code", photographed)).exchange()
                .expectStatus().isEqualTo(422).expectBody().jsonPath("$.code").isEqualTo("CODE_EXPIRED");
        alice.post("/api/vouchers/" + voucherId + "/cancel").header("Prefer", "wait=20").exchange()
                .expectStatus().isOk().expectBody(Void.class);
        bob.post("/api/redemptions/preview").bodyValue(Map.of("code", voucher.get("code"))).exchange()
                .expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("CANCELLED");
    }

    @Test
    void aCodeThatIsNotGenuineIsRefusedAndGuessingIsRateLimited() {
        Map<String, Object> voucher = alice.issuedVoucher("3.00");
        String code = (String) voucher.get("code");
        String forged = code.substring(0, code.length() - 4) + (code.endsWith("AAAA") ? "BBBB" : "AAAA");
        ApiClient guesser = new ApiClient(http, "guesser-" + System.nanoTime());

        for (String wrong : new String[] {forged, "QRV1.nonsense", code.substring(0, code.length() - 1), "hello", "QRV1."}) {
            guesser.post("/api/redemptions").bodyValue(Map.of("code", wrong, "externalAccount",
                            Map.of("bank", "B", "name", "N", "number", "1")))
                    .exchange().expectStatus().isEqualTo(422)
                    .expectBody().jsonPath("$.code").isEqualTo("INVALID_CODE");
        }
        guesser.post("/api/redemptions").bodyValue(Map.of("code", code, "externalAccount",
                        Map.of("bank", "B", "name", "N", "number", "1")))
                .exchange().expectStatus().isEqualTo(429)
                .expectHeader().exists("Retry-After")
                .expectBody().jsonPath("$.code").isEqualTo("TOO_MANY_WRONG_CODES");
    }

    @Test
    void badDestinationsAreRefused() {
        Map<String, Object> voucher = alice.issuedVoucher("2.50");

        refused(Map.of("code", voucher.get("code"), "accountId", "alice-cny"), "ACCOUNT_NOT_FOUND");
        refused(Map.of("code", voucher.get("code"), "accountId", "bob-cny",
                "externalAccount", Map.of("bank", "B", "name", "N", "number", "1")), "AMBIGUOUS_DESTINATION");
        refused(Map.of("code", voucher.get("code"), "externalAccount", Map.of("bank", "B")), "INVALID_EXTERNAL_ACCOUNT");
        // A control character, which no bank's record holds and PostgreSQL refuses (NUL), is refused here, not by the
        // ledger; so is a formatting one, which makes a name read otherwise than it is (a right-to-left override, a
        // zero-width space), and a number the clearing cannot route.
        for (String name : List.of("A\u0000B", "A\nB", "A\u007fB", "A\u2028B", "Carol\u202Enehc", "Car\u200Bol")) {
            refused(Map.of("code", voucher.get("code"), "externalAccount", Map.of("bank", "B", "name", name, "number", "1")),
                    "INVALID_EXTERNAL_ACCOUNT");
        }
        for (String number : List.of("6222#0202", "6222_0202", "\u0666\u0662\u0662\u0662", "   ")) {
            refused(Map.of("code", voucher.get("code"), "externalAccount", Map.of("bank", "B", "name", "N", "number", number)),
                    "INVALID_EXTERNAL_ACCOUNT");
        }
        refused(Map.of("code", voucher.get("code"), "accountId", "bob-cny", "amount", "1.234"), "INVALID_AMOUNT");
        refused(Map.of("accountId", "bob-cny"), "CODE_REQUIRED");
    }

    @Test
    void theQrPictureIsForThePayerOnlyAndHoldsTheCode() throws Exception {
        Map<String, Object> voucher = alice.issuedVoucher("6.00");

        byte[] png = alice.get("/api/vouchers/" + voucher.get("id") + "/qr.png").exchange()
                .expectStatus().isOk()
                .expectHeader().contentType(MediaType.IMAGE_PNG)
                .expectBody(byte[].class).returnResult().getResponseBody();

        assertThat(decode(ImageIO.read(new ByteArrayInputStream(png)))).isEqualTo(voucher.get("code"));
        bob.get("/api/vouchers/" + voucher.get("id") + "/qr.png").exchange().expectStatus().isNotFound().expectBody(Void.class);
    }

    @Test
    void aPhotoOfTheQrCodeStillRedeems() throws Exception {
        Map<String, Object> voucher = alice.issuedVoucher("11.00");
        byte[] png = alice.get("/api/vouchers/" + voucher.get("id") + "/qr.png").exchange()
                .expectBody(byte[].class).returnResult().getResponseBody();

        byte[] photo = PhonePhotos.of(png);

        bob.post("/api/redemptions").header("Prefer", "wait=20")
                .contentType(MediaType.MULTIPART_FORM_DATA)
                .body(BodyInserters.fromMultipartData(picture(photo, "photo.jpg").build()))
                .exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("SUCCEEDED").jsonPath("$.amount").isEqualTo("11.00");
    }

    @Test
    void picturesThatAreNotQrCodesAreRefused() throws Exception {
        BufferedImage blank = new BufferedImage(200, 200, BufferedImage.TYPE_INT_RGB);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(blank, "png", png);

        upload(picture(png.toByteArray(), "blank.png")).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.code").isEqualTo("QR_UNREADABLE");
        upload(picture("not a picture".getBytes(), "text.png")).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.code").isEqualTo("INVALID_IMAGE");
        // Refused by the upload's bound (max-image-size and 64 KB), not by the multipart parser's (which leaks
        // buffers), as its last bytes come: a picture as large as the bound, its form just past it. Not much further,
        // or the connection, closed after the answer, is reset under a client still sending, before it reads the 413.
        http.post().uri("/api/redemptions").headers(h -> {
                    h.setBearerAuth(bob.token());
                    h.setConnection("close");
                })
                .contentType(MediaType.MULTIPART_FORM_DATA)
                .body(BodyInserters.fromMultipartData(picture(new byte[2 * 1024 * 1024 + 64 * 1024], "huge.png").build()))
                .exchange()
                .expectStatus().isEqualTo(413)
                .expectBody().jsonPath("$.detail").value(detail -> assertThat(detail.toString())
                        .startsWith("A picture upload may be at most"));
        MultipartBodyBuilder noImage = new MultipartBodyBuilder();
        noImage.part("accountId", "bob-cny");
        upload(noImage).expectStatus().isEqualTo(422).expectBody().jsonPath("$.code").isEqualTo("IMAGE_REQUIRED");
    }

    @Test
    void anUploadDeclaredLargerThanAPictureIsRefusedBeforeItsBodyIsSent() throws Exception {
        RawAnswer answer = overSocket("POST /api/redemptions HTTP/1.1\r\nHost: localhost\r\n"
                + "Authorization: Bearer " + bob.token() + "\r\n"
                + "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: " + 10 * 1024 * 1024 + "\r\n\r\n");

        assertThat(answer.status()).startsWith("HTTP/1.1 413 ");
        assertThat(answer.headers()).contains("connection: close", "content-type: application/problem+json");
        assertThat(answer.body()).as("the answer's body, then the connection closed").isNotEmpty();
    }

    @Test
    void anUploadWhoseContentTypeCannotBeReadIsRefusedAsMalformed() {
        bob.post("/api/redemptions").header("Content-Type", "multipart").bodyValue("image")
                .exchange()
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.code").isEqualTo("MALFORMED_REQUEST");
    }

    /** A part beyond the parser's memory goes to a file on disk: it must go once the form is answered, read or not. */
    @Test
    void anUploadKeptOnDiskWhileItIsReadLeavesNoFileBehind() throws Exception {
        byte[] large = new byte[600 * 1024];
        new Random(7).nextBytes(large);
        MultipartBodyBuilder twoLargeParts = picture(large, "large.png");
        twoLargeParts.part("unasked", new ByteArrayResource(large) {
            @Override
            public String getFilename() {
                return "unasked.bin";
            }
        });

        upload(picture(large, "large.png")).expectStatus().isEqualTo(422).expectBody(Void.class);
        upload(twoLargeParts).expectStatus().isEqualTo(422).expectBody(Void.class);
        http.post().uri("/api/redemptions/preview").headers(h -> h.setBearerAuth(bob.token()))
                .contentType(MediaType.MULTIPART_FORM_DATA)
                .body(BodyInserters.fromMultipartData(picture(large, "large.png").build())).exchange()
                .expectStatus().isEqualTo(422).expectBody(Void.class);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(multipartFiles()).isEmpty());
    }

    /** The parts the multipart parser has on disk. */
    private static List<Path> multipartFiles() throws IOException {
        try (Stream<Path> files = Files.list(MULTIPART_FILES)) {
            return files.toList();
        }
    }


    /** A field sent as a file, twice or misspelt, used to be taken as not sent: an amount so lost redeemed the whole voucher. */
    @Test
    void aFormFieldSentAsAFileOrTwiceIsRefusedAndTheVoucherIsLeftAsItWas() {
        Map<String, Object> voucher = alice.issuedVoucher("6.00");
        byte[] png = alice.get("/api/vouchers/" + voucher.get("id") + "/qr.png").exchange()
                .expectBody(byte[].class).returnResult().getResponseBody();
        MultipartBodyBuilder amountAsAFile = picture(png, "qr.png");
        amountAsAFile.part("amount", new ByteArrayResource("2.00".getBytes(StandardCharsets.UTF_8)) {
            @Override
            public String getFilename() {
                return "amount.txt";
            }
        });
        MultipartBodyBuilder amountTwice = picture(png, "qr.png");
        amountTwice.part("amount", "2.00");
        amountTwice.part("amount", "3.00");
        MultipartBodyBuilder amountMisspelt = picture(png, "qr.png");
        amountMisspelt.part("Amount", "2.00");

        for (MultipartBodyBuilder form : List.of(amountAsAFile, amountTwice, amountMisspelt)) {
            upload(form).expectStatus().isEqualTo(422).expectBody().jsonPath("$.code").isEqualTo("INVALID_FORM_FIELD");
        }
        alice.get("/api/vouchers/" + voucher.get("id")).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("UNUSED");
    }

    /** The same in JSON: a field the call does not take, or one sent twice (the last one was taken), is refused. */
    @Test
    void aRedemptionWithAFieldMisspeltOrSentTwiceIsRefusedAndTheVoucherIsLeftAsItWas() {
        Map<String, Object> voucher = alice.issuedVoucher("6.00");
        String code = (String) voucher.get("code");
        Map<String, String> refusedFor = Map.of(
                "{\"code\": \"" + code + "\", \"amont\": \"2.00\", \"accountId\": \"bob-cny\"}",
                "`amont` is not a member this call takes; it takes accountId, amount, code, externalAccount",
                "{\"code\": \"" + code + "\", \"amount\": \"2.00\", \"amount\": \"6.00\", \"accountId\": \"bob-cny\"}",
                "`amount` is given twice");
        refusedFor.forEach((body, detail) -> bob.post("/api/redemptions").bodyValue(body).exchange()
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.code").isEqualTo("MALFORMED_REQUEST").jsonPath("$.detail").isEqualTo(detail));
        alice.get("/api/vouchers/" + voucher.get("id")).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("UNUSED");
    }

    @Test
    void aFormWhosePartHeadersCannotBeReadIsRefusedAsMalformed() throws Exception {
        for (String headers : List.of("Content-Disposition: form-data; name=\"image\"; filename=\"qr.png\"\r\nContent-Type: foo",
                "Content-Disposition: nonsense")) {
            String form = "--b\r\n" + headers + "\r\n\r\nnot a picture\r\n--b--\r\n";
            formRefusedAsMalformed(form);
        }
    }

    private void formRefusedAsMalformed(String form) throws Exception {
        for (String path : List.of("/api/redemptions", "/api/redemptions/preview")) {
            RawAnswer answer = overSocket("POST " + path + " HTTP/1.1\r\nHost: localhost\r\n"
                    + "Authorization: Bearer " + bob.token() + "\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                    + "Content-Length: " + form.length() + "\r\nConnection: close\r\n\r\n" + form);

            assertThat(answer.status()).as(path).startsWith("HTTP/1.1 400 ");
            assertThat(answer.body()).contains("\"code\":\"MALFORMED_REQUEST\"");
        }
    }

    /** Before authentication too: the header is read by the first filter, which answered 500 when it could not. */
    @Test
    void aRequestWhoseContentTypeCannotBeReadIsRefusedWithAProblem() throws Exception {
        for (String type : List.of("foo", "application/json; charset=bogus")) {
            RawAnswer answer = overSocket("GET /api/accounts HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + type
                    + "\r\nConnection: close\r\n\r\n");

            assertThat(answer.status()).as(type).startsWith("HTTP/1.1 415 ");
            assertThat(answer.headers()).contains("content-type: application/problem+json");
            assertThat(answer.body()).contains("\"code\":\"UNSUPPORTED_MEDIA_TYPE\"");
        }
    }

    /**
     * Sends a request exactly as written (WebTestClient would rewrite the headers these tests need unreadable) and
     * reads its answer until the server closes the connection.
     */
    private RawAnswer overSocket(String request) throws IOException {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();

            BufferedReader answer = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String status = answer.readLine();
            List<String> headers = answer.lines().takeWhile(line -> !line.isEmpty()).map(String::toLowerCase).toList();
            return new RawAnswer(status, headers, answer.lines().collect(Collectors.joining()));
        }
    }

    /** An answer as it came over the wire; header lines in lower case. */
    private record RawAnswer(String status, List<String> headers, String body) {
    }

    @Test
    void aCustomerUploadingPicturesWithoutEndIsRefusedReadableOrNot() throws Exception {
        ApiClient uploader = new ApiClient(http, "uploader-" + System.nanoTime());
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB), "png", png);

        for (int i = 0; i < 30; i++) {
            upload(uploader, picture(png.toByteArray(), "blank.png")).expectStatus().isEqualTo(422).expectBody(Void.class);
        }
        upload(uploader, picture(png.toByteArray(), "blank.png")).expectStatus().isEqualTo(429)
                .expectHeader().exists("Retry-After")
                .expectBody().jsonPath("$.code").isEqualTo("TOO_MANY_PICTURES");
        // Another customer's uploads are counted apart.
        upload(picture(png.toByteArray(), "blank.png")).expectStatus().isEqualTo(422).expectBody(Void.class);
    }

    @Test
    void aClientLoopingOnAUsedCodeIsStoppedLikeAGuesser() {
        ApiClient looper = new ApiClient(http, "looper-" + System.nanoTime());
        Map<String, Object> request = redeemedToAnotherBank(looper, "1.25", null);

        fiveMoreAttemptsThenRefused(looper, request, () -> null);
    }

    @Test
    void aClientLoopingOnAUsedCodeWithANewKeyEachTimeIsStoppedTooButRetriesOfItsFirstRequestAreNot() {
        ApiClient looper = new ApiClient(http, "key-looper-" + System.nanoTime());
        String firstKey = UUID.randomUUID().toString();
        Map<String, Object> request = redeemedToAnotherBank(looper, "1.26", firstKey);

        for (int i = 0; i < 6; i++) {
            attempt(looper, request, firstKey).expectStatus().is2xxSuccessful().expectBody(Void.class);
        }
        fiveMoreAttemptsThenRefused(looper, request, () -> UUID.randomUUID().toString());
    }

    /** Redeems a new voucher of alice's to another bank as {@code payee}, with the key if given; the request sent. */
    private Map<String, Object> redeemedToAnotherBank(ApiClient payee, String amount, String key) {
        Map<String, Object> voucher = alice.issuedVoucher(amount);
        Map<String, Object> request = Map.of("code", voucher.get("code"), "externalAccount",
                Map.of("bank", "B", "name", "N", "number", "1"));
        attempt(payee, request, key, "wait=20")
                .expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("SUCCEEDED");
        return request;
    }

    /** Five more new attempts on the used code pass, each counted; the sixth is stopped like a guesser's. */
    private static void fiveMoreAttemptsThenRefused(ApiClient looper, Map<String, Object> request,
                                                    Supplier<String> keys) {
        for (int i = 0; i < 5; i++) {
            attempt(looper, request, keys.get()).expectStatus().is2xxSuccessful().expectBody(Void.class);
        }
        attempt(looper, request, keys.get())
                .expectStatus().isEqualTo(429)
                .expectBody().jsonPath("$.code").isEqualTo("TOO_MANY_WRONG_CODES");
    }

    private static WebTestClient.ResponseSpec attempt(ApiClient payee, Map<String, Object> request, String key) {
        return attempt(payee, request, key, null);
    }

    private static WebTestClient.ResponseSpec attempt(ApiClient payee, Map<String, Object> request, String key,
                                                      String prefer) {
        return payee.post("/api/redemptions").headers(h -> {
            if (key != null) {
                h.set("Idempotency-Key", key);
            }
            if (prefer != null) {
                h.set("Prefer", prefer);
            }
        }).bodyValue(request).exchange();
    }

    @Test
    void aCounterCodeFromTwoStepsAgoIsRefusedAndTheOneShownNowRedeemsOnce() {
        Map<String, Object> voucher = alice.issuedVoucher("2.75");
        String voucherId = (String) voucher.get("id");
        Map<String, Object> shown = body(alice.get("/api/vouchers/" + voucherId + "/counter-code").exchange()
                .expectStatus().isOk().expectHeader().cacheControl(CacheControl.noStore()));
        // What a photo of the screen taken a minute ago holds: made with the bank's key, two steps back.
        String photographed = new VoucherCodes(Base64.getDecoder().decode(CODE_SECRET))
                .counterCodeOf(voucherId, Instant.now().minus(VoucherCodes.COUNTER_STEP.multipliedBy(2)));
        ApiClient queue = new ApiClient(http, "someone-in-the-queue-" + System.nanoTime());
        Map<String, Object> elsewhere = Map.of("bank", "B", "name", "N", "number", "1");

        queue.post("/api/redemptions").bodyValue(Map.of("code", photographed, "externalAccount", elsewhere)).exchange()
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.code").isEqualTo("CODE_EXPIRED");
        assertThat((String) shown.get("code")).startsWith("QRC1.").isNotEqualTo(voucher.get("code"));
        assertThat(Instant.parse((String) shown.get("refreshAt"))).isAfter(Instant.now().minusSeconds(1));
        bob.post("/api/redemptions").header("Prefer", "wait=20")
                .bodyValue(Map.of("code", shown.get("code"), "accountId", "bob-cny")).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("SUCCEEDED").jsonPath("$.amount").isEqualTo("2.75");
        queue.post("/api/redemptions").header("Prefer", "wait=20")
                .bodyValue(Map.of("code", shown.get("code"), "externalAccount", elsewhere)).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("REJECTED").jsonPath("$.reason").isEqualTo("ALREADY_REDEEMED");
    }

    @Test
    void onlyThePayerGetsACounterCodeAndOnlyWhileTheVoucherIsUnused() {
        Map<String, Object> voucher = alice.issuedVoucher("1.10");
        String counterCode = "/api/vouchers/" + voucher.get("id") + "/counter-code";

        bob.get(counterCode).exchange().expectStatus().isNotFound().expectBody(Void.class);
        alice.get("/api/vouchers/" + voucher.get("id") + "/counter-qr.png").exchange()
                .expectStatus().isOk().expectHeader().contentType(MediaType.IMAGE_PNG).expectBody(Void.class);
        alice.post("/api/vouchers/" + voucher.get("id") + "/cancel").header("Prefer", "wait=20").exchange()
                .expectStatus().isOk().expectBody(Void.class);
        alice.get(counterCode).exchange().expectStatus().isEqualTo(409)
                .expectBody().jsonPath("$.code").isEqualTo("VOUCHER_NOT_USABLE");
    }

    @Test
    void aRedemptionIsVisibleToItsPayeeOnly() {
        Map<String, Object> voucher = alice.issuedVoucher("1.50");
        String location = bob.post("/api/redemptions")
                .bodyValue(Map.of("code", voucher.get("code"), "accountId", "bob-cny"))
                .exchange().expectStatus().isAccepted()
                .expectBody().jsonPath("$.status").isEqualTo("PENDING")
                .returnResult().getResponseHeaders().getLocation().toString();

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                bob.get(location).exchange().expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("SUCCEEDED"));
        carol.get(location).exchange().expectStatus().isNotFound().expectBody(Void.class);
        alice.get(location).exchange().expectStatus().isNotFound().expectBody(Void.class);
    }

    private void refused(Map<String, Object> request, String code) {
        bob.post("/api/redemptions").bodyValue(request).exchange()
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.code").isEqualTo(code);
    }

    private WebTestClient.ResponseSpec upload(MultipartBodyBuilder form) {
        return upload(bob, form);
    }

    private WebTestClient.ResponseSpec upload(ApiClient payee, MultipartBodyBuilder form) {
        return http.post().uri("/api/redemptions").headers(h -> h.setBearerAuth(payee.token()))
                .contentType(MediaType.MULTIPART_FORM_DATA)
                .body(BodyInserters.fromMultipartData(form.build()))
                .exchange();
    }

    private static MultipartBodyBuilder picture(byte[] bytes, String name) {
        MultipartBodyBuilder form = new MultipartBodyBuilder();
        form.part("image", new ByteArrayResource(bytes) {
            @Override
            public String getFilename() {
                return name;
            }
        });
        form.part("accountId", "bob-cny");
        return form;
    }

    private static String decode(BufferedImage image) throws Exception {
        return new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(new BufferedImageLuminanceSource(image))),
                Map.of(DecodeHintType.PURE_BARCODE, Boolean.TRUE)).getText();
    }
}
