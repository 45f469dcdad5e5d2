package io.qrvoucher.ingress.api;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.reactive.result.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.server.ServerWebExchange;

import io.qrvoucher.ingress.kafka.RequestPublisher.NotPublishedException;
import reactor.core.publisher.Mono;

/**
 * Every refusal as RFC 9457 problem details with a stable type and code, including the framework's
 * own (malformed JSON, wrong media type, oversized bodies). Nothing a client sends ends in a 5xx;
 * the one 5xx a client sees is 503 when the broker did not take the request, which is safe to retry.
 */
@RestControllerAdvice
class ProblemHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);

    @ExceptionHandler(NotPublishedException.class)
    ResponseEntity<ProblemDetail> notPublished(NotPublishedException error) {
        log.warn("Request not published: {}", error.getMessage());
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaders.RETRY_AFTER, "1")
                .body(ApiException.problem(HttpStatus.SERVICE_UNAVAILABLE, "TEMPORARILY_UNAVAILABLE",
                        "The request was not recorded; nothing happened. Retry it (with the same Idempotency-Key)."));
    }

    @ExceptionHandler(DataBufferLimitException.class)
    ResponseEntity<ProblemDetail> tooLarge(DataBufferLimitException error) {
        return ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE)
                .body(ApiException.problem(HttpStatus.CONTENT_TOO_LARGE, "PAYLOAD_TOO_LARGE", error.getMessage()));
    }

    @ExceptionHandler(RuntimeException.class)
    ResponseEntity<ProblemDetail> unexpected(RuntimeException error) {
        DataBufferLimitException limit = causeOf(error, DataBufferLimitException.class);
        if (limit != null) {
            return tooLarge(limit);
        }
        log.error("Unexpected failure", error);
        return ResponseEntity.status(HttpStatus.INTERNAL_SERVER_ERROR)
                .body(ApiException.problem(HttpStatus.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "Something went wrong on our side"));
    }

    /** Gives the framework's own problems a stable type and code too. */
    @Override
    protected Mono<ResponseEntity<Object>> handleExceptionInternal(Exception error, Object body, HttpHeaders headers,
                                                                   HttpStatusCode status, ServerWebExchange exchange) {
        DataBufferLimitException limit = causeOf(error, DataBufferLimitException.class);
        if (limit != null) {
            return Mono.just(ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE)
                    .body(ApiException.problem(HttpStatus.CONTENT_TOO_LARGE, "PAYLOAD_TOO_LARGE", limit.getMessage())));
        }
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
            problem.setType(ApiException.typeOf(code));
            problem.setProperty("code", code);
        }
        return super.handleExceptionInternal(error, body, headers, status, exchange);
    }

    private static <T extends Throwable> T causeOf(Throwable error, Class<T> type) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
        }
        return null;
    }
}
