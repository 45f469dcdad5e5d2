package io.qrvoucher.reliability;

import java.util.Map;

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
            tokens = Map.of("alice", api.token("alice"), "bob", api.token("bob"), "carol", api.token("carol"));
            Api.Response settings = api.send("PUT", "/api/settings", tokens.get("alice"), null,
                    Map.of("stepUpPolicy", "FIRST_TIME_ONLY"));
            if (!settings.ok()) {
                throw new IllegalStateException("Cannot set alice's step-up policy: " + settings.raw());
            }
        }
        return tokens;
    }
}
