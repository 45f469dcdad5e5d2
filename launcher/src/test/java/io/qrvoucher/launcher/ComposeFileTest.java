package io.qrvoucher.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.yaml.snakeyaml.Yaml;

import io.qrvoucher.launcher.KafkaAcls.Service;
import io.qrvoucher.support.KafkaConnection;

/**
 * No Docker engine runs here, so docker-compose.yml is checked as text: that it parses, and that it
 * agrees with the applications — the topics and their policies, the environment variables each
 * service reads, the ports its health checks and Dockerfile use — and with the pipeline's Kafka security:
 * the brokers' listeners and authorizer, the ACLs kafka-init grants ({@link KafkaAcls}), each service's login.
 */
class ComposeFileTest {

    private static final Path ROOT = Path.of("..");
    private static final Map<String, String> CONFIG_OF = Map.of(
            "ingress-api", "ingress-api/src/main/resources/ingress-api.yml",
            "ledger-adapter", "ledger-adapter/src/main/resources/ledger-adapter.yml",
            "voucher-streams", "voucher-streams/src/main/resources/voucher-streams.yml");
    private static final Map<String, Service> PRINCIPAL_OF = Map.of(
            "ingress-api", Service.INGRESS, "ledger-adapter", Service.LEDGER_ADAPTER, "voucher-streams", Service.VOUCHER_STREAMS);
    private static final List<String> SERVICES = List.of("ingress-api", "ledger-adapter-1", "ledger-adapter-2",
            "voucher-streams-1", "voucher-streams-2");
    private static final List<String> PASSWORDS = List.of("KAFKA_ADMIN_PASSWORD", "KAFKA_INGRESS_PASSWORD",
            "KAFKA_VOUCHER_STREAMS_PASSWORD", "KAFKA_LEDGER_ADAPTER_PASSWORD");

    private final Map<String, Object> compose = yaml(ROOT.resolve("docker-compose.yml"));
    private final Map<String, Map<String, Object>> services = map(compose.get("services"));

    @Test
    void aThreeNodeKraftClusterOfTheOfficialImage() throws IOException {
        List<String> nodes = services.keySet().stream().filter(name -> name.matches("kafka-\\d")).sorted().toList();

        assertThat(nodes).containsExactly("kafka-1", "kafka-2", "kafka-3");
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
                .containsEntry("advertised.listeners", "CLIENT://$host:9092,INTERNAL://$host:9094")
                .containsEntry("min.insync.replicas", "2")
                .containsEntry("transaction.state.log.replication.factor", "3")
                .containsEntry("auto.create.topics.enable", "false");
        assertThat(script("kafka-1")).contains("host=kafka-$KAFKA_NODE_ID");
    }

