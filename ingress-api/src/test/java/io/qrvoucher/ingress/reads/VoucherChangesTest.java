package io.qrvoucher.ingress.reads;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.query.VoucherAnswer;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** A voucher's changes as one long poll after another ({@link VoucherReads#changes}). */
class VoucherChangesTest {

    /** A holder that lags (a standby answering at its wait's end) answered version 2 after 3 was told. */
    @Test
    void aLaggingHolderAnsweringAnOlderVersionNeitherTellsItNorPollsFromIt() {
        Deque<Long> answers = new ArrayDeque<>(List.of(3L, 2L, 3L, 4L));
        List<Long> polledAfter = new ArrayList<>();

        StepVerifier.create(VoucherReads.changes(1, after -> {
                    polledAfter.add(after);
                    Long version = answers.poll();
                    return version == null ? Mono.never() : Mono.just(answerAt(version));
                }).map(VoucherState::getVersion))
                .expectNext(3L, 4L)
                .thenCancel()
                .verify(Duration.ofSeconds(5));

        assertThat(polledAfter).containsExactly(1L, 3L, 3L, 3L, 4L);
    }

    private static VoucherAnswer answerAt(long version) {
        VoucherState voucher = new VoucherState();
        voucher.setVersion(version);
        return new VoucherAnswer(voucher, null);
    }
}
