package io.qrvoucher.voucher.streams;

import java.time.Instant;
import java.util.Optional;

import io.qrvoucher.avro.CancelVoucher;
import io.qrvoucher.avro.FreezeFunds;
import io.qrvoucher.avro.GenerateVoucher;
import io.qrvoucher.avro.RedeemVoucher;
import io.qrvoucher.avro.ReleaseFunds;
import io.qrvoucher.avro.RequestRefusal;
import io.qrvoucher.avro.TransferFunds;
import io.qrvoucher.avro.VoucherEventType;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherView;
import io.qrvoucher.voucher.domain.Destination;
import io.qrvoucher.voucher.domain.HoldState;
import io.qrvoucher.voucher.domain.LedgerCommand;
import io.qrvoucher.voucher.domain.LedgerResult;
import io.qrvoucher.voucher.domain.Money;
import io.qrvoucher.voucher.domain.Redemption;
import io.qrvoucher.voucher.domain.Voucher;
import io.qrvoucher.voucher.domain.VoucherEvent;
import io.qrvoucher.voucher.domain.VoucherRequest;
import io.qrvoucher.voucher.domain.VoucherStatus;

/** Translates between the Avro records on the topics and the plain domain types. */
public final class AvroMapping {

    private AvroMapping() {
    }

    public static VoucherRequest toDomain(io.qrvoucher.avro.VoucherRequest request) {
        Object body = request.getBody();
        if (body instanceof GenerateVoucher generate) {
            return new VoucherRequest.Generate(request.getRequestId(), request.getVoucherId(), request.getCustomerId(),
                    request.getRequestedAt(), generate.getAccountId(),
                    new Money(generate.getAmountMinor(), generate.getCurrency()),
                    Optional.ofNullable(generate.getExpiresAt()), generate.getCodeHash());
        }
        if (body instanceof RedeemVoucher redeem) {
            return new VoucherRequest.Redeem(request.getRequestId(), request.getVoucherId(), request.getCustomerId(),
                    request.getRequestedAt(), redeem.getPresentedCodeHash(), Optional.ofNullable(redeem.getAmountMinor()),
                    toDomain(redeem.getDestination()));
        }
        if (body instanceof CancelVoucher) {
            return new VoucherRequest.Cancel(request.getRequestId(), request.getVoucherId(), request.getCustomerId(),
                    request.getRequestedAt());
        }
        throw new IllegalArgumentException("Unknown voucher request body " + body);
    }

    public static LedgerResult toDomain(io.qrvoucher.avro.LedgerResult result) {
        return new LedgerResult(result.getVoucherId(), result.getCommandId(),
                LedgerResult.Outcome.valueOf(result.getOutcome().name()), result.getReason());
    }

    public static Voucher toDomain(VoucherState state) {
        io.qrvoucher.avro.Redemption redemption = state.getRedemption();
        return new Voucher(state.getVoucherId(), state.getPayerCustomerId(), state.getAccountId(),
                new Money(state.getFaceValueMinor(), state.getCurrency()), state.getCodeHash(),
                VoucherStatus.valueOf(state.getStatus().name()), HoldState.valueOf(state.getHoldState().name()),
                state.getCreatedAt(), state.getExpiresAt(), state.getUpdatedAt(), state.getVersion(),
                state.getGenerateRequestId(), state.getCancelRequestId(),
                redemption == null ? null : new Redemption(redemption.getRequestId(), redemption.getPayeeCustomerId(),
                        new Money(redemption.getAmountMinor(), state.getCurrency()),
                        toDomain(redemption.getDestination()), redemption.getRequestedAt()),
                state.getReason());
    }

    public static VoucherState toAvro(Voucher voucher) {
        return VoucherState.newBuilder()
                .setVoucherId(voucher.id())
                .setPayerCustomerId(voucher.payerCustomerId())
                .setAccountId(voucher.accountId())
                .setFaceValueMinor(voucher.faceValue().minorUnits())
                .setCurrency(voucher.faceValue().currency())
                .setCodeHash(voucher.codeHash())
                .setStatus(io.qrvoucher.avro.VoucherStatus.valueOf(voucher.status().name()))
                .setHoldState(io.qrvoucher.avro.HoldState.valueOf(voucher.hold().name()))
                .setCreatedAt(voucher.createdAt())
                .setExpiresAt(voucher.expiresAt())
                .setUpdatedAt(voucher.updatedAt())
                .setVersion(voucher.version())
                .setGenerateRequestId(voucher.generateRequestId())
                .setCancelRequestId(voucher.cancelRequestId())
                .setRedemption(toAvro(voucher.redemption()))
                .setReason(voucher.reason())
                .build();
    }

