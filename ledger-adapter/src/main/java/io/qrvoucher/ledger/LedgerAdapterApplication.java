package io.qrvoucher.ledger;

import java.time.Clock;

import javax.sql.DataSource;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurationExcludeFilter;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.TypeExcludeFilter;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.FilterType;

import io.qrvoucher.ledger.core.AccountOpening;
import io.qrvoucher.ledger.core.BoundedStatements;
import io.qrvoucher.ledger.core.Ledger;
import io.qrvoucher.ledger.web.AccountReads;
import io.qrvoucher.support.BankRules;
import io.qrvoucher.support.migration.MigrationRun;
import io.qrvoucher.support.internal.InternalApiServer;

/*
 * @SpringBootApplication, but its scan leaves out the admin API: that belongs to the management server's own
 * context (admin.AdminApiConfiguration), and found by this scan it would be served on the internal API's port.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@ComponentScan(excludeFilters = {
        @ComponentScan.Filter(type = FilterType.CUSTOM, classes = TypeExcludeFilter.class),
        @ComponentScan.Filter(type = FilterType.CUSTOM, classes = AutoConfigurationExcludeFilter.class),
        @ComponentScan.Filter(type = FilterType.REGEX, pattern = "io\\.qrvoucher\\.ledger\\.admin\\..*")})
@EnableConfigurationProperties({LedgerProperties.class, BankRules.class})
// /internal/** answers only calls the ingress sealed with this service's own internal API key.
@Import(InternalApiServer.class)
public class LedgerAdapterApplication {

    /** Runs the service; {@code migrate} as the first argument, its database migrations alone ({@link MigrationRun}). */
    public static void main(String[] args) {
        if (MigrationRun.asked(args)) {
            MigrationRun.run("ledger-adapter", args);
            return;
        }
        builder().run(args);
    }

    /** The application with its own configuration file, {@code ledger-adapter.yml}, so that it can share a JVM. */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(LedgerAdapterApplication.class)
                .web(WebApplicationType.REACTIVE)
                .properties("spring.config.name=ledger-adapter");
    }

    @Bean
    Ledger ledger(DataSource dataSource, BankRules bankRules, LedgerProperties properties) {
        return Ledger.onAutocommit(dataSource, bankRules.zone(), Clock.systemUTC(), properties.retry().statementTimeout());
    }

    /** What the ingress reads from the ledger: over HTTP, or in its process. */
    @Bean
    AccountReads accountReads(Ledger ledger) {
        return new AccountReads(ledger);
    }

    /** Its statements end as the ledger's do: a hung opening or closing held its connection of the pool for good. */
    @Bean
    AccountOpening accountOpening(DataSource dataSource, LedgerProperties properties) {
        BoundedStatements statements = BoundedStatements.on(dataSource, properties.retry().statementTimeout());
        return new AccountOpening(statements.jdbcClient(), statements.transactions());
    }
}
