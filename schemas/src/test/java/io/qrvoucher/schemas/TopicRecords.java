package io.qrvoucher.schemas;

import java.util.List;

import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

import io.qrvoucher.avro.AccountSnapshot;
import io.qrvoucher.avro.CustomerAttempt;
import io.qrvoucher.avro.CustomerSettings;
import io.qrvoucher.avro.IdempotencyClaim;
import io.qrvoucher.avro.LedgerCommand;
import io.qrvoucher.avro.LedgerResult;
import io.qrvoucher.avro.RequestRefusal;
import io.qrvoucher.avro.SettingsChange;
import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.avro.VoucherState;

/**
 * Every record that is written to a topic (changelogs included), with the fingerprint of each schema
 * it has ever been written with, oldest first; the last is its current schema. A value on a topic may
 * outlive the producer that wrote it, so each of these schemas but the current one must stay in
 * {@code avro-history} for as long as such values can be read ({@link SchemaHistoryTest} holds the
 * two to each other). A fingerprint covers only what decoding depends on (names, types, fields,
 * symbols): a change of docs, defaults or aliases alone keeps it, and needs no new history file.
 */
final class TopicRecords {

    /** A record and the fingerprints (hex CRC-64-AVRO of the parsing canonical form) of its schemas. */
    record Versions(Schema current, List<String> fingerprints) {
    }

    static final List<Versions> ALL = List.of(
            // voucher-events, the public contract. v1: 8b47262; v2: 8906951 (STALLED, LEDGER_MISMATCH,
            // UNKNOWN); current: the VoucherView without the code hash (5689e3b).
            new Versions(VoucherEvent.getClassSchema(), List.of("fe682097126ff916", "9fb227b98d0b66dd", "219f728f08a72bcc")),
            new Versions(VoucherRequest.getClassSchema(), List.of("0c9a85ddd1b981f3")),
            new Versions(LedgerCommand.getClassSchema(), List.of("870e2c1312405590")),
            new Versions(LedgerResult.getClassSchema(), List.of("1ba3ec46fbf1769c")),
            new Versions(SettingsChange.getClassSchema(), List.of("82c2271b5aeae33f", "98ac254113e1a343")),
            new Versions(IdempotencyClaim.getClassSchema(), List.of("4167bfd9a0c9fbde")),
            new Versions(CustomerAttempt.getClassSchema(), List.of("83e0daf3f5b7095e")),
            // The schema of 8b47262, without version, was never written: the ledger adapter that
            // writes snapshots came with version (8371e24).
            new Versions(AccountSnapshot.getClassSchema(), List.of("758fcccb311c91ef")),
            // v1: written whole by the ingress to customer-settings until changeOffset came (b130eed).
            new Versions(CustomerSettings.getClassSchema(), List.of("05a85236a85e852e", "ac6ccf59fa04f71b")),
            new Versions(RequestRefusal.getClassSchema(), List.of("4acbd58b60e1a8f0")),
            new Versions(VoucherState.getClassSchema(), List.of("faeda995878d6ee0")));

    static String fingerprint(Schema schema) {
        return String.format("%016x", SchemaNormalization.parsingFingerprint64(schema));
    }

    private TopicRecords() {
    }
}
