package io.qrvoucher.launcher;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import io.qrvoucher.support.internal.InternalApi;

/**
 * What each service needs on its command line to join a pipeline started on one machine: its broker,
 * the ledger's or the webhook delivery's database, the secrets. The one-machine run, the reliability tests and the
 * benchmarks start the services with these and add only what is their own (ports, instance ids,
 * settings under test).
 */
public final class ServiceArguments {

    /*
     * The services share one classpath when started from here: the ledger's JDBC starters and the
     * ingress's security starters must not configure the services that have no database or no API.
     */
    private static final String DATABASE = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration,"
            + "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration";
    private static final String API_SECURITY = "org.springframework.boot.security.autoconfigure.ReactiveUserDetailsServiceAutoConfiguration,"
            + "org.springframework.boot.security.autoconfigure.actuate.web.reactive.ReactiveManagementWebSecurityAutoConfiguration,"
            + "org.springframework.boot.security.autoconfigure.web.reactive.ReactiveWebSecurityAutoConfiguration,"
            + "org.springframework.boot.security.oauth2.server.resource.autoconfigure.reactive.ReactiveOAuth2ResourceServerAutoConfiguration";
    private static final String EXCLUDE = "--spring.autoconfigure.exclude=";

    private ServiceArguments() {
    }

    public static List<String> ledgerAdapter(String bootstrapServers, Secrets secrets, LedgerDatabase database) {
        return List.of(internalApiKey(secrets, InternalApi.LEDGER_ADAPTER), "--spring.datasource.url=" + database.jdbcUrl(),
                "--spring.datasource.username=" + LedgerDatabase.APPLICATION,
                "--spring.datasource.password=" + database.applicationPassword(),
                "--spring.flyway.user=" + LedgerDatabase.OWNER, "--spring.flyway.password=" + database.ownerPassword(),
                "--spring.kafka.bootstrap-servers=" + bootstrapServers,
                EXCLUDE + API_SECURITY);
    }

    /**
     * The webhook delivery, on its own database in the ledger's server. Endpoints are {@code https} on public
     * addresses only unless the caller adds {@code --webhook.endpoints.allow-local-http=true} (a demo, a test).
     */
    public static List<String> webhookDelivery(String bootstrapServers, Secrets secrets, WebhookDatabase database) {
        return List.of(internalApiKey(secrets, InternalApi.WEBHOOK_DELIVERY), "--spring.datasource.url=" + database.jdbcUrl(),
                "--spring.datasource.username=" + WebhookDatabase.APPLICATION,
                "--spring.datasource.password=" + database.applicationPassword(),
                "--spring.flyway.user=" + WebhookDatabase.OWNER, "--spring.flyway.password=" + database.ownerPassword(),
                "--spring.kafka.bootstrap-servers=" + bootstrapServers,
                "--webhook.secret-encryption.key-id=" + Secrets.WEBHOOK_SECRET_KEY_ID,
                "--webhook.secret-encryption.keys." + Secrets.WEBHOOK_SECRET_KEY_ID + "=" + secrets.webhookSecretKey(),
                EXCLUDE + API_SECURITY);
    }

    /**
     * @param port the instance's HTTP port ({@code server.port}, which the caller sets): where the other
     *             services reach its interactive queries
     */
    public static List<String> voucherStreams(String bootstrapServers, Secrets secrets, Path stateDir, int port) {
        return List.of(internalApiKey(secrets, InternalApi.VOUCHER_STREAMS), "--voucher.bootstrap-servers=" + bootstrapServers,
                "--voucher.state-dir=" + stateDir,
                "--voucher.advertised-url=" + localUrl(port),
                "--voucher.request-signing.keys." + Secrets.REQUEST_SIGNING_KEY_ID + "=" + secrets.requestSigningKey(),
                EXCLUDE + DATABASE + "," + API_SECURITY);
    }

    /**
     * @param ledgerPorts         HTTP ports of ledger adapters on this machine, which answer reads of accounts
     * @param voucherStreamsPorts HTTP ports of voucher-streams instances on this machine; one is enough
     */
    public static List<String> ingress(String bootstrapServers, Secrets secrets, int[] ledgerPorts,
                                       int... voucherStreamsPorts) {
        return List.of(calleeKey(secrets, InternalApi.VOUCHER_STREAMS), calleeKey(secrets, InternalApi.LEDGER_ADAPTER),
                calleeKey(secrets, InternalApi.WEBHOOK_DELIVERY), "--ingress.bootstrap-servers=" + bootstrapServers,
                "--ingress.voucher-streams.urls=" + localUrls(voucherStreamsPorts),
                "--ingress.ledger.urls=" + localUrls(ledgerPorts),
                "--ingress.code-secret=" + secrets.codeSecret(),
                "--ingress.security.demo-token-secret=" + secrets.demoTokenSecret(),
                "--ingress.request-signing.key-id=" + Secrets.REQUEST_SIGNING_KEY_ID,
                "--ingress.request-signing.keys." + Secrets.REQUEST_SIGNING_KEY_ID + "=" + secrets.requestSigningKey(),
                EXCLUDE + DATABASE);
    }

    /**
     * The ingress's argument naming webhook delivery instances on this machine by their HTTP ports; without
     * it the ingress asks its default address, where nothing may answer (its webhooks API is then 503).
     */
    public static String ingressWebhooks(int... webhookDeliveryPorts) {
        return "--ingress.webhooks.urls=" + localUrls(webhookDeliveryPorts);
    }

    /** A service's own internal API key, which it checks the ingress's calls with. */
    private static String internalApiKey(Secrets secrets, String service) {
        return "--internal-api.keys.k1=" + secrets.internalApiKey(service);
    }

    /** The key the ingress seals its calls to one service's internal API with: that service's own. */
    private static String calleeKey(Secrets secrets, String service) {
        return "--internal-api.callees." + service + ".key=" + secrets.internalApiKey(service);
    }

    private static String localUrls(int... ports) {
        return String.join(",", Arrays.stream(ports).mapToObj(ServiceArguments::localUrl).toList());
    }

    /** Where a service on this machine listens, as the others are told. */
    static String localUrl(int port) {
        return "http://localhost:" + port;
    }

    /** The arguments and then some more, as one array for {@code SpringApplication.run}. */
    public static String[] with(List<String> arguments, String... more) {
        return Stream.concat(arguments.stream(), Arrays.stream(more)).toArray(String[]::new);
    }
}
