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
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Profile;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.model.annotation.Group;
import io.qrvoucher.launcher.DeploymentFiles.Stage;
import io.qrvoucher.support.internal.InternalApi;
import io.qrvoucher.webhook.core.AddressPolicy;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.kafka.KafkaAuthorizationSimple;
import io.strimzi.api.kafka.model.kafka.PersistentClaimStorage;
import io.strimzi.api.kafka.model.kafka.JbodStorage;
import io.strimzi.api.kafka.model.kafka.listener.GenericKafkaListener;
import io.strimzi.api.kafka.model.kafka.listener.KafkaListenerAuthenticationScramSha512;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.nodepool.ProcessRoles;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import io.strimzi.api.kafka.model.user.KafkaUserAuthorizationSimple;
import io.strimzi.api.kafka.model.user.KafkaUserScramSha512ClientAuthentication;
import io.strimzi.api.kafka.model.user.acl.AclRule;
import io.strimzi.api.kafka.model.user.acl.AclRuleGroupResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleTopicResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleTransactionalIdResource;
import io.strimzi.api.kafka.model.user.acl.AclResourcePatternType;

/**
 * No cluster runs here, so the Kubernetes manifests (k8s/: a base, the production and demo overlays, the tools)
 * are read with the models of the operators and of Kubernetes — Strimzi's {@code io.strimzi:api} for Kafka,
 * KafkaNodePool, KafkaTopic and KafkaUser, fabric8's for the rest — and a field either model does not know fails.
 * CloudNativePG publishes no Java model: its resources are read as generic ones and checked for what the
 * pipeline relies on. Then the manifests are held to the project's own definitions: the topics of
 * {@link PipelineTopics}, the principals and ACLs of {@link KafkaAcls}, the properties the applications read,
 * the Dockerfile's heap shares, the cluster settings compose uses. Where kubectl is installed, each overlay is
 * rendered with its kustomize and checked the same way.
 */
class KubernetesManifestsTest {

    private static final Path K8S = ROOT.resolve("k8s");
    private static final Map<String, Class<?>> MODEL_OF = Map.ofEntries(
            Map.entry("v1/Service", Service.class),
            Map.entry("v1/ConfigMap", ConfigMap.class),
            Map.entry("apps/v1/Deployment", Deployment.class),
            Map.entry("apps/v1/StatefulSet", StatefulSet.class),
            Map.entry("policy/v1/PodDisruptionBudget", PodDisruptionBudget.class),
            Map.entry("batch/v1/Job", Job.class),
            Map.entry("networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class),
            Map.entry(strimzi(Kafka.class), Kafka.class),
            Map.entry(strimzi(KafkaNodePool.class), KafkaNodePool.class),
            Map.entry(strimzi(KafkaTopic.class), KafkaTopic.class),
            Map.entry(strimzi(KafkaUser.class), KafkaUser.class),
            // CloudNativePG and its Barman Cloud plugin: no Java model is published.
            Map.entry("postgresql.cnpg.io/v1/Cluster", GenericKubernetesResource.class),
            Map.entry("postgresql.cnpg.io/v1/ScheduledBackup", GenericKubernetesResource.class),
            Map.entry("barmancloud.cnpg.io/v1/ObjectStore", GenericKubernetesResource.class));
    private static final Map<String, KafkaAcls.Service> SERVICE_OF = Stream.of(KafkaAcls.Service.values())
            .collect(Collectors.toMap(KafkaAcls.Service::user, service -> service));
    /** The partitions that must be equal: a voucher's requests and results, a customer's settings changes and settings. */
    private static final List<List<String>> CO_PARTITIONED = List.of(List.of("voucher-requests", "ledger-results"),
            List.of("settings-changes", "customer-settings"));
    private static final List<String> DURABILITY = List.of("default.replication.factor", "min.insync.replicas",
            "offsets.topic.replication.factor", "transaction.state.log.replication.factor", "transaction.state.log.min.isr",
            "auto.create.topics.enable");
    /** The services with a database of their own: the variables of their connection (URL, role, password), as compose's. */
    private static final Map<String, List<String>> DATABASE_OF = Map.of(
            "ledger-adapter", List.of("LEDGER_DB_URL", "LEDGER_DB_USER", "LEDGER_DB_PASSWORD"),
            "webhook-delivery", List.of("WEBHOOK_DB_URL", "WEBHOOK_DB_USER", "WEBHOOK_DB_PASSWORD"));
    /** The ingress's addresses of the services it calls, by the application that serves them. */
    private static final Map<String, String> INGRESS_URLS_OF = Map.of("voucher-streams", "INGRESS_VOUCHER_STREAMS_URLS",
            "ledger-adapter", "INGRESS_LEDGER_URLS", "webhook-delivery", "INGRESS_WEBHOOKS_URLS");
    /** A variable a configuration file reads: {@code ${VARIABLE:default}}. */
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{(\\w+)(?::[^}]*)?}");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, List<Manifest>> RENDERED = new ConcurrentHashMap<>();
    /** The configtree file a called service checks the internal API's seals with: its own key, id k1. */
    private static final String INTERNAL_API_KEY_FILE = "internal-api.keys.k1";
    /** The secret of the internal APIs' keys: one key per called service, named after it. */
    private static final String INTERNAL_API_KEY_SECRET = "internal-api-key";
    /** The services with an internal API, by the names the ingress knows their keys by ({@code internal-api.callees.<name>}). */
    private static final Set<String> CALLED = Set.copyOf(InternalApi.SERVICES);

    /** One resource: where it came from, its YAML, and the model it was read into. */
    record Manifest(String source, Map<String, Object> yaml, HasMetadata model) {
        String kind() {
            return model.getKind();
        }

        String name() {
            return model.getMetadata().getName();
        }
    }

    @Test
    void everyManifestIsAKindTheStrimziOrKubernetesModelsReadWithNoUnknownField() {
        List<Manifest> all = new ArrayList<>();
        for (Path file : resourceFiles()) {
            all.addAll(read(file));
        }
        assertThat(all).isNotEmpty();
        for (Manifest manifest : all) {
            if (!(manifest.model() instanceof GenericKubernetesResource)) {
                assertThat(unknownFields(manifest.model())).as(manifest.source()).isEmpty();
            }
        }
        assertThat(all.stream().map(Manifest::kind)).contains("Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "Cluster",
                "Deployment", "StatefulSet", "PodDisruptionBudget", "Service", "Job", "NetworkPolicy");
    }

