package io.qrvoucher.ingress.api;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.ErrorResponseException;

import io.qrvoucher.support.Problems;

/**
 * A refusal the API answers with RFC 9457 problem details, in the shape of {@link Problems}.
 */
public class ApiException extends ErrorResponseException {

    private final String code;

    public ApiException(HttpStatusCode status, String code, String detail) {
        super(status, Problems.problem(status, code, detail), null);
        this.code = code;
    }

    public String code() {
        return code;
    }

    public static ApiException badRequest(String code, String detail) {
        return new ApiException(HttpStatus.BAD_REQUEST, code, detail);
    }

    /** A request no handler can read: its path, a header or a parameter holds what no request may. */
    public static ApiException malformed() {
        return badRequest("MALFORMED_REQUEST", "The request's path, headers or parameters hold what no request may "
                + "(a control character, an encoded slash, a path parameter)");
    }

    public static ApiException unprocessable(String code, String detail) {
        return new ApiException(HttpStatus.UNPROCESSABLE_CONTENT, code, detail);
    }

    public static ApiException notFound(String what) {
        return new ApiException(HttpStatus.NOT_FOUND, "NOT_FOUND", what + " not found");
    }

    public static ApiException conflict(String code, String detail) {
        return new ApiException(HttpStatus.CONFLICT, code, detail);
    }

    /** The request was not recorded, so nothing happened: the one 5xx a client sees, safe to retry. */
    public static ApiException temporarilyUnavailable() {
        return temporarilyUnavailable("The request was not recorded; nothing happened. Retry it (with the same "
                + "Idempotency-Key).");
    }

    /** A 503 to send again in a second. */
    public static ApiException temporarilyUnavailable(String detail) {
        return unavailable(detail).retryAfter(1);
    }

    /** A 503 without a Retry-After: a write that may have been done, which its client must not send again blindly. */
    public static ApiException unavailable(String detail) {
        return new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "TEMPORARILY_UNAVAILABLE", detail);
    }

    /** This refusal, telling the client how many seconds to wait before it tries again. */
    public ApiException retryAfter(long seconds) {
        getHeaders().set(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
        return this;
    }
}
