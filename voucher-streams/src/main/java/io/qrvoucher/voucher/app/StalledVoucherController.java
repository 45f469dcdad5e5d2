package io.qrvoucher.voucher.app;

import java.util.List;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import io.qrvoucher.voucher.domain.Voucher;

/** For operators: the vouchers of this instance's tasks that wait on the ledger too long (see the watchdog). */
@RestController
class StalledVoucherController {

    /** A stalled voucher as an operator needs it: whose money, how much, in which state, since when. */
    record StalledVoucher(String voucherId, String payerCustomerId, String accountId, long amountMinor,
                          String currency, String status, String hold, String waitingSince, long version) {

        static StalledVoucher of(Voucher voucher) {
            return new StalledVoucher(voucher.id(), voucher.payerCustomerId(), voucher.accountId(),
                    voucher.faceValue().minorUnits(), voucher.faceValue().currency(), voucher.status().name(),
                    voucher.hold().name(), voucher.updatedAt().toString(), voucher.version());
        }
    }

    private final StalledVoucherRegistry stalled;

    StalledVoucherController(StalledVoucherRegistry stalled) {
        this.stalled = stalled;
    }

    @GetMapping("/internal/stalled-vouchers")
    List<StalledVoucher> stalledVouchers() {
        return stalled.list().stream().map(StalledVoucher::of).toList();
    }
}
