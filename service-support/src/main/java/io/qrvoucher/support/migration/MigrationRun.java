package io.qrvoucher.support.migration;

import java.util.Arrays;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.context.annotation.Configuration;

/**
 * A service's database migrations run on their own, and nothing else ({@code java -jar app.jar migrate}): a deployment
 * runs them as the schema's owner once (a job, an init container) and gives the running service only its own role,
 * which reads and writes rows. A service holding the owner's password, taken over, could drop the checks the database
 * keeps (the ledger's balance trigger) and rewrite what it records. The service itself still migrates at start where
 * it is given the owner (the one-machine run, tests); given only its own role, it finds nothing pending and starts.
 */
public final class MigrationRun {

    /** The first argument that asks for the migrations alone. */
    public static final String COMMAND = "migrate";

    private MigrationRun() {
    }

    /** Whether the command line asks for the migrations alone. */
    public static boolean asked(String[] args) {
        return args.length > 0 && COMMAND.equals(args[0]);
    }

    /**
     * Runs the migrations of the service whose configuration file is {@code configName} ({@code spring.flyway.*} and
     * {@code spring.datasource.url} as the service has them; the owner as {@code spring.flyway.user}), and returns.
     */
    public static void run(String configName, String[] args) {
        new SpringApplicationBuilder(Migrations.class)
                .web(WebApplicationType.NONE)
                .properties("spring.config.name=" + configName)
                .run(Arrays.copyOfRange(args, 1, args.length))
                .close();
    }

    /** The data source and Flyway, which migrates as it starts; no other part of the service. */
    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({DataSourceAutoConfiguration.class, FlywayAutoConfiguration.class})
    static class Migrations {
    }
}
