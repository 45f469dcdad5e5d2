package io.qrvoucher.voucher.query;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.qrvoucher.support.reads.VoucherStreamsReads.NotHeld;

/**
 * Whether this instance has heard from the brokers lately enough that its group still counts it a member, and so
 * that its tasks are still its own. Cut off from the brokers (its network down, say), an instance keeps its tasks as
 * they were: nothing tells it that its group's coordinator gave them to another instance once its session timed out,
 * and until it learns so it would answer from stores that no longer change (a voucher redeemed meanwhile on its new
 * owner as UNUSED, with its code; a long poll that never wakes). Its standbys would not know how far behind they are.
 *
 * <p>Each stream thread's consumer hears from the brokers all the time: a heartbeat's response every
 * {@code heartbeat.interval.ms} (paused only while it rejoins its group, when the coordinator keeps it a member
 * anyway), and fetch responses while its thread polls partitions. Every {@code every} this counts the responses each
 * has had ({@code response-total}); one that has had none for {@link #silenceLimit} puts the instance out of contact,
 * and so do looks that stop coming. The coordinator times a session out from the last heartbeat it received, sent
 * at most a heartbeat interval before the connection fell silent: so the limit is the session timeout less a
 * heartbeat interval and a second (for the look's period and a round trip), and the instance stops answering before
 * any other can have its tasks. Once out of contact it stays out until each consumer has had two heartbeats answered
 * or has rejoined its group: the first responses after a long silence are of requests held up meanwhile, and a
 * heartbeat's answer that the member is gone is the first heartbeat, after which the consumer gives its tasks up
 * before it rejoins.
 *
 * <p>Not seen: an instance cut off from its group's coordinator alone while it still reaches the partitions' leaders
 * (on other brokers): its commits time out, and it answers until its stream thread learns it lost its tasks. Nor a
 * second process started under this one's static {@code group.instance.id} while this one still runs: it takes the
 * tasks at once, without a session to wait for.
 */
