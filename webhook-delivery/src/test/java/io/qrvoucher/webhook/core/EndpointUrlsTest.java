package io.qrvoucher.webhook.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Names are resolved by a table here, so that no test looks anything up or connects anywhere. */
class EndpointUrlsTest {

    private static final Map<String, String> DNS = Map.of(
            "shop.example.com", "93.184.215.14",
            "rebound.example.com", "10.1.2.3",
            "metadata.example.com", "169.254.169.254",
            "localhost", "127.0.0.1");

    private static InetAddress[] resolve(String host) throws UnknownHostException {
        String address = DNS.getOrDefault(host, host);
        if (!Character.isDigit(address.charAt(0)) && !address.contains(":")) {
            throw new UnknownHostException(host);
        }
        return InetAddress.getAllByName(address); // a literal: parsed, not looked up
    }

    private static final EndpointUrls.Resolver TABLE = EndpointUrlsTest::resolve;
    private static final java.util.Set<Integer> PORTS = java.util.Set.of(443, 8443);
    private final EndpointUrls production = new EndpointUrls(false, PORTS);
    private final EndpointUrls demo = new EndpointUrls(true, PORTS);

    /** The bank's servers knock only on the ports webhooks go to: not on any port of any host a customer names. */
    @Test
    void aUrlToAPortWebhooksDoNotGoToIsRefusedButInTheDemo() {
        for (String url : List.of("https://shop.example.com:22/", "https://shop.example.com:6379/hooks",
                "https://shop.example.com:80/hooks")) {
            assertThatThrownBy(() -> production.check(url, TABLE)).as(url).isInstanceOf(Refusal.class)
                    .extracting(refusal -> ((Refusal) refusal).code()).isEqualTo("INVALID_WEBHOOK_URL");
        }
        assertThat(production.check("https://shop.example.com:443/hooks", TABLE).getPort()).isEqualTo(443);
        assertThat(demo.check("https://shop.example.com:6379/hooks", TABLE).getPort()).isEqualTo(6379);
    }

    @Test
    void aPublicHttpsUrlIsTaken() {
        assertThat(production.check("https://shop.example.com/hooks/qr?x=1", TABLE).toString())
                .isEqualTo("https://shop.example.com/hooks/qr?x=1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://10.0.0.5/hook", "https://192.168.1.1/", "https://172.16.0.1/", "https://169.254.169.254/latest",
            "https://rebound.example.com/", "https://metadata.example.com/", "https://[fd00::1]/", "https://[fe80::1]/",
            "https://[::ffff:10.0.0.1]/", "https://100.64.0.1/", "https://0.0.0.0/", "https://[::]/", "https://224.0.0.1/",
            "https://unknown.example.com/"})
    void aUrlWhoseHostIsPrivateLinkLocalReservedOrUnknownIsRefusedEvenInTheDemo(String url) {
        assertThatThrownBy(() -> demo.check(url, TABLE)).isInstanceOf(Refusal.class)
                .extracting(refusal -> ((Refusal) refusal).code()).isEqualTo("WEBHOOK_URL_NOT_ALLOWED");
        assertThatThrownBy(() -> production.check(url, TABLE)).isInstanceOf(Refusal.class);
    }

    @Test
    void aNameWhoseAddressIsIpv4MappedIpv6IsJudgedByTheIpv4AddressItCarries() {
        Map<String, String> carried = Map.of("metadata.example.com", "169.254.169.254", "internal.example.com", "10.0.0.5",
                "loopback.example.com", "127.0.0.1", "shop.example.com", "93.184.215.14");
        EndpointUrls mapped = new EndpointUrls(false, PORTS);
        EndpointUrls.Resolver carrying = host -> new InetAddress[] {mappedIpv6(carried.get(host))};

        for (String host : List.of("metadata.example.com", "internal.example.com", "loopback.example.com")) {
            assertThatThrownBy(() -> mapped.check("https://" + host + "/hook", carrying)).as(host).isInstanceOf(Refusal.class)
                    .extracting(refusal -> ((Refusal) refusal).code()).isEqualTo("WEBHOOK_URL_NOT_ALLOWED");
        }
        assertThat(mapped.check("https://shop.example.com/hook", carrying).getHost()).isEqualTo("shop.example.com");
    }

    /** ::ffff:a.b.c.d as an answer to an AAAA query gives it: an IPv6 address, not read as IPv4. */
    private static InetAddress mappedIpv6(String ipv4) throws UnknownHostException {
        byte[] address = new byte[16];
        address[10] = (byte) 0xff;
        address[11] = (byte) 0xff;
        System.arraycopy(InetAddress.getByName(ipv4).getAddress(), 0, address, 12, 4);
        return Inet6Address.getByAddress(null, address, -1);
    }

    @Test
    void localhostAndHttpAreTakenOnlyWithTheDemoSwitch() {
        assertThatThrownBy(() -> production.check("https://localhost:8443/hook", TABLE)).isInstanceOf(Refusal.class)
                .extracting(refusal -> ((Refusal) refusal).code()).isEqualTo("WEBHOOK_URL_NOT_ALLOWED");
        assertThatThrownBy(() -> production.check("http://shop.example.com/hook", TABLE)).isInstanceOf(Refusal.class)
                .extracting(refusal -> ((Refusal) refusal).code()).isEqualTo("INVALID_WEBHOOK_URL");
        assertThat(demo.check("http://localhost:9999/hook", TABLE).getPort()).isEqualTo(9999);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "shop.example.com/hook", "ftp://shop.example.com/", "https://user:pw@shop.example.com/",
            "https://shop.example.com/#frag", "https:///nohost", "https://exa mple.com/"})
    void somethingThatIsNotAnHttpsUrlIsInvalid(String url) {
        assertThatThrownBy(() -> production.check(url, TABLE)).isInstanceOf(Refusal.class)
                .extracting(refusal -> ((Refusal) refusal).code()).isEqualTo("INVALID_WEBHOOK_URL");
    }

    @Test
    void aHostThatDoesNotResolveGetsTheSameAnswerAsOneThatResolvesToAnInternalAddress() {
        Throwable unknown = catchThrowable(() -> production.check("https://unknown.example.com/", TABLE));
        Throwable internal = catchThrowable(() -> production.check("https://rebound.example.com/", TABLE));

        assertThat(((Refusal) unknown).code()).isEqualTo(((Refusal) internal).code());
        assertThat(unknown.getMessage().replace("unknown.example.com", "<host>"))
                .isEqualTo(internal.getMessage().replace("rebound.example.com", "<host>"));
    }

    @Test
    void aPortThatCannotBeIsInvalid() {
        for (String url : new String[] {"https://shop.example.com:0/hooks", "https://shop.example.com:65536/hooks",
                "https://shop.example.com:99999/hooks"}) {
            assertThatThrownBy(() -> production.check(url, TABLE)).as(url)
                    .isInstanceOfSatisfying(Refusal.class, refusal -> assertThat(refusal.code()).isEqualTo("INVALID_WEBHOOK_URL"));
        }
        assertThat(production.check("https://shop.example.com:8443/hooks", TABLE).getPort()).isEqualTo(8443);
    }

    @Test
    void aVeryLongUrlIsInvalid() {
        assertThatThrownBy(() -> production.check("https://shop.example.com/" + "a".repeat(EndpointUrls.MAX_LENGTH), TABLE))
                .isInstanceOf(Refusal.class);
    }
}
