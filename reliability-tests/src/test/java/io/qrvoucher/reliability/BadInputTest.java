package io.qrvoucher.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import io.qrvoucher.avro.CancelVoucher;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.schemas.DeadLetterHeaders;

/**
 * Whatever a client sends, and whatever lands on an input topic, gets a 4xx or a dead letter with a
 * reason; the services keep serving and the money invariants still hold.
 */
@org.junit.jupiter.api.Order(2)
class BadInputTest {

    private final PipelineStack stack = SharedStack.get();
    private final Map<String, String> tokens = SharedStack.tokens();
    private final Api api = new Api(stack.apiUrls());

    @Test
    void aFuzzerOfTheHttpApiGetsOnly4xxAndTheApiKeepsServing() throws IOException {
        Random random = new Random(20261126);
        String code = issuedCode();
        List<String> bodies = new ArrayList<>(List.of(
                "", "{", "}", "null", "[]", "\"text\"", "{\"amount\": 12}", "{\"amount\": [1]}", "{\"currency\": {}}",
                "{\"accountId\": null, \"amount\": null, \"currency\": null}", "{\"expiresAt\": 12}",
                "[".repeat(50_000) + "]".repeat(50_000), "{\"a\":" .repeat(5_000) + "1" + "}".repeat(5_000),
                "{\"accountId\": \"" + "x".repeat(200_000) + "\"}", "{\"amount\": \"1e309\", \"currency\": \"CNY\", \"accountId\": \"alice-cny\"}",
                "{\"amount\": \"99999999999999999999999\", \"currency\": \"CNY\", \"accountId\": \"alice-cny\"}",
                "{\"code\": \"" + code.substring(0, code.length() - 3) + "\"}", "{\"code\": \"" + code.replace('A', 'B') + "x\"}",
                "{\"code\": 42}", "{\"code\": \"QRV1.\\u0000\"}", "\u0000\u0001\u0002"));
        String valid = "{\"accountId\":\"alice-cny\",\"amount\":\"1.00\",\"currency\":\"CNY\"}";
        for (int i = 0; i < 300; i++) {
            bodies.add(mutate(valid, random));
            bodies.add(mutate("{\"code\":\"" + code + "\",\"accountId\":\"bob-cny\",\"amount\":\"0.10\"}", random));
        }
        List<String> paths = List.of("/api/vouchers", "/api/redemptions", "/api/settings", "/api/vouchers/"
                + UUID.randomUUID() + "/cancel");
        List<String> tokensToTry = List.of("", "garbage", tokens.get("bob").substring(0, 40),
                tokens.get("bob").substring(0, tokens.get("bob").length() - 5) + "xxxxx",
                "eyJhbGciOiJub25lIn0.eyJzdWIiOiJib2IifQ.");

        int requests = 0;
        for (String body : bodies) {
            for (String path : paths) {
                Api.Response response = api.sendRaw(path.equals("/api/settings") ? "PUT" : "POST", path,
                        tokens.get("bob"), null, "application/json", body);
                requests++;
                assertThat(response.status()).as("%s %s", path, abbreviate(body)).isBetween(200, 499);
            }
        }
        for (String token : tokensToTry) {
            assertThat(api.sendRaw("GET", "/api/accounts", token, null, null, null).status()).isEqualTo(401);
        }
        // Headers that cannot be parsed: the request's Content-Type, and those of a form's part.
        List<String> contentTypes = List.of("foo", "/", "application/json; charset=bogus", "text/plain; ;", "multipart",
                "multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"unclosed");
        for (String type : contentTypes) {
            for (String path : paths) {
                requests++;
                assertThat(api.sendRaw("POST", path, tokens.get("bob"), null, type, valid).status())
                        .as("%s with Content-Type %s", path, type).isBetween(200, 499);
            }
        }
        for (String partHeaders : List.of("Content-Disposition: form-data; name=\"image\"; filename=\"x.png\"\r\nContent-Type: foo",
                "Content-Disposition: form-data; name=\"image\"; x", "Content-Disposition: nonsense",
                "Content-Disposition: form-data; name=\"amount\"; filename=\"a.txt\"", "Content-Disposition: form-data")) {
            requests++;
            assertThat(upload(partHeaders, new byte[] {(byte) 0x89, 'P', 'N', 'G'})).as(partHeaders).isBetween(400, 499);
        }
        for (String query : List.of("cursor=" + "_".repeat(1024), "cursor=" + "_".repeat(1023), "cursor=AAAA%00",
                "role=payer&cursor=" + "8J-Yg".repeat(200), "size=1&size=2", "from=%FF")) {
            requests++;
            assertThat(api.sendRaw("GET", "/api/vouchers?" + query, tokens.get("bob"), null, null, null).status())
                    .as(query).isBetween(200, 499);
        }
        for (byte[] picture : List.of(new byte[0], new byte[] {(byte) 0x89, 'P', 'N', 'G'}, randomBytes(random, 5000))) {
            assertThat(uploadPicture(picture)).isBetween(400, 499);
        }
        assertThat(uploadDeclared(3 * 1024 * 1024)).as("a picture larger than the bound").isBetween(400, 499);
        System.out.printf("fuzzer: %d requests, %d tokens, 4 pictures, no 5xx%n", requests, tokensToTry.size());

        assertThat(api.send("GET", "/api/accounts", tokens.get("alice"), null, null).status()).isEqualTo(200);
        assertThat(issuedCode()).startsWith("QRV1.");
    }

    @Test
    void poisonRecordsOnEveryInputTopicAreDeadLetteredWithAReasonAndProcessingGoesOn() {
        byte[] validRequest = AvroSerde.of(VoucherRequest.class).encode(
                new VoucherRequest("r", "v-poison", "alice", Instant.now(), new CancelVoucher()));
        List<byte[]> poisons = List.of("not avro".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xC3, 0x01},
                new byte[] {(byte) 0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9}, new byte[0]);
        // Written as an operator: only a client with the right to write these topics could get poison onto them.
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(stack.adminConfig(), new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (String topic : List.of("voucher-requests", "ledger-results", "ledger-commands")) {
                for (byte[] poison : poisons) {
                    producer.send(new ProducerRecord<>(topic, "poison".getBytes(StandardCharsets.UTF_8), poison));
                }
            }
            // A readable request under another voucher's key would break per-voucher ordering: refused too.
            producer.send(new ProducerRecord<>("voucher-requests", "another".getBytes(StandardCharsets.UTF_8), validRequest));
            producer.flush();
        }

        List<ConsumerRecord<byte[], byte[]>> voucherLetters = readAll("voucher-dead-letters", 2 * poisons.size() + 1);
        List<ConsumerRecord<byte[], byte[]>> ledgerLetters = readAll("ledger-dead-letters", poisons.size());

        assertThat(voucherLetters).hasSizeGreaterThanOrEqualTo(2 * poisons.size() + 1)
                .allSatisfy(letter -> assertThat(letter.headers().lastHeader(DeadLetterHeaders.REASON)).isNotNull());
        assertThat(ledgerLetters).hasSizeGreaterThanOrEqualTo(poisons.size())
                .allSatisfy(letter -> assertThat(letter.headers().lastHeader(DeadLetterHeaders.REASON)).isNotNull());
        assertThat(issuedCode()).as("the pipeline still issues vouchers").startsWith("QRV1.");
        assertThat(new Invariants(api, tokens, stack.database().jdbc()).totalOfAllBalances()).isZero();
    }

