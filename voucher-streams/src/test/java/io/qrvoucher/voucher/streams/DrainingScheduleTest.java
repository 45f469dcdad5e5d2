package io.qrvoucher.voucher.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedPunctuator;
import org.junit.jupiter.api.Test;

class DrainingScheduleTest {

    private static final Duration INTERVAL = Duration.ofSeconds(1);

    private final MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
    /** What each run of the work answers, in turn: whether it left some due. */
    private final Deque<Boolean> leftSomeDue = new ArrayDeque<>();
    private final List<Long> runs = new ArrayList<>();

    private Cancellable scheduled() {
        return DrainingSchedule.every(context, INTERVAL, wallClockMs -> {
            runs.add(wallClockMs);
            return leftSomeDue.pop();
        });
    }

    @Test
    void aRunThatLeavesWorkDueComesRoundAgainAtTheThreadsNextRoundsUntilNoneIsLeft() {
        scheduled();
        leftSomeDue.addAll(List.of(true, true, false));

        everyInterval().getPunctuator().punctuate(1_000);
        assertThat(nextRounds()).singleElement().satisfies(nextRound -> assertThat(nextRound.cancelled()).isFalse());
        nextRounds().get(0).getPunctuator().punctuate(1_001);
        nextRounds().get(0).getPunctuator().punctuate(1_002);

        assertThat(runs).containsExactly(1_000L, 1_001L, 1_002L);
        assertThat(nextRounds()).singleElement().satisfies(nextRound -> assertThat(nextRound.cancelled()).isTrue());
        assertThat(everyInterval().cancelled()).isFalse();
    }

    @Test
    void aRunThatLeavesNothingDueWaitsForTheInterval() {
        scheduled();
        leftSomeDue.add(false);

        everyInterval().getPunctuator().punctuate(1_000);

        assertThat(nextRounds()).isEmpty();
    }

    @Test
    void cancelledWhileDrainingItStopsBothSchedules() {
        Cancellable schedule = scheduled();
        leftSomeDue.add(true);
        everyInterval().getPunctuator().punctuate(1_000);

        schedule.cancel();

        assertThat(context.scheduledPunctuators()).hasSize(2).allMatch(CapturedPunctuator::cancelled);
    }

    private CapturedPunctuator everyInterval() {
        return context.scheduledPunctuators().stream().filter(schedule -> schedule.getInterval().equals(INTERVAL))
                .findFirst().orElseThrow();
    }

    private List<CapturedPunctuator> nextRounds() {
        return context.scheduledPunctuators().stream()
                .filter(schedule -> schedule.getInterval().equals(DrainingSchedule.NEXT_ROUND)).toList();
    }
}