public final class BrokerContact implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BrokerContact.class);

    /** Of a look's period and a heartbeat's round trip, what the silence limit leaves before a session times out. */
    static final Duration MARGIN = Duration.ofSeconds(1);
    /** The least silence limit: a shorter one would refuse reads at every rebalance that waits on a slow member. */
    static final Duration MIN_SILENCE_LIMIT = Duration.ofSeconds(1);
    /** Heartbeats answered after a silence before contact is back: the first may say the member is gone. */
    private static final int HEARTBEATS_TO_REGAIN = 2;
    private static final String GROUP_METRICS = "consumer-coordinator-metrics";
    private static final String CONSUMER_METRICS = "consumer-metrics";
    private static final String RESPONSES = "response-total";
    private static final String HEARTBEATS = "heartbeat-total";
    private static final String JOINS = "join-total";
    private static final String CLIENT_ID = "client-id";

    private final long silenceLimitNanos;
    private final LongSupplier nanoTime;
    /** What each main consumer had heard as of the last look; touched by the looks only. */
    private final Map<String, Heard> consumers = new HashMap<>();
    /** When the consumer that has gone longest without a response last had one, as of the last look (or then). */
    private volatile long oldestHeardAt;
    /** A consumer's silence went past the limit and it has not regained contact since. */
    private volatile boolean lost;
    private final ScheduledExecutorService looks = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "broker-contact");
        thread.setDaemon(true);
        return thread;
    });

    /** One consumer's counts, when its responses last grew, and the counts it was at when it lost contact (or null). */
    private record Heard(Counts counts, long atNanos, Counts lostAt) {
    }

    private record Counts(double responses, double heartbeats, double joins) {
    }

    BrokerContact(Duration silenceLimit, LongSupplier nanoTime) {
        this.silenceLimitNanos = silenceLimit.toNanos();
        this.nanoTime = nanoTime;
        this.oldestHeardAt = nanoTime.getAsLong();
    }

    /** For an instance of Kafka Streams configured by {@code config}: its main consumers' session, less the margin. */
    public static BrokerContact of(Map<?, ?> config) {
        return new BrokerContact(silenceLimit(config), System::nanoTime);
    }

    /**
     * The session timeout of the main consumers less a heartbeat interval and {@link #MARGIN}, as {@code config} sets
     * them (or the consumer's defaults); refused where that leaves less than {@link #MIN_SILENCE_LIMIT}, and under the
     * {@code streams} group protocol, whose session the brokers set.
     */
    static Duration silenceLimit(Map<?, ?> config) {
        Object protocol = config.get(StreamsConfig.GROUP_PROTOCOL_CONFIG);
        if (protocol != null && !"classic".equals(protocol.toString().toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException(StreamsConfig.GROUP_PROTOCOL_CONFIG + "=" + protocol + ": an instance "
                    + "judges whether its tasks may have moved by the classic protocol's session, which it sets itself");
        }
        long session = mainConsumerMillis(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, config);
        long heartbeat = mainConsumerMillis(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, config);
        Duration limit = Duration.ofMillis(session - heartbeat).minus(MARGIN);
        if (limit.compareTo(MIN_SILENCE_LIMIT) < 0) {
            throw new IllegalArgumentException("The session timeout (" + session + " ms) leaves less than "
                    + MIN_SILENCE_LIMIT.toMillis() + " ms past a heartbeat interval (" + heartbeat + " ms) and "
                    + MARGIN.toMillis() + " ms: an instance cut off from the brokers could not stop answering in time");
        }
        return limit;
    }

    /** A main consumer's setting as Kafka Streams resolves it: the most specific prefix first, then the default. */
    private static int mainConsumerMillis(String name, Map<?, ?> config) {
        for (String key : List.of(StreamsConfig.mainConsumerPrefix(name), StreamsConfig.consumerPrefix(name), name)) {
            if (config.get(key) != null) {
                return (Integer) ConfigDef.parseType(key, config.get(key), ConfigDef.Type.INT);
            }
        }
        return (Integer) ConsumerConfig.configDef().defaultValues().get(name);
    }

    /** Looks at {@code streams}' consumers every {@code every}, from now until closed. */
    public BrokerContact watching(KafkaStreams streams, Duration every) {
        looks.scheduleWithFixedDelay(() -> {
            try {
                look(streams.metrics());
            } catch (RuntimeException e) {
                // A look that failed is one that did not come: the instance falls out of contact unless the next succeeds.
                log.warn("Could not count the responses of the stream threads' consumers", e);
            }
        }, 0, every.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** Counts each main consumer's responses in {@code metrics}: a consumer seen for the first time has just joined. */
    void look(Map<MetricName, ? extends Metric> metrics) {
        long now = nanoTime.getAsLong();
        Map<String, Map<String, Double>> counted = new HashMap<>();
        metrics.forEach((name, metric) -> {
            if ((GROUP_METRICS.equals(name.group()) && (HEARTBEATS.equals(name.name()) || JOINS.equals(name.name())))
                    || (CONSUMER_METRICS.equals(name.group()) && RESPONSES.equals(name.name()))) {
                counted.computeIfAbsent(name.tags().get(CLIENT_ID), id -> new HashMap<>())
                        .put(name.name(), ((Number) metric.metricValue()).doubleValue());
            }
        });
        // Only the consumers that heartbeat to a group: the main consumers, not the restore consumer nor the admin.
        counted.values().removeIf(counts -> !counts.containsKey(HEARTBEATS));
        consumers.keySet().retainAll(counted.keySet());
        long oldest = now;
        boolean anyLost = false;
        for (Map.Entry<String, Map<String, Double>> member : counted.entrySet()) {
            Map<String, Double> counts = member.getValue();
            Heard heard = next(member.getKey(), new Counts(counts.getOrDefault(RESPONSES, 0.0), counts.get(HEARTBEATS),
                    counts.getOrDefault(JOINS, 0.0)), now);
            consumers.put(member.getKey(), heard);
            oldest = heard.atNanos() - oldest < 0 ? heard.atNanos() : oldest;
            anyLost |= heard.lostAt() != null;
        }
        if (anyLost != lost) {
            if (anyLost) {
                log.warn("A stream thread's consumer heard nothing from the brokers for more than {} ms: this instance "
                        + "answers no read until it is back in its group", Duration.ofNanos(silenceLimitNanos).toMillis());
            } else {
                log.info("Back in contact with the brokers: this instance answers reads again");
            }
        }
        oldestHeardAt = oldest;
        lost = anyLost;
    }

    private Heard next(String member, Counts counts, long now) {
        Heard before = consumers.get(member);
        if (before == null) {
            return new Heard(counts, now, null);
        }
        // Judged against the last response before this look, so that a silence past the limit that has just ended
        // counts too: its first responses may be of requests held up meanwhile.
        Counts lostAt = before.lostAt();
        if (lostAt == null && now - before.atNanos() > silenceLimitNanos) {
            lostAt = before.counts();
        }
        if (lostAt != null && regainedSince(lostAt, counts)) {
            lostAt = null;
        }
        return new Heard(counts, counts.responses() != before.counts().responses() ? now : before.atNanos(), lostAt);
    }

    private static boolean regainedSince(Counts lostAt, Counts now) {
        return now.heartbeats() >= lostAt.heartbeats() + HEARTBEATS_TO_REGAIN || now.joins() > lostAt.joins();
    }

    /**
     * Whether this instance has heard enough from the brokers lately to answer reads: no other instance can have taken
     * its tasks without its knowing.
     */
    public boolean inContact() {
        // From the last look: looks that stopped coming put the instance out of contact too.
        return !lost && nanoTime.getAsLong() - oldestHeardAt <= silenceLimitNanos;
    }

    /** Throws {@link NotHeld} if this instance may have lost its tasks without knowing it, else does nothing. */
    public void requireContact() {
        if (!inContact()) {
            throw new NotHeld("This instance has heard too little from the brokers (nothing for more than "
                    + Duration.ofNanos(silenceLimitNanos).toMillis() + " ms, and not two heartbeats or a rejoin since): "
                    + "another instance may hold its partitions by now");
        }
    }

    @Override
    public void close() {
        looks.shutdownNow();
    }
}
