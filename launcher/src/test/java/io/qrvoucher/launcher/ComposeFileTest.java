package io.qrvoucher.launcher;

import static io.qrvoucher.launcher.DeploymentFiles.BESIDE_THE_HEAP;
import static io.qrvoucher.launcher.DeploymentFiles.CONFIG_OF;
import static io.qrvoucher.launcher.DeploymentFiles.MIB;
import static io.qrvoucher.launcher.DeploymentFiles.ROCKSDB;
import static io.qrvoucher.launcher.DeploymentFiles.ROOT;
import static io.qrvoucher.launcher.DeploymentFiles.at;
import static io.qrvoucher.launcher.DeploymentFiles.bytes;
import static io.qrvoucher.launcher.DeploymentFiles.list;
import static io.qrvoucher.launcher.DeploymentFiles.map;
import static io.qrvoucher.launcher.DeploymentFiles.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Profile;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import io.qrvoucher.launcher.DeploymentFiles.Stage;
import io.qrvoucher.launcher.KafkaAcls.Service;
import io.qrvoucher.support.KafkaConnection;

/**
 * No Docker engine runs here, so docker-compose.yml (production mode) and docker-compose.demo.yml over it
 * (demo mode) are checked as text: that they parse, and that they agree with the applications — the topics and
 * their policies, the environment variables each service reads, the ports its health checks and its Dockerfile
 * stage use, the heap each JVM takes of its memory limit — with the pipeline's Kafka security (the brokers'
 * listeners and authorizer, the ACLs kafka-init grants ({@link KafkaAcls}), each service's login), and with what
 * an operator is told: every secret is required and listed in .env.example, the demo has what a first sign-in
 * needs. Where docker-compose is installed it is asked too.
 */
class ComposeFileTest {