    @Test
    void theBrokersAuthenticateEveryConnectionOverTlsAndAuthorizeByAcls() throws IOException {
        Map<String, String> broker = properties(script("kafka-1"));

        assertThat(broker.get("listener.security.protocol.map").split(","))
                .containsExactlyInAnyOrder("CLIENT:SASL_SSL", "CONTROLLER:SSL", "INTERNAL:SSL");
        assertThat(broker).containsEntry("listener.name.client.sasl.enabled.mechanisms", "SCRAM-SHA-512")
                // Between brokers and to the controllers: only a holder of the brokers' certificate.
                .containsEntry("inter.broker.listener.name", "INTERNAL")
                .containsEntry("listener.name.controller.ssl.client.auth", "required")
                .containsEntry("listener.name.internal.ssl.client.auth", "required")
                .containsEntry("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
                .containsEntry("super.users", "User:admin;User:kafka-broker")
                .containsEntry("allow.everyone.if.no.acl.found", "false");
        assertThat(script("kafka-certificates")).contains("-dname \"CN=kafka-broker\"")
                .contains("SAN=dns:kafka-1,dns:kafka-2,dns:kafka-3");
    }

    @Test
    void theInitJobCreatesEveryTopicWithItsPolicyReplicatedThreeTimes() throws IOException {
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
    void theInitJobGrantsExactlyTheAclsOfTheOneDefinitionToAUserPerService() throws IOException {
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
            StandardEnvironment environment = new StandardEnvironment();
            // Bound as Boot binds a container's environment: the name makes Boot map SPRING_KAFKA_X to spring.kafka.x.
            environment.getPropertySources().addFirst(new SystemEnvironmentPropertySource(
                    "compose-" + StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, spring));
            KafkaProperties kafka = new Binder(ConfigurationPropertySources.get(environment))
                    .bindOrCreate("spring.kafka", KafkaProperties.class);
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
    void theKafkaPasswordsHaveNoDefaults() throws IOException {
        String file = Files.readString(ROOT.resolve("docker-compose.yml"));
        for (String password : PASSWORDS) {
            assertThat(file).contains("${" + password + ":?");
            assertThat(file).doesNotContain("${" + password + ":-").doesNotContain("${" + password + "}");
        }
    }

    @Test
    void twoInstancesOfTheStreamsAndTheLedgerWithTheirOwnNames() {
        assertThat(services).containsKeys("ledger-adapter-1", "ledger-adapter-2", "voucher-streams-1", "voucher-streams-2",
                "ingress-api", "postgres");
        assertThat(environment("voucher-streams-1").get("VOUCHER_INSTANCE_ID"))
                .isNotEqualTo(environment("voucher-streams-2").get("VOUCHER_INSTANCE_ID"));
        assertThat(list(services.get("voucher-streams-1").get("volumes")))
                .isNotEqualTo(list(services.get("voucher-streams-2").get("volumes")));
    }

    @Test
    void everyVariableAServiceIsGivenIsOneItsApplicationReads() throws IOException {
        for (String service : SERVICES) {
            String config = Files.readString(ROOT.resolve(CONFIG_OF.get(application(service))));
            for (String variable : environment(service).keySet()) {
                if (!variable.startsWith("SPRING_")) { // Spring Boot's own properties, bound by their names
                    assertThat(config).as(service + " reads " + variable).contains("${" + variable + ":");
                }
            }
            assertThat(environment(service)).as(service).containsKey("KAFKA_BOOTSTRAP_SERVERS");
        }
        assertThat(environment("ledger-adapter-1")).containsKeys("LEDGER_DB_URL", "LEDGER_DB_USER", "LEDGER_DB_PASSWORD",
                "SPRING_FLYWAY_USER", "SPRING_FLYWAY_PASSWORD", "LEDGER_ADMIN_PASSWORD");
        assertThat(environment("ledger-adapter-1").get("LEDGER_DB_USER")).as("the service is not the schema's owner")
                .isNotEqualTo(environment("ledger-adapter-1").get("SPRING_FLYWAY_USER"));
        assertThat(environment("voucher-streams-1")).containsKey("REQUEST_SIGNING_KEY");
        assertThat(environment("ingress-api")).containsKey("REQUEST_SIGNING_KEY");
        assertThat(environment("ingress-api")).containsKeys("INGRESS_CODE_SECRET", "INGRESS_JWK_SET_URI");
    }

    @Test
    void healthChecksAndDockerfilesUseThePortEachApplicationServesItsActuatorOn() throws IOException {
        for (String service : List.of("ingress-api", "ledger-adapter-1", "voucher-streams-1")) {
            String application = application(service);
            Map<String, Object> config = yaml(ROOT.resolve(CONFIG_OF.get(application)));
            Port http = Port.of(at(config, "server", "port"));
            Port actuator = at(config, "management", "server", "port") == null ? http
                    : Port.of(at(config, "management", "server", "port"));
            String dockerfile = Files.readString(ROOT.resolve(application).resolve("Dockerfile"));

            for (Port port : new HashSet<>(List.of(http, actuator))) {
                assertThat(environment(service).get(port.variable()).toString()).as(service).isEqualTo(port.number());
                assertThat(dockerfile).as(application).containsPattern("EXPOSE .*\\b" + port.number() + "\\b");
            }
            assertThat(String.join(" ", list(map(services.get(service).get("healthcheck")).get("test"))))
                    .contains("localhost:" + actuator.number() + "/actuator/health/readiness");
            assertThat(dockerfile).contains("localhost:" + actuator.number() + "/actuator/health/readiness");
        }
    }

    @Test
    void onlyTheIngressApiIsPublishedNotItsActuator() {
        Map<String, Object> config = yaml(ROOT.resolve(CONFIG_OF.get("ingress-api")));
        assertThat(at(config, "management", "server", "port")).as("the ingress's management port").isNotNull();
        Port api = Port.of(at(config, "server", "port"));
        Port actuator = Port.of(at(config, "management", "server", "port"));

        assertThat(actuator.number()).isNotEqualTo(api.number());
        assertThat(list(services.get("ingress-api").get("ports"))).containsExactly(api.number() + ":" + api.number());
    }

    /** A port as the application's configuration gives it: {@code ${VARIABLE:default}}. */
    private record Port(String variable, String number) {
        static Port of(Object placeholder) {
            Matcher port = Pattern.compile("\\$\\{(\\w+):(\\d+)}").matcher(String.valueOf(placeholder));
            assertThat(port.matches()).as(placeholder + " is ${VARIABLE:port}").isTrue();
            return new Port(port.group(1), port.group(2));
        }
    }

    /** The value at a path of nested YAML maps, or null. */
    private static Object at(Map<String, Object> yaml, String... path) {
        Object value = yaml;
        for (String key : path) {
            value = value instanceof Map<?, ?> map ? map.get(key) : null;
        }
        return value;
    }

    @Test
    void dockerComposeItselfAcceptsTheFileOnlyWithTheKafkaPasswordsSet() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/docker-compose")), "docker-compose is not installed");
        Map<String, String> passwords = new HashMap<>();
        PASSWORDS.forEach(password -> passwords.put(password, "not-a-secret"));

        assertThat(dockerComposeConfig(passwords)).isEqualTo("");
        passwords.remove("KAFKA_INGRESS_PASSWORD");
        assertThat(dockerComposeConfig(passwords)).contains("Set KAFKA_INGRESS_PASSWORD");
    }

    /** What {@code docker-compose config -q} says with these variables: nothing when the file is valid. */
    private static String dockerComposeConfig(Map<String, String> variables) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("/usr/bin/docker-compose", "-f", "docker-compose.yml", "config", "-q")
                .directory(ROOT.toFile()).redirectErrorStream(true);
        PASSWORDS.forEach(builder.environment()::remove);
        builder.environment().putAll(variables);
        Process config = builder.start();
        assertThat(config.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new String(config.getInputStream().readAllBytes()).trim();
    }

    /** The script a service runs: its entrypoint's file, found where the service mounts it from. */
    private String script(String service) throws IOException {
        List<String> entrypoint = list(services.get(service).get("entrypoint"));
        String inContainer = entrypoint.get(entrypoint.size() - 1);
        String mount = list(services.get(service).get("volumes")).stream()
                .filter(volume -> volume.contains(":" + inContainer + ":")).findFirst().orElseThrow();
        return Files.readString(ROOT.resolve(mount.substring(0, mount.indexOf(':'))));
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

    private static String application(String service) {
        return service.replaceAll("-\\d$", "");
    }

    private Map<String, Object> environment(String service) {
        return map(services.get(service).get("environment"));
    }

    @SuppressWarnings("unchecked")
    private static <V> Map<String, V> map(Object value) {
        return (Map<String, V>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<String> list(Object value) {
        return new ArrayList<>(((List<Object>) value).stream().map(String::valueOf).toList());
    }

    private static Map<String, Object> yaml(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return new Yaml().load(in);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
