package io.qrvoucher.voucher.app;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

@SpringBootApplication
@EnableConfigurationProperties(VoucherStreamsProperties.class)
public class VoucherStreamsApplication {

    public static void main(String[] args) {
        builder().run(args);
    }

    /** The application with its own configuration file, {@code voucher-streams.yml}, so that it can share a JVM. */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(VoucherStreamsApplication.class)
                .properties("spring.config.name=voucher-streams");
    }
}
