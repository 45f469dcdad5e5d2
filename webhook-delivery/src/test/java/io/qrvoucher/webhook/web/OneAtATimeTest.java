package io.qrvoucher.webhook.web;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OneAtATimeTest {

    private final OneAtATime checks = new OneAtATime();

    @Test
    void aCustomersSecondRegistrationWhileTheFirstIsCheckedIsRefusedAndOthersAreNot() {
        try (OneAtATime.Turn alices = checks.take("alice")) {
            assertThatThrownBy(() -> checks.take("alice")).isInstanceOf(OneAtATime.Busy.class);
            checks.take("bob").close();
        }
        checks.take("alice").close();
    }
}
