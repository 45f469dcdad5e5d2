package io.qrvoucher.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * No Docker engine runs here, so docker-compose.yml is checked as text: that it parses, and that it
 * agrees with the applications — the topics and their policies, the environment variables each
 * service reads, the ports its health checks and Dockerfile use.
 */
class ComposeFileTest {

    private static final Path ROOT = Path.of("..");
    private static final Map<String, String> CONFIG_OF = Map.of(
            "ingress-api", "ingress-api/src/main/resources/ingress-api.yml",
            "ledger-adapter", "ledger-adapter/src/main/resources/ledger-adapter.yml",
            "voucher-streams", "voucher-streams/src/main/resources/voucher-streams.yml");

    private final Map<String, Object> compose = yaml(ROOT.resolve("docker-compose.yml"));
    private final Map<String, Map<String, Object>> services = map(compose.get("services"));

    @Test
    void aThreeNodeKraftClusterOfTheOfficialImage() {
        List<String> nodes = services.keySet().stream().filter(name -> name.matches("kafka-\\d")).sorted().toList();

        assertThat(nodes).containsExactly("kafka-1", "kafka-2", "kafka-3");
        Set<Object> ids = new HashSet<>();
        for (String node : nodes) {
            Map<String, Object> service = services.get(node);
            Map<String, Object> environment = map(service.get("environment"));
            assertThat(service.get("image").toString()).startsWith("apache/kafka:");
            assertThat(environment.get("KAFKA_PROCESS_ROLES")).isEqualTo("broker,controller");
            assertThat(environment.get("KAFKA_CONTROLLER_QUORUM_VOTERS")).isEqualTo("1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093");
            assertThat(environment.get("KAFKA_MIN_INSYNC_REPLICAS")).isEqualTo(2);
            assertThat(environment.get("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR")).isEqualTo(3);
            assertThat(environment.get("KAFKA_ADVERTISED_LISTENERS")).isEqualTo("PLAINTEXT://" + node + ":9092");
            assertThat(service).containsKey("healthcheck");
            ids.add(environment.get("KAFKA_NODE_ID"));
        }
        assertThat(ids).hasSize(3);
    }

    @Test
    void theInitJobCreatesEveryTopicWithItsPolicyReplicatedThreeTimes() {
        String script = String.join("\n", list(services.get("kafka-init").get("command")));
        Matcher creates = Pattern.compile("(?m)^\\s*create ([a-z-]+)(.*)$").matcher(script);
        Map<String, String> topics = new java.util.TreeMap<>();
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
        for (String service : List.of("ingress-api", "ledger-adapter-1", "ledger-adapter-2", "voucher-streams-1",
                "voucher-streams-2")) {
            String application = service.replaceAll("-\\d$", "");
            String config = Files.readString(ROOT.resolve(CONFIG_OF.get(application)));
            for (String variable : environment(service).keySet()) {
                if (!variable.startsWith("SPRING_")) { // Spring Boot's own properties, bound by their names
                    assertThat(config).as(service + " reads " + variable).contains("${" + variable + ":");
                }
            }
            assertThat(environment(service)).as(service).containsKey("KAFKA_BOOTSTRAP_SERVERS");
        }
        assertThat(environment("ledger-adapter-1")).containsKeys("LEDGER_DB_URL", "LEDGER_DB_USER", "LEDGER_DB_PASSWORD",
                "SPRING_FLYWAY_USER", "SPRING_FLYWAY_PASSWORD");
        assertThat(environment("ledger-adapter-1").get("LEDGER_DB_USER")).as("the service is not the schema's owner")
                .isNotEqualTo(environment("ledger-adapter-1").get("SPRING_FLYWAY_USER"));
        assertThat(environment("voucher-streams-1")).containsKey("REQUEST_SIGNING_KEY");
        assertThat(environment("ingress-api")).containsKey("REQUEST_SIGNING_KEY");
        assertThat(environment("ingress-api")).containsKeys("INGRESS_CODE_SECRET", "INGRESS_JWK_SET_URI");
    }

    @Test
    void healthChecksAndDockerfilesUseThePortEachApplicationServesItsActuatorOn() throws IOException {
        for (String service : List.of("ingress-api", "ledger-adapter-1", "voucher-streams-1")) {
            String application = service.replaceAll("-\\d$", "");
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
    void dockerComposeItselfAcceptsTheFile() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/docker-compose")), "docker-compose is not installed");
        Process config = new ProcessBuilder("/usr/bin/docker-compose", "-f", "docker-compose.yml", "config", "-q")
                .directory(ROOT.toFile()).redirectErrorStream(true).start();
        assertThat(config.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(config.exitValue()).as(new String(config.getInputStream().readAllBytes())).isZero();
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
