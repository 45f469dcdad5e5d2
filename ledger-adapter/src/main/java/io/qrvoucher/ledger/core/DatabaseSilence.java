package io.qrvoucher.ledger.core;

import org.springframework.dao.DataAccessException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionSystemException;

import io.qrvoucher.support.Problems;

/**
 * The ledger's database not answering a read: a statement that failed, or a transaction that could not begin or
 * commit (neither of which is a DataAccessException). Answered 503 with {@code Retry-After}, as problem details:
 * the reader may ask again, or another instance.
 */
public final class DatabaseSilence {

    private DatabaseSilence() {
    }

    public static boolean is(Throwable error) {
        return error instanceof DataAccessException || error instanceof CannotCreateTransactionException
                || error instanceof TransactionSystemException;
    }

    public static ProblemDetail problem() {
        return Problems.problem(HttpStatus.SERVICE_UNAVAILABLE, "LEDGER_UNAVAILABLE",
                "The ledger's database did not answer; ask again");
    }

    public static ResponseEntity<ProblemDetail> answer() {
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, "1")
                .contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem());
    }
}
