package io.qrvoucher.voucher.app;

import java.util.List;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.qrvoucher.voucher.app.StalledVoucherRegistry.StalledVoucher;
import io.qrvoucher.voucher.query.BadParameter;

/** For operators: the vouchers of this instance's tasks that wait on the ledger too long (see the watchdog). */
@RestController
class StalledVoucherController {

    /** The most one answer lists: the gauge {@code vouchers.stalled} says how many there are. */
    static final int MAX_LISTED = 10_000;

    private final StalledVoucherRegistry stalled;

    StalledVoucherController(StalledVoucherRegistry stalled) {
        this.stalled = stalled;
    }

    @GetMapping("/internal/stalled-vouchers")
    List<StalledVoucher> stalledVouchers(@RequestParam(defaultValue = "1000") int limit) {
        if (limit < 1 || limit > MAX_LISTED) {
            throw new BadParameter("limit is 1 to " + MAX_LISTED + ", not " + limit);
        }
        return stalled.longestWaiting(limit);
    }
}
