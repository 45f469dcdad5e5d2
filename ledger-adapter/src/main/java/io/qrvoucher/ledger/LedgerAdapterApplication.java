package io.qrvoucher.ledger;

import java.time.Clock;

import javax.sql.DataSource;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.qrvoucher.ledger.core.AccountOpening;
import io.qrvoucher.ledger.core.Ledger;
import io.qrvoucher.support.BankRules;

@SpringBootApplication
@EnableConfigurationProperties({LedgerProperties.class, BankRules.class})
public class LedgerAdapterApplication {

    public static void main(String[] args) {
        builder().run(args);
    }

    /** The application with its own configuration file, {@code ledger-adapter.yml}, so that it can share a JVM. */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(LedgerAdapterApplication.class)
                .web(WebApplicationType.REACTIVE)
                .properties("spring.config.name=ledger-adapter");
    }

    @Bean
    Ledger ledger(DataSource dataSource, PlatformTransactionManager transactionManager, BankRules bankRules) {
        return new Ledger(JdbcClient.create(dataSource), new TransactionTemplate(transactionManager),
                bankRules.zone(), Clock.systemUTC());
    }

    @Bean
    AccountOpening accountOpening(DataSource dataSource, PlatformTransactionManager transactionManager) {
        return new AccountOpening(JdbcClient.create(dataSource), new TransactionTemplate(transactionManager));
    }
}
