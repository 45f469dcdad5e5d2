package io.qrvoucher.support;

import java.util.Optional;
import java.util.function.Predicate;

/** Looks through an exception's chain of causes. */
public final class Causes {

    private Causes() {
    }

    /** The first exception of {@code type} in the chain starting at {@code error} itself. */
    public static <T extends Throwable> Optional<T> find(Throwable error, Class<T> type) {
        return find(error, type, cause -> true);
    }

    /** The first exception of {@code type} in the chain, starting at {@code error} itself, that {@code matches}. */
    public static <T extends Throwable> Optional<T> find(Throwable error, Class<T> type, Predicate<? super T> matches) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause) && matches.test(type.cast(cause))) {
                return Optional.of(type.cast(cause));
            }
        }
        return Optional.empty();
    }
}
