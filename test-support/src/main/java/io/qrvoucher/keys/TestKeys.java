package io.qrvoucher.keys;

/** Keys the tests' services share, never those of a deployment. */
public final class TestKeys {

    /** The internal API key (base64, 256 bits and more) of every service a test starts. */
    public static final String INTERNAL_API_KEY = "aW50ZXJuYWwtYXBpLWtleS1vZi10aGUtc2VydmljZXMtdGVzdHM=";

    private TestKeys() {
    }
}
