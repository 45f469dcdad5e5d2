package io.qrvoucher.support;

import java.net.URI;
import java.util.Locale;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponse;

/**
 * The one shape of every API's refusals, RFC 9457 problem details: a stable {@code type} per code
 * ({@code urn:qrvoucher:problem:insufficient-funds}), a title made from the code, and the code itself in the
 * {@code code} member, for clients that switch on it.
 */
public final class Problems {

    private Problems() {
    }

    public static ProblemDetail problem(HttpStatusCode status, String code, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(typeOf(code));
        String words = code.toLowerCase(Locale.ROOT).replace('_', ' ');
        problem.setTitle(Character.toUpperCase(words.charAt(0)) + words.substring(1));
        problem.setProperty("code", code);
        return problem;
    }

    /**
     * A refusal that says nothing of the request: the server cannot take it now (503) or not now for this caller
     * (429), and the same request may be sent again in a second.
     */
    public static ResponseEntity<ProblemDetail> askAgainSoon(HttpStatusCode status, String code, String detail) {
        return ResponseEntity.status(status).header(HttpHeaders.RETRY_AFTER, "1")
                .contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem(status, code, detail));
    }

    private static URI typeOf(String code) {
        return URI.create("urn:qrvoucher:problem:" + code.toLowerCase(Locale.ROOT).replace('_', '-'));
    }

    /**
     * Gives a problem the framework raised itself (malformed JSON, an unknown path, a wrong media type) a
     * stable type and a code chosen by its status, unless it has a code already; for a
     * {@code ResponseEntityExceptionHandler#handleExceptionInternal}, with its arguments.
     */
    public static void codeFrameworkProblem(Exception error, Object body, HttpStatusCode status) {
        Object problemBody = body == null && error instanceof ErrorResponse response ? response.getBody() : body;
        if (problemBody instanceof ProblemDetail problem
                && (problem.getProperties() == null || !problem.getProperties().containsKey("code"))) {
            String code = switch (status.value()) {
                case 400 -> "MALFORMED_REQUEST";
                case 404 -> "NOT_FOUND";
                case 405 -> "METHOD_NOT_ALLOWED";
                case 406 -> "NOT_ACCEPTABLE";
                case 413 -> "PAYLOAD_TOO_LARGE";
                case 415 -> "UNSUPPORTED_MEDIA_TYPE";
                default -> "REQUEST_REFUSED";
            };
            problem.setType(typeOf(code));
            problem.setProperty("code", code);
        }
    }
}
