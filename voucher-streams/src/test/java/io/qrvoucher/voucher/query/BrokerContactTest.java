package io.qrvoucher.voucher.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.Test;

import io.qrvoucher.support.reads.VoucherStreamsReads.NotHeld;

class BrokerContactTest {

    private static final Duration LIMIT = Duration.ofSeconds(6);

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final BrokerContact contact = new BrokerContact(LIMIT, now::get);
    /** Each main consumer's count of responses, heartbeats answered and joins, as its metrics would tell them. */
    private final Map<String, Double> responses = new HashMap<>();
    private final Map<String, Double> heartbeats = new HashMap<>();
    private final Map<String, Double> joins = new HashMap<>();

    @Test
    void aConsumerHearingFromTheBrokersKeepsTheInstanceInContact() {
        responses.put("thread-1-consumer", 10.0);
        for (int second = 0; second < 20; second++) {
            responses.merge("thread-1-consumer", 1.0, Double::sum);
            look();
            later(Duration.ofSeconds(1));
            assertThatCode(contact::requireContact).doesNotThrowAnyException();
        }
    }

    @Test
    void aConsumerSilentPastTheLimitPutsTheInstanceOutOfContactUntilTwoOfItsHeartbeatsAreAnswered() {
        responses.put("thread-1-consumer", 10.0);
        responses.put("thread-2-consumer", 10.0);
        look();
        for (int second = 0; second < 6; second++) {
            later(Duration.ofSeconds(1));
            responses.merge("thread-1-consumer", 1.0, Double::sum);
            look();
        }
        assertThatCode(contact::requireContact).as("silent for the limit, not past it").doesNotThrowAnyException();

        later(Duration.ofMillis(1));
        look();
        assertThatThrownBy(contact::requireContact).isInstanceOf(NotHeld.class)
                .hasMessageContaining("nothing for more than 6000 ms");

        heard("thread-2-consumer", true);
        look();
        assertThatThrownBy(contact::requireContact).as("its first heartbeat since may say it is no member any more")
                .isInstanceOf(NotHeld.class);
        later(Duration.ofSeconds(1));
        heard("thread-2-consumer", true);
        look();
        assertThatCode(contact::requireContact).as("a second heartbeat answered: still a member")
                .doesNotThrowAnyException();
    }

    /** Held-up responses come first when a silence ends: they are no sign that the group still counts it. */
    @Test
    void aSilencePastTheLimitEndedBetweenTwoLooksStillPutsTheInstanceOutOfContact() {
        responses.put("thread-1-consumer", 10.0);
        look();
        later(LIMIT.plusMillis(100));
        heard("thread-1-consumer", false);
        look();
        assertThatThrownBy(contact::requireContact).isInstanceOf(NotHeld.class);
        later(Duration.ofSeconds(1));
        heard("thread-1-consumer", false);
        look();
        assertThatThrownBy(contact::requireContact).as("responses, but no heartbeat").isInstanceOf(NotHeld.class);
    }

    /** A consumer told it is no member gives its tasks up before it rejoins: once it has, it answers again. */
    @Test
    void aConsumerThatRejoinedItsGroupAfterASilenceIsBackInContact() {
        responses.put("thread-1-consumer", 10.0);
        look();
        later(LIMIT.plusMillis(100));
        heard("thread-1-consumer", true);
        look();
        assertThatThrownBy(contact::requireContact).isInstanceOf(NotHeld.class);
        heard("thread-1-consumer", false);
        joins.merge("thread-1-consumer", 1.0, Double::sum);
        look();
        assertThatCode(contact::requireContact).doesNotThrowAnyException();
    }

    @Test
    void looksThatStopComingPutTheInstanceOutOfContact() {
        responses.put("thread-1-consumer", 10.0);
        look();
        later(LIMIT.plusMillis(1));
        assertThatThrownBy(contact::requireContact).isInstanceOf(NotHeld.class);
    }

    @Test
    void aConsumerJustStartedOrGoneIsNotHeldAgainstTheInstance() {
        responses.put("thread-1-consumer", 10.0);
        look();
        later(Duration.ofSeconds(5));
        responses.remove("thread-1-consumer");
        responses.put("thread-2-consumer", 0.0);
        look();
        later(Duration.ofSeconds(5));
        assertThatCode(contact::requireContact).as("the new thread's consumer has had 5 s").doesNotThrowAnyException();
    }

    @Test
    void onlyTheConsumersOfTheGroupCount() {
        responses.put("thread-1-consumer", 10.0);
        Map<MetricName, Metric> metrics = metrics();
        // The restore consumer belongs to no group: its silence says nothing of the tasks.
        metrics.put(name("consumer-metrics", "response-total", "thread-1-restore-consumer"), metric(3.0));
        contact.look(metrics);
        later(Duration.ofSeconds(5));
        responses.merge("thread-1-consumer", 1.0, Double::sum);
        metrics = metrics();
        metrics.put(name("consumer-metrics", "response-total", "thread-1-restore-consumer"), metric(3.0));
        contact.look(metrics);
        later(Duration.ofSeconds(5));
        assertThatCode(contact::requireContact).doesNotThrowAnyException();
    }

    @Test
    void theLimitIsTheSessionLessAHeartbeatAndAMargin() {
        Map<String, Object> config = new HashMap<>();
        config.put("consumer.session.timeout.ms", 10_000);
        assertThat(BrokerContact.silenceLimit(config)).as("the default heartbeat, 3 s").isEqualTo(Duration.ofSeconds(6));
        config.put("main.consumer.heartbeat.interval.ms", "2000");
        assertThat(BrokerContact.silenceLimit(config)).isEqualTo(Duration.ofSeconds(7));
        config.put("main.consumer.session.timeout.ms", "3500");
        assertThatThrownBy(() -> BrokerContact.silenceLimit(config)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("session timeout (3500 ms)");
        config.put("main.consumer.session.timeout.ms", "10000");
        config.put("group.protocol", "streams");
        assertThatThrownBy(() -> BrokerContact.silenceLimit(config)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("classic");
    }

    /** A response, and an answered heartbeat if {@code heartbeat}. */
    private void heard(String clientId, boolean heartbeat) {
        responses.merge(clientId, 1.0, Double::sum);
        if (heartbeat) {
            heartbeats.merge(clientId, 1.0, Double::sum);
        }
    }

    private void look() {
        contact.look(metrics());
    }

    private void later(Duration duration) {
        now.addAndGet(duration.toNanos());
    }

    private Map<MetricName, Metric> metrics() {
        Map<MetricName, Metric> metrics = new HashMap<>();
        responses.forEach((clientId, count) -> {
            metrics.put(name("consumer-coordinator-metrics", "heartbeat-total", clientId),
                    metric(heartbeats.getOrDefault(clientId, 0.0)));
            metrics.put(name("consumer-coordinator-metrics", "join-total", clientId),
                    metric(joins.getOrDefault(clientId, 0.0)));
            metrics.put(name("consumer-metrics", "response-total", clientId), metric(count));
        });
        return metrics;
    }

    private static MetricName name(String group, String name, String clientId) {
        return new MetricName(name, group, "", Map.of("client-id", clientId));
    }

    private static Metric metric(double value) {
        return new Metric() {
            @Override
            public MetricName metricName() {
                return null;
            }

            @Override
            public Object metricValue() {
                return value;
            }
        };
    }
}
