package io.qrvoucher.voucher.app;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

import io.qrvoucher.voucher.query.BadParameter;

/**
 * A parameter of an internal call out of its range: the caller's mistake, answered 400 as a problem. Only this
 * exception: an {@code IllegalArgumentException} from inside is this instance's fault, answered 500 and logged.
 */
@RestControllerAdvice
class BadParameters {

    @ExceptionHandler(BadParameter.class)
    ResponseEntity<ProblemDetail> badParameter(BadParameter e) {
        return ResponseEntity.badRequest().body(ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, e.getMessage()));
    }
}
