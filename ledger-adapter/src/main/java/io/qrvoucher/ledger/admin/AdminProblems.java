package io.qrvoucher.ledger.admin;

import java.sql.SQLException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.NestedRuntimeException;
import org.springframework.dao.DataAccessException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionSystemException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.reactive.result.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.server.ServerWebExchange;

import io.qrvoucher.ledger.kafka.ResultPublisher.SnapshotsNotPublishedException;
import io.qrvoucher.support.Causes;
import io.qrvoucher.support.Problems;
import reactor.core.publisher.Mono;

/**
 * Every refusal of the admin API as problem details with a stable type and code, the framework's own
 * (malformed JSON, wrong media type) included. Nothing an operator sends ends in a 5xx; a 503 says the
 * database or the broker did not answer, and since openings and closings are idempotent the same request may
 * be sent again. It lives in the management server's context with the admin API: refusals made before any
 * controller is chosen (415, 405) are the admin API's too.
 */
@RestControllerAdvice
class AdminProblems extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(AdminProblems.class);

    /** PostgreSQL's "numeric value out of range": a balance past what a bigint holds. */
    private static final String OUT_OF_RANGE = "22003";

    /**
     * A statement that failed, or a transaction that could not begin (no connection) or whose commit failed: neither
     * is a DataAccessException. Other transaction exceptions are this code's mistakes, not the database's silence.
     */
    @ExceptionHandler({DataAccessException.class, CannotCreateTransactionException.class, TransactionSystemException.class})
    ResponseEntity<ProblemDetail> database(NestedRuntimeException error) {
        if (Causes.find(error, SQLException.class).map(SQLException::getSQLState).filter(OUT_OF_RANGE::equals).isPresent()) {
            return answer(AdminProblem.unprocessable("AMOUNT_OUT_OF_RANGE",
                    "The books cannot hold this amount: a balance would pass what the ledger can count. Nothing changed"));
        }
        log.warn("The admin API could not reach the ledger's database", error);
        return Problems.askAgainSoon(HttpStatus.SERVICE_UNAVAILABLE, "LEDGER_UNAVAILABLE",
                "The ledger's database did not answer; an opening or closing happened wholly or not at all. "
                        + "Send the same request again");
    }

    @ExceptionHandler(SnapshotsNotPublishedException.class)
    ResponseEntity<ProblemDetail> snapshotsNotPublished(SnapshotsNotPublishedException error) {
        log.warn("The admin API could not publish account snapshots: {}", error.getMessage());
        return Problems.askAgainSoon(HttpStatus.SERVICE_UNAVAILABLE, "SNAPSHOT_NOT_PUBLISHED",
                "The account is opened or closed, but its snapshot did not reach the broker. "
                        + "Send the same request again to publish it");
    }

    @ExceptionHandler(RuntimeException.class)
    ResponseEntity<ProblemDetail> unexpected(RuntimeException error) {
        log.error("The admin API failed", error);
        return answer(new AdminProblem(HttpStatus.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "Something went wrong on our side"));
    }

    /** Gives the framework's own problems a stable type and code too. */
    @Override
    protected Mono<ResponseEntity<Object>> handleExceptionInternal(Exception error, Object body, HttpHeaders headers,
                                                                   HttpStatusCode status, ServerWebExchange exchange) {
        Problems.codeFrameworkProblem(error, body, status);
        return super.handleExceptionInternal(error, body, headers, status, exchange);
    }

    private static ResponseEntity<ProblemDetail> answer(AdminProblem problem) {
        return ResponseEntity.status(problem.getStatusCode()).body(problem.getBody());
    }
}
