package io.qrvoucher.voucher.app;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

@SpringBootApplication
@EnableConfigurationProperties(VoucherStreamsProperties.class)
public class VoucherStreamsApplication {

    public static void main(String[] args) {
        SpringApplication.run(VoucherStreamsApplication.class, args);
    }
}
