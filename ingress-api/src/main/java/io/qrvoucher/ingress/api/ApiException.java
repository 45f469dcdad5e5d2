package io.qrvoucher.ingress.api;

import java.net.URI;
import java.util.Locale;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * A refusal the API answers with RFC 9457 problem details. The {@code type} is stable per code
 * ({@code urn:qrvoucher:problem:insufficient-funds}) and the code itself is in the {@code code}
 * member, for clients that switch on it.
 */
public class ApiException extends ErrorResponseException {

    private final String code;

    public ApiException(HttpStatusCode status, String code, String detail) {
        super(status, problem(status, code, detail), null);
        this.code = code;
    }

    public static ProblemDetail problem(HttpStatusCode status, String code, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(typeOf(code));
        problem.setTitle(titleOf(code));
        problem.setProperty("code", code);
        return problem;
    }

    public static URI typeOf(String code) {
        return URI.create("urn:qrvoucher:problem:" + code.toLowerCase(Locale.ROOT).replace('_', '-'));
    }

    private static String titleOf(String code) {
        String words = code.toLowerCase(Locale.ROOT).replace('_', ' ');
        return Character.toUpperCase(words.charAt(0)) + words.substring(1);
    }

    public String code() {
        return code;
    }

    public static ApiException badRequest(String code, String detail) {
        return new ApiException(HttpStatus.BAD_REQUEST, code, detail);
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
        ApiException unavailable = new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "TEMPORARILY_UNAVAILABLE",
                "The request was not recorded; nothing happened. Retry it (with the same Idempotency-Key).");
        unavailable.getHeaders().set(HttpHeaders.RETRY_AFTER, "1");
        return unavailable;
    }
}
