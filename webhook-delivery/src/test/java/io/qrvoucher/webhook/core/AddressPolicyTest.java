package io.qrvoucher.webhook.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which IPv6 addresses a webhook may go to: those of the public internet only, whatever new range a list would miss. */
class AddressPolicyTest {

    private final AddressPolicy policy = new AddressPolicy(false);

    @ParameterizedTest
    @ValueSource(strings = {"2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "2001:4860:4860::8888", "2c0f:fb50::1"})
    void aGlobalUnicastAddressIsPermitted(String address) throws UnknownHostException {
        assertThat(policy.permits(InetAddress.getByName(address))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "2001:0:4136:e378:8000:63bf:3fff:fdd2", // Teredo: carries an IPv4 address
            "2001:2::1", // benchmarking
            "2001:10::1", // ORCHID
            "2001:db8::1", // documentation
            "3fff::1", // documentation (RFC 9637)
            "2002:a00:1::1", // 6to4 of 10.0.0.1
            "64:ff9b::a00:1", // NAT64 of 10.0.0.1
            "64:ff9b:1::a00:1", // local-use NAT64
            "100::1", // discard-only
            "::a00:1", // IPv4-compatible
            "fd00::1", "fec0::1", "fe80::1", "ff02::1", "::", "::1",
            "4000::1", "e000::1" // not allocated for unicast
    })
    void anyOtherAddressIsRefused(String address) throws UnknownHostException {
        assertThat(policy.permits(InetAddress.getByName(address))).isFalse();
    }
}
