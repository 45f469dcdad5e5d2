package io.qrvoucher.voucher.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import io.qrvoucher.support.KafkaConnection;

class VoucherStreamsPropertiesTest {

    @Test
    void exactlyOnceWithTransactionalStoresAndFailingHandlersCannotBeConfiguredAway() {
        for (String guarantee : VoucherStreamsProperties.GUARANTEES) {
            VoucherStreamsProperties properties = bind(Map.of("voucher.streams.[" + guarantee + "]", "anything"));
            KafkaConnection cluster = new KafkaConnection(Map.of("bootstrap.servers", "localhost:9092", guarantee, "anything"));

            assertThatThrownBy(() -> properties.streamsConfig(KafkaConnection.plaintext("localhost:9092")))
                    .as("voucher.streams: " + guarantee).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("may set [" + guarantee + "]");
            assertThatThrownBy(() -> bind(Map.of()).streamsConfig(cluster))
                    .as("spring.kafka.properties: " + guarantee).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("may set [" + guarantee + "]");
        }
    }

    /** Kafka Streams itself holds only the plain and consumer. forms to committed reads under exactly-once. */
    @Test
    void noConsumerOfTheApplicationMayBeSetToReadUncommittedRecords() {
        for (String key : List.of("restore.consumer.isolation.level", "main.consumer.isolation.level",
                "global.consumer.isolation.level", "consumer.isolation.level", "isolation.level")) {
            VoucherStreamsProperties properties = bind(Map.of("voucher.streams.[" + key + "]", "read_uncommitted"));

            assertThatThrownBy(() -> properties.streamsConfig(KafkaConnection.plaintext("localhost:9092"))).as(key)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(key + "=read_uncommitted");
        }
        assertThat(bind(Map.of("voucher.streams.[restore.consumer.isolation.level]", "read_committed"))
                .streamsConfig(KafkaConnection.plaintext("localhost:9092")))
                .containsEntry("restore.consumer.isolation.level", "read_committed");
    }

    @Test
    void otherKafkaStreamsSettingsArePassedOnAsGiven() {
        Properties config = bind(Map.of("voucher.streams.[producer.linger.ms]", "5"))
                .streamsConfig(KafkaConnection.plaintext("localhost:9092"));

        assertThat(config).containsEntry("producer.linger.ms", "5")
                .containsEntry(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2)
                .containsEntry(StreamsConfig.TRANSACTIONAL_STATE_STORES_CONFIG, true);
    }

    @Test
    void aListingGraceIsZeroOrLongEnoughNotToKeepTheStreamThreadsPunctuating() {
        assertThat(bind(Map.of()).listingGrace()).isEqualTo(java.time.Duration.ofSeconds(1));
        assertThat(bind(Map.of("voucher.listing-grace", "0")).listingGrace()).isZero();
        assertThatThrownBy(() -> bind(Map.of("voucher.listing-grace", "99ms")))
                .rootCause().hasMessageContaining("voucher.listing-grace=PT0.099S is neither 0");
        assertThatThrownBy(() -> bind(Map.of("voucher.listing-grace", "-1s")))
                .rootCause().hasMessageContaining("voucher.listing-grace=PT-1S is neither 0");
        assertThat(bind(Map.of("voucher.listing-grace", "100ms")).listingGrace())
                .isEqualTo(java.time.Duration.ofMillis(100));
    }

    @Test
    void aPunctuationExpiresAtLeastOneVoucherOrNoneEverWould() {
        assertThat(bind(Map.of("voucher.expiry.max-per-punctuation", "1")).expiry().maxPerPunctuation()).isEqualTo(1);
        assertThatThrownBy(() -> bind(Map.of("voucher.expiry.max-per-punctuation", "0")))
                .rootCause().hasMessageContaining("voucher.expiry.max-per-punctuation=0 is less than 1");
    }

    @Test
    void aVoucherAtRestIsKeptFourHundredDaysAndNeverForgottenWithinTheClaimWindowAndADay() {
        assertThat(bind(Map.of()).finalRetention()).isEqualTo(java.time.Duration.ofDays(400));
        assertThatThrownBy(() -> bind(Map.of("voucher.final-retention", "36h")))
                .rootCause().hasMessageContaining("voucher.final-retention=PT36H is shorter than voucher.claim-window");
        assertThat(bind(Map.of("voucher.final-retention", "48h")).finalRetention()).isEqualTo(java.time.Duration.ofHours(48));
    }

    /** Forgotten while it could still be valid, a voucher could be made anew by its generation replayed. */
    @Test
    void aVoucherIsNeverForgottenWhileItCouldStillBeValid() {
        assertThatThrownBy(() -> bind(Map.of("voucher.final-retention", "48h", "voucher.policy.max-validity-days", "3")))
                .rootCause().hasMessageContaining("voucher.final-retention=PT48H is shorter than the longest validity");
        assertThat(bind(Map.of("voucher.final-retention", "73h", "voucher.policy.max-validity-days", "3")).finalRetention())
                .isEqualTo(java.time.Duration.ofHours(73));
    }

    private static VoucherStreamsProperties bind(Map<String, String> given) {
        return new Binder(new MapConfigurationPropertySource(given)).bindOrCreate("voucher", VoucherStreamsProperties.class);
    }
}
