package io.qrvoucher.ledger.admin;

import java.net.URI;
import java.util.Locale;

import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * A refusal of the admin API, answered with RFC 9457 problem details of the same shape as the ingress's:
 * a stable {@code type} per code ({@code urn:qrvoucher:problem:unsupported-currency}) and the code itself
 * in the {@code code} member.
 */
class AdminProblem extends ErrorResponseException {

    AdminProblem(HttpStatusCode status, String code, String detail) {
        super(status, problem(status, code, detail), null);
    }

    static ProblemDetail problem(HttpStatusCode status, String code, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(typeOf(code));
        String words = code.toLowerCase(Locale.ROOT).replace('_', ' ');
        problem.setTitle(Character.toUpperCase(words.charAt(0)) + words.substring(1));
        problem.setProperty("code", code);
        return problem;
    }

    static URI typeOf(String code) {
        return URI.create("urn:qrvoucher:problem:" + code.toLowerCase(Locale.ROOT).replace('_', '-'));
    }

    /** Well-formed, but not something the ledger can open. */
    static AdminProblem unprocessable(String code, String detail) {
        return new AdminProblem(HttpStatus.UNPROCESSABLE_CONTENT, code, detail);
    }

    static AdminProblem malformed(String detail) {
        return new AdminProblem(HttpStatus.BAD_REQUEST, "MALFORMED_REQUEST", detail);
    }

    static AdminProblem notFound(String detail) {
        return new AdminProblem(HttpStatus.NOT_FOUND, "NOT_FOUND", detail);
    }

    static AdminProblem conflict(String code, String detail) {
        return new AdminProblem(HttpStatus.CONFLICT, code, detail);
    }
}
