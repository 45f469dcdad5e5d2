package io.qrvoucher.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

import io.qrvoucher.support.internal.InternalApi;
import io.qrvoucher.webhook.core.WebhookSignature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The README's demo, against the real launcher: alice generates a voucher, bob redeems it, both with
 * the same HTTP calls as the README's curl lines; then the pipeline restarts from its data folder and
 * still knows everything. A customer's webhook on this machine gets their events, signed. And what operators
 * find: each service's health on its management port, the ledger's admin API, and every metric the alert rules
 * and the dashboard of docs/monitoring name.
 */
class EmbeddedPipelineTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void theDemoFlowWorksAndSurvivesARestart(@TempDir Path data) throws Exception {
        List<String> arguments = TestOptions.arguments(data);
        String voucherId;
        try (EmbeddedPipeline pipeline = EmbeddedPipeline.start(TestOptions.with(arguments, "--partitions=2"))) {
            String api = pipeline.apiUrl();
            String alice = token(api, "alice");
            String bob = token(api, "bob");

            Map<String, Object> voucher = call("POST", api + "/api/vouchers", alice, "wait=20",
                    "{\"accountId\":\"alice-cny\",\"amount\":\"88.80\",\"currency\":\"CNY\"}");
            assertThat(voucher).containsEntry("status", "UNUSED");
            voucherId = (String) voucher.get("id");

            Map<String, Object> redemption = call("POST", api + "/api/redemptions", bob, "wait=20",
                    "{\"code\":\"" + voucher.get("code") + "\",\"accountId\":\"bob-cny\"}");
            assertThat(redemption).containsEntry("status", "SUCCEEDED").containsEntry("amount", "88.80");
            // An endpoint for an event that does not come here: it is kept in the webhooks database.
            call("POST", api + "/api/webhooks", token(api, "carol"), null,
                    "{\"url\":\"http://localhost:1/hooks\",\"eventTypes\":[\"EXPIRED\"]}");
        }

