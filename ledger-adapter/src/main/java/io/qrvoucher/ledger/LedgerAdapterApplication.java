package io.qrvoucher.ledger;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class LedgerAdapterApplication {

    public static void main(String[] args) {
        SpringApplication.run(LedgerAdapterApplication.class, args);
    }
}
