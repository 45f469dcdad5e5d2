package io.qrvoucher.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.RecordComponent;
import java.time.ZoneId;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import io.qrvoucher.ingress.IngressApplication;
import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ledger.LedgerAdapterApplication;
import io.qrvoucher.ledger.LedgerProperties;
import io.qrvoucher.schemas.Topics;
import io.qrvoucher.schemas.VoucherRules;
import io.qrvoucher.support.BankRules;
import io.qrvoucher.voucher.app.VoucherStreamsApplication;
import io.qrvoucher.voucher.app.VoucherStreamsProperties;
import io.qrvoucher.voucher.streams.VoucherTopics;
import io.qrvoucher.webhook.WebhookProperties;

/**
 * Topics and their co-partitioning are defined once, in {@link Topics}: whatever else names them — each
 * service's defaults, the topology's, the groups voucher-streams checks at start — must say the same.
 * The bank's rules that several services apply are configured once ({@link BankRules}); what the records
 * mean is written once ({@link VoucherRules}).
 */
class OneDefinitionTest {

    private static final Binder NOTHING_CONFIGURED = new Binder(new MapConfigurationPropertySource(Map.of()));

    private final IngressProperties ingress = NOTHING_CONFIGURED.bindOrCreate("ingress", IngressProperties.class);
    private final VoucherStreamsProperties voucherStreams = NOTHING_CONFIGURED.bindOrCreate("voucher", VoucherStreamsProperties.class);
    private final LedgerProperties ledger = NOTHING_CONFIGURED.bindOrCreate("ledger", LedgerProperties.class);
    private final WebhookProperties webhooks = NOTHING_CONFIGURED.bindOrCreate("webhook", WebhookProperties.class);

    @Test
    void everyTopicAServiceUsesByDefaultIsARegisteredOneAndTogetherTheyUseThemAll() {
        Set<String> used = new HashSet<>();
        for (Record topics : List.of(ingress.topics(), voucherStreams.topics(), ledger.topics(), webhooks.topics())) {
            assertThat(namesIn(topics)).as(topics.getClass().getName()).allMatch(Topics.names()::contains);
            used.addAll(namesIn(topics));
        }

        assertThat(used).containsExactlyInAnyOrderElementsOf(Topics.names());
    }

    /** The ACLs name the services' consumer groups: each is the service's default, so that the two change together. */
    @Test
    void theGroupsAndTheApplicationIdTheAclsNameAreTheServicesDefaults() {
        assertThat(voucherStreams.applicationId()).isEqualTo(KafkaAcls.STREAMS_APPLICATION_ID);
        assertThat(ledger.reconciliation().groupId()).isEqualTo(KafkaAcls.RECONCILIATION_GROUP);
        assertThat(DeploymentFiles.at(DeploymentFiles.yaml(DeploymentFiles.ROOT.resolve(DeploymentFiles.CONFIG_OF.get("ledger-adapter"))),
                "spring", "kafka", "consumer", "group-id")).isEqualTo(KafkaAcls.LEDGER_GROUP);
        assertThat(DeploymentFiles.at(DeploymentFiles.yaml(DeploymentFiles.ROOT.resolve(DeploymentFiles.CONFIG_OF.get("webhook-delivery"))),
                "spring", "kafka", "consumer", "group-id")).isEqualTo(KafkaAcls.WEBHOOK_GROUP);
    }

    @Test
    void theTopologysOwnDefaultsAreTheServicesDefaults() {
        assertThat(VoucherTopics.defaults()).isEqualTo(voucherStreams.topics().toTopics());
    }

    @Test
    void voucherStreamsChecksExactlyTheRegisteredCoPartitioningAtStart() {
        assertThat(asSets(voucherStreams.topics().coPartitioned())).isEqualTo(asSets(Topics.coPartitioned()));
    }

    @Test
    void theLauncherCreatesTheRegisteredTopics() {
        assertThat(PipelineTopics.ALL).containsExactlyElementsOf(Topics.names());
        assertThat(PipelineTopics.configOf(Topics.INGRESS_IDEMPOTENCY)).containsEntry("retention.ms", "86400000");
        assertThat(PipelineTopics.configOf(Topics.CUSTOMER_VOUCHERS)).containsEntry("cleanup.policy", "compact");
    }

    @Test
    void theBankRulesAreConfiguredOnceAndBoundByEveryServiceThatAppliesThem() {
        for (Class<?> properties : List.of(IngressProperties.class, VoucherStreamsProperties.class, LedgerProperties.class)) {
            assertThat(componentsOf(properties)).as("what %s configures itself", properties.getSimpleName())
                    .noneMatch(component -> component.getType() == ZoneId.class)
                    .noneMatch(component -> component.getName().toLowerCase(Locale.ROOT).contains("cap"));
        }
        for (Class<?> application : List.of(IngressApplication.class, VoucherStreamsApplication.class,
                LedgerAdapterApplication.class)) {
            assertThat(application.getAnnotation(EnableConfigurationProperties.class).value()).as(application.getSimpleName())
                    .contains(BankRules.class);
        }
    }

    @Test
    void theDomainsStatusesAreTheContractsAndAgreeOnWhichAreFinal() {
        assertThat(Stream.of(io.qrvoucher.voucher.domain.VoucherStatus.values()).map(Enum::name))
                .containsExactlyElementsOf(Stream.of(io.qrvoucher.avro.VoucherStatus.values()).map(Enum::name).toList());
        assertThat(VoucherRules.FINAL_STATUSES).allMatch(status ->
                io.qrvoucher.voucher.domain.VoucherStatus.valueOf(status).isFinal());
    }

    /** The record components of a configuration record and of the records nested in it. */
    private static List<RecordComponent> componentsOf(Class<?> record) {
        return Stream.of(record.getRecordComponents())
                .flatMap(component -> Stream.concat(Stream.of(component),
                        component.getType().isRecord() ? componentsOf(component.getType()).stream() : Stream.empty()))
                .toList();
    }

    private static List<String> namesIn(Record topics) {
        return Stream.of(topics.getClass().getRecordComponents())
                .filter(component -> component.getType() == String.class)
                .map(component -> (String) value(component, topics))
                .toList();
    }

    private static Object value(RecordComponent component, Record record) {
        try {
            return component.getAccessor().invoke(record);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Set<Set<String>> asSets(List<List<String>> groups) {
        Set<Set<String>> sets = new HashSet<>();
        groups.forEach(group -> sets.add(Set.copyOf(group)));
        return sets;
    }
}
