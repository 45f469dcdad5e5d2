package io.qrvoucher.voucher.streams;

import java.time.Duration;

import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * A task's timer over work that comes due and is done a bound at a time: it runs every {@code interval}, and while a
 * run leaves work due, again each time the stream thread comes round, until none is left. Kafka Streams runs a schedule
 * at most once a round and skips the runs it missed, so on the interval alone a backlog drained one bound an interval:
 * at midnight, when every voucher of a day with the default validity expires, a task with 200,000 due expired them (and
 * had their holds released) over 20 s at 10,000 a second. Between two runs the thread still polls and processes.
 */
final class DrainingSchedule implements Cancellable {

    /** The thread's next round: the shortest schedule Kafka Streams keeps. */
    static final Duration NEXT_ROUND = Duration.ofMillis(1);

    /** Work done a bound at a time. */
    @FunctionalInterface
    interface Work {

        /** Does up to a bound of the work due at {@code wallClockMs}; says whether it may have left some due. */
        boolean doDue(long wallClockMs);
    }

    private final ProcessorContext<?, ?> context;
    private final Work work;
    private final Cancellable everyInterval;
    private Cancellable draining;

    private DrainingSchedule(ProcessorContext<?, ?> context, Duration interval, Work work) {
        this.context = context;
        this.work = work;
        this.everyInterval = context.schedule(interval, PunctuationType.WALL_CLOCK_TIME, this::run);
    }

    static Cancellable every(ProcessorContext<?, ?> context, Duration interval, Work work) {
        return new DrainingSchedule(context, interval, work);
    }

    private void run(long wallClockMs) {
        if (work.doDue(wallClockMs) && draining == null) {
            draining = context.schedule(NEXT_ROUND, PunctuationType.WALL_CLOCK_TIME, this::drain);
        }
    }

    private void drain(long wallClockMs) {
        if (!work.doDue(wallClockMs)) {
            draining.cancel();
            draining = null;
        }
    }

    @Override
    public void cancel() {
        everyInterval.cancel();
        if (draining != null) {
            draining.cancel();
            draining = null;
        }
    }
}
