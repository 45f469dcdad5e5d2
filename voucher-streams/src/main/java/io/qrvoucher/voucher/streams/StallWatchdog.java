package io.qrvoucher.voucher.streams;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.streams.processor.Punctuator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.qrvoucher.voucher.domain.Decision;
import io.qrvoucher.voucher.domain.Voucher;
import io.qrvoucher.voucher.domain.VoucherLifecycle;

/**
 * Reports the task's vouchers that have waited on the ledger longer than {@code stalledAfter} — a
 * freeze, transfer or release asked for and never answered, for example because the command was
 * dead-lettered — with a {@code STALLED} event, a log line and a metric. Like expiry it reads only the
 * due head of an index, and each stall is reported once: the entry leaves the index when reported, and
 * comes back only when the voucher waits on the ledger again.
 */
final class StallWatchdog implements Punctuator {

    private static final Logger log = LoggerFactory.getLogger(StallWatchdog.class);

    private final VoucherLifecycle lifecycle;
    private final Vouchers vouchers;
    private final Duration stalledAfter;
    private final int maxPerPunctuation;
    private final TopologyMetrics metrics;

    StallWatchdog(VoucherLifecycle lifecycle, Vouchers vouchers, Duration stalledAfter, int maxPerPunctuation,
                  TopologyMetrics metrics) {
        this.lifecycle = lifecycle;
        this.vouchers = vouchers;
        this.stalledAfter = stalledAfter;
        this.maxPerPunctuation = maxPerPunctuation;
        this.metrics = metrics;
    }

    @Override
    public void punctuate(long wallClockMs) {
        Instant now = Instant.ofEpochMilli(wallClockMs);
        List<DueIndex.Entry> due = vouchers.stallIndex().due(now, maxPerPunctuation);
        for (DueIndex.Entry entry : due) {
            vouchers.stallIndex().remove(entry);
            Optional<Voucher> voucher = vouchers.find(entry.voucherId());
            Decision report = voucher.isEmpty() ? null : lifecycle.reportIfStalled(voucher.get(), now, stalledAfter);
            if (report == null || report.isEmpty()) {
                continue;
            }
            Voucher stalled = voucher.get();
            log.warn("Voucher {} is stalled: {} with its hold {} since {}, {} without a ledger result",
                    stalled.id(), stalled.status(), stalled.hold(), stalled.updatedAt(),
                    Duration.between(stalled.updatedAt(), now));
            vouchers.carryOut(voucher, report, now, RecordTracing.Handling.NONE);
            vouchers.stalled(stalled);
            metrics.stalled();
        }
    }
}
