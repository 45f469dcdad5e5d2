package io.qrvoucher.voucher.streams;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.streams.processor.Punctuator;

import io.qrvoucher.voucher.domain.Voucher;
import io.qrvoucher.voucher.domain.VoucherLifecycle;

/**
 * Expires the task's due vouchers on wall-clock time. It reads only the due prefix of the expiry
 * index, at most {@code maxPerPunctuation} entries, so its work follows what is due, not how many
 * vouchers are alive; what is left over is taken by the next punctuation.
 */
final class ExpiryPunctuator implements Punctuator {

    private final VoucherLifecycle lifecycle;
    private final Vouchers vouchers;
    private final int maxPerPunctuation;
    private final TopologyMetrics metrics;

    ExpiryPunctuator(VoucherLifecycle lifecycle, Vouchers vouchers, int maxPerPunctuation, TopologyMetrics metrics) {
        this.lifecycle = lifecycle;
        this.vouchers = vouchers;
        this.maxPerPunctuation = maxPerPunctuation;
        this.metrics = metrics;
    }

    @Override
    public void punctuate(long wallClockMs) {
        long started = System.nanoTime();
        Instant now = Instant.ofEpochMilli(wallClockMs);
        List<DueIndex.Entry> due = vouchers.expiryIndex().due(now, maxPerPunctuation);
        int expired = 0;
        for (DueIndex.Entry entry : due) {
            Optional<Voucher> voucher = vouchers.find(entry.voucherId());
            if (voucher.isPresent() && voucher.get().isDueAt(now)) {
                vouchers.carryOut(voucher, lifecycle.expireIfDue(voucher.get(), now), now, RecordTracing.Handling.NONE);
                expired++;
            } else {
                // A voucher that left UNUSED already dropped its entry; this one is stale.
                vouchers.expiryIndex().remove(entry);
            }
        }
        metrics.expiryPunctuated(due.size(), expired, System.nanoTime() - started);
    }
}
