package io.qrvoucher.reliability;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
     * The demo sign-ins, retried for a bound while the ingress does not answer or answers 5xx: once in CI every
     * sign-in failed just after the stack said it was ready, and what the ingress answered was not recorded. Each
     * such answer is now printed, and a refusal (4xx) fails at once with it.
     */
    private static Map<String, String> signIn(Api api) {
        Map<String, String> signedIn = new ConcurrentHashMap<>();
        AtomicReference<String> lastAnswer = new AtomicReference<>();
        try {
            Awaitility.await("demo sign-ins").atMost(Duration.ofSeconds(90)).pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> {
                        for (String customer : List.of("alice", "bob", "carol")) {
                            if (!signedIn.containsKey(customer) && !signIn(api, customer, signedIn, lastAnswer)) {
                                return false;
                            }
                        }
                        return true;
                    });
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("The stack signs nobody in; its last answer: " + lastAnswer.get(), e);
        }
        return Map.copyOf(signedIn);
    }

    private static boolean signIn(Api api, String customer, Map<String, String> signedIn, AtomicReference<String> lastAnswer) {
        Api.Response answer = api.signIn(customer);
        if (answer.ok()) {
            signedIn.put(customer, answer.string("accessToken"));
            return true;
        }
        String said = answer.status() + " " + answer.raw();
        if (answer.status() != -1 && answer.status() < 500) {
            throw new IllegalStateException("The stack refuses to sign " + customer + " in: " + said);
        }
        lastAnswer.set(said);
        System.err.println("Sign-in of " + customer + " not answered yet: " + said);
        return false;
    }
}
