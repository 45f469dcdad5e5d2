package io.qrvoucher.webhook.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
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

    private final EndpointUrls production = new EndpointUrls(false, EndpointUrlsTest::resolve);
    private final EndpointUrls demo = new EndpointUrls(true, EndpointUrlsTest::resolve);

    @Test
    void aPublicHttpsUrlIsTaken() {
        assertThat(production.check("https://shop.example.com/hooks/qr?x=1").toString())
                .isEqualTo("https://shop.example.com/hooks/qr?x=1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://10.0.0.5/hook", "https://192.168.1.1/", "https://172.16.0.1/", "https://169.254.169.254/latest",
            "https://rebound.example.com/", "https://metadata.example.com/", "https://[fd00::1]/", "https://[fe80::1]/",
            "https://[::ffff:10.0.0.1]/", "https://100.64.0.1/", "https://0.0.0.0/", "https://[::]/", "https://224.0.0.1/"})
    void aUrlWhoseHostIsPrivateLinkLocalOrReservedIsRefusedEvenInTheDemo(String url) {
        assertThatThrownBy(() -> demo.check(url)).isInstanceOf(Refusal.class)
                .extracting(refusal -> ((Refusal) refusal).code()).isEqualTo("WEBHOOK_URL_NOT_ALLOWED");
        assertThatThrownBy(() -> production.check(url)).isInstanceOf(Refusal.class);
    }

    @Test
    void localhostAndHttpAreTakenOnlyWithTheDemoSwitch() {
        assertThatThrownBy(() -> production.check("https://localhost:8443/hook")).isInstanceOf(Refusal.class)
                .extracting(refusal -> ((Refusal) refusal).code()).isEqualTo("WEBHOOK_URL_NOT_ALLOWED");
        assertThatThrownBy(() -> production.check("http://shop.example.com/hook")).isInstanceOf(Refusal.class)
                .extracting(refusal -> ((Refusal) refusal).code()).isEqualTo("INVALID_WEBHOOK_URL");
        assertThat(demo.check("http://localhost:9999/hook").getPort()).isEqualTo(9999);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "shop.example.com/hook", "ftp://shop.example.com/", "https://user:pw@shop.example.com/",
            "https://shop.example.com/#frag", "https:///nohost", "https://exa mple.com/", "https://unknown.example.com/"})
    void somethingThatIsNotAnHttpsUrlOfAKnownHostIsInvalid(String url) {
        assertThatThrownBy(() -> production.check(url)).isInstanceOf(Refusal.class)
                .extracting(refusal -> ((Refusal) refusal).code()).isEqualTo("INVALID_WEBHOOK_URL");
    }

    @Test
    void aVeryLongUrlIsInvalid() {
        assertThatThrownBy(() -> production.check("https://shop.example.com/" + "a".repeat(EndpointUrls.MAX_LENGTH)))
                .isInstanceOf(Refusal.class);
    }
}