    /** The voucher as subscribers of the public events see it: without the hash of its bearer code. */
    public static VoucherView toView(Voucher voucher) {
        return VoucherView.newBuilder()
                .setVoucherId(voucher.id())
                .setPayerCustomerId(voucher.payerCustomerId())
                .setAccountId(voucher.accountId())
                .setFaceValueMinor(voucher.faceValue().minorUnits())
                .setCurrency(voucher.faceValue().currency())
                .setStatus(io.qrvoucher.avro.VoucherStatus.valueOf(voucher.status().name()))
                .setHoldState(io.qrvoucher.avro.HoldState.valueOf(voucher.hold().name()))
                .setCreatedAt(voucher.createdAt())
                .setExpiresAt(voucher.expiresAt())
                .setUpdatedAt(voucher.updatedAt())
                .setVersion(voucher.version())
                .setGenerateRequestId(voucher.generateRequestId())
                .setCancelRequestId(voucher.cancelRequestId())
                .setRedemption(toAvro(voucher.redemption()))
                .setReason(voucher.reason())
                .build();
    }

    private static io.qrvoucher.avro.Redemption toAvro(Redemption redemption) {
        return redemption == null ? null : io.qrvoucher.avro.Redemption.newBuilder()
                .setRequestId(redemption.requestId())
                .setPayeeCustomerId(redemption.payeeCustomerId())
                .setAmountMinor(redemption.amount().minorUnits())
                .setDestination(toAvro(redemption.destination()))
                .setRequestedAt(redemption.requestedAt())
                .build();
    }

    public static io.qrvoucher.avro.LedgerCommand toAvro(LedgerCommand command, Instant issuedAt) {
        Object body;
        if (command instanceof LedgerCommand.Freeze freeze) {
            body = new FreezeFunds(freeze.customerId(), freeze.accountId(), freeze.amount().minorUnits(),
                    freeze.amount().currency());
        } else if (command instanceof LedgerCommand.Transfer transfer) {
            body = new TransferFunds(transfer.amount().minorUnits(), transfer.amount().currency(),
                    transfer.payeeCustomerId(), toAvro(transfer.destination()));
        } else {
            body = new ReleaseFunds();
        }
        return new io.qrvoucher.avro.LedgerCommand(command.commandId(), command.voucherId(), issuedAt, body);
    }

    public static io.qrvoucher.avro.VoucherEvent toAvro(VoucherEvent event, Instant occurredAt) {
        String eventId = switch (event.type()) {
            case REQUEST_REFUSED -> event.requestId() + "/refused";
            // A report changes no state: it is named after the version it reports on.
            case STALLED -> event.voucherId() + "/v" + event.voucher().version() + "/stalled";
            default -> event.voucherId() + "/v" + event.voucher().version();
        };
        return io.qrvoucher.avro.VoucherEvent.newBuilder()
                .setEventId(eventId)
                .setVoucherId(event.voucherId())
                .setType(VoucherEventType.valueOf(event.type().name()))
                .setOccurredAt(occurredAt)
                .setRequestId(event.requestId())
                .setCustomerId(event.customerId())
                .setReason(event.reason())
                .setVoucher(event.voucher() == null ? null : toView(event.voucher()))
                .build();
    }

    /** A refused request as its requester may read it back: for a redemption, what it asked for. */
    public static RequestRefusal toRefusal(VoucherRequest request, String reason, Instant refusedAt) {
        RedeemVoucher redemption = request instanceof VoucherRequest.Redeem redeem
                ? new RedeemVoucher(redeem.presentedCodeHash(), redeem.amountMinor().orElse(null), toAvro(redeem.destination()))
                : null;
        return new RequestRefusal(request.requestId(), request.voucherId(), request.customerId(), request.requestedAt(),
                refusedAt, reason, redemption);
    }

    private static Destination toDomain(Object destination) {
        if (destination instanceof io.qrvoucher.avro.OwnAccount own) {
            return new Destination.OwnAccount(own.getAccountId());
        }
        io.qrvoucher.avro.ExternalAccount external = (io.qrvoucher.avro.ExternalAccount) destination;
        return new Destination.ExternalAccount(external.getBank(), external.getHolderName(), external.getAccountNumber());
    }

    private static Object toAvro(Destination destination) {
        if (destination instanceof Destination.OwnAccount own) {
            return new io.qrvoucher.avro.OwnAccount(own.accountId());
        }
        Destination.ExternalAccount external = (Destination.ExternalAccount) destination;
        return new io.qrvoucher.avro.ExternalAccount(external.bank(), external.holderName(), external.accountNumber());
    }
}