    private String issuedCode() {
        Api.Response voucher = api.send("POST", "/api/vouchers", tokens.get("alice"), "wait=20",
                Map.of("accountId", "alice-cny", "amount", "0.50", "currency", "CNY"));
        assertThat(voucher.status()).as(voucher.raw()).isEqualTo(200);
        return voucher.string("code");
    }

    private int uploadPicture(byte[] picture) {
        return upload("Content-Disposition: form-data; name=\"image\"; filename=\"x.png\"\r\nContent-Type: image/png",
                picture);
    }

    /**
     * The status of an upload declared this long, as a client that waits for {@code 100 Continue} before sending a large
     * body reads it. Sent whole, its answer could be lost: the ingress answers an upload declared larger than its bound
     * at once and closes the connection with the body unread, under a client still sending it (UploadLimit).
     */
    private int uploadDeclared(long contentLength) throws IOException {
        URI base = URI.create(api.baseUrl());
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("POST /api/redemptions HTTP/1.1\r\nHost: " + base.getAuthority() + "\r\n"
                    + "Authorization: Bearer " + tokens.get("bob") + "\r\n"
                    + "Content-Type: multipart/form-data; boundary=fuzz\r\nContent-Length: " + contentLength + "\r\n"
                    + "Expect: 100-continue\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();
            return statusLine == null ? -1 : Integer.parseInt(statusLine.split(" ")[1]);
        }
    }

    /** A redemption form of one part with these headers and this content. */
    private int upload(String partHeaders, byte[] content) {
        String boundary = "fuzz" + UUID.randomUUID();
        byte[] head = ("--" + boundary + "\r\n" + partHeaders + "\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[head.length + content.length + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        System.arraycopy(content, 0, body, head.length, content.length);
        System.arraycopy(tail, 0, body, head.length + content.length, tail.length);
        return api.exchange(HttpRequest.newBuilder(URI.create(api.baseUrl() + "/api/redemptions"))
                .header("Authorization", "Bearer " + tokens.get("bob"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build()).status();
    }

    private List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int atLeast) {
        Map<String, Object> config = new HashMap<>(stack.adminConfig());
        config.putAll(Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, "dead-letters-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            await(topic).atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(300)).forEach(records::add);
                return records.size() >= atLeast;
            });
            return records;
        }
    }

    private static String mutate(String json, Random random) {
        StringBuilder mutated = new StringBuilder(json);
        for (int edits = 1 + random.nextInt(4); edits > 0 && mutated.length() > 0; edits--) {
            int at = random.nextInt(mutated.length());
            switch (random.nextInt(4)) {
                case 0 -> mutated.deleteCharAt(at);
                case 1 -> mutated.insert(at, (char) random.nextInt(32, 127));
                case 2 -> mutated.setCharAt(at, (char) random.nextInt(0, 0x3000));
                default -> mutated.setLength(at);
            }
        }
        return mutated.toString();
    }

    private static byte[] randomBytes(Random random, int size) {
        byte[] bytes = new byte[size];
        random.nextBytes(bytes);
        return bytes;
    }

    private static String abbreviate(String body) {
        return body.length() > 80 ? body.substring(0, 80) + "…(" + body.length() + ")" : body;
    }
}
