package io.qrvoucher.support.reads;

import java.net.URI;
import java.util.Map;

/**
 * The owners of state that run in the ingress's own process, by the URL they are known by (what the
 * voucher-streams routing names, what the ingress is configured with for the ledger). A read whose owner
 * is one of them is a method call; any other goes over HTTP as before. Only the one-machine run starts the
 * services in one process; a deployment of separate processes has none.
 */
public record ColocatedOwners(Map<URI, VoucherStreamsReads> voucherStreams, Map<URI, LedgerReads> ledgers) {

    public ColocatedOwners {
        voucherStreams = Map.copyOf(voucherStreams);
        ledgers = Map.copyOf(ledgers);
    }

    public static ColocatedOwners none() {
        return new ColocatedOwners(Map.of(), Map.of());
    }
}
