package io.qrvoucher.launcher;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * Who may do what on the pipeline's Kafka cluster, defined once: one principal per service, allowed only
 * what that service does, so that no other client — nor a service beyond its part — can put a
 * {@code TransferFunds} on {@code ledger-commands}. Only the ingress writes the requests, only
 * voucher-streams the ledger's commands and the vouchers' events, only the ledger adapter its results.
 * compose's {@code kafka-init} grants exactly these ({@code ComposeFileTest}); the tests' secured
 * clusters apply them. Operators (topics, users, ACLs, dead-letter replays) use the super user.
 * <p>
 * The group names and voucher-streams' application id are the services' defaults
 * ({@code ledger.reconciliation.group-id}, {@code spring.kafka.consumer.group-id} of the ledger adapter and of the
 * webhook delivery, {@code voucher.application-id}):
 * whoever changes one changes it here too.
 */
public final class KafkaAcls {

    /** A service's principal: {@code User:<user>}, the name it authenticates with. */
    public enum Service {
        INGRESS("ingress-api"),
        VOUCHER_STREAMS("voucher-streams"),
        LEDGER_ADAPTER("ledger-adapter"),
        WEBHOOK_DELIVERY("webhook-delivery");

        private final String user;

        Service(String user) {
            this.user = user;
        }

        public String user() {
            return user;
        }

        public String principal() {
            return "User:" + user;
        }
    }

    /** voucher-streams' application id: its consumer group, and the prefix of its internal topics and transactional ids. */
    public static final String STREAMS_APPLICATION_ID = "voucher-streams";
    public static final String LEDGER_GROUP = "ledger-adapter";
    public static final String RECONCILIATION_GROUP = "ledger-reconciliation";
    public static final String WEBHOOK_GROUP = "webhook-delivery";

    private KafkaAcls() {
    }

    /** Every service's ACLs. */
    public static List<AclBinding> all() {
        return Arrays.stream(Service.values()).flatMap(service -> of(service).stream()).toList();
    }

    /** What one service may do; everything else is denied to it. */
    public static List<AclBinding> of(Service service) {
        return switch (service) {
            case INGRESS -> Stream.of(
                    topics(service, AclOperation.WRITE, "voucher-requests", "settings-changes", "ingress-idempotency",
                            "customer-attempts"),
                    // A customer's list is read from the holder of the customer's partition: the ingress needs the count.
                    topics(service, AclOperation.DESCRIBE, "customer-vouchers"))
                    .flatMap(List::stream).toList();
            case VOUCHER_STREAMS -> Stream.of(
                    topics(service, AclOperation.READ, "voucher-requests", "ledger-results", "settings-changes",
                            "customer-settings", "ingress-idempotency", "customer-attempts", "customer-vouchers"),
                    topics(service, AclOperation.WRITE, "ledger-commands", "voucher-events", "customer-vouchers",
                            "voucher-dead-letters"),
                    // Its changelogs: Kafka Streams creates, reads, writes and checks the configuration of them.
                    List.of(prefixed(service, ResourceType.TOPIC, STREAMS_APPLICATION_ID + "-", AclOperation.ALL),
                            literal(service, ResourceType.GROUP, STREAMS_APPLICATION_ID, AclOperation.READ),
                            // Exactly-once: each stream thread's producer is transactional, named after the application.
                            prefixed(service, ResourceType.TRANSACTIONAL_ID, STREAMS_APPLICATION_ID + "-", AclOperation.WRITE)))
                    .flatMap(List::stream).toList();
            case LEDGER_ADAPTER -> Stream.of(
                    topics(service, AclOperation.READ, "ledger-commands", "voucher-events"),
                    topics(service, AclOperation.WRITE, "ledger-results", "account-snapshots", "ledger-dead-letters"),
                    List.of(literal(service, ResourceType.GROUP, LEDGER_GROUP, AclOperation.READ),
                            literal(service, ResourceType.GROUP, RECONCILIATION_GROUP, AclOperation.READ)))
                    .flatMap(List::stream).toList();
            // It only reads the public events; endpoints and deliveries live in its own database.
            case WEBHOOK_DELIVERY -> Stream.of(
                    topics(service, AclOperation.READ, "voucher-events"),
                    List.of(literal(service, ResourceType.GROUP, WEBHOOK_GROUP, AclOperation.READ)))
                    .flatMap(List::stream).toList();
        };
    }

    private static List<AclBinding> topics(Service service, AclOperation operation, String... topics) {
        return Arrays.stream(topics).map(topic -> literal(service, ResourceType.TOPIC, topic, operation)).toList();
    }

    private static AclBinding literal(Service service, ResourceType type, String name, AclOperation operation) {
        return allow(service, new ResourcePattern(type, name, PatternType.LITERAL), operation);
    }

    private static AclBinding prefixed(Service service, ResourceType type, String prefix, AclOperation operation) {
        return allow(service, new ResourcePattern(type, prefix, PatternType.PREFIXED), operation);
    }

    private static AclBinding allow(Service service, ResourcePattern resource, AclOperation operation) {
        return new AclBinding(resource, new AccessControlEntry(service.principal(), "*", operation, AclPermissionType.ALLOW));
    }
}
