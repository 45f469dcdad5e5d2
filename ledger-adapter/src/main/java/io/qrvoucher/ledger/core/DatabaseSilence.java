package io.qrvoucher.ledger.core;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.RecoverableDataAccessException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionSystemException;

import io.qrvoucher.support.Problems;

/**
 * The ledger's database not answering a read: it could not be reached or gave no connection, a statement timed out or
 * was cancelled, a transaction could not begin or commit. Answered 503 with {@code Retry-After}, as problem details:
 * the reader may ask again, or another instance. Not the failures a retry does not mend (bad SQL, a permission the
 * service's role lacks): those stay errors.
 */
public final class DatabaseSilence {

    private static final Logger log = LoggerFactory.getLogger(DatabaseSilence.class);

    private DatabaseSilence() {
    }

    public static boolean is(Throwable error) {
        return error instanceof DataAccessResourceFailureException || error instanceof TransientDataAccessException
                || error instanceof RecoverableDataAccessException || error instanceof CannotCreateTransactionException
                || error instanceof TransactionSystemException;
    }

    /** The answer to a read the database did not answer, said in the log for the operators too. */
    public static ResponseEntity<ProblemDetail> answer(String read, Throwable error) {
        log.warn("The ledger's database did not answer {}: {}", read, error.toString());
        return Problems.askAgainSoon(HttpStatus.SERVICE_UNAVAILABLE, "LEDGER_UNAVAILABLE",
                "The ledger's database did not answer; ask again");
    }
}