    @Test
    void everyFileIsAResourceOrAPatchOfAKustomizationOrATool() throws IOException {
        Set<Path> referenced = new HashSet<>();
        for (Path kustomization : kustomizations()) {
            Map<String, Object> spec = yaml(kustomization);
            Path dir = kustomization.getParent();
            for (String resource : list(spec.get("resources"))) {
                Path target = dir.resolve(resource).normalize();
                assertThat(target).as(kustomization + " names " + resource).exists();
                referenced.add(Files.isDirectory(target) ? target.resolve("kustomization.yaml") : target);
            }
            for (Object patch : (List<?>) spec.getOrDefault("patches", List.of())) {
                Object path = map(patch).get("path");
                if (path != null) {
                    assertThat(dir.resolve(path.toString())).as(kustomization + " patches with " + path).exists();
                    referenced.add(dir.resolve(path.toString()).normalize());
                }
            }
        }
        try (Stream<Path> files = Files.walk(K8S)) {
            for (Path file : files.filter(path -> path.toString().endsWith(".yaml")).map(Path::normalize).toList()) {
                boolean tool = file.startsWith(K8S.resolve("tools").normalize());
                assertThat(tool || referenced.contains(file) || file.getFileName().toString().equals("kustomization.yaml"))
                        .as(file + " is used").isTrue();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/production", "overlays/demo"})
    void theKafkaClusterHasThreeKraftNodesThatAuthenticateEveryClientOverTlsConfiguredLikeCompose(String source) {
        List<Manifest> manifests = manifests(source);
        Kafka kafka = only(manifests, Kafka.class);
        List<KafkaNodePool> pools = all(manifests, KafkaNodePool.class);

        assertThat(pools).allSatisfy(pool -> assertThat(pool.getMetadata().getLabels())
                .containsEntry("strimzi.io/cluster", kafka.getMetadata().getName()));
        assertThat(pools.stream().filter(pool -> pool.getSpec().getRoles().contains(ProcessRoles.CONTROLLER))
                .mapToInt(pool -> pool.getSpec().getReplicas()).sum()).as("controllers").isEqualTo(3);
        assertThat(pools.stream().filter(pool -> pool.getSpec().getRoles().contains(ProcessRoles.BROKER))
                .mapToInt(pool -> pool.getSpec().getReplicas()).sum()).as("brokers").isGreaterThanOrEqualTo(3);
        for (KafkaNodePool pool : pools) {
            assertThat(pool.getSpec().getStorage()).isInstanceOf(JbodStorage.class);
            assertThat(((JbodStorage) pool.getSpec().getStorage()).getVolumes())
                    .allSatisfy(volume -> assertThat(volume).isInstanceOf(PersistentClaimStorage.class));
        }
        // Every listener is TLS with SCRAM-SHA-512 logins, like compose's client listeners.
        assertThat(kafka.getSpec().getKafka().getListeners()).isNotEmpty().allSatisfy(listener -> {
            assertThat(listener.isTls()).as(listener.getName()).isTrue();
            assertThat(listener.getAuth()).as(listener.getName()).isInstanceOf(KafkaListenerAuthenticationScramSha512.class);
        });
        // Authorization by ACLs; the only super user is compose's operator (the brokers are Strimzi's own business).
        Map<String, String> node = composeNode();
        assertThat(kafka.getSpec().getKafka().getAuthorization()).isInstanceOf(KafkaAuthorizationSimple.class);
        Set<String> composeSuperUsers = Stream.of(node.get("super.users").split(";"))
                .map(principal -> principal.substring("User:".length())).filter(user -> !user.equals("kafka-broker"))
                .collect(Collectors.toSet());
        assertThat(((KafkaAuthorizationSimple) kafka.getSpec().getKafka().getAuthorization()).getSuperUsers())
                .containsExactlyInAnyOrderElementsOf(composeSuperUsers);
        // Replication and durability as compose's nodes have them.
        Map<String, Object> config = kafka.getSpec().getKafka().getConfig();
        for (String key : DURABILITY) {
            assertThat(String.valueOf(config.get(key))).as(key).isEqualTo(node.get(key));
        }
        assertThat(kafka.getSpec().getEntityOperator().getTopicOperator()).as("topics are KafkaTopics").isNotNull();
        assertThat(kafka.getSpec().getEntityOperator().getUserOperator()).as("users are KafkaUsers").isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/production", "overlays/demo"})
    void everyTopicOfTheRegistryIsAKafkaTopicWithItsPolicy(String source) {
        List<Manifest> manifests = manifests(source);
        String cluster = only(manifests, Kafka.class).getMetadata().getName();
        Map<String, KafkaTopic> topics = new HashMap<>();
        for (KafkaTopic topic : all(manifests, KafkaTopic.class)) {
            String name = topic.getSpec().getTopicName() == null ? topic.getMetadata().getName() : topic.getSpec().getTopicName();
            topics.put(name, topic);
            assertThat(topic.getMetadata().getLabels()).as(name).containsEntry("strimzi.io/cluster", cluster);
        }

        assertThat(topics.keySet()).containsExactlyInAnyOrderElementsOf(PipelineTopics.ALL);
        topics.forEach((name, topic) -> {
            assertThat(topic.getSpec().getReplicas()).as(name).isEqualTo(3);
            Map<String, String> config = new HashMap<>();
            topic.getSpec().getConfig().forEach((key, value) -> config.put(key, String.valueOf(value)));
            assertThat(config).as(name).isEqualTo(PipelineTopics.configOf(name, (short) 3));
        });
        for (List<String> pair : CO_PARTITIONED) {
            assertThat(topics.get(pair.get(0)).getSpec().getPartitions()).as(pair.toString())
                    .isEqualTo(topics.get(pair.get(1)).getSpec().getPartitions());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/production", "overlays/demo"})
    void eachServiceIsAKafkaUserWithExactlyTheAclsOfTheOneDefinitionAndTheOperatorIsTheSuperUser(String source) {
        List<Manifest> manifests = manifests(source);
        Kafka kafka = only(manifests, Kafka.class);
        List<String> superUsers = ((KafkaAuthorizationSimple) kafka.getSpec().getKafka().getAuthorization()).getSuperUsers();
        Map<String, KafkaUser> users = all(manifests, KafkaUser.class).stream()
                .collect(Collectors.toMap(user -> user.getMetadata().getName(), user -> user));

        Set<String> expected = new TreeSet<>(SERVICE_OF.keySet());
        expected.addAll(superUsers);
        assertThat(users.keySet()).containsExactlyInAnyOrderElementsOf(expected);
        users.forEach((name, user) -> {
            assertThat(user.getMetadata().getLabels()).as(name).containsEntry("strimzi.io/cluster", kafka.getMetadata().getName());
            assertThat(user.getSpec().getAuthentication()).as(name).isInstanceOf(KafkaUserScramSha512ClientAuthentication.class);
        });
        SERVICE_OF.forEach((name, service) -> assertThat(acls(users.get(name))).as(name)
                .containsExactlyInAnyOrderElementsOf(KafkaAcls.of(service)));
        superUsers.forEach(name -> assertThat(users.get(name).getSpec().getAuthorization()).as(name + " needs no ACL").isNull());
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/production", "overlays/demo"})
    void eachServiceLogsInAsItsOwnKafkaUserOverTlsTrustingTheClusterCa(String source) {
        List<Manifest> manifests = manifests(source);
        Kafka kafka = only(manifests, Kafka.class);
        String cluster = kafka.getMetadata().getName();
        Set<String> bootstraps = kafka.getSpec().getKafka().getListeners().stream()
                .map(listener -> cluster + "-kafka-bootstrap:" + listener.getPort()).collect(Collectors.toSet());

        for (Workload workload : workloads(manifests)) {
            Map<String, String> env = workload.env();
            assertThat(bootstraps).as(workload.name()).contains(env.get("KAFKA_BOOTSTRAP_SERVERS"));
            assertThat(env).as(workload.name()).containsEntry("SPRING_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
                    .containsEntry("SPRING_KAFKA_PROPERTIES_SASL_MECHANISM", "SCRAM-SHA-512")
                    .containsEntry("SPRING_KAFKA_SSL_TRUSTSTORETYPE", "PEM");
            // Its login is its own KafkaUser's, from the secret Strimzi makes for it.
            assertThat(workload.secretFiles()).as(workload.name())
                    .containsEntry("spring.kafka.properties.sasl.jaas.config", workload.name() + "/sasl.jaas.config");
            assertThat(SERVICE_OF).as(workload.name() + " is a principal of KafkaAcls").containsKey(workload.name());
            // It trusts the cluster's CA, mounted where its trust store points.
            String truststore = env.get("SPRING_KAFKA_SSL_TRUSTSTORELOCATION").replaceFirst("^file:", "");
            assertThat(workload.mountedSecretFiles()).as(workload.name())
                    .containsEntry(truststore, cluster + "-cluster-ca-cert/ca.crt");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/production", "overlays/demo"})
    void everyVariableAndSecretFileIsAPropertyTheApplicationReads(String source) {
        for (Workload workload : workloads(manifests(source))) {
            String config = DeploymentFiles.read(ROOT.resolve(CONFIG_OF.get(workload.name())));
            for (Container container : workload.allContainers()) {
                String name = workload.name() + "/" + container.getName();
                Map<String, String> env = workload.env(container);
                for (String variable : env.keySet()) {
                    boolean expanded = env.values().stream().anyMatch(value -> value != null && value.contains("$(" + variable + ")"));
                    boolean read = variable.startsWith("SPRING_") || config.contains("${" + variable + ":")
                            || DeploymentFiles.propertyOfVariable(variable) != null || expanded;
                    assertThat(read).as(name + " reads " + variable).isTrue();
                }
                // Secrets are files named after properties (Spring's configtree at /run/secrets).
                assertThat(workload.mountedSecretFiles(container).keySet()).as(name).anyMatch(path -> path.startsWith("/run/secrets/"));
                for (String property : workload.secretFiles(container).keySet()) {
                    assertThat(bindsProperty(property)).as(name + " declares " + property).isTrue();
                }
            }
        }
    }

    /**
     * Whether a property is one an application binds: declared ({@link DeploymentFiles#declaredProperty}), and where
     * it lies under a map, the part after the map's key is a property of the map's values. The metadata declares a
     * map of objects only as the map ({@code internal-api.callees}, values {@code InternalApi$Callee}), so
     * {@code internal-api.callees.<service>.key} must name a field of the value type, in Boot's kebab case; a map of
     * plain values ({@code internal-api.keys}) takes any key.
     */
    private static boolean bindsProperty(String property) {
        if (!DeploymentFiles.declaredProperty(property)) {
            return false;
        }
        Map<String, String> declared = DeploymentFiles.declaredProperties();
        if (declared.containsKey(property)) {
            return true;
        }
        for (int dot = property.lastIndexOf('.'); dot > 0; dot = property.lastIndexOf('.', dot - 1)) {
            String type = declared.get(property.substring(0, dot));
            if (type == null || !type.startsWith("java.util.Map")) {
                continue;
            }
            Matcher value = Pattern.compile("java\\.util\\.Map<[^,<>]+,([\\w.$]+)>").matcher(type);
            if (!value.matches() || value.group(1).startsWith("java.")) {
                return true; // a map of plain values (String, BigDecimal, ...): the rest is the key
            }
            Class<?> valueType;
            try {
                valueType = Class.forName(value.group(1), false, KubernetesManifestsTest.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new AssertionError("the values of " + property.substring(0, dot) + ": " + e.getMessage(), e);
            }
            String rest = property.substring(dot + 1);
            int afterKey = rest.indexOf('.');
            if (afterKey < 0) {
                return false; // the whole object as one file: Boot binds no object from a string
            }
            String field = rest.substring(afterKey + 1);
            return Stream.of(valueType.getDeclaredFields()).filter(f -> !Modifier.isStatic(f.getModifiers()))
                    .map(f -> f.getName().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT))
                    .anyMatch(field::equals);
        }
        return true;
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/production", "overlays/demo"})
    void voucherStreamsIsAStatefulSetWithPersistentStateAndAStableIdentity(String source) {
        List<Manifest> manifests = manifests(source);
        StatefulSet streams = all(manifests, StatefulSet.class).stream()
                .filter(set -> set.getMetadata().getName().equals("voucher-streams")).findFirst().orElseThrow();
        Workload workload = new Workload(streams.getMetadata().getName(), streams.getSpec().getReplicas(),
                streams.getSpec().getTemplate(), claims(streams));
        Map<String, String> env = workload.env();
        Container container = workload.container();

        // The state directory is a volume of each pod's own claim.
        Set<String> claims = claims(streams);
        assertThat(container.getVolumeMounts()).anySatisfy(mount -> {
            assertThat(mount.getMountPath()).isEqualTo(env.get("VOUCHER_STATE_DIR"));
            assertThat(claims).contains(mount.getName());
        });
        // Its name is the pod's: static membership, and its address on the governing headless service.
        String podName = container.getEnv().stream().filter(variable -> variable.getValueFrom() != null
                        && variable.getValueFrom().getFieldRef() != null
                        && variable.getValueFrom().getFieldRef().getFieldPath().equals("metadata.name"))
                .map(EnvVar::getName).findFirst().orElseThrow();
        assertThat(env.get("VOUCHER_INSTANCE_ID")).isEqualTo("$(" + podName + ")");
        Port port = Port.of(at(yaml(ROOT.resolve(CONFIG_OF.get("voucher-streams"))), "server", "port"));
        assertThat(env.get("VOUCHER_ADVERTISED_URL"))
                .isEqualTo("http://$(" + podName + ")." + streams.getSpec().getServiceName() + ":" + env.get(port.variable()));
        Service governing = service(manifests, streams.getSpec().getServiceName());
        assertThat(governing.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(governing.getSpec().getPublishNotReadyAddresses()).as("a standby answers while not ready").isTrue();
        assertThat(streams.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(governing.getSpec().getSelector());
        assertThat(governing.getSpec().getPorts()).extracting(ServicePort::getPort).contains(Integer.valueOf(env.get(port.variable())));
        assertThat(container.getPorts()).anySatisfy(containerPort ->
                assertThat(containerPort.getContainerPort()).isEqualTo(Integer.valueOf(env.get(port.variable()))));
        // More than one instance: standbys; the changelogs are replicated like the topics; no instance idles.
        int replicas = streams.getSpec().getReplicas();
        if (replicas > 1) {
            assertThat(Integer.parseInt(env.get("VOUCHER_STANDBY_REPLICAS"))).isGreaterThanOrEqualTo(1);
        }
        KafkaTopic requests = all(manifests, KafkaTopic.class).stream()
                .filter(topic -> topic.getMetadata().getName().equals("voucher-requests")).findFirst().orElseThrow();
        assertThat(env.get("VOUCHER_REPLICATION_FACTOR")).isEqualTo(String.valueOf(requests.getSpec().getReplicas()));
        assertThat(replicas).isLessThanOrEqualTo(requests.getSpec().getPartitions());
        // The ingress asks any instance for the routing through a service that selects them.
        Workload ingress = workloads(manifests).stream().filter(w -> w.name().equals("ingress-api")).findFirst().orElseThrow();
        for (String url : ingress.env().get("INGRESS_VOUCHER_STREAMS_URLS").split(",")) {
            Matcher address = Pattern.compile("http://([a-z0-9-]+):(\\d+)").matcher(url);
            assertThat(address.matches()).as(url).isTrue();
            Service routing = service(manifests, address.group(1));
            assertThat(streams.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(routing.getSpec().getSelector());
            assertThat(routing.getSpec().getPorts()).extracting(ServicePort::getPort).contains(Integer.valueOf(address.group(2)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/production", "overlays/demo"})
    void probesAskTheActuatorsHealthGroupsOnThePortTheApplicationServesItOn(String source) {
        for (Workload workload : workloads(manifests(source))) {
            Map<String, Object> config = yaml(ROOT.resolve(CONFIG_OF.get(workload.name())));
            Object management = at(config, "management", "server", "port");
            Port actuator = Port.of(management != null ? management : at(config, "server", "port"));
            String number = workload.env().getOrDefault(actuator.variable(), actuator.number());
            Container container = workload.container();

            assertThat(probePath(container, container.getReadinessProbe(), number)).as(workload.name()).isEqualTo("/actuator/health/readiness");
            assertThat(probePath(container, container.getLivenessProbe(), number)).as(workload.name()).isEqualTo("/actuator/health/liveness");
            assertThat(probePath(container, container.getStartupProbe(), number)).as(workload.name()).isEqualTo("/actuator/health/liveness");
            // The groups exist: the application turns the probes' groups on.
            assertThat(at(config, "management", "endpoint", "health", "probes", "enabled")).as(workload.name()).isEqualTo(true);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/production", "overlays/demo"})
    void everyContainerHasRequestsAndLimitsThatLeaveRoomBesideItsHeap(String source) {
        List<Manifest> manifests = manifests(source);
        Map<String, Stage> stages = DeploymentFiles.dockerfileStages();
        for (Workload workload : workloads(manifests)) {
            Container container = workload.container();
            assertThat(container.getResources().getRequests()).as(workload.name()).containsKeys("cpu", "memory");
            assertThat(container.getResources().getLimits()).as(workload.name()).containsKeys("cpu", "memory");
            long limit = quantity(container.getResources().getLimits().get("memory"));
            assertThat(quantity(container.getResources().getRequests().get("memory"))).isLessThanOrEqualTo(limit);
            String target = imageTarget(container.getImage());
            long heap = limit * stages.get(target).maxRamPercentage() / 100;
            long beside = BESIDE_THE_HEAP + (target.equals("voucher-streams") ? ROCKSDB : 0);
            assertThat(limit - heap).as("%s: %d MiB beside a heap of %d MiB", workload.name(), (limit - heap) / MIB, heap / MIB)
                    .isGreaterThanOrEqualTo(beside);
        }
        for (KafkaNodePool pool : all(manifests, KafkaNodePool.class)) {
            Map<String, Quantity> limits = pool.getSpec().getResources().getLimits();
            assertThat(pool.getSpec().getResources().getRequests()).containsKeys("cpu", "memory");
            long limit = quantity(limits.get("memory"));
            assertThat(limit - bytes(pool.getSpec().getJvmOptions().getXmx())).as(pool.getMetadata().getName())
                    .isGreaterThanOrEqualTo(BESIDE_THE_HEAP);
        }
        for (Manifest cluster : kind(manifests, "Cluster")) {
            assertThat(at(spec(cluster), "resources", "limits", "memory")).as("PostgreSQL's limit").isNotNull();
            assertThat(at(spec(cluster), "resources", "requests", "memory")).as("PostgreSQL's request").isNotNull();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/production", "overlays/demo"})
    void everyWorkloadOfMoreThanOneInstanceHasADisruptionBudgetThatKeepsOneUp(String source) {
        List<Manifest> manifests = manifests(source);
        for (Workload workload : workloads(manifests)) {
            assertThat(workload.replicas()).as(workload.name()).isGreaterThan(1);
            PodDisruptionBudget budget = all(manifests, PodDisruptionBudget.class).stream()
                    .filter(pdb -> workload.template().getMetadata().getLabels().entrySet()
                            .containsAll(pdb.getSpec().getSelector().getMatchLabels().entrySet()))
                    .findFirst().orElseThrow(() -> new AssertionError("no PodDisruptionBudget selects " + workload.name()));
            if (budget.getSpec().getMaxUnavailable() != null) {
                assertThat(budget.getSpec().getMaxUnavailable().getIntVal()).as(workload.name()).isBetween(1, workload.replicas() - 1);
            } else {
                assertThat(budget.getSpec().getMinAvailable().getIntVal()).as(workload.name()).isBetween(1, workload.replicas() - 1);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/production", "overlays/demo"})
    void eachServiceConnectsToItsOwnPostgresClusterAsTheApplicationRoleAndMigratesAsTheOwnerAsInCompose(String source) {
        List<Manifest> manifests = manifests(source);
        Map<String, Workload> workloads = workloadsByName(manifests);
        Map<String, Object> composeServices = map(yaml(ROOT.resolve("docker-compose.yml")).get("services"));
        Set<String> clustersUsed = new HashSet<>();

        DATABASE_OF.forEach((service, connection) -> {
            Map<String, String> env = workloads.get(service).env();
            Map<String, Object> compose = map(map(composeServices.get(service + "-1")).get("environment"));
            Matcher url = Pattern.compile("jdbc:postgresql://([a-z0-9-]+)-rw:5432/(\\w+)").matcher(env.get(connection.get(0)));
            assertThat(url.matches()).as(service + ": " + env.get(connection.get(0))).isTrue();
            Manifest cluster = kind(manifests, "Cluster").stream().filter(candidate -> candidate.name().equals(url.group(1)))
                    .findFirst().orElseThrow(() -> new AssertionError(service + ": no Cluster " + url.group(1)));
            assertThat(clustersUsed.add(cluster.name())).as(service + " has a cluster of its own").isTrue();
            Map<String, Object> spec = spec(cluster);

            // Highly available, and a commit is on a standby before the service is told it happened.
            assertThat((Integer) spec.get("instances")).as(cluster.name()).isGreaterThanOrEqualTo(3);
            assertThat(at(spec, "postgresql", "synchronous", "number")).as(cluster.name()).isEqualTo(1);
            assertThat(at(spec, "postgresql", "synchronous", "dataDurability")).as(cluster.name()).isEqualTo("required");
            // The database and its owner, as compose makes them.
            String database = String.valueOf(at(spec, "bootstrap", "initdb", "database"));
            String owner = String.valueOf(at(spec, "bootstrap", "initdb", "owner"));
            assertThat(url.group(2)).as(service).isEqualTo(database);
            assertThat(String.valueOf(compose.get(connection.get(0)))).as(service + " in compose").endsWith("/" + database);
            // Migrations as the owner, with the owner's password from the secret the cluster was made with, in an init
            // container of their own, as compose's job: the service's container holds neither.
            Workload workload = workloads.get(service);
            Container migrations = workload.migrations()
                    .orElseThrow(() -> new AssertionError(service + ": no init container migrate"));
            Map<String, Object> composeMigrations = map(map(composeServices.get(service + "-migrate")).get("environment"));
            assertThat(migrations.getImage()).as(service).isEqualTo(workload.container().getImage());
            assertThat(migrations.getArgs()).as(service).containsExactly("migrate");
            Map<String, String> migrationEnv = workload.env(migrations);
            assertThat(migrationEnv.get("SPRING_FLYWAY_USER")).as(service).isEqualTo(owner)
                    .isEqualTo(composeMigrations.get("SPRING_FLYWAY_USER"));
            assertThat(migrationEnv.get(connection.get(0))).as(service).isEqualTo(env.get(connection.get(0)));
            assertThat(migrationEnv.get(connection.get(1))).as(service).isEqualTo(env.get(connection.get(1)));
            assertThat(workload.secretFiles(migrations)).as(service).containsOnlyKeys("spring.flyway.password")
                    .containsEntry("spring.flyway.password", at(spec, "bootstrap", "initdb", "secret", "name") + "/password");
            assertThat(env).as(service).doesNotContainKey("SPRING_FLYWAY_USER");
            assertThat(workload.secretFiles()).as(service).doesNotContainKey("spring.flyway.password");
            assertThat(workload.mountedSecretFiles()).as(service + ": anywhere in the service's container")
                    .doesNotContainValue(at(spec, "bootstrap", "initdb", "secret", "name") + "/password");
            assertThat(migrations.getCommand()).as(service + ": the image's entrypoint, given migrate").isNullOrEmpty();
            assertThat(migrations.getResources().getLimits()).as(service).containsKey("memory");
            assertThat(migrations.getSecurityContext().getReadOnlyRootFilesystem()).as(service).isTrue();
            assertThat(migrations.getSecurityContext().getAllowPrivilegeEscalation()).as(service).isFalse();
            // Rows as the application role, a managed role that may log in and owns nothing, as compose's.
            Map<String, Object> role = ((List<?>) at(spec, "managed", "roles")).stream().map(DeploymentFiles::<Object>map)
                    .filter(candidate -> env.get(connection.get(1)).equals(candidate.get("name"))).findFirst()
                    .orElseThrow(() -> new AssertionError(service + ": no managed role " + env.get(connection.get(1))));
            assertThat(env.get(connection.get(1))).as(service).isEqualTo(compose.get(connection.get(1))).isNotEqualTo(owner);
            assertThat(role).as(service).containsEntry("login", true).doesNotContainEntry("superuser", true)
                    .doesNotContainEntry("createrole", true);
            assertThat(workloads.get(service).secretFiles().get("spring.datasource.password")).as(service)
                    .isEqualTo(at(role, "passwordSecret", "name") + "/password");
            assertThat(at(spec, "resources", "limits", "memory")).as(cluster.name() + "'s limit").isNotNull();
        });
        assertThat(kind(manifests, "Cluster")).extracting(Manifest::name).containsExactlyInAnyOrderElementsOf(clustersUsed);
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/production"})
    void everySecretComposeRequiresOfAServiceItsWorkloadIsGivenAsAVariableOrASecretFile(String source) {
        Map<String, Object> composeServices = map(yaml(ROOT.resolve("docker-compose.yml")).get("services"));
        for (Workload workload : workloads(manifests(source))) {
            Map<String, Object> config = yaml(ROOT.resolve(CONFIG_OF.get(workload.name())));
            String instance = composeServices.containsKey(workload.name()) ? workload.name() : workload.name() + "-1";
            map(map(composeServices.get(instance)).get("environment")).forEach((variable, value) -> {
                if (!String.valueOf(value).contains(":?")) {
                    return;
                }
                String property = variable.startsWith("SPRING_") ? variable.toLowerCase(java.util.Locale.ROOT).replace('_', '.')
                        : propertyReading(config, variable);
                assertThat(workload.env().containsKey(variable) || workload.secretFiles().containsKey(property))
                        .as("%s is given %s (%s) as in compose", workload.name(), variable, property).isTrue();
            });
        }
    }

    /** The property of a service's configuration file whose value reads the variable, or the one Boot binds it to. */
    private static String propertyReading(Map<String, Object> config, String variable) {
        Map<String, String> flat = new LinkedHashMap<>();
        flatten("", config, flat);
        return flat.entrySet().stream().filter(entry -> PLACEHOLDER.matcher(entry.getValue()).results()
                        .anyMatch(use -> use.group(1).equals(variable)))
                .map(Map.Entry::getKey).findFirst().orElseGet(() -> DeploymentFiles.propertyOfVariable(variable));
    }

    private static void flatten(String prefix, Object node, Map<String, String> flat) {
        if (node instanceof Map<?, ?> entries) {
            entries.forEach((key, value) -> flatten(prefix.isEmpty() ? String.valueOf(key) : prefix + "." + key, value, flat));
        } else {
            flat.put(prefix, String.valueOf(node));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/production", "overlays/demo"})
    void theIngressCallsEachServiceThroughAServiceOfItsPodsOnThePortItServesItsInternalApiOn(String source) {
        List<Manifest> manifests = manifests(source);
        Map<String, Workload> workloads = workloadsByName(manifests);
        Map<String, String> ingress = workloads.get("ingress-api").env();
        INGRESS_URLS_OF.forEach((application, variable) -> {
            Workload target = workloads.get(application);
            Port api = Port.of(at(yaml(ROOT.resolve(CONFIG_OF.get(application))), "server", "port"));
            String port = target.env().getOrDefault(api.variable(), api.number());
            assertThat(ingress).as(variable).containsKey(variable);
            for (String url : ingress.get(variable).split(",")) {
                Matcher address = Pattern.compile("http://([a-z0-9-]+):(\\d+)").matcher(url);
                assertThat(address.matches()).as(url).isTrue();
                Service service = service(manifests, address.group(1));
                assertThat(target.template().getMetadata().getLabels()).as(url).containsAllEntriesOf(service.getSpec().getSelector());
                ServicePort servicePort = service.getSpec().getPorts().stream()
                        .filter(candidate -> candidate.getPort() == Integer.parseInt(address.group(2))).findFirst()
                        .orElseThrow(() -> new AssertionError(url + ": the Service has no port " + address.group(2)));
                var targetPort = servicePort.getTargetPort();
                String reached = targetPort == null ? address.group(2) : targetPort.getIntVal() != null
                        ? String.valueOf(targetPort.getIntVal())
                        : target.container().getPorts().stream().filter(p -> targetPort.getStrVal().equals(p.getName()))
                        .map(p -> String.valueOf(p.getContainerPort())).findFirst().orElse("?");
                assertThat(reached).as(url + " reaches the API port of " + application).isEqualTo(port);
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/production", "overlays/demo"})
    void eachCalledServiceIsGivenItsOwnInternalApiKeyAndOnlyTheIngressHoldsAllThree(String source) {
        Map<String, Workload> workloads = workloadsByName(manifests(source));
        assertThat(CALLED).as("the services the ingress calls").isEqualTo(INGRESS_URLS_OF.keySet());
        Map<String, String> calleeFiles = new LinkedHashMap<>();
        for (String service : CALLED) {
            // It checks the seal with its own key of the secret, as internal-api.keys.k1, and holds no other.
            Workload called = workloads.get(service);
            String own = INTERNAL_API_KEY_SECRET + "/" + service;
            assertThat(called.secretFiles()).as(service).containsEntry(INTERNAL_API_KEY_FILE, own);
            assertThat(called.mountedSecretFiles()).as(service).containsEntry("/run/secrets/" + INTERNAL_API_KEY_FILE, own);
            assertThat(called.mountedSecretFiles().values().stream().filter(KubernetesManifestsTest::isInternalApiKey))
                    .as(service + " is given its own key once, and no other service's").containsExactly(own);
            assertThat(called.secretFiles().keySet().stream().filter(property -> property.startsWith("internal-api.")))
                    .as(service + " seals no calls").containsExactly(INTERNAL_API_KEY_FILE);
            calleeFiles.put("internal-api.callees." + service + ".key", own);
        }
        // The ingress seals its calls to each service with that service's key (key id k1, the default): it holds the
        // three, and no internal-api.keys (nobody calls it).
        Workload ingress = workloads.get("ingress-api");
        Map<String, String> ingressInternal = new LinkedHashMap<>();
        ingress.secretFiles().forEach((property, secret) -> {
            if (property.startsWith("internal-api.")) {
                ingressInternal.put(property, secret);
            }
        });
        assertThat(ingressInternal).as("ingress-api").isEqualTo(calleeFiles);
        assertThat(ingress.mountedSecretFiles().values().stream().filter(KubernetesManifestsTest::isInternalApiKey))
                .as("ingress-api is given each key once").containsExactlyInAnyOrderElementsOf(calleeFiles.values());
        // The three are different keys of the secret, and nobody else is given any of them.
        assertThat(new HashSet<>(calleeFiles.values())).hasSize(CALLED.size());
        workloads.values().stream().filter(workload -> !workload.name().equals("ingress-api") && !CALLED.contains(workload.name()))
                .forEach(other -> assertThat(other.mountedSecretFiles().values()).as(other.name())
                        .noneMatch(KubernetesManifestsTest::isInternalApiKey));
        // The files are properties the ingress binds: a Callee's key (the metadata declares only the map internal-api.callees).
        calleeFiles.keySet().forEach(property -> assertThat(bindsProperty(property)).as(property).isTrue());
    }

    private static boolean isInternalApiKey(String secretKey) {
        return secretKey.startsWith(INTERNAL_API_KEY_SECRET + "/");
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/production", "overlays/demo"})
    void theInternalPortsAdmitOnlyTheIngressAndPrometheusOnlyWhereTheMetricsAre(String source) {
        List<Manifest> manifests = manifests(source);
        Map<String, Workload> workloads = workloadsByName(manifests);
        List<NetworkPolicy> policies = all(manifests, NetworkPolicy.class);
        Workload ingress = workloads.get("ingress-api");
        Set<LabelSelector> scrapers = new HashSet<>();

        // No policy but the webhook delivery's restricts egress (below): the services reach Kafka, PostgreSQL and
        // the token issuer.
        for (NetworkPolicy policy : policies) {
            if (!selects(policy.getSpec().getPodSelector(), workloads.get("webhook-delivery").template().getMetadata().getLabels())) {
                assertThat(policy.getSpec().getPolicyTypes() == null ? List.<String>of() : policy.getSpec().getPolicyTypes())
                        .as(policy.getMetadata().getName()).doesNotContain("Egress");
                assertThat(policy.getSpec().getEgress()).as(policy.getMetadata().getName()).isNullOrEmpty();
            }
        }
        // The services the ingress calls: their internal API port (server.port) and where Prometheus scrapes them.
        INGRESS_URLS_OF.keySet().forEach(application -> {
            Workload server = workloads.get(application);
            Map<String, Object> config = yaml(ROOT.resolve(CONFIG_OF.get(application)));
            int api = portOf(server, at(config, "server", "port"));
            Object management = at(config, "management", "server", "port");
            int actuator = management == null ? api : portOf(server, management);
            Map<String, String> annotations = server.template().getMetadata().getAnnotations();
            assertThat(annotations).as(application).containsEntry("prometheus.io/scrape", "true")
                    .containsEntry("prometheus.io/path", "/actuator/prometheus");
            int scraped = Integer.parseInt(annotations.get("prometheus.io/port"));
            assertThat(scraped).as(application + " is scraped on its actuator's port").isEqualTo(actuator);

            List<NetworkPolicyIngressRule> rules = policies.stream()
                    .filter(policy -> selects(policy.getSpec().getPodSelector(), server.template().getMetadata().getLabels()))
                    .filter(policy -> policy.getSpec().getPolicyTypes() == null || policy.getSpec().getPolicyTypes().isEmpty()
                            || policy.getSpec().getPolicyTypes().contains("Ingress"))
                    .flatMap(policy -> policy.getSpec().getIngress() == null ? Stream.<NetworkPolicyIngressRule>empty()
                            : policy.getSpec().getIngress().stream())
                    .toList();
            assertThat(policies.stream().anyMatch(policy -> selects(policy.getSpec().getPodSelector(),
                    server.template().getMetadata().getLabels()))).as("a NetworkPolicy selects " + application).isTrue();

            // The ingress's pods reach the internal API.
            assertThat(rules.stream().anyMatch(rule -> admitsPort(rule, server, api)
                    && rule.getFrom() != null && rule.getFrom().stream().anyMatch(peer -> isIngress(peer, ingress, workloads.values()))))
                    .as(application + ": the ingress reaches port " + api).isTrue();
            // Nobody else does, but Prometheus where the metrics share the port (the seal guards /internal/** from it).
            for (NetworkPolicyIngressRule rule : rules) {
                if (!admitsPort(rule, server, api)) {
                    continue;
                }
                assertThat(rule.getFrom()).as(application + ": a rule on port " + api + " admits everyone").isNotEmpty();
                for (NetworkPolicyPeer peer : rule.getFrom()) {
                    boolean scraper = api == actuator && isScraper(peer);
                    assertThat(isIngress(peer, ingress, workloads.values()) || scraper)
                            .as("%s: port %d admits %s", application, api, peer).isTrue();
                }
            }
            // Prometheus still scrapes it.
            List<NetworkPolicyPeer> scraping = rules.stream().filter(rule -> admitsPort(rule, server, scraped))
                    .flatMap(rule -> rule.getFrom() == null ? Stream.<NetworkPolicyPeer>empty() : rule.getFrom().stream())
                    .filter(KubernetesManifestsTest::isScraper).toList();
            assertThat(scraping).as(application + ": Prometheus reaches port " + scraped).isNotEmpty();
            scraping.forEach(peer -> scrapers.add(peer.getNamespaceSelector()));
        });
        // One label marks Prometheus's namespace, and the operators are told to set it.
        assertThat(scrapers).hasSize(1);
        String operations = DeploymentFiles.read(ROOT.resolve("docs/operations.md"));
        scrapers.iterator().next().getMatchLabels().forEach((key, value) ->
                assertThat(operations).as("docs/operations.md tells how to label Prometheus's namespace")
                        .contains("kubectl label namespace").contains(key + "=" + value));
    }

    /**
     * The webhook delivery calls the addresses its customers name. Beside its address policy, its egress admits its
     * Kafka, its PostgreSQL, the cluster's DNS and, on any port, exactly the addresses that policy permits: each
     * range left out is probed at both ends and just outside them.
     */
    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/production", "overlays/demo"})
    void theWebhookDeliveryReachesItsKafkaItsDatabaseTheDnsAndOnlyThePublicAddressesItsPolicyPermits(String source)
            throws UnknownHostException {
        List<Manifest> manifests = manifests(source);
        Workload webhooks = workloadsByName(manifests).get("webhook-delivery");
        List<NetworkPolicy> selecting = all(manifests, NetworkPolicy.class).stream()
                .filter(policy -> selects(policy.getSpec().getPodSelector(), webhooks.template().getMetadata().getLabels()))
                .toList();
        assertThat(selecting).as("policies selecting the webhook delivery").hasSize(1);
        assertThat(selecting.get(0).getSpec().getPolicyTypes()).contains("Egress");
        List<NetworkPolicyEgressRule> egress = selecting.get(0).getSpec().getEgress();
        Map<String, String> env = webhooks.env();

        String bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS");
        String kafka = bootstrap.substring(0, bootstrap.indexOf("-kafka-bootstrap:"));
        assertThat(reaches(egress, false, Map.of("strimzi.io/cluster", kafka, "strimzi.io/kind", "Kafka",
                "strimzi.io/broker-role", "true"), "TCP", Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1))))
                .as("its Kafka's brokers at " + bootstrap).isTrue();
        Matcher database = Pattern.compile("jdbc:postgresql://([a-z0-9-]+)-rw:(\\d+)/\\w+").matcher(env.get("WEBHOOK_DB_URL"));
        assertThat(database.matches()).isTrue();
        assertThat(reaches(egress, false, Map.of("cnpg.io/cluster", database.group(1), "cnpg.io/instanceRole", "primary"),
                "TCP", Integer.parseInt(database.group(2)))).as("its PostgreSQL's primary").isTrue();
        for (String protocol : List.of("UDP", "TCP")) {
            assertThat(reaches(egress, true, Map.of("k8s-app", "kube-dns"), protocol, 53))
                    .as("the DNS, in kube-system, over " + protocol).isTrue();
        }
        assertThat(reaches(egress, false, Map.of("app.kubernetes.io/name", "ledger-adapter"), "TCP", 8081))
                .as("another pod of its namespace").isFalse();

        AddressPolicy addresses = new AddressPolicy(false);
        List<String> excepted = egress.stream().flatMap(rule -> rule.getTo().stream())
                .filter(peer -> peer.getIpBlock() != null).flatMap(peer -> peer.getIpBlock().getExcept().stream()).toList();
        assertThat(excepted).as("ranges left out").hasSizeGreaterThan(10);
        // Public addresses, and an address of each kind the policy refuses (whether or not the manifests name it)...
        List<InetAddress> probes = new ArrayList<>();
        for (String address : List.of("8.8.8.8", "2001:4860:4860::8888", "0.1.2.3", "10.1.2.3", "100.100.100.100",
                "127.0.0.1", "169.254.169.254", "172.20.0.1", "192.0.0.9", "192.0.2.1", "192.168.1.1", "198.19.0.1",
                "198.51.100.1", "203.0.113.1", "224.0.0.1", "255.255.255.255", "::", "::1", "::10.0.0.1",
                "64:ff9b::a00:1", "64:ff9b:1::1", "2001:db8::1", "2002:a00:1::", "fd00::1", "fe80::1", "fec0::1", "ff02::1")) {
            probes.add(InetAddress.getByName(address));
        }
        // ...and each range the manifests leave out at both ends and just outside them.
        for (String range : excepted) {
            probes.addAll(endsAndNeighbours(range));
        }
        for (InetAddress probe : probes) {
            assertThat(admitsAnywhere(egress, probe)).as(probe.getHostAddress()).isEqualTo(addresses.permits(probe));
        }
    }

    /**
     * Whether a rule admits the protocol and port to pods with these labels, in the policy's namespace or, with
     * {@code anyNamespace}, in every namespace.
     */
    private static boolean reaches(List<NetworkPolicyEgressRule> egress, boolean anyNamespace, Map<String, String> labels,
                                   String protocol, int port) {
        return egress.stream().anyMatch(rule -> admitsPort(rule.getPorts(), protocol, port, null) && rule.getTo().stream()
                .anyMatch(peer -> peer.getIpBlock() == null && peer.getPodSelector() != null
                        && selects(peer.getPodSelector(), labels)
                        && (anyNamespace ? peer.getNamespaceSelector() != null && selects(peer.getNamespaceSelector(), Map.of())
                                : peer.getNamespaceSelector() == null)));
    }

    /** Whether an ipBlock of a rule admitting every port admits the address. */
    private static boolean admitsAnywhere(List<NetworkPolicyEgressRule> egress, InetAddress address) {
        return egress.stream().filter(rule -> rule.getPorts() == null || rule.getPorts().isEmpty())
                .flatMap(rule -> rule.getTo().stream()).map(NetworkPolicyPeer::getIpBlock).filter(Objects::nonNull)
                .anyMatch(block -> within(address, block.getCidr())
                        && block.getExcept().stream().noneMatch(range -> within(address, range)));
    }

    private static boolean within(InetAddress address, String cidr) {
        BigInteger[] range = rangeOf(cidr);
        byte[] bytes = address.getAddress();
        BigInteger value = new BigInteger(1, bytes);
        return bytes.length == rangeBytes(cidr) && value.compareTo(range[0]) >= 0 && value.compareTo(range[1]) <= 0;
    }

    /** The first and last addresses of the range, and those just below and above it (where they exist). */
    private static List<InetAddress> endsAndNeighbours(String cidr) throws UnknownHostException {
        BigInteger[] range = rangeOf(cidr);
        int bytes = rangeBytes(cidr);
        BigInteger last = BigInteger.ONE.shiftLeft(bytes * 8).subtract(BigInteger.ONE);
        List<InetAddress> probes = new ArrayList<>();
        for (BigInteger value : List.of(range[0], range[1], range[0].subtract(BigInteger.ONE), range[1].add(BigInteger.ONE))) {
            if (value.signum() >= 0 && value.compareTo(last) <= 0) {
                byte[] raw = value.toByteArray();
                byte[] address = new byte[bytes];
                int length = Math.min(raw.length, bytes);
                System.arraycopy(raw, raw.length - length, address, bytes - length, length);
                probes.add(InetAddress.getByAddress(address));
            }
        }
        return probes;
    }

    private static int rangeBytes(String cidr) {
        return cidr.contains(":") ? 16 : 4;
    }

    private static BigInteger[] rangeOf(String cidr) {
        String[] parts = cidr.split("/");
        int bits = rangeBytes(cidr) * 8;
        int prefix = Integer.parseInt(parts[1]);
        BigInteger first;
        try {
            first = new BigInteger(1, InetAddress.getByName(parts[0]).getAddress());
        } catch (UnknownHostException e) {
            throw new AssertionError("Not an address: " + cidr, e);
        }
        BigInteger hostMask = BigInteger.ONE.shiftLeft(bits - prefix).subtract(BigInteger.ONE);
        first = first.andNot(hostMask);
        return new BigInteger[] {first, first.or(hostMask)};
    }

    /** The port a workload serves on, from its configuration's {@code ${VARIABLE:default}} and its environment. */
    private static int portOf(Workload workload, Object placeholder) {
        Port port = Port.of(placeholder);
        return Integer.parseInt(workload.env().getOrDefault(port.variable(), port.number()));
    }

    /** Whether a selector (matchLabels only, as the manifests write them) selects pods with these labels. */
    private static boolean selects(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) {
            return true;
        }
        assertThat(selector.getMatchExpressions()).as("selectors are matchLabels").isNullOrEmpty();
        Map<String, String> wanted = selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels();
        return labels.entrySet().containsAll(wanted.entrySet());
    }

    /** Whether a rule admits TCP to this port of the workload's pods (no ports: every port). */
    private static boolean admitsPort(NetworkPolicyIngressRule rule, Workload workload, int port) {
        return admitsPort(rule.getPorts(), "TCP", port, workload);
    }

    /** Whether the ports (none: every port) admit the protocol to this port; a named port is the workload's. */
    private static boolean admitsPort(List<NetworkPolicyPort> ports, String protocol, int port, Workload workload) {
        if (ports == null || ports.isEmpty()) {
            return true;
        }
        for (NetworkPolicyPort admitted : ports) {
            if (!protocol.equals(admitted.getProtocol() == null ? "TCP" : admitted.getProtocol())) {
                continue;
            }
            IntOrString number = admitted.getPort();
            if (number == null) {
                return true;
            }
            int first = number.getIntVal() != null ? number.getIntVal() : workload == null ? -1
                    : workload.container().getPorts().stream().filter(p -> number.getStrVal().equals(p.getName()))
                    .map(p -> p.getContainerPort()).findFirst().orElse(-1);
            int last = admitted.getEndPort() == null ? first : admitted.getEndPort();
            if (first <= port && port <= last) {
                return true;
            }
        }
        return false;
    }

    /** A peer that is the ingress's pods of the policy's namespace, and no other service's. */
    private static boolean isIngress(NetworkPolicyPeer peer, Workload ingress, Collection<Workload> workloads) {
        if (peer.getIpBlock() != null || peer.getNamespaceSelector() != null || peer.getPodSelector() == null
                || peer.getPodSelector().getMatchLabels() == null || peer.getPodSelector().getMatchLabels().isEmpty()) {
            return false;
        }
        return selects(peer.getPodSelector(), ingress.template().getMetadata().getLabels()) && workloads.stream()
                .filter(other -> other != ingress)
                .noneMatch(other -> selects(peer.getPodSelector(), other.template().getMetadata().getLabels()));
    }

    /**
     * A peer that is Prometheus's pods in a namespace picked by a label: not every pod of that namespace, nor every
     * namespace, nor an address range.
     */
    private static boolean isScraper(NetworkPolicyPeer peer) {
        return peer.getIpBlock() == null && pickedByLabels(peer.getNamespaceSelector())
                && pickedByLabels(peer.getPodSelector())
                && "prometheus".equals(peer.getPodSelector().getMatchLabels().get("app.kubernetes.io/name"));
    }

    private static boolean pickedByLabels(LabelSelector selector) {
        return selector != null && (selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty())
                && selector.getMatchLabels() != null && !selector.getMatchLabels().isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/production", "overlays/demo"})
    void everyImageIsATargetOfTheDockerfileTaggedAsCompose(String source) {
        Map<String, String> composeImages = new HashMap<>();
        map(yaml(ROOT.resolve("docker-compose.yml")).get("services")).values().forEach(service -> {
            String image = String.valueOf(map(service).get("image"));
            composeImages.put(image.substring(0, image.lastIndexOf(':')), image);
        });
        List<Workload> workloads = new ArrayList<>(workloads(manifests(source)));
        for (Workload workload : workloads) {
            String image = workload.container().getImage();
            assertThat(DeploymentFiles.dockerfileStages()).as(image).containsKey(imageTarget(image));
            assertThat(image).isEqualTo(composeImages.get(image.substring(0, image.lastIndexOf(':'))));
        }
    }

    @Test
    void theDemoOverlaySignsInWithDemoTokensAndOpensTheDemoCustomersAndProductionDoesNeither() throws Exception {
        String demoSwitch = Class.forName("io.qrvoucher.ingress.api.DevTokenController")
                .getAnnotation(ConditionalOnProperty.class).value()[0];
        String[] seederProfiles = Class.forName("io.qrvoucher.ledger.demo.DemoDataSeeder").getAnnotation(Profile.class).value();

        // The webhook delivery's switch for tests and demos, as compose's demo sets it.
        String localHttp = "webhook.endpoints.allow-local-http";
        String localHttpVariable = "WEBHOOK_ENDPOINTS_ALLOWLOCALHTTP";
        assertThat(DeploymentFiles.propertyOfVariable(localHttpVariable)).isEqualTo(localHttp);

        Map<String, Workload> demo = workloadsByName(manifests("overlays/demo"));
        assertThat(demo.get("ingress-api").secretFiles()).containsKey(demoSwitch);
        assertThat(demo.get("ingress-api").env()).doesNotContainKey("INGRESS_JWK_SET_URI");
        assertThat(demo.get("ledger-adapter").env().getOrDefault("SPRING_PROFILES_ACTIVE", "").split(",")).contains(seederProfiles);
        assertThat(demo.get("webhook-delivery").env()).containsEntry(localHttpVariable, "true");

        Map<String, Workload> production = workloadsByName(manifests("overlays/production"));
        assertThat(production.get("ingress-api").secretFiles()).doesNotContainKey(demoSwitch);
        assertThat(production.get("ingress-api").env()).containsKey("INGRESS_JWK_SET_URI");
        assertThat(production.get("ledger-adapter").env()).doesNotContainKey("SPRING_PROFILES_ACTIVE");
        assertThat(production.get("webhook-delivery").env()).doesNotContainKey(localHttpVariable);
        assertThat(production.get("webhook-delivery").secretFiles()).doesNotContainKey(localHttp);
    }

    @Test
    void theProductionOverlayArchivesTheWalOfEveryDatabaseAndBacksItUpEveryNight() {
        List<Manifest> manifests = manifests("overlays/production");
        Set<String> stores = new HashSet<>();
        assertThat(kind(manifests, "Cluster")).extracting(Manifest::name).contains("ledger", "webhooks");
        for (Manifest cluster : kind(manifests, "Cluster")) {
            Map<String, Object> archiver = ((List<?>) spec(cluster).getOrDefault("plugins", List.of())).stream()
                    .map(DeploymentFiles::<Object>map).filter(plugin -> Boolean.TRUE.equals(plugin.get("isWALArchiver")))
                    .findFirst().orElseThrow(() -> new AssertionError(cluster.name() + " archives no WAL"));
            String store = String.valueOf(at(archiver, "parameters", "barmanObjectName"));

            assertThat(kind(manifests, "ObjectStore")).extracting(Manifest::name).as(cluster.name()).contains(store);
            assertThat(stores.add(store)).as(cluster.name() + "'s backups have an object store of their own").isTrue();
            Manifest scheduled = kind(manifests, "ScheduledBackup").stream()
                    .filter(backup -> cluster.name().equals(at(spec(backup), "cluster", "name"))).findFirst()
                    .orElseThrow(() -> new AssertionError("no ScheduledBackup of " + cluster.name()));
            assertThat(at(spec(scheduled), "method")).as(scheduled.name()).isEqualTo("plugin");
            assertThat(at(spec(scheduled), "pluginConfiguration", "name")).as(scheduled.name()).isEqualTo(archiver.get("name"));
        }
        assertThat(manifests).allSatisfy(manifest -> assertThat(manifest.model().getMetadata().getNamespace())
                .as(manifest.source()).isEqualTo("qrvoucher"));
    }

    @Test
    void theReplayJobLogsInAsTheOperatorsSuperUserWithVariablesItsScriptReads() {
        List<Manifest> base = manifests("base");
        Kafka kafka = only(base, Kafka.class);
        List<String> superUsers = ((KafkaAuthorizationSimple) kafka.getSpec().getKafka().getAuthorization()).getSuperUsers();
        Job job = read(K8S.resolve("tools/dead-letter-replay.yaml")).stream().map(Manifest::model)
                .filter(Job.class::isInstance).map(Job.class::cast).findFirst().orElseThrow();
        Workload replay = new Workload(job.getMetadata().getName(), 1, job.getSpec().getTemplate());
        String script = DeploymentFiles.read(ROOT.resolve("compose/dead-letter-replay.sh"));

        replay.env().keySet().forEach(variable -> assertThat(script).as(variable).contains("${" + variable));
        String login = replay.mountedSecretFiles().get(replay.env().get("KAFKA_SASL_JAAS_CONFIG_FILE"));
        assertThat(login).isNotNull();
        assertThat(superUsers).contains(login.substring(0, login.indexOf('/')));
        assertThat(replay.mountedSecretFiles()).containsEntry(replay.env().get("KAFKA_CA_FILE"),
                kafka.getMetadata().getName() + "-cluster-ca-cert/ca.crt");
        assertThat(replay.container().getImage()).startsWith("qrvoucher/tools:");
        assertThat(replay.container().getResources().getLimits()).containsKey("memory");
    }

    // ---- reading the manifests

    /** A source's resources: the base's files as written, or an overlay rendered by kustomize (kubectl). */
    private static List<Manifest> manifests(String source) {
        if (source.equals("base")) {
            List<Manifest> manifests = new ArrayList<>();
            for (String resource : list(yaml(K8S.resolve("base/kustomization.yaml")).get("resources"))) {
                manifests.addAll(read(K8S.resolve("base").resolve(resource)));
            }
            return manifests;
        }
        return RENDERED.computeIfAbsent(source, KubernetesManifestsTest::render);
    }

    private static List<Manifest> render(String overlay) {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/kubectl")), "kubectl is not installed: overlays not rendered");
        try {
            Process kustomize = new ProcessBuilder("/usr/bin/kubectl", "kustomize", K8S.resolve(overlay).toString()).start();
            String output = new String(kustomize.getInputStream().readAllBytes());
            String errors = new String(kustomize.getErrorStream().readAllBytes());
            assertThat(kustomize.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(kustomize.exitValue()).as(errors).isZero();
            List<Manifest> manifests = parse(overlay, output);
            manifests.forEach(manifest -> {
                if (!(manifest.model() instanceof GenericKubernetesResource)) {
                    assertThat(unknownFields(manifest.model())).as(manifest.source()).isEmpty();
                }
            });
            return manifests;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<Manifest> read(Path file) {
        return parse(ROOT.relativize(file).toString(), DeploymentFiles.read(file));
    }

    private static List<Manifest> parse(String source, String text) {
        List<Manifest> manifests = new ArrayList<>();
        int index = 0;
        for (Object document : new Yaml(new LoaderOptions()).loadAll(text)) {
            if (document == null) {
                continue;
            }
            Map<String, Object> yaml = map(document);
            String key = yaml.get("apiVersion") + "/" + yaml.get("kind");
            Class<?> model = MODEL_OF.get(key);
            if (model == null) {
                fail(source + ": " + key + " is not a kind this test knows");
            }
            HasMetadata resource = (HasMetadata) JSON.convertValue(yaml, model);
            assertThat(resource.getMetadata().getName()).as(source + " #" + index).isNotBlank();
            manifests.add(new Manifest(source + " " + yaml.get("kind") + "/" + resource.getMetadata().getName(), yaml, resource));
            index++;
        }
        return manifests;
    }

    /**
     * The paths of fields the model did not know, anywhere in it (each model keeps them as additional properties),
     * and of deprecated fields that are set (the v1 API of Strimzi has dropped them).
     */
    private static List<String> unknownFields(Object model) {
        List<String> unknown = new ArrayList<>();
        walk(model, "", unknown, Collections.newSetFromMap(new IdentityHashMap<>()));
        return unknown;
    }

    private static void walk(Object node, String path, List<String> unknown, Set<Object> seen) {
        if (node == null || node instanceof String || node instanceof Number || node instanceof Boolean || node instanceof Enum<?>
                || !seen.add(node)) {
            return;
        }
        if (node instanceof Collection<?> items) {
            int index = 0;
            for (Object item : items) {
                walk(item, path + "[" + index++ + "]", unknown, seen);
            }
            return;
        }
        if (node instanceof Map<?, ?> entries) {
            entries.forEach((key, value) -> walk(value, path + "." + key, unknown, seen));
            return;
        }
        String type = node.getClass().getName();
        if (!type.startsWith("io.fabric8.") && !type.startsWith("io.strimzi.")) {
            return;
        }
        for (Method getter : node.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || getter.getDeclaringClass() == Object.class
                    || !(getter.getName().startsWith("get") || getter.getName().startsWith("is"))) {
                continue;
            }
            Object value;
            try {
                value = getter.invoke(node);
            } catch (ReflectiveOperationException | RuntimeException e) {
                continue;
            }
            if (getter.isAnnotationPresent(Deprecated.class) && value != null && !(value instanceof Collection<?> c && c.isEmpty())
                    && !(value instanceof Boolean) && !(value instanceof Number && ((Number) value).intValue() == 0)) {
                unknown.add(path + "." + getter.getName() + " is deprecated");
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    unknown.add(path + " " + extra.keySet());
                }
            } else {
                walk(value, path + "." + getter.getName().replaceFirst("^(get|is)", ""), unknown, seen);
            }
        }
    }

    private static List<Path> resourceFiles() {
        List<Path> files = new ArrayList<>();
        for (Path kustomization : kustomizations()) {
            for (String resource : list(yaml(kustomization).get("resources"))) {
                Path target = kustomization.getParent().resolve(resource).normalize();
                if (!Files.isDirectory(target)) {
                    files.add(target);
                }
            }
        }
        try (Stream<Path> tools = Files.list(K8S.resolve("tools"))) {
            files.addAll(tools.filter(path -> path.toString().endsWith(".yaml")).toList());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return files;
    }

    private static List<Path> kustomizations() {
        try (Stream<Path> files = Files.walk(K8S)) {
            return files.filter(path -> path.getFileName().toString().equals("kustomization.yaml")).sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    // ---- what the checks look at

    /** A Deployment or StatefulSet of one of the pipeline's services: its one container, its env, its secret files. */
    record Workload(String name, int replicas, PodTemplateSpec template, Set<String> claims) {

        Workload(String name, int replicas, PodTemplateSpec template) {
            this(name, replicas, template, Set.of());
        }

        Container container() {
            assertThat(template.getSpec().getContainers()).as(name).hasSize(1);
            return template.getSpec().getContainers().get(0);
        }

        /** The init container that runs the service's migrations alone, if the workload has one. */
        Optional<Container> migrations() {
            return template.getSpec().getInitContainers().stream().filter(init -> init.getName().equals("migrate")).findFirst();
        }

        /** The service's container and its init containers. */
        List<Container> allContainers() {
            List<Container> all = new ArrayList<>(template.getSpec().getInitContainers());
            all.add(container());
            return all;
        }

        /** Plain values, and the {@code <configmap>/<key>} of a value from a ConfigMap. */
        Map<String, String> env() {
            return env(container());
        }

        Map<String, String> env(Container container) {
            Map<String, String> env = new LinkedHashMap<>();
            for (EnvVar variable : container.getEnv()) {
                String value = variable.getValue();
                if (variable.getValueFrom() != null && variable.getValueFrom().getConfigMapKeyRef() != null) {
                    value = variable.getValueFrom().getConfigMapKeyRef().getName() + "/" + variable.getValueFrom().getConfigMapKeyRef().getKey();
                }
                env.put(variable.getName(), value);
            }
            return env;
        }

        /** Every file mounted from a secret: its path in the container to {@code <secret>/<key>}. */
        Map<String, String> mountedSecretFiles() {
            return mountedSecretFiles(container());
        }

        Map<String, String> mountedSecretFiles(Container container) {
            Map<String, String> files = new LinkedHashMap<>();
            for (var mount : container.getVolumeMounts()) {
                if (claims.contains(mount.getName())) {
                    continue; // a StatefulSet's own claim
                }
                Volume volume = template.getSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName()))
                        .findFirst().orElseThrow(() -> new AssertionError(name + " mounts a volume it lacks: " + mount.getName()));
                String dir = mount.getMountPath().endsWith("/") ? mount.getMountPath() : mount.getMountPath() + "/";
                if (volume.getSecret() != null) {
                    volume.getSecret().getItems().forEach(item ->
                            files.put(dir + item.getPath(), volume.getSecret().getSecretName() + "/" + item.getKey()));
                }
                if (volume.getProjected() != null) {
                    for (VolumeProjection projection : volume.getProjected().getSources()) {
                        if (projection.getSecret() != null) {
                            projection.getSecret().getItems().forEach(item ->
                                    files.put(dir + item.getPath(), projection.getSecret().getName() + "/" + item.getKey()));
                        }
                    }
                }
            }
            return files;
        }

        /** The properties given as files of Spring's configtree (/run/secrets/&lt;property&gt;), to {@code <secret>/<key>}. */
        Map<String, String> secretFiles() {
            return secretFiles(container());
        }

        Map<String, String> secretFiles(Container container) {
            Map<String, String> properties = new LinkedHashMap<>();
            mountedSecretFiles(container).forEach((path, secret) -> {
                if (path.startsWith("/run/secrets/")) {
                    properties.put(path.substring("/run/secrets/".length()), secret);
                }
            });
            return properties;
        }
    }

    private static List<Workload> workloads(List<Manifest> manifests) {
        List<Workload> workloads = new ArrayList<>();
        for (Deployment deployment : all(manifests, Deployment.class)) {
            workloads.add(new Workload(deployment.getMetadata().getName(), deployment.getSpec().getReplicas(),
                    deployment.getSpec().getTemplate()));
        }
        for (StatefulSet set : all(manifests, StatefulSet.class)) {
            workloads.add(new Workload(set.getMetadata().getName(), set.getSpec().getReplicas(), set.getSpec().getTemplate(),
                    claims(set)));
        }
        assertThat(workloads).extracting(Workload::name).containsExactlyInAnyOrderElementsOf(CONFIG_OF.keySet());
        return workloads;
    }

    private static Set<String> claims(StatefulSet set) {
        return set.getSpec().getVolumeClaimTemplates().stream().map(claim -> claim.getMetadata().getName()).collect(Collectors.toSet());
    }

    private static Map<String, Workload> workloadsByName(List<Manifest> manifests) {
        return workloads(manifests).stream().collect(Collectors.toMap(Workload::name, workload -> workload));
    }

    /** A Kafka user's ACLs as Kafka's own bindings, to compare with {@link KafkaAcls}. */
    private static Set<AclBinding> acls(KafkaUser user) {
        Set<AclBinding> bindings = new HashSet<>();
        String principal = "User:" + user.getMetadata().getName();
        for (AclRule rule : ((KafkaUserAuthorizationSimple) user.getSpec().getAuthorization()).getAcls()) {
            ResourcePattern pattern;
            if (rule.getResource() instanceof AclRuleTopicResource topic) {
                pattern = new ResourcePattern(ResourceType.TOPIC, topic.getName(), pattern(topic.getPatternType()));
            } else if (rule.getResource() instanceof AclRuleGroupResource group) {
                pattern = new ResourcePattern(ResourceType.GROUP, group.getName(), pattern(group.getPatternType()));
            } else if (rule.getResource() instanceof AclRuleTransactionalIdResource id) {
                pattern = new ResourcePattern(ResourceType.TRANSACTIONAL_ID, id.getName(), pattern(id.getPatternType()));
            } else {
                throw new AssertionError("a resource KafkaAcls never grants: " + rule.getResource());
            }
            assertThat(rule.getHost()).isEqualTo("*");
            for (var operation : rule.getOperations() == null ? List.<io.strimzi.api.kafka.model.user.acl.AclOperation>of() : rule.getOperations()) {
                bindings.add(new AclBinding(pattern, new AccessControlEntry(principal, "*",
                        AclOperation.fromString(operation.toValue()), AclPermissionType.ALLOW)));
            }
        }
        return bindings;
    }

    private static PatternType pattern(AclResourcePatternType type) {
        return type == AclResourcePatternType.PREFIX ? PatternType.PREFIXED : PatternType.LITERAL;
    }

    /** The path a probe asks, checking it asks the given port (by number or by the container port's name). */
    private static String probePath(Container container, Probe probe, String port) {
        assertThat(probe).as(container.getName() + " has the probe").isNotNull();
        var get = probe.getHttpGet();
        String asked = get.getPort().getIntVal() != null ? String.valueOf(get.getPort().getIntVal())
                : container.getPorts().stream().filter(p -> get.getPort().getStrVal().equals(p.getName()))
                .map(p -> String.valueOf(p.getContainerPort())).findFirst().orElse("?");
        assertThat(asked).as(container.getName() + " probes its actuator port").isEqualTo(port);
        return get.getPath();
    }

    /** The Dockerfile target an image of the pipeline is built from: {@code qrvoucher/<target>:<tag>}. */
    private static String imageTarget(String image) {
        Matcher name = Pattern.compile("qrvoucher/([a-z-]+):[\\w.-]+").matcher(image);
        assertThat(name.matches()).as(image).isTrue();
        return name.group(1);
    }

    private static Service service(List<Manifest> manifests, String name) {
        return all(manifests, Service.class).stream().filter(service -> service.getMetadata().getName().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no Service " + name));
    }

    private static long quantity(Quantity quantity) {
        return Quantity.getAmountInBytes(quantity).longValueExact();
    }

    /** compose's broker configuration (compose/kafka-node.sh). */
    private static Map<String, String> composeNode() {
        Map<String, String> properties = new HashMap<>();
        Matcher line = Pattern.compile("(?m)^([a-z][a-z0-9._-]*)=(.*)$").matcher(DeploymentFiles.read(ROOT.resolve("compose/kafka-node.sh")));
        while (line.find()) {
            properties.put(line.group(1), line.group(2));
        }
        return properties;
    }

    private static Map<String, Object> spec(Manifest manifest) {
        return map(manifest.yaml().get("spec"));
    }

    private static List<Manifest> kind(List<Manifest> manifests, String kind) {
        return manifests.stream().filter(manifest -> manifest.kind().equals(kind)).toList();
    }

    private static <T> List<T> all(List<Manifest> manifests, Class<T> model) {
        return manifests.stream().map(Manifest::model).filter(model::isInstance).map(model::cast).toList();
    }

    private static <T> T only(List<Manifest> manifests, Class<T> model) {
        List<T> found = all(manifests, model);
        assertThat(found).as(model.getSimpleName()).hasSize(1);
        return found.get(0);
    }

    /** The apiVersion/kind of a Strimzi resource in the v1 API, which the model class must read. */
    @SuppressWarnings("unchecked")
    private static String strimzi(Class<?> model) {
        try {
            assertThat((List<Object>) model.getField("VERSIONS").get(null)).as(model.getSimpleName() + " reads v1").contains("v1");
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
        return model.getAnnotation(Group.class).value() + "/v1/" + model.getSimpleName();
    }

    /** A port as the application's configuration gives it: {@code ${VARIABLE:default}}. */
    private record Port(String variable, String number) {
        static Port of(Object placeholder) {
            Matcher port = Pattern.compile("\\$\\{(\\w+):(\\d+)}").matcher(String.valueOf(placeholder));
            assertThat(port.matches()).as(placeholder + " is ${VARIABLE:port}").isTrue();
            return new Port(port.group(1), port.group(2));
        }
    }
}
