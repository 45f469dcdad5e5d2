package io.qrvoucher.ledger.admin;

import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.ErrorResponseException;

import io.qrvoucher.support.Problems;

/**
 * A refusal of the admin API, answered with RFC 9457 problem details of the same shape as the ingress's
 * ({@link Problems}).
 */
class AdminProblem extends ErrorResponseException {

    AdminProblem(HttpStatusCode status, String code, String detail) {
        super(status, Problems.problem(status, code, detail), null);
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
