package io.qrvoucher.keys;

/** Keys the tests' services share, never those of a deployment. */
public final class TestKeys {

    /** The internal API keys (base64, 256 bits and more), each service's own: the ingress holds the three. */
    public static final String VOUCHER_STREAMS_INTERNAL_KEY = "aW50ZXJuYWwtYXBpLWtleS1vZi12b3VjaGVyLXN0cmVhbXMtaW4tdGVzdHM=";
    public static final String LEDGER_ADAPTER_INTERNAL_KEY = "aW50ZXJuYWwtYXBpLWtleS1vZi10aGUtbGVkZ2VyLWFkYXB0ZXItaW4tdGVzdHM=";
    public static final String WEBHOOK_DELIVERY_INTERNAL_KEY = "aW50ZXJuYWwtYXBpLWtleS1vZi13ZWJob29rLWRlbGl2ZXJ5LWluLXRlc3Rz";

    private TestKeys() {
    }
}
