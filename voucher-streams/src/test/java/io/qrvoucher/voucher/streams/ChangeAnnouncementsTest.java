package io.qrvoucher.voucher.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What waiting readers are told: each change and refusal as the task makes it, then the store commit after
 * which a committed read sees it (readers read only after such a commit); and each claim of a key processed,
 * the first one or a later one (claims are read uncommitted, so at once).
 */
class ChangeAnnouncementsTest {

    private final List<String> announced = new CopyOnWriteArrayList<>();
    private final VoucherTopologyFixture topology = new VoucherTopologyFixture(new VoucherChanges() {
        @Override
        public void changed(String voucherId, long version) {
            announced.add("changed " + voucherId);
        }

        @Override
        public void refused(String voucherId) {
            announced.add("refused " + voucherId);
        }

        @Override
        public void committed() {
            announced.add("committed");
        }

        @Override
        public void claimed(String claimKey) {
            announced.add("claimed " + claimKey);
        }
    });

    @AfterEach
    void closeDriver() {
        topology.close();
    }

    @Test
    void aChangeIsFollowedByTheCommitThatMakesItReadable() {
        topology.generate("v1", "alice", 100);

        assertThat(announced).containsSubsequence("changed v1", "committed");
        assertThat(announced).last().isEqualTo("committed");
    }

    @Test
    void aRefusalIsFollowedByTheCommitThatMakesItReadable() {
        topology.issue("v1", "alice", 100);
        announced.clear();

        topology.generate("v1", "mallory", 100);

        assertThat(announced).containsSubsequence("refused v1", "committed");
        assertThat(announced).doesNotContain("changed v1");
        assertThat(announced).last().isEqualTo("committed");
    }

    @Test
    void everyClaimOfAKeyIsAnnouncedTheFirstAndTheLaterOnes() {
        topology.claim("key-1", "r1");
        topology.claim("key-1", "r2");

        assertThat(announced).filteredOn(line -> line.startsWith("claimed"))
                .containsExactly("claimed alice/key-1", "claimed alice/key-1");
    }
}
