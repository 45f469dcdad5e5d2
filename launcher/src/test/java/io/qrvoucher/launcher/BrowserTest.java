package io.qrvoucher.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web app in headless Chromium (Debian's chromium, driven by playwright-core from
 * browser-tests/), against the real launcher: see browser-tests/flow.mjs for the clicks. The
 * phone-sized screenshots it takes land in target/screenshots (docs/screenshots has copies). It checks every
 * page with axe (WCAG 2.2 AA) in both languages and uses generate, redeem by upload, manage and settings with
 * the keyboard alone. .ci/run installs Chromium and Node.js; the test installs the npm packages (browser-tests'
 * lock file) when they are missing, so that the README's test command alone runs it. Without Chromium, or
 * without the packages and a way to install them, it is skipped.
 */
class BrowserTest {

    private static final Path BROWSER_TESTS = Path.of("..", "browser-tests");
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final String STREAM_MAX_AGE = "ingress.live-status.max-age";

    @Test
    void theWebAppClickedAndTypedThroughInHeadlessChromiumInBothLanguages(@TempDir Path data)
            throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "Chromium is not installed");
        assumeTrue(playwrightInstalled(), "playwright-core is not installed and npm could not install it");
        // The ingress ends each live status stream after 4 s, as a proxy or a restarting instance may: the flow
        // shows the page resuming it from its last event id without missing a change.
        System.setProperty(STREAM_MAX_AGE, "4s");
        EmbeddedPipeline.Options options = TestOptions.in(data);
        try (EmbeddedPipeline pipeline = EmbeddedPipeline.start(options)) {
            Path screenshots = Path.of("target", "screenshots").toAbsolutePath();
            Path output = Files.createTempFile("browser-flow", ".log");
            Process flow = new ProcessBuilder("node", "flow.mjs", pipeline.apiUrl(), screenshots.toString())
                    .directory(BROWSER_TESTS.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
            boolean finished = flow.waitFor(6, TimeUnit.MINUTES);
            if (!finished) {
                flow.destroyForcibly();
            }
            String log = Files.readString(output);
            System.out.println(log);
            assertThat(finished).as("the browser flow finished in time").isTrue();
            assertThat(flow.exitValue()).as(log).isZero();
            assertThat(log).contains("browser flow passed");
        } finally {
            System.clearProperty(STREAM_MAX_AGE);
        }
    }

    /**
     * Whether playwright-core is there, as the lock file has it: after {@code npm ci} (bounded) if it was not, or is
     * older than the lock file, and npm is.
     */
    private static boolean playwrightInstalled() throws IOException, InterruptedException {
        Path playwright = BROWSER_TESTS.resolve("node_modules/playwright-core");
        Path installed = BROWSER_TESTS.resolve("node_modules/.package-lock.json"); // npm's record of what it installed
        if (Files.isDirectory(playwright) && Files.exists(installed) && Files.getLastModifiedTime(installed)
                .compareTo(Files.getLastModifiedTime(BROWSER_TESTS.resolve("package-lock.json"))) >= 0) {
            return true;
        }
        Process install;
        try {
            install = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(BROWSER_TESTS.toFile())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException noNpm) {
            return false;
        }
        if (!install.waitFor(5, TimeUnit.MINUTES)) {
            install.destroyForcibly();
            return false;
        }
        return install.exitValue() == 0 && Files.isDirectory(playwright);
    }
}
