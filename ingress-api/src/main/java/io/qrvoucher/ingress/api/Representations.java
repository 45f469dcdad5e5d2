package io.qrvoucher.ingress.api;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import io.qrvoucher.avro.AccountSnapshot;
import io.qrvoucher.avro.ExternalAccount;
import io.qrvoucher.avro.OwnAccount;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.avro.query.VoucherAnswer;
import io.qrvoucher.ingress.codes.VoucherCodes;
import io.qrvoucher.ingress.reads.RedemptionView;
import io.qrvoucher.ingress.reads.VoucherReads;
import io.qrvoucher.schemas.DecimalAmounts;
import io.qrvoucher.schemas.VoucherRules;
import reactor.core.publisher.Mono;

/** How the pipeline's records look to a caller: each shows only what that caller may see. */
final class Representations {

    /** How long a read waits for a voucher issued to its reader to be recorded by its owner. */
    static final Duration RECORDING_WAIT = Duration.ofSeconds(5);

    private final VoucherCodes codes;
    private final Clock clock;
    private final Duration recordingWindow;

    /** @param recordingWindow how long after its id was made a missing voucher may still be on its way */
    Representations(VoucherCodes codes, Clock clock, Duration recordingWindow) {
        this.codes = codes;
        this.clock = clock;
        this.recordingWindow = recordingWindow;
    }

    /** Whether the caller may see the voucher at all: its payer, or the payee who redeemed it. */
    static boolean isVisibleTo(VoucherState voucher, String customerId) {
        return voucher.getPayerCustomerId().equals(customerId)
                || (voucher.getRedemption() != null && voucher.getRedemption().getPayeeCustomerId().equals(customerId));
    }

    /**
     * The voucher, if the caller may see it; else 404. A voucher whose id was issued to the caller within the
     * recording window is waited for up to {@link #RECORDING_WAIT} if its owner has not recorded it yet (read at once
     * from a 202's Location), and answered 503 should it still not be there: it is on its way, not missing. An older
     * one missing was forgotten.
     */
    Mono<VoucherState> visible(VoucherReads reads, String voucherId, String customerId) {
        // A plain read first, and the id's tag checked only on a miss: a wait costs the owner a watch, and the tag a MAC.
        return reads.voucher(voucherId, null)
                .flatMap(answer -> answer.getVoucher() != null
                        || !codes.mayBeUnrecorded(voucherId, customerId, clock.instant(), recordingWindow)
                        ? Mono.justOrEmpty(answer.getVoucher())
                        : reads.awaitChange(voucherId, null, -1, RECORDING_WAIT)
                                .mapNotNull(VoucherAnswer::getVoucher)
                                .switchIfEmpty(Mono.error(() -> ApiException.temporarilyUnavailable(
                                        "The voucher is accepted and not recorded yet; read it again shortly."))))
                .filter(voucher -> isVisibleTo(voucher, customerId))
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("Voucher " + voucherId)));
    }

    Dtos.Voucher voucher(VoucherState voucher, String customerId) {
        boolean payer = voucher.getPayerCustomerId().equals(customerId);
        io.qrvoucher.avro.Redemption redemption = voucher.getRedemption();
        boolean redeemed = voucher.getStatus() == VoucherStatus.REDEEMED;
        VoucherStatus status = VoucherRules.statusAt(voucher, clock.instant());
        return new Dtos.Voucher(
                voucher.getVoucherId(),
                status.name(),
                DecimalAmounts.format(voucher.getFaceValueMinor(), voucher.getCurrency()),
                voucher.getCurrency(),
                redeemed ? DecimalAmounts.format(redemption.getAmountMinor(), voucher.getCurrency()) : null,
                voucher.getCreatedAt(),
                voucher.getExpiresAt(),
                voucher.getUpdatedAt(),
                voucher.getReason(),
                payer && status == VoucherStatus.UNUSED
                        ? codes.codeOf(voucher.getVoucherId(), voucher.getCodeHash()).orElse(null) : null,
                payer ? "payer" : "payee",
                payer ? voucher.getAccountId() : null,
                redeemed ? destination(redemption.getDestination()) : null,
                voucher.getVersion());
    }

    /** A voucher accepted and not settled yet: 202, and where to read it. */
    static ResponseEntity<Dtos.Voucher> accepted(Dtos.Voucher voucher) {
        return ResponseEntity.status(HttpStatus.ACCEPTED).location(location(voucher.id())).body(voucher);
    }

    static URI location(String voucherId) {
        return URI.create("/api/vouchers/" + voucherId);
    }

    /** A voucher just requested, before the pipeline has published anything about it. */
    static Dtos.Voucher pending(String voucherId, Dtos.GenerateVoucher request, java.time.Instant at) {
        return new Dtos.Voucher(voucherId, "PENDING", request.amount(), request.currency(), null, at,
                request.expiresAt(), at, null, null, "payer", request.accountId(), null, 0);
    }

    static Dtos.Redemption redemption(RedemptionView redemption, String currency) {
        return new Dtos.Redemption(redemption.id(), redemption.voucherId(), redemption.status().name(),
                redemption.reason(),
                redemption.amountMinor() == null || currency == null ? null
                        : DecimalAmounts.format(redemption.amountMinor(), currency),
                currency, destination(redemption.destination()), redemption.requestedAt());
    }

    static Dtos.Account account(AccountSnapshot account) {
        return new Dtos.Account(account.getAccountId(), account.getCurrency(),
                DecimalAmounts.format(account.getBalanceMinor(), account.getCurrency()),
                DecimalAmounts.format(account.getHeldMinor(), account.getCurrency()),
                DecimalAmounts.format(account.getAvailableMinor(), account.getCurrency()),
                account.getStatus());
    }

    static Dtos.Destination destination(Object destination) {
        if (destination instanceof OwnAccount own) {
            return Dtos.Destination.own(own.getAccountId());
        }
        if (destination instanceof ExternalAccount external) {
            return Dtos.Destination.external(external.getBank(), external.getHolderName(), external.getAccountNumber());
        }
        return null;
    }
}