        // Started again without --partitions: the topics keep the count they were made with.
        try (EmbeddedPipeline restarted = EmbeddedPipeline.start(TestOptions.with(arguments))) {
            assertThat(PipelineTopics.partitionCounts(restarted.bootstrapServers()))
                    .containsOnlyKeys(PipelineTopics.ALL).allSatisfy((topic, count) -> assertThat(count).isEqualTo(2));
            String api = restarted.apiUrl();
            String alice = token(api, "alice");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(call("GET", api + "/api/vouchers/" + voucherId, alice, null, null))
                            .containsEntry("status", "REDEEMED"));
            List<?> accounts = json.readValue(send("GET", api + "/api/accounts", alice, null, null), List.class);
            assertThat(((Map<?, ?>) accounts.get(0)).get("balance")).isEqualTo("9911.20");
            List<?> endpoints = json.readValue(send("GET", api + "/api/webhooks", token(api, "carol"), null, null), List.class);
            assertThat(endpoints).hasSize(1);
            assertThat(((Map<?, ?>) endpoints.get(0)).get("url")).isEqualTo("http://localhost:1/hooks");
        }

        // Another count, given: refused, since a voucher's key would move to another partition, away from its state.
        assertThatThrownBy(() -> EmbeddedPipeline.start(TestOptions.with(arguments, "--partitions=3")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("other partition counts than 3").hasMessageContaining("voucher-requests=2");
    }

    /** A port taken, or given twice, is named before anything starts: not found out half-way by the service of it. */
    @Test
    void aTakenPortIsNamedBeforeAnythingStarts(@TempDir Path data) throws IOException {
        List<String> arguments = TestOptions.arguments(data);
        EmbeddedPipeline.Options options = TestOptions.with(arguments);
        try (ServerSocket taken = new ServerSocket(options.httpPort(), 50, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> EmbeddedPipeline.start(options)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Port " + options.httpPort() + " (--http-port) is taken");
        }
        assertThatThrownBy(() -> EmbeddedPipeline.start(TestOptions.with(arguments,
                "--webhook-port=" + options.ledgerPort()))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Port " + options.ledgerPort() + " is given twice, to --ledger-port and --webhook-port");
        assertThat(data.resolve("kafka")).doesNotExist();
        assertThat(data.resolve("postgres")).doesNotExist();
    }

    /** --reset empties a run's folder only: a mistyped --data-dir (the project, the home folder) is not wiped. */
    @Test
    void resetWipesARunsDataFolderAndNothingElse(@TempDir Path folder) throws IOException {
        Path precious = Files.writeString(folder.resolve("thesis.txt"), "years of work");

        assertThatThrownBy(() -> EmbeddedPipeline.start(EmbeddedPipeline.Options.parse("--data-dir=" + folder, "--reset")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no secrets.properties");
        assertThat(precious).hasContent("years of work");
        // A folder a run has already used, by mistake, beside what was there: still not wiped.
        Secrets.loadOrCreate(folder.resolve("secrets.properties"));
        assertThatThrownBy(() -> EmbeddedPipeline.start(EmbeddedPipeline.Options.parse("--data-dir=" + folder, "--reset")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("holds what no run keeps there (thesis.txt)");
        assertThat(precious).hasContent("years of work");
        // A folder of another PostgreSQL's, named as a run's would be: no keys of a run, not wiped.
        Path someonesDatabase = Files.createDirectories(folder.resolve("elsewhere").resolve("postgres"));
        assertThatThrownBy(() -> EmbeddedPipeline.start(EmbeddedPipeline.Options.parse(
                "--data-dir=" + someonesDatabase.getParent(), "--reset")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no secrets.properties");
        assertThat(someonesDatabase).exists();
        assertThatThrownBy(() -> EmbeddedPipeline.Options.parse("--data-dir=" + folder, "--reset=false"))
                .as("a value is no way to say 'do not wipe'").isInstanceOf(IllegalArgumentException.class);
    }

    /** The services call one another at localhost: they listen there, or everywhere, and nowhere else. */
    @Test
    void theServicesListenOnLoopbackOrEveryInterfaceOnly() {
        assertThat(EmbeddedPipeline.Options.parse().bind()).isEqualTo("127.0.0.1");
        assertThat(EmbeddedPipeline.Options.parse("--bind=0.0.0.0").bind()).isEqualTo("0.0.0.0");
        assertThatThrownBy(() -> EmbeddedPipeline.Options.parse("--bind=192.0.2.2"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at localhost");
        assertThatThrownBy(() -> EmbeddedPipeline.Options.parse("--partitions=0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--partitions is at least 1");
    }

    /** One pipeline for the checks that do not restart it. */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Running {

        private EmbeddedPipeline.Options options;
        private EmbeddedPipeline pipeline;

        @BeforeAll
        void start(@TempDir Path data) throws IOException {
            options = TestOptions.in(data);
            pipeline = EmbeddedPipeline.start(options);
        }

        @AfterAll
        void stop() {
            pipeline.close();
        }

        @Test
        void theIngressAnswersHealthOnItsManagementPortAndNotWithTheApi() throws Exception {
            assertThat(status(pipeline.managementUrl() + "/actuator/health/readiness")).isEqualTo(200);
            assertThat(status(pipeline.apiUrl() + "/actuator/health/readiness")).isEqualTo(404);
        }

        @Test
        void anOperatorReadsAnInternalApiWithTheRunsKeyAndNobodyWithoutIt() throws Exception {
            URI stalled = URI.create("http://localhost:" + options.streamsPort() + "/internal/stalled-vouchers");
            HttpResponse<String> sealed = InternalCall.get(stalled,
                    pipeline.secrets().internalCallee(InternalApi.VOUCHER_STREAMS));
            assertThat(sealed.statusCode()).isEqualTo(200);
            assertThat(sealed.body()).startsWith("[");

            assertThat(status(stalled.toString())).isEqualTo(401);
            assertThat(status(pipeline.webhookUrl() + "/internal/customers/alice/webhooks")).isEqualTo(401);
            assertThat(InternalCall.get(stalled, Secrets.random().internalCallee(InternalApi.VOUCHER_STREAMS))
                    .statusCode()).isEqualTo(401);
            // Each service holds only its own key: webhook-delivery's (or the ledger's) does not open voucher-streams.
            assertThat(InternalCall.get(stalled, pipeline.secrets().internalCallee(InternalApi.WEBHOOK_DELIVERY))
                    .statusCode()).isEqualTo(401);
            assertThat(InternalCall.get(URI.create(pipeline.webhookUrl() + "/internal/customers/alice/webhooks"),
                    pipeline.secrets().internalCallee(InternalApi.WEBHOOK_DELIVERY)).statusCode()).isEqualTo(200);
        }

        /** The demo signs anyone in as anyone: nothing of it answers another machine unless told to (--bind). */
        @Test
        void theServicesListenForThisMachineOnly() throws Exception {
            Optional<InetAddress> outward = NetworkInterface.networkInterfaces()
                    .filter(network -> !isLoopback(network))
                    .flatMap(NetworkInterface::inetAddresses)
                    .filter(address -> address instanceof Inet4Address)
                    .findFirst();
            assumeTrue(outward.isPresent(), "this machine has no address but loopback's");
            for (int port : new int[] {options.httpPort(), options.managementPort(), options.ledgerPort(),
                    options.ledgerManagementPort(), options.streamsPort(), options.streamsManagementPort(),
                    options.webhookPort(), options.webhookManagementPort()}) {
                try (Socket socket = new Socket()) {
                    assertThatThrownBy(() -> socket.connect(new InetSocketAddress(outward.get(), port), 2000))
                            .as("port %d on %s", port, outward.get()).isInstanceOf(ConnectException.class);
                }
            }
            assertThat(status(pipeline.apiUrl() + "/api/vouchers")).as("on this machine").isEqualTo(401);
        }

        /** Health with its details, and metrics, for operators and Prometheus: not to whoever reaches the internal API. */
        @Test
        void voucherStreamsAnswersHealthOnItsManagementPortAndNotOnItsInternalApi() throws Exception {
            assertThat(status(pipeline.streamsManagementUrl() + "/actuator/health/readiness")).isEqualTo(200);
            for (String actuator : List.of("/actuator/health", "/actuator/health/readiness", "/actuator/prometheus",
                    "/actuator/metrics")) {
                assertThat(status("http://localhost:" + options.streamsPort() + actuator)).as(actuator).isEqualTo(404);
            }
        }

        @Test
        void theWebhookDeliveryAnswersHealthOnItsManagementPortAndNotOnItsInternalApi() throws Exception {
            assertThat(status(pipeline.webhookManagementUrl() + "/actuator/health/readiness")).isEqualTo(200);
            assertThat(status(pipeline.webhookUrl() + "/actuator/health/readiness")).isEqualTo(404);
        }

        @Test
        void aWebhookOnThisMachineGetsTheCustomersEventsSignedWithTheSecretTheIngressGaveThem() throws Exception {
            record Received(String signature, byte[] body) {
            }
            List<Received> received = new CopyOnWriteArrayList<>();
            HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
            receiver.createContext("/", exchange -> {
                received.add(new Received(exchange.getRequestHeaders().getFirst(WebhookSignature.HEADER),
                        exchange.getRequestBody().readAllBytes()));
                exchange.sendResponseHeaders(200, -1);
                exchange.close();
            });
            receiver.start();
            String api = pipeline.apiUrl();
            Map<String, Object> endpoint = call("POST", api + "/api/webhooks", token(api, "alice"), null,
                    "{\"url\":\"http://localhost:" + receiver.getAddress().getPort() + "/hooks\",\"eventTypes\":[\"ISSUED\"]}");
            try {
                Map<String, Object> voucher = call("POST", api + "/api/vouchers", token(api, "alice"), "wait=20",
                        "{\"accountId\":\"alice-cny\",\"amount\":\"2.00\",\"currency\":\"CNY\"}");
                String voucherId = (String) voucher.get("id");

                await().atMost(Duration.ofSeconds(30)).until(() -> received.stream()
                        .anyMatch(request -> new String(request.body(), StandardCharsets.UTF_8).contains(voucherId)));
                Received issued = received.stream()
                        .filter(request -> new String(request.body(), StandardCharsets.UTF_8).contains(voucherId)).findFirst().orElseThrow();
                assertThat(json.readValue(issued.body(), Map.class)).containsEntry("type", "ISSUED").containsEntry("voucherId", voucherId);
                assertThat(WebhookSignature.verify((String) endpoint.get("secret"), issued.signature(), issued.body(),
                        Instant.now(), Duration.ofMinutes(5))).isTrue();
            } finally {
                send("DELETE", api + "/api/webhooks/" + endpoint.get("id"), token(api, "alice"), null, null);
                receiver.stop(0);
            }
        }

        /** A second run on the folder is refused before it touches anything: above all, not the first run's database. */
        @Test
        void aSecondRunOnTheSameFolderIsRefusedAndTheFirstRunsOn() throws Exception {
            assertThatThrownBy(() -> EmbeddedPipeline.start(TestOptions.in(options.dataDir())))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("Another run is using");

            String api = pipeline.apiUrl();
            Map<String, Object> voucher = call("POST", api + "/api/vouchers", token(api, "alice"), "wait=20",
                    "{\"accountId\":\"alice-cny\",\"amount\":\"1.00\",\"currency\":\"CNY\"}");
            assertThat(voucher).as("the ledger's database still answers").containsEntry("status", "UNUSED");
        }

        /** The password stays in the data folder, out of scrollback and captured logs; the command reads it there. */
        @Test
        void theWelcomeShowsHowToReadTheAdminPasswordWithoutShowingIt() throws Exception {
            String welcome = pipeline.welcome();
            assertThat(welcome).doesNotContain(pipeline.secrets().ledgerAdminPassword());
            String readPassword = welcome.substring(welcome.indexOf("$(") + 2, welcome.indexOf(")\" "));
            Process shell = new ProcessBuilder("sh", "-c", readPassword).start();
            assertThat(shell.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip())
                    .isEqualTo(pipeline.secrets().ledgerAdminPassword());
        }

        @Test
        void anOperatorOpensAnAccountWithTheRunsPasswordAndItsCustomerSeesItThroughTheApi() throws Exception {
            String operator = "Basic " + Base64.getEncoder().encodeToString(
                    ("operator:" + pipeline.secrets().ledgerAdminPassword()).getBytes(StandardCharsets.UTF_8));
            HttpResponse<String> opened = http.send(HttpRequest.newBuilder(URI.create(pipeline.ledgerManagementUrl()
                            + "/admin/accounts"))
                    .header("Authorization", operator)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("""
                            {"customerId":"dave","accountId":"dave-cny","currency":"CNY","openingBalance":"100.00"}"""))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(opened.statusCode()).as(opened.body()).isEqualTo(201);

            String api = pipeline.apiUrl();
            List<?> accounts = json.readValue(send("GET", api + "/api/accounts", token(api, "dave"), null, null), List.class);
            assertThat(accounts).hasSize(1);
            assertThat(((Map<?, ?>) accounts.get(0)).get("accountId")).isEqualTo("dave-cny");
            assertThat(((Map<?, ?>) accounts.get(0)).get("balance")).isEqualTo("100.00");
            assertThat(status(pipeline.ledgerManagementUrl() + "/actuator/health/readiness")).isEqualTo(200);
        }

        @Test
        void theIngressReadsTheStoresAndTheLedgerInItsOwnProcessNotOverHttp() throws Exception {
            String api = pipeline.apiUrl();
            Map<String, Object> voucher = call("POST", api + "/api/vouchers", token(api, "alice"), "wait=20",
                    "{\"accountId\":\"alice-cny\",\"amount\":\"3.00\",\"currency\":\"CNY\"}");
            assertThat(voucher).containsEntry("status", "UNUSED");
            assertThat(call("POST", api + "/api/redemptions", token(api, "bob"), "wait=20",
                    "{\"code\":\"" + voucher.get("code") + "\",\"accountId\":\"bob-cny\"}"))
                    .containsEntry("status", "SUCCEEDED");

            // Settings, accounts and the voucher were read and awaited, yet neither owner served a read over
            // HTTP; the routing, which tells the ingress who holds what, still is asked for over HTTP.
            String streamsRequests = served(get(pipeline.streamsManagementUrl() + "/actuator/prometheus"));
            assertThat(streamsRequests).contains("status=\"200\",uri=\"/internal/routing\"").doesNotContain("/internal/vouchers",
                    "/internal/customers", "/internal/claims");
            assertThat(served(get(pipeline.ledgerManagementUrl() + "/actuator/prometheus"))).doesNotContain("/internal/");
        }

        @Test
        void theAlertRulesAndTheDashboardNameOnlyMetricsTheServicesExpose() throws Exception {
            // A voucher generated and redeemed, so that the meters made on first use (latencies, ledger commands) exist.
            String api = pipeline.apiUrl();
            Map<String, Object> voucher = call("POST", api + "/api/vouchers", token(api, "alice"), "wait=20",
                    "{\"accountId\":\"alice-cny\",\"amount\":\"1.00\",\"currency\":\"CNY\"}");
            assertThat(call("POST", api + "/api/redemptions", token(api, "bob"), "wait=20",
                    "{\"code\":\"" + voucher.get("code") + "\",\"accountId\":\"bob-cny\"}"))
                    .containsEntry("status", "SUCCEEDED");
            Map<String, String> queries = MonitoringFiles.queries();

            // Kafka clients' metrics of partitions and tasks reach Micrometer at its next look, within a minute.
            await().atMost(Duration.ofSeconds(100)).pollInterval(Duration.ofSeconds(5)).untilAsserted(() -> {
                Set<String> exposed = new TreeSet<>();
                for (String service : List.of(pipeline.managementUrl(), pipeline.ledgerManagementUrl(),
                        pipeline.streamsManagementUrl(), pipeline.webhookManagementUrl())) {
                    exposed.addAll(MonitoringFiles.seriesNames(get(service + "/actuator/prometheus")));
                }
                assertThat(MonitoringFiles.unknownMetrics(queries, exposed)).isEmpty();
            });
        }
    }

    private static boolean isLoopback(NetworkInterface network) {
        try {
            return network.isLoopback();
        } catch (SocketException e) {
            return true;
        }
    }


    private String get(String uri) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(uri)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(uri).isEqualTo(200);
        return response.body();
    }

    /** The requests a service's HTTP server counted, from its Prometheus page. */
    private static String served(String prometheus) {
        return String.join("\n", prometheus.lines().filter(line -> line.startsWith("http_server_requests_seconds_count")).toList());
    }

    private int status(String uri) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(uri)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private String token(String api, String customer) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(api + "/dev/token"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"customerId\":\"" + customer + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return (String) json.readValue(response.body(), Map.class).get("accessToken");
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> call(String method, String uri, String token, String prefer, String body) throws Exception {
        return json.readValue(send(method, uri, token, prefer, body), Map.class);
    }

    private String send(String method, String uri, String token, String prefer, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(uri))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (prefer != null) {
            request.header("Prefer", prefer);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isBetween(200, 299);
        return response.body();
    }
}
