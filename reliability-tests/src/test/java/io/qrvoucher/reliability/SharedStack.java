package io.qrvoucher.reliability;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * One stack for every test class of this module: starting five service JVMs and a cluster takes
 * most of a minute on two cores. It is stopped when the test JVM ends.
 */
final class SharedStack {

    private static PipelineStack stack;
    private static Map<String, String> tokens;

    private SharedStack() {
    }

    static synchronized PipelineStack get() {
        if (stack == null) {
            stack = PipelineStack.start(PipelineStack.directoryFor("stack"));
            Runtime.getRuntime().addShutdownHook(new Thread(stack::close));
        }
        return stack;
    }

    /** Signed-in demo customers; alice confirms her first voucher with this sign-in and then generates freely. */
    static synchronized Map<String, String> tokens() {
        if (tokens == null) {
            Api api = new Api(get().apiUrls());
            tokens = signIn(api);
            Api.Response settings = api.send("PUT", "/api/settings", tokens.get("alice"), null,
                    Map.of("stepUpPolicy", "FIRST_TIME_ONLY"));
            if (!settings.ok()) {
                throw new IllegalStateException("Cannot set alice's step-up policy: " + settings.raw());
            }
        }
        return tokens;
    }

    /**
     * The demo sign-ins, retried for a bound: once in CI every sign-in failed just after the stack said it was
     * ready (what the ingress answered was not recorded then; it is now, in the failure's message).
     */
    private static Map<String, String> signIn(Api api) {
        AtomicReference<RuntimeException> lastFailure = new AtomicReference<>();
        try {
            return Awaitility.await("demo sign-ins").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> {
                        try {
                            return Map.of("alice", api.token("alice"), "bob", api.token("bob"), "carol", api.token("carol"));
                        } catch (IllegalStateException e) {
                            lastFailure.set(e);
                            return null;
                        }
                    }, Objects::nonNull);
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("The stack signs nobody in; last: " + lastFailure.get(), e);
        }
    }
}
