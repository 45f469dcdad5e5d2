package io.qrvoucher.ledger.kafka;

import org.apache.kafka.common.errors.SerializationException;

import io.qrvoucher.avro.ExternalAccount;
import io.qrvoucher.avro.FreezeFunds;
import io.qrvoucher.avro.LedgerOutcome;
import io.qrvoucher.avro.LedgerResult;
import io.qrvoucher.avro.OwnAccount;
import io.qrvoucher.avro.ReleaseFunds;
import io.qrvoucher.avro.TransferFunds;
import io.qrvoucher.ledger.core.Account;
import io.qrvoucher.ledger.core.Applied;
import io.qrvoucher.ledger.core.LedgerCommand;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.schemas.VoucherRules;

/** Reads commands from, and writes results and account snapshots to, their Avro records. */
public final class CommandCodec {

    private static final AvroSerde<io.qrvoucher.avro.LedgerCommand> COMMANDS = AvroSerde.of(io.qrvoucher.avro.LedgerCommand.class);
    private static final AvroSerde<LedgerResult> RESULTS = AvroSerde.of(LedgerResult.class);
    private static final AvroSerde<io.qrvoucher.avro.AccountSnapshot> SNAPSHOTS =
            AvroSerde.of(io.qrvoucher.avro.AccountSnapshot.class);

    private CommandCodec() {
    }

    /**
     * @throws SerializationException when the bytes are not a command; when its id is not its voucher's command of its
     *                                kind ({@link VoucherRules#ledgerCommandId}): answered from the stored result of
     *                                the command that has that id, it would be told what was done for another voucher;
     *                                or when the record's key is not its voucher's id: a voucher's commands are applied in
     *                                order only because they share its key's partition
     */
    static LedgerCommand decode(String key, byte[] value) {
        LedgerCommand command = toCommand(COMMANDS.decode(value));
        String expectedId = VoucherRules.ledgerCommandId(command.voucherId(), command.kind());
        if (!expectedId.equals(command.commandId())) {
            throw new SerializationException("Command id " + command.commandId() + " is not " + expectedId
                    + ", the id of voucher " + command.voucherId() + "'s " + command.kind());
        }
        if (!command.voucherId().equals(key)) {
            throw new SerializationException("Command " + command.commandId() + " came under the key " + key
                    + ", not its voucher's: it could be applied out of its voucher's order");
        }
        return command;
    }

    private static LedgerCommand toCommand(io.qrvoucher.avro.LedgerCommand command) {
        String id = command.getCommandId();
        String voucherId = command.getVoucherId();
        Object body = command.getBody();
        if (body instanceof FreezeFunds freeze) {
            return new LedgerCommand.Freeze(id, voucherId, freeze.getCustomerId(), freeze.getAccountId(),
                    freeze.getAmountMinor(), freeze.getCurrency());
        }
        if (body instanceof TransferFunds transfer) {
            LedgerCommand.Destination destination = transfer.getDestination() instanceof OwnAccount own
                    ? new LedgerCommand.OwnAccount(own.getAccountId())
                    : toExternal((ExternalAccount) transfer.getDestination());
            return new LedgerCommand.Transfer(id, voucherId, transfer.getAmountMinor(), transfer.getCurrency(),
                    transfer.getPayeeCustomerId(), destination);
        }
        if (body instanceof ReleaseFunds) {
            return new LedgerCommand.Release(id, voucherId);
        }
        throw new SerializationException("Unknown ledger command body " + body);
    }

    static byte[] encodeResult(Applied applied) {
        return RESULTS.encode(new LedgerResult(applied.commandId(), applied.voucherId(), applied.processedAt(),
                LedgerOutcome.valueOf(applied.outcome().name()), applied.reason(), applied.transferredMinor(),
                applied.releasedMinor()));
    }

    static byte[] encodeSnapshot(Account account) {
        return SNAPSHOTS.encode(snapshotOf(account));
    }

    /** What others may know of an account: its balances and limits, as one record. */
    public static io.qrvoucher.avro.AccountSnapshot snapshotOf(Account account) {
        return io.qrvoucher.avro.AccountSnapshot.newBuilder()
                .setAccountId(account.accountId())
                .setOwnerCustomerId(account.ownerCustomerId())
                .setCurrency(account.currency())
                .setBalanceMinor(account.balanceMinor())
                .setHeldMinor(account.heldMinor())
                .setAvailableMinor(account.availableMinor())
                .setStatus(account.status())
                .setOutwardTransfersAllowed(account.outwardTransfersAllowed())
                .setDailyOutwardLimitMinor(account.dailyOutwardLimitMinor())
                .setVersion(account.version())
                .setUpdatedAt(account.updatedAt())
                .build();
    }


    private static LedgerCommand.ExternalAccount toExternal(ExternalAccount external) {
        return new LedgerCommand.ExternalAccount(external.getBank(), external.getHolderName(), external.getAccountNumber());
    }
}