    private static final Map<String, Service> PRINCIPAL_OF = Map.of(
            "ingress-api", Service.INGRESS, "ledger-adapter", Service.LEDGER_ADAPTER, "voucher-streams", Service.VOUCHER_STREAMS,
            "webhook-delivery", Service.WEBHOOK_DELIVERY);
    private static final List<String> SERVICES = List.of("ingress-api", "ledger-adapter-1", "ledger-adapter-2",
            "voucher-streams-1", "voucher-streams-2", "webhook-delivery-1", "webhook-delivery-2");
    private static final List<String> PASSWORDS = List.of("KAFKA_ADMIN_PASSWORD", "KAFKA_INGRESS_PASSWORD",
            "KAFKA_VOUCHER_STREAMS_PASSWORD", "KAFKA_LEDGER_ADAPTER_PASSWORD", "KAFKA_WEBHOOK_DELIVERY_PASSWORD");
    /** The services with a database of their own: the variables of their connection (URL, role, password). */
    private static final Map<String, List<String>> DATABASE_OF = Map.of(
            "ledger-adapter-1", List.of("LEDGER_DB_URL", "LEDGER_DB_USER", "LEDGER_DB_PASSWORD"),
            "webhook-delivery-1", List.of("WEBHOOK_DB_URL", "WEBHOOK_DB_USER", "WEBHOOK_DB_PASSWORD"));
    /** The ingress's addresses of the services it calls, by the application that serves them. */
    private static final Map<String, String> INGRESS_URLS_OF = Map.of("voucher-streams", "INGRESS_VOUCHER_STREAMS_URLS",
            "ledger-adapter", "INGRESS_LEDGER_URLS", "webhook-delivery", "INGRESS_WEBHOOKS_URLS");
    /** The .env variable of each called service's own internal API key, by the application that checks it. */
    private static final Map<String, String> INTERNAL_API_KEY_OF = Map.of("voucher-streams", "INTERNAL_API_KEY_VOUCHER_STREAMS",
            "ledger-adapter", "INTERNAL_API_KEY_LEDGER_ADAPTER", "webhook-delivery", "INTERNAL_API_KEY_WEBHOOK_DELIVERY");
    private static final List<String> NODES = List.of("kafka-1", "kafka-2", "kafka-3");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{(\\w+)(?:(:\\?|:-)([^}]*))?}");

    private final Map<String, Object> compose = yaml(ROOT.resolve("docker-compose.yml"));
    private final Map<String, Map<String, Object>> services = map(compose.get("services"));
    private final Map<String, Map<String, Object>> demo = merge(services, map(yaml(ROOT.resolve("docker-compose.demo.yml")).get("services")));

    @Test
    void aThreeNodeKraftClusterOfTheOfficialImage() {
        List<String> nodes = services.keySet().stream().filter(name -> name.matches("kafka-\\d")).sorted().toList();

        assertThat(nodes).containsExactlyElementsOf(NODES);
        Set<Object> ids = new HashSet<>();
        for (String node : nodes) {
            Map<String, Object> service = services.get(node);
            assertThat(service.get("image").toString()).startsWith("apache/kafka:");
            assertThat(service.get("hostname")).isEqualTo("kafka-" + environment(node).get("KAFKA_NODE_ID"));
            assertThat(service).containsKey("healthcheck");
            assertThat(script(node)).isEqualTo(script("kafka-1"));
            ids.add(environment(node).get("KAFKA_NODE_ID"));
        }
        assertThat(ids).hasSize(3);
        Map<String, String> broker = properties(script("kafka-1"));
        assertThat(broker).containsEntry("process.roles", "broker,controller")
                .containsEntry("controller.quorum.voters", "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093")
                .containsEntry("min.insync.replicas", "2")
                .containsEntry("transaction.state.log.replication.factor", "3")
                .containsEntry("auto.create.topics.enable", "false");
        assertThat(broker.get("advertised.listeners").split(","))
                .contains("CLIENT://$host:9092", "INTERNAL://$host:9094");
        assertThat(script("kafka-1")).contains("host=kafka-$KAFKA_NODE_ID");
    }

    @Test
    void theBrokersAuthenticateEveryConnectionOverTlsAndAuthorizeByAcls() {
        Map<String, String> broker = properties(script("kafka-1"));
        Map<String, String> protocolOf = listenerProtocols(broker);

        assertThat(protocolOf).containsEntry("CLIENT", "SASL_SSL").containsEntry("CONTROLLER", "SSL")
                .containsEntry("INTERNAL", "SSL");
        // Every listener but the brokers' own takes SCRAM over TLS, the operators' host listener too.
        protocolOf.forEach((listener, protocol) -> {
            if (!protocol.equals("SSL")) {
                assertThat(protocol).as(listener).isEqualTo("SASL_SSL");
                assertThat(broker).as(listener).containsEntry(
                        "listener.name." + listener.toLowerCase(Locale.ROOT) + ".sasl.enabled.mechanisms", "SCRAM-SHA-512");
            } else {
                assertThat(broker).as(listener).containsEntry(
                        "listener.name." + listener.toLowerCase(Locale.ROOT) + ".ssl.client.auth", "required");
            }
        });
        assertThat(broker).containsEntry("inter.broker.listener.name", "INTERNAL")
                .containsEntry("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
                .containsEntry("super.users", "User:admin;User:kafka-broker")
                .containsEntry("allow.everyone.if.no.acl.found", "false");
        assertThat(script("kafka-certificates")).contains("-dname \"CN=kafka-broker\"")
                .contains("SAN=dns:kafka-1,dns:kafka-2,dns:kafka-3,dns:localhost");
    }

    @Test
    void operatorsReachEveryBrokerFromTheHostsLoopbackAtTheAddressItAdvertises() {
        Map<String, String> broker = properties(script("kafka-1"));
        String advertised = Arrays.stream(broker.get("advertised.listeners").split(","))
                .filter(listener -> listener.startsWith("HOST://")).findFirst().orElseThrow();
        assertThat(advertised).isEqualTo("HOST://localhost:$KAFKA_HOST_PORT");
        assertThat(broker.get("listeners")).contains("HOST://:$KAFKA_HOST_PORT");
        assertThat(listenerProtocols(broker)).containsEntry("HOST", "SASL_SSL");

        Set<String> hostPorts = new HashSet<>();
        for (String node : NODES) {
            String port = String.valueOf(environment(node).get("KAFKA_HOST_PORT"));
            // Published where it is advertised (localhost), and on the loopback only.
            assertThat(list(services.get(node).get("ports"))).as(node).containsExactly("127.0.0.1:" + port + ":" + port);
            hostPorts.add(port);
        }
        assertThat(hostPorts).hasSize(NODES.size());
    }

    @Test
    void theInitJobCreatesEveryTopicWithItsPolicyReplicatedThreeTimes() {
        String script = script("kafka-init");
        Matcher creates = Pattern.compile("(?m)^\\s*create ([a-z-]+)(.*)$").matcher(script);
        Map<String, String> topics = new TreeMap<>();
        while (creates.find()) {
            topics.put(creates.group(1), creates.group(2).trim());
        }

        assertThat(topics.keySet()).containsExactlyInAnyOrderElementsOf(PipelineTopics.ALL);
        topics.forEach((topic, options) -> {
            assertThat(options.contains("cleanup.policy=compact")).as(topic).isEqualTo(PipelineTopics.COMPACTED.contains(topic));
            PipelineTopics.configOf(topic).forEach((key, value) -> assertThat(options).as(topic).contains(key + "=" + value));
        });
        assertThat(script).contains("--replication-factor 3").contains("min.insync.replicas=2");
    }

    @Test
    void theInitJobGrantsExactlyTheAclsOfTheOneDefinitionToAUserPerService() {
        String script = script("kafka-init");
        Set<AclBinding> granted = new HashSet<>();
        Matcher allows = Pattern.compile("(?m)^allow(_prefixed)? (\\S+) (\\S+) (\\S+) (.+)$").matcher(script);
        while (allows.find()) {
            PatternType pattern = allows.group(1) == null ? PatternType.LITERAL : PatternType.PREFIXED;
            ResourceType type = ResourceType.valueOf(allows.group(4).toUpperCase(Locale.ROOT).replace('-', '_'));
            AclOperation operation = AclOperation.valueOf(allows.group(3).toUpperCase(Locale.ROOT));
            for (String name : allows.group(5).trim().split("\\s+")) {
                granted.add(new AclBinding(new ResourcePattern(type, name, pattern),
                        new AccessControlEntry("User:" + allows.group(2), "*", operation, AclPermissionType.ALLOW)));
            }
        }
        Matcher users = Pattern.compile("(?m)^user (\\S+) \"\\$(\\w+)\"$").matcher(script);
        Map<String, String> passwordOf = new HashMap<>();
        while (users.find()) {
            passwordOf.put(users.group(1), users.group(2));
        }

        assertThat(granted).containsExactlyInAnyOrderElementsOf(KafkaAcls.all());
        assertThat(passwordOf.keySet()).containsExactlyInAnyOrderElementsOf(Arrays.stream(Service.values()).map(Service::user).toList());
        assertThat(environment("kafka-init")).containsOnlyKeys(PASSWORDS);
        // What the script requires (: "${VAR:?}") it is given: else it stops before the first topic.
        Set<String> required = new TreeSet<>();
        for (Matcher use = Pattern.compile("\\$\\{(\\w+):\\?}").matcher(script); use.find(); ) {
            required.add(use.group(1));
        }
        assertThat(required).containsAll(passwordOf.values());
        assertThat(environment("kafka-init").keySet()).containsAll(required);
    }

    @Test
    void eachServiceLogsInToKafkaOverTlsAsItsOwnPrincipalTheSpringBootWay() {
        for (String service : SERVICES) {
            Map<String, Object> spring = new HashMap<>();
            environment(service).forEach((name, value) -> {
                if (name.startsWith("SPRING_KAFKA_")) {
                    spring.put(name, String.valueOf(value));
                }
            });
            KafkaProperties kafka = binder(spring).bindOrCreate("spring.kafka", KafkaProperties.class);
            Map<String, Object> client = KafkaConnection.of(kafka, null).config();

            assertThat(client).as(service).containsEntry("security.protocol", "SASL_SSL")
                    .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                    .containsEntry("ssl.truststore.type", "PEM")
                    .containsEntry("ssl.truststore.location", "/etc/kafka-ca/ca.crt");
            assertThat(client.get("sasl.jaas.config").toString()).as(service)
                    .contains("ScramLoginModule required username=\"" + PRINCIPAL_OF.get(application(service)).user() + "\"");
            // Every SPRING_KAFKA_ variable is one Boot binds: each made one client setting (besides the bootstrap servers).
            assertThat(client).as(service).hasSize(spring.size() + 1);
            assertThat(list(services.get(service).get("volumes"))).as(service)
                    .contains("kafka-ca:/etc/kafka-ca:ro");
        }
    }

    @Test
    void everySecretIsRequiredWithAMessageAndEveryVariableIsListedInTheEnvExample() {
        Map<String, String> required = new TreeMap<>();
        Map<String, String> defaults = new TreeMap<>();
        for (Matcher use = VARIABLE.matcher(DeploymentFiles.read(ROOT.resolve("docker-compose.yml"))); use.find(); ) {
            assertThat(use.group(2)).as("${%s} is required (:?) or has a default (:-)", use.group(1)).isNotNull();
            if (use.group(2).equals(":?")) {
                assertThat(use.group(3)).as("the message when %s is missing names it", use.group(1)).contains(use.group(1));
                required.put(use.group(1), use.group(3));
            } else {
                defaults.put(use.group(1), use.group(3));
            }
        }
        assertThat(required.keySet()).doesNotContainAnyElementsOf(defaults.keySet());
        assertThat(required).containsKeys(PASSWORDS.toArray(String[]::new))
                .containsKeys("LEDGER_DB_OWNER_PASSWORD", "LEDGER_DB_PASSWORD", "REQUEST_SIGNING_KEY", "INGRESS_CODE_SECRET",
                        "INGRESS_JWK_SET_URI", "INGRESS_TOKEN_ISSUER", "WEBHOOK_DB_OWNER_PASSWORD", "WEBHOOK_DB_PASSWORD",
                        "WEBHOOK_SECRET_KEY")
                .containsKeys(INTERNAL_API_KEY_OF.values().toArray(String[]::new))
                .as("no internal API key shared by every service").doesNotContainKey("INTERNAL_API_KEY");

        // .env.example: a line "VAR=" to fill in for each required variable, "# VAR=<default>" for each optional one.
        String example = DeploymentFiles.read(ROOT.resolve(".env.example"));
        Map<String, String> toFill = new TreeMap<>();
        Map<String, String> optional = new TreeMap<>();
        for (Matcher line = Pattern.compile("(?m)^(# )?([A-Z][A-Z0-9_]*)=(.*)$").matcher(example); line.find(); ) {
            (line.group(1) == null ? toFill : optional).put(line.group(2), line.group(3));
        }
        assertThat(toFill.keySet()).isEqualTo(required.keySet());
        assertThat(toFill.values()).as("nothing is filled in for the operator").allMatch(String::isEmpty);
        assertThat(optional).isEqualTo(defaults);
    }

    @Test
    void twoInstancesOfTheStreamsTheLedgerAndTheWebhookDeliveryWithTheirOwnNames() {
        assertThat(services).containsKeys("ledger-adapter-1", "ledger-adapter-2", "voucher-streams-1", "voucher-streams-2",
                "webhook-delivery-1", "webhook-delivery-2", "ingress-api", "postgres");
        assertThat(environment("voucher-streams-1").get("VOUCHER_INSTANCE_ID"))
                .isNotEqualTo(environment("voucher-streams-2").get("VOUCHER_INSTANCE_ID"));
        assertThat(list(services.get("voucher-streams-1").get("volumes")))
                .isNotEqualTo(list(services.get("voucher-streams-2").get("volumes")));
    }

    @Test
    void everyVariableAServiceIsGivenIsOneItsApplicationReadsInBothModes() {
        for (Map<String, Map<String, Object>> mode : List.of(services, demo)) {
            for (String service : SERVICES) {
                String config = DeploymentFiles.read(ROOT.resolve(CONFIG_OF.get(application(service))));
                for (String variable : map(mode.get(service).get("environment")).keySet()) {
                    if (!variable.startsWith("SPRING_")) { // Spring Boot's own properties, bound by their names
                        // Read by a placeholder of the service's configuration file, or bound by Boot to a property it declares.
                        assertThat(config.contains("${" + variable + ":") || DeploymentFiles.propertyOfVariable(variable) != null)
                                .as(service + " reads " + variable).isTrue();
                    }
                }
                assertThat(map(mode.get(service).get("environment"))).as(service).containsKey("KAFKA_BOOTSTRAP_SERVERS");
            }
        }
        assertThat(environment("ledger-adapter-1")).containsKeys("LEDGER_DB_URL", "LEDGER_DB_USER", "LEDGER_DB_PASSWORD",
                "LEDGER_ADMIN_PASSWORD");
        assertThat(environment("voucher-streams-1")).containsKey("REQUEST_SIGNING_KEY");
        assertThat(environment("ingress-api")).containsKey("REQUEST_SIGNING_KEY");
        assertThat(environment("ingress-api")).containsKeys("INGRESS_CODE_SECRET", "INGRESS_JWK_SET_URI", "INGRESS_WEBHOOKS_URLS");
        for (String instance : List.of("webhook-delivery-1", "webhook-delivery-2")) {
            assertThat(environment(instance)).as(instance).containsKeys("WEBHOOK_DB_URL", "WEBHOOK_DB_USER",
                    "WEBHOOK_DB_PASSWORD", "WEBHOOK_SECRET_KEY");
        }
    }

    /**
     * The migrations run alone, as the schema's owner, in a job the instances wait for: no instance holds the owner's
     * password (taken over, it could drop the ledger's balance trigger or rewrite the journal). The job runs the
     * service's image with {@code migrate}, against the service's database, granting the rows to the service's role.
     */
    @Test
    void onlyAMigrationJobHoldsTheSchemaOwnersPasswordAndTheInstancesWaitForIt() {
        DATABASE_OF.forEach((service, connection) -> {
            String application = application(service);
            Map<String, Object> job = services.get(application + "-migrate");
            assertThat(job).as(application + "-migrate").isNotNull();
            assertThat(list(job.get("command"))).as(application).containsExactly("migrate");
            assertThat(map(job.get("build"))).isEqualTo(map(services.get(service).get("build")));
            Map<String, Object> env = map(job.get("environment"));
            assertThat(job.get("image")).isEqualTo(services.get(service).get("image"));
            assertThat(env).as(application).containsOnlyKeys(connection.get(0), connection.get(1), "SPRING_FLYWAY_USER",
                    "SPRING_FLYWAY_PASSWORD", "SPRING_FLYWAY_CONNECT_RETRIES");
            assertThat(env.get(connection.get(0))).isEqualTo(environment(service).get(connection.get(0)));
            assertThat(env.get(connection.get(1))).as("the rows are granted to the role the instances log in as")
                    .isEqualTo(environment(service).get(connection.get(1))).isNotEqualTo(env.get("SPRING_FLYWAY_USER"));
            services.forEach((name, other) -> {
                if (application(name).equals(application) && !name.equals(application + "-migrate")) {
                    assertThat(map(other.get("environment"))).as(name).doesNotContainKeys("SPRING_FLYWAY_USER",
                            "SPRING_FLYWAY_PASSWORD");
                    assertThat(at(map(other.get("depends_on")), application + "-migrate", "condition")).as(name)
                            .isEqualTo("service_completed_successfully");
                }
            });
        });
    }

    @Test
    void eachCalledServiceIsGivenItsOwnInternalApiKeyAndOnlyTheIngressHoldsAllThree() {
        assertThat(new HashSet<>(INTERNAL_API_KEY_OF.values())).as("a variable of its own per called service")
                .hasSize(INTERNAL_API_KEY_OF.size());
        assertThat(INTERNAL_API_KEY_OF.keySet()).isEqualTo(INGRESS_URLS_OF.keySet());
        for (Map<String, Map<String, Object>> mode : List.of(services, demo)) {
            for (String service : SERVICES) {
                Map<String, Object> env = map(mode.get(service).get("environment"));
                // Every compose variable an internal API key of this service is made of.
                Set<String> keysGiven = new TreeSet<>();
                env.forEach((name, value) -> {
                    for (Matcher use = VARIABLE.matcher(String.valueOf(value)); use.find(); ) {
                        if (use.group(1).startsWith("INTERNAL_API_KEY") && !use.group(1).startsWith("INTERNAL_API_KEY_ID")) {
                            keysGiven.add(use.group(1));
                        }
                    }
                });
                if (service.equals("ingress-api")) {
                    // The ingress seals its calls to each service with that service's key: it is given the three, each
                    // as the variable its configuration reads, and no key of its own to check (it is called by nobody).
                    assertThat(env).as(service).doesNotContainKey("INTERNAL_API_KEY");
                    assertThat(keysGiven).as(service).containsExactlyInAnyOrderElementsOf(INTERNAL_API_KEY_OF.values());
                    INTERNAL_API_KEY_OF.values().forEach(variable -> assertThat(String.valueOf(env.get(variable)))
                            .as(service + ": " + variable).startsWith("${" + variable + ":?"));
                } else {
                    // A called service checks seals with its own key alone: a service taken over (the webhook
                    // delivery talks to the internet) holds nothing that opens the others' internal APIs.
                    String own = INTERNAL_API_KEY_OF.get(application(service));
                    assertThat(String.valueOf(env.get("INTERNAL_API_KEY"))).as(service).startsWith("${" + own + ":?");
                    assertThat(keysGiven).as(service).containsExactly(own);
                }
            }
        }
        // Where each variable ends up: a called service's internal-api.keys.k1, the ingress's internal-api.callees.<service>.key.
        INTERNAL_API_KEY_OF.forEach((application, variable) -> {
            Map<String, Object> called = yaml(ROOT.resolve(CONFIG_OF.get(application)));
            assertThat(String.valueOf(at(called, "internal-api", "keys", "k1"))).as(application)
                    .startsWith("${INTERNAL_API_KEY:");
            assertThat(at(called, "internal-api", "callees")).as(application + " calls no internal API").isNull();
            Map<String, Object> ingress = yaml(ROOT.resolve(CONFIG_OF.get("ingress-api")));
            assertThat(String.valueOf(at(ingress, "internal-api", "callees", application, "key"))).as("the ingress's key of " + application)
                    .startsWith("${" + variable + ":");
            assertThat(at(ingress, "internal-api", "keys")).as("the ingress checks no seal").isNull();
        });
    }

    @Test
    void postgresMakesOnFirstStartTheDatabaseAndRolesEachServiceConnectsWith() {
        Map<String, Object> postgres = environment("postgres");
        List<String> scripts = new ArrayList<>();
        for (String volume : list(services.get("postgres").get("volumes"))) {
            String[] parts = volume.split(":");
            if (parts.length > 1 && parts[1].startsWith("/docker-entrypoint-initdb.d/")) {
                assertThat(parts[1]).as(volume).endsWith(".sh");
                assertThat(volume).as(volume).endsWith(":ro");
                scripts.add(DeploymentFiles.read(ROOT.resolve(parts[0])));
            }
        }
        // Every variable a script reads is given to PostgreSQL (or is the image's own).
        for (String script : scripts) {
            for (Matcher use = Pattern.compile("\\$\\{?([A-Z]\\w*)").matcher(script); use.find(); ) {
                assertThat(postgres).as("postgres is given " + use.group(1)).containsKey(use.group(1));
            }
        }
        DATABASE_OF.forEach((service, connection) -> {
            Map<String, Object> env = environment(service);
            Matcher url = Pattern.compile("jdbc:postgresql://postgres:5432/(\\w+)").matcher(String.valueOf(env.get(connection.get(0))));
            assertThat(url.matches()).as(service + ": " + env.get(connection.get(0))).isTrue();
            String database = url.group(1);
            Map<String, Object> migrations = environment(application(service) + "-migrate");
            String owner = String.valueOf(migrations.get("SPRING_FLYWAY_USER"));
            String role = String.valueOf(env.get(connection.get(1)));

            // The database and its owner, made by a script: the owner is not the server's superuser (the image's
            // POSTGRES_USER), whose password no service or job holds.
            assertThat(owner).as(service).isNotEqualTo(postgres.get("POSTGRES_USER"));
            assertThat(scripts.stream().anyMatch(script -> script.contains("CREATE DATABASE " + database + " OWNER " + owner)))
                    .as(service + ": database " + database + " owned by " + owner).isTrue();
            // Each role logs in with the password the service is given.
            assertThat(passwordVariable(postgres, scripts, owner)).as(service + ": " + owner)
                    .isEqualTo(variableIn(migrations.get("SPRING_FLYWAY_PASSWORD")));
            assertThat(passwordVariable(postgres, scripts, role)).as(service + ": " + role)
                    .isEqualTo(variableIn(env.get(connection.get(2))));
        });
    }

    /** The variable of compose's environment a role's password is set from, by the image or an init script. */
    private static String passwordVariable(Map<String, Object> postgres, List<String> scripts, String role) {
        if (role.equals(postgres.get("POSTGRES_USER"))) {
            return variableIn(postgres.get("POSTGRES_PASSWORD"));
        }
        for (String script : scripts) {
            Matcher create = Pattern.compile("CREATE ROLE " + role + " LOGIN PASSWORD :'(\\w+)'").matcher(script);
            if (create.find()) {
                Matcher given = Pattern.compile("-v " + create.group(1) + "=\"\\$(\\w+)\"").matcher(script);
                assertThat(given.find()).as(role + "'s password variable").isTrue();
                return variableIn(postgres.get(given.group(1)));
            }
        }
        throw new AssertionError("no script makes the role " + role);
    }

    /** The compose variable a value is made of: {@code ${VAR:?message}} gives VAR. */
    private static String variableIn(Object value) {
        Matcher variable = VARIABLE.matcher(String.valueOf(value));
        assertThat(variable.find()).as(value + " is a variable").isTrue();
        return variable.group(1);
    }

    @Test
    void theIngressCallsEveryInstanceOfEachServiceOnThePortItServesItsInternalApiOn() {
        INGRESS_URLS_OF.forEach((application, variable) -> {
            Port api = Port.of(at(yaml(ROOT.resolve(CONFIG_OF.get(application))), "server", "port"));
            Set<String> instances = new TreeSet<>(services.keySet().stream().filter(name -> application(name).equals(application)
                    && !name.equals(application) && !name.endsWith("-migrate")).toList());
            Set<String> called = new TreeSet<>();
            for (String url : String.valueOf(environment("ingress-api").get(variable)).split(",")) {
                Matcher address = Pattern.compile("http://([a-z0-9-]+):(\\d+)").matcher(url);
                assertThat(address.matches()).as(url).isTrue();
                assertThat(instances).as(url).contains(address.group(1));
                assertThat(String.valueOf(environment(address.group(1)).get(api.variable()))).as(url).isEqualTo(address.group(2));
                called.add(address.group(1));
            }
            assertThat(called).as(variable).isEqualTo(instances);
        });
    }

    @Test
    void theDemoModeHasWhatAFirstSignInNeedsAndNeverBesideTheBanksIssuer() throws Exception {
        // The ingress: the property that turns on POST /dev/token (the web app's sign-in) is set, the bank's key set is not.
        String demoSwitch = Class.forName("io.qrvoucher.ingress.api.DevTokenController")
                .getAnnotation(ConditionalOnProperty.class).value()[0];
        Binder ingress = binder(map(demo.get("ingress-api").get("environment")));
        assertThat(ingress.bind(demoSwitch, String.class).orElse("")).as(demoSwitch).isNotBlank();
        assertThat(map(demo.get("ingress-api").get("environment")).get("INGRESS_JWK_SET_URI")).as("the bank's key set")
                .isEqualTo("");
        // Production mode has no demo key at all.
        assertThat(binder(environment("ingress-api")).bind(demoSwitch, String.class).isBound()).isFalse();
        // The ledger adapters open the demo customers: they run with the profile of the seeder.
        String[] seederProfiles = Class.forName("io.qrvoucher.ledger.demo.DemoDataSeeder").getAnnotation(Profile.class).value();
        for (String adapter : List.of("ledger-adapter-1", "ledger-adapter-2")) {
            String profiles = String.valueOf(map(demo.get(adapter).get("environment")).get("SPRING_PROFILES_ACTIVE"));
            assertThat(profiles.split(",")).as(adapter).contains(seederProfiles);
            assertThat(environment(adapter)).as("production: " + adapter).doesNotContainKey("SPRING_PROFILES_ACTIVE");
        }
        // The web app and the API are reachable from the host, and from nowhere else with the demo's environment: its
        // sign-in takes anyone's word.
        assertThat(list(demo.get("ingress-api").get("ports"))).containsExactly("${INGRESS_PUBLISHED_ADDRESS:-0.0.0.0}:8080:8080");
        // The webhook delivery takes http endpoints with the switch meant for demos; production never.
        String localHttp = "webhook.endpoints.allow-local-http";
        assertThat(DeploymentFiles.declaredProperty(localHttp)).isTrue();
        for (String instance : List.of("webhook-delivery-1", "webhook-delivery-2")) {
            assertThat(binder(map(demo.get(instance).get("environment"))).bind(localHttp, Boolean.class).orElse(false))
                    .as(instance).isTrue();
            assertThat(binder(environment(instance)).bind(localHttp, Boolean.class).isBound()).as("production: " + instance).isFalse();
        }
    }

    @Test
    void theDemoEnvironmentScriptGivesEveryRequiredVariableAFreshValueOfItsKind(@TempDir Path dir) throws Exception {
        Map<String, String> first = demoEnvironment(dir.resolve("first.env"));
        Map<String, String> second = demoEnvironment(dir.resolve("second.env"));

        Set<String> required = new TreeSet<>(requiredVariables("docker-compose.yml"));
        required.addAll(requiredVariables("docker-compose.demo.yml"));
        assertThat(first.keySet()).containsAll(required);
        for (String variable : required) {
            assertThat(first.get(variable)).as(variable).isNotBlank();
        }
        List<String> passwords = new ArrayList<>(PASSWORDS);
        passwords.addAll(List.of("LEDGER_DB_OWNER_PASSWORD", "LEDGER_DB_PASSWORD", "LEDGER_ADMIN_PASSWORD",
                "WEBHOOK_DB_OWNER_PASSWORD", "WEBHOOK_DB_PASSWORD"));
        for (String password : passwords) {
            assertThat(first.get(password)).as(password + ": letters and digits, for JAAS and SCRAM").matches("[a-zA-Z0-9]{32,}");
            assertThat(first.get(password)).as(password + " is made anew").isNotEqualTo(second.get(password));
        }
        List<String> keys = new ArrayList<>(List.of("REQUEST_SIGNING_KEY", "INGRESS_CODE_SECRET", "DEMO_TOKEN_SECRET",
                "WEBHOOK_SECRET_KEY"));
        keys.addAll(INTERNAL_API_KEY_OF.values());
        for (String key : keys) {
            assertThat(Base64.getDecoder().decode(first.get(key))).as(key + ": base64 of 256 bits").hasSize(32);
            assertThat(first.get(key)).as(key + " is made anew").isNotEqualTo(second.get(key));
        }
        // Every key is a different one: in particular each called service's internal API key is its own.
        assertThat(keys.stream().map(first::get).distinct()).as("distinct keys").hasSize(keys.size());
        assertThat(first.get("COMPOSE_FILE").split(":")).containsExactly("docker-compose.yml", "docker-compose.demo.yml");
        assertThat(first.get("INGRESS_PUBLISHED_ADDRESS")).as("the demo's API on the host's loopback only").isEqualTo("127.0.0.1");
        // It never overwrites a file (the volumes keep the first passwords).
        Process again = new ProcessBuilder("sh", ROOT.resolve("compose/demo-env.sh").toString(), dir.resolve("first.env").toString())
                .redirectErrorStream(true).start();
        assertThat(again.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(again.exitValue()).isNotZero();
        assertThat(demoEnvironmentIn(dir.resolve("first.env"))).isEqualTo(first);
    }

    @Test
    void everyImageIsBuiltByComposeFromItsStageOfTheOneDockerfile() {
        Map<String, Stage> stages = DeploymentFiles.dockerfileStages();
        String build = String.join(" ", stages.get("build").all("RUN"));
        Matcher modules = Pattern.compile("-pl (\\S+)").matcher(build);
        assertThat(modules.find()).as("the build stage builds named modules").isTrue();
        List<String> built = List.of(modules.group(1).split(","));

        Set<String> targets = new HashSet<>();
        services.forEach((name, service) -> {
            if (service.containsKey("build")) {
                Map<String, Object> spec = map(service.get("build"));
                assertThat(spec.get("context")).as(name).isEqualTo(".");
                String target = String.valueOf(spec.get("target"));
                assertThat(stages).as(name).containsKey(target);
                // The stage copies the runnable jar of a module the build stage builds.
                String copy = stages.get(target).all("COPY").stream().filter(line -> line.startsWith("--from=build"))
                        .findFirst().orElseThrow();
                Matcher jar = Pattern.compile("/build/([a-z-]+)/target/\\1-\\*-exec\\.jar").matcher(copy);
                assertThat(jar.find()).as(copy).isTrue();
                assertThat(built).as(name).contains(jar.group(1));
                if (!target.equals("tools")) {
                    assertThat(jar.group(1)).as(name).isEqualTo(application(name));
                    assertThat(service.get("image").toString()).as(name).startsWith("qrvoucher/" + target + ":");
                }
                targets.add(target);
            }
        });
        assertThat(targets).contains("ingress-api", "ledger-adapter", "voucher-streams", "webhook-delivery", "tools");
        // Nothing is built on the host first: no stage copies from a target directory of the build context.
        stages.values().forEach(stage -> stage.all("COPY").forEach(copy ->
                assertThat(copy.startsWith("--from=") || !copy.contains("target/")).as(stage.name() + ": " + copy).isTrue()));
    }

    @Test
    void healthChecksAndDockerfileStagesUseThePortEachApplicationServesItsActuatorOn() {
        Map<String, Stage> stages = DeploymentFiles.dockerfileStages();
        for (String service : List.of("ingress-api", "ledger-adapter-1", "voucher-streams-1", "webhook-delivery-1")) {
            String application = application(service);
            Map<String, Object> config = yaml(ROOT.resolve(CONFIG_OF.get(application)));
            Port http = Port.of(at(config, "server", "port"));
            Port actuator = at(config, "management", "server", "port") == null ? http
                    : Port.of(at(config, "management", "server", "port"));
            Stage stage = stages.get(String.valueOf(map(services.get(service).get("build")).get("target")));

            for (Port port : new HashSet<>(List.of(http, actuator))) {
                assertThat(environment(service).get(port.variable()).toString()).as(service).isEqualTo(port.number());
                assertThat(String.join(" ", stage.all("EXPOSE"))).as(application).containsPattern("\\b" + port.number() + "\\b");
            }
            assertThat(String.join(" ", list(map(services.get(service).get("healthcheck")).get("test"))))
                    .contains("localhost:" + actuator.number() + "/actuator/health/readiness");
            assertThat(String.join(" ", stage.all("HEALTHCHECK"))).contains("localhost:" + actuator.number() + "/actuator/health/readiness");
        }
    }

    @Test
    void everyLongRunningServiceHasAHealthCheckAndEveryOtherIsAJobOrATool() {
        services.forEach((name, service) -> {
            String restart = String.valueOf(service.getOrDefault("restart", "no"));
            if (!restart.equals("no")) {
                assertThat(service).as(name).containsKey("healthcheck");
            } else if (!list(service.get("profiles")).contains("tools")) {
                // A job: the services that need it wait for it to finish.
                boolean awaited = services.values().stream().anyMatch(other -> "service_completed_successfully".equals(
                        at(map(other.get("depends_on")), name, "condition")));
                assertThat(awaited).as(name + " is a job the others wait for").isTrue();
            }
        });
    }

    @Test
    void everyContainerHasAMemoryLimitThatLeavesRoomBesideItsHeap() {
        Map<String, Stage> stages = DeploymentFiles.dockerfileStages();
        services.forEach((name, service) -> {
            assertThat(service).as(name).containsKey("mem_limit");
            long limit = bytes(service.get("mem_limit"));
            long heap;
            long beside = BESIDE_THE_HEAP;
            if (service.containsKey("build")) {
                String target = String.valueOf(map(service.get("build")).get("target"));
                heap = limit * stages.get(target).maxRamPercentage() / 100;
                if (target.equals("voucher-streams")) {
                    beside += ROCKSDB;
                }
            } else if (map(service.get("environment")).containsKey("KAFKA_NODE_HEAP_OPTS")) {
                heap = DeploymentFiles.xmx(String.valueOf(map(service.get("environment")).get("KAFKA_NODE_HEAP_OPTS")));
                // The broker alone takes it: the health check's tools, which inherit the environment, keep theirs.
                assertThat(script(name)).as(name).containsPattern("KAFKA_HEAP_OPTS=\\$\\{KAFKA_NODE_HEAP_OPTS[^}]*} exec \\S*kafka-server-start");
                assertThat(map(service.get("environment"))).as(name).doesNotContainKey("KAFKA_HEAP_OPTS");
            } else {
                return; // PostgreSQL, and the jobs' short-lived tools with their own default heaps
            }
            assertThat(limit - heap).as("%s: %d MiB beside a heap of %d MiB", name, (limit - heap) / MIB, heap / MIB)
                    .isGreaterThanOrEqualTo(beside);
        });
    }

    @Test
    void theReplayToolLogsInAsTheOperatorWithVariablesItsScriptReads() {
        Map<String, Object> tool = services.get("dead-letter-replay");
        assertThat(list(tool.get("profiles"))).containsExactly("tools");
        String script = DeploymentFiles.read(ROOT.resolve("compose/dead-letter-replay.sh"));
        for (String variable : map(tool.get("environment")).keySet()) {
            assertThat(script).as(variable).contains("${" + variable);
        }
        assertThat(String.valueOf(map(tool.get("environment")).get("KAFKA_PASSWORD"))).contains("${KAFKA_ADMIN_PASSWORD:?");
        assertThat(map(tool.get("environment")).get("KAFKA_USERNAME")).isEqualTo("admin");
        assertThat(list(tool.get("volumes"))).contains("kafka-ca:/etc/kafka-ca:ro");
        assertThat(script).contains("-Dloader.main=" + DeadLetterReplay.class.getName()).contains("--command-config=");
    }

    @Test
    void onlyTheIngressApiIsPublishedNotItsActuator() {
        Map<String, Object> config = yaml(ROOT.resolve(CONFIG_OF.get("ingress-api")));
        assertThat(at(config, "management", "server", "port")).as("the ingress's management port").isNotNull();
        Port api = Port.of(at(config, "server", "port"));
        Port actuator = Port.of(at(config, "management", "server", "port"));

        assertThat(actuator.number()).isNotEqualTo(api.number());
        assertThat(list(services.get("ingress-api").get("ports")))
                .containsExactly("${INGRESS_PUBLISHED_ADDRESS:-0.0.0.0}:" + api.number() + ":" + api.number());
        // Nothing else is published but the brokers' operator listeners on the loopback.
        services.forEach((name, service) -> {
            if (!name.equals("ingress-api")) {
                assertThat(list(service.get("ports"))).as(name).allMatch(port -> port.startsWith("127.0.0.1:"));
            }
        });
    }

    @Test
    void dockerComposeRefusesTheProductionModeNamingEachMissingSecret(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/docker-compose")), "docker-compose is not installed");
        Map<String, String> all = demoEnvironment(dir.resolve("demo.env"));
        all.remove("COMPOSE_FILE");

        assertThat(dockerComposeConfig(dir, all, "docker-compose.yml")).isEqualTo("");
        for (String variable : requiredVariables("docker-compose.yml")) {
            Map<String, String> missing = new LinkedHashMap<>(all);
            missing.remove(variable);
            assertThat(dockerComposeConfig(dir, missing, "docker-compose.yml")).as("without " + variable)
                    .contains("Set " + variable);
        }
    }

    @Test
    void dockerComposeAcceptsTheDemoModeWithTheDemoScriptsEnvironment(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/docker-compose")), "docker-compose is not installed");
        Map<String, String> demoEnvironment = demoEnvironment(dir.resolve("demo.env"));
        String[] files = demoEnvironment.remove("COMPOSE_FILE").split(":");

        assertThat(dockerComposeConfig(dir, demoEnvironment, files)).isEqualTo("");
    }

    /** A port as the application's configuration gives it: {@code ${VARIABLE:default}}. */
    private record Port(String variable, String number) {
        static Port of(Object placeholder) {
            Matcher port = Pattern.compile("\\$\\{(\\w+):(\\d+)}").matcher(String.valueOf(placeholder));
            assertThat(port.matches()).as(placeholder + " is ${VARIABLE:port}").isTrue();
            return new Port(port.group(1), port.group(2));
        }
    }

    /** What {@code docker-compose config -q} says with exactly these variables: nothing when the files are valid. */
    private static String dockerComposeConfig(Path dir, Map<String, String> variables, String... files) throws Exception {
        Path envFile = Files.createTempFile(dir, "compose", ".env");
        StringBuilder env = new StringBuilder();
        variables.forEach((name, value) -> env.append(name).append('=').append(value).append('\n'));
        Files.writeString(envFile, env);
        List<String> command = new ArrayList<>(List.of("/usr/bin/docker-compose", "--env-file", envFile.toAbsolutePath().toString()));
        for (String file : files) {
            command.addAll(List.of("-f", file));
        }
        command.addAll(List.of("config", "-q"));
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
        // Only the file's variables: none of the compose files' variables from this process's environment.
        Set<String> used = new HashSet<>(List.of("COMPOSE_FILE", "COMPOSE_PROJECT_NAME"));
        for (String file : List.of("docker-compose.yml", "docker-compose.demo.yml")) {
            for (Matcher use = VARIABLE.matcher(DeploymentFiles.read(ROOT.resolve(file))); use.find(); ) {
                used.add(use.group(1));
            }
        }
        builder.environment().keySet().removeAll(used);
        Process config = builder.start();
        assertThat(config.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new String(config.getInputStream().readAllBytes()).trim();
    }

    /** Runs compose/demo-env.sh into this file and reads what it wrote. */
    private static Map<String, String> demoEnvironment(Path file) throws Exception {
        Process script = new ProcessBuilder("sh", ROOT.resolve("compose/demo-env.sh").toString(), file.toString())
                .redirectErrorStream(true).start();
        assertThat(script.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(script.exitValue()).as(new String(script.getInputStream().readAllBytes())).isZero();
        return demoEnvironmentIn(file);
    }

    private static Map<String, String> demoEnvironmentIn(Path file) throws IOException {
        Map<String, String> variables = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.startsWith("#") && line.contains("=")) {
                variables.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            }
        }
        return variables;
    }

    /** The variables a compose file requires ({@code ${VAR:?message}}). */
    private static Set<String> requiredVariables(String file) {
        Set<String> required = new TreeSet<>();
        for (Matcher use = VARIABLE.matcher(DeploymentFiles.read(ROOT.resolve(file))); use.find(); ) {
            if (":?".equals(use.group(2))) {
                required.add(use.group(1));
            }
        }
        return required;
    }

    /** Binds these variables as Boot binds a container's environment (SPRING_KAFKA_X to spring.kafka.x, ...). */
    private static Binder binder(Map<String, ?> variables) {
        Map<String, Object> values = new HashMap<>();
        variables.forEach((name, value) -> values.put(name, String.valueOf(value)));
        StandardEnvironment environment = new StandardEnvironment();
        // The name makes Boot map the variables with its relaxed rules for the system environment.
        environment.getPropertySources().addFirst(new SystemEnvironmentPropertySource(
                "compose-" + StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, values));
        return new Binder(ConfigurationPropertySources.get(environment));
    }

    /** Compose's merge of an override file: mappings merged key by key, the override's value winning. */
    private static Map<String, Map<String, Object>> merge(Map<String, Map<String, Object>> base,
                                                          Map<String, Map<String, Object>> override) {
        Map<String, Map<String, Object>> merged = new LinkedHashMap<>();
        base.forEach((name, service) -> merged.put(name, service));
        override.forEach((name, service) -> merged.put(name, deepMerge(base.getOrDefault(name, Map.of()), service)));
        return merged;
    }

    private static Map<String, Object> deepMerge(Map<String, Object> base, Map<String, Object> override) {
        Map<String, Object> merged = new LinkedHashMap<>(base);
        override.forEach((key, value) -> merged.merge(key, value, (left, right) ->
                left instanceof Map<?, ?> && right instanceof Map<?, ?> ? deepMerge(map(left), map(right)) : right));
        return merged;
    }

    /** The script a service runs: its entrypoint's file, found where the service mounts it from. */
    private String script(String service) {
        List<String> entrypoint = list(services.get(service).get("entrypoint"));
        String inContainer = entrypoint.get(entrypoint.size() - 1);
        String mount = list(services.get(service).get("volumes")).stream()
                .filter(volume -> volume.contains(":" + inContainer + ":")).findFirst().orElseThrow();
        return DeploymentFiles.read(ROOT.resolve(mount.substring(0, mount.indexOf(':'))));
    }

    /** The {@code key=value} lines of a script: a configuration it writes. */
    private static Map<String, String> properties(String script) {
        Map<String, String> properties = new HashMap<>();
        Matcher line = Pattern.compile("(?m)^([a-z][a-z0-9._-]*)=(.*)$").matcher(script);
        while (line.find()) {
            properties.put(line.group(1), line.group(2));
        }
        return properties;
    }

    /** Listener name to security protocol, from {@code listener.security.protocol.map}. */
    private static Map<String, String> listenerProtocols(Map<String, String> broker) {
        Map<String, String> protocols = new TreeMap<>();
        for (String entry : broker.get("listener.security.protocol.map").split(",")) {
            protocols.put(entry.substring(0, entry.indexOf(':')), entry.substring(entry.indexOf(':') + 1));
        }
        Set<String> listeners = new TreeSet<>();
        for (String listener : broker.get("listeners").split(",")) {
            listeners.add(listener.substring(0, listener.indexOf(':')));
        }
        assertThat(protocols.keySet()).as("every listener has a protocol").isEqualTo(listeners);
        return protocols;
    }

    /** The application a service of compose runs: its instances are numbered, its migration job is {@code -migrate}. */
    private static String application(String service) {
        return service.replaceAll("-(\\d|migrate)$", "");
    }

    private Map<String, Object> environment(String service) {
        return map(services.get(service).get("environment"));
    }
}
