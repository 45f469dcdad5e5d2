package io.qrvoucher.ingress.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/** {@code Prefer: wait=N} (RFC 7240), as the writes read it. */
class PreferTest {

    private static final Duration MAX = Duration.ofSeconds(30);
    private static final Duration UNASKED = Duration.ofSeconds(5);

    @Test
    void aWaitIsReadAmongOtherPreferencesAndCappedHoweverManyDigitsItHas() {
        assertThat(Prefer.waitOf("wait=10", UNASKED, MAX)).isEqualTo(Duration.ofSeconds(10));
        assertThat(Prefer.waitOf("respond-async, wait=3", UNASKED, MAX)).isEqualTo(Duration.ofSeconds(3));
        assertThat(Prefer.waitOf("wait = 0", UNASKED, MAX)).isZero();
        assertThat(Prefer.waitOf("wait=999999", UNASKED, MAX)).isEqualTo(MAX);
        assertThat(Prefer.waitOf("wait=1000000", UNASKED, MAX)).as("seven digits").isEqualTo(MAX);
        assertThat(Prefer.waitOf("wait=" + "9".repeat(40), UNASKED, MAX)).isEqualTo(MAX);
    }

    /** RFC 7240: preference names are case-insensitive and a value may be quoted. */
    @Test
    void aWaitIsReadInAnyCaseAndQuoted() {
        assertThat(Prefer.waitOf("Wait=10", UNASKED, MAX)).hasSeconds(10);
        assertThat(Prefer.waitOf("WAIT=7", UNASKED, MAX)).hasSeconds(7);
        assertThat(Prefer.waitOf("wait=\"10\"", UNASKED, MAX)).hasSeconds(10);
        assertThat(Prefer.waitOf("wait=\"10", UNASKED, MAX)).as("an unclosed quote").isEqualTo(UNASKED);
    }

    @Test
    void respondAsyncAloneAsksForTheAnswerAtOnce() {
        assertThat(Prefer.waitOf("respond-async", UNASKED, MAX)).isZero();
        assertThat(Prefer.waitOf("Respond-Async", UNASKED, MAX)).isZero();
        assertThat(Prefer.waitOf("respond-async, wait=3", UNASKED, MAX)).hasSeconds(3);
        assertThat(Prefer.waitOf("respond-asynchronously", UNASKED, MAX)).as("another preference").isEqualTo(UNASKED);
    }

    @Test
    void aHeaderThatAsksNoWaitLeavesTheWaitOfTheOperation() {
        assertThat(Prefer.waitOf(null, UNASKED, MAX)).isEqualTo(UNASKED);
        assertThat(Prefer.waitOf("return=minimal", UNASKED, MAX)).isEqualTo(UNASKED);
        assertThat(Prefer.waitOf("wait=soon", UNASKED, MAX)).isEqualTo(UNASKED);
        assertThat(Prefer.waitOf(null, MAX)).as("a write that waits for nothing unasked").isZero();
        assertThat(Prefer.waitOf("return=minimal", MAX)).as("a write that waits for nothing unasked").isZero();
        assertThat(Prefer.waitOf(null, UNASKED, Duration.ofSeconds(2))).as("never past the longest").hasSeconds(2);
    }
}
