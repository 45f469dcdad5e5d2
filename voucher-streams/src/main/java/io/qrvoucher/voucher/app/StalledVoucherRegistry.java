package io.qrvoucher.voucher.app;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.qrvoucher.voucher.domain.Voucher;
import io.qrvoucher.voucher.streams.StalledVouchers;

/**
 * The stalled vouchers of this instance's tasks, as its stream threads report them: what operators
 * list ({@code GET /internal/stalled-vouchers}) and the gauge {@code vouchers.stalled}. Each instance
 * holds only its own tasks' vouchers; the cluster's are the union over the instances.
 * <p>
 * A ledger outage stalls every voucher with a command out, for as long as it lasts: each is kept as the few fields an
 * operator reads, not as the voucher, and a list gives the longest waiting first, as many as asked.
 */
class StalledVoucherRegistry implements StalledVouchers, MeterBinder {

    /** A stalled voucher as an operator needs it: whose money, how much, in which state, since when. */
    record StalledVoucher(String voucherId, String payerCustomerId, String accountId, long amountMinor,
                          String currency, String status, String hold, Instant waitingSince, long version) {

        static StalledVoucher of(Voucher voucher) {
            return new StalledVoucher(voucher.id(), voucher.payerCustomerId(), voucher.accountId(),
                    voucher.faceValue().minorUnits(), voucher.faceValue().currency(), voucher.status().name(),
                    voucher.hold().name(), voucher.updatedAt(), voucher.version());
        }
    }

    private static final Comparator<StalledVoucher> LONGEST_WAITING_FIRST =
            Comparator.comparing(StalledVoucher::waitingSince).thenComparing(StalledVoucher::voucherId);

    private final Map<String, StalledVoucher> stalled = new ConcurrentHashMap<>();

    @Override
    public void stalled(Voucher voucher) {
        stalled.put(voucher.id(), StalledVoucher.of(voucher));
    }

    @Override
    public void cleared(String voucherId) {
        stalled.remove(voucherId);
    }

    /** The {@code most} stalled vouchers that have waited longest, longest first. */
    List<StalledVoucher> longestWaiting(int most) {
        return stalled.values().stream().sorted(LONGEST_WAITING_FIRST).limit(most).toList();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("vouchers.stalled", stalled, Map::size)
                .description("Vouchers of this instance's tasks waiting on the ledger longer than voucher.watchdog.stalled-after")
                .register(registry);
    }
}
