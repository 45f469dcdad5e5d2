package io.qrvoucher.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.RecordComponent;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ledger.LedgerProperties;
import io.qrvoucher.schemas.Topics;
import io.qrvoucher.voucher.app.VoucherStreamsProperties;
import io.qrvoucher.voucher.streams.VoucherTopics;

/**
 * Topics and their co-partitioning are defined once, in {@link Topics}: whatever else names them — each
 * service's defaults, the topology's, the groups voucher-streams checks at start — must say the same.
 */
class OneDefinitionTest {

    private static final Binder NOTHING_CONFIGURED = new Binder(new MapConfigurationPropertySource(Map.of()));

    private final IngressProperties ingress = NOTHING_CONFIGURED.bindOrCreate("ingress", IngressProperties.class);
    private final VoucherStreamsProperties voucherStreams = NOTHING_CONFIGURED.bindOrCreate("voucher", VoucherStreamsProperties.class);
    private final LedgerProperties ledger = NOTHING_CONFIGURED.bindOrCreate("ledger", LedgerProperties.class);

    @Test
    void everyTopicAServiceUsesByDefaultIsARegisteredOneAndTogetherTheyUseThemAll() {
        Set<String> used = new HashSet<>();
        for (Record topics : List.of(ingress.topics(), voucherStreams.topics(), ledger.topics())) {
            assertThat(namesIn(topics)).as(topics.getClass().getName()).allMatch(Topics.names()::contains);
            used.addAll(namesIn(topics));
        }

        assertThat(used).containsExactlyInAnyOrderElementsOf(Topics.names());
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
