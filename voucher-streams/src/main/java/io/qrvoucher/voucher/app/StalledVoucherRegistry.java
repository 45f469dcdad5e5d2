package io.qrvoucher.voucher.app;

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
 */
class StalledVoucherRegistry implements StalledVouchers, MeterBinder {

    private final Map<String, Voucher> stalled = new ConcurrentHashMap<>();

    @Override
    public void stalled(Voucher voucher) {
        stalled.put(voucher.id(), voucher);
    }

    @Override
    public void cleared(String voucherId) {
        stalled.remove(voucherId);
    }

    /** The stalled vouchers, longest waiting first. */
    List<Voucher> list() {
        return stalled.values().stream().sorted(Comparator.comparing(Voucher::updatedAt)).toList();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("vouchers.stalled", stalled, Map::size)
                .description("Vouchers of this instance's tasks waiting on the ledger longer than voucher.watchdog.stalled-after")
                .register(registry);
    }
}
