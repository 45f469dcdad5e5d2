package io.qrvoucher.ingress.api;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.security.web.server.firewall.ServerExchangeRejectedException;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.reactive.result.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.server.ServerWebExchange;

import io.qrvoucher.ingress.kafka.RequestPublisher.NotPublishedException;
import io.qrvoucher.ingress.reads.VoucherReads;
import io.qrvoucher.support.Causes;
import io.qrvoucher.support.Problems;
import io.qrvoucher.support.reads.VoucherStreamsReads;
import reactor.core.publisher.Mono;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * Every refusal as RFC 9457 problem details with a stable type and code, including the framework's
 * own (malformed JSON, wrong media type, oversized bodies). Nothing a client sends ends in a 5xx;
 * the one 5xx a client sees is 503, when the broker did not confirm the request or no owner of the data
 * could answer a read: a read is safe to retry, a write with its Idempotency-Key only. Always
 * {@code application/problem+json}, whatever the request accepts: a live status stream's client accepts
 * {@code text/event-stream}, which can carry any object, and its refusal was written as an event.
 */
@RestControllerAdvice
class ProblemHandler extends ResponseEntityExceptionHandler {

    /** Jackson's words for a member given twice ({@code StreamReadFeature.STRICT_DUPLICATE_DETECTION}). */
    private static final Pattern GIVEN_TWICE = Pattern.compile("^Duplicate Object property \"(.{1,100})\"");

    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);
    private static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    @ExceptionHandler(NotPublishedException.class)
    ResponseEntity<ProblemDetail> notPublished(NotPublishedException error, ServerWebExchange exchange) {
        log.warn("Request not published: {}", error.getMessage());
        // Not "nothing happened": a send that timed out may have been written after all.
        if (safeToSendAgain(exchange)) {
            return problem(ApiException.temporarilyUnavailable("The request could not be confirmed as recorded. Send it "
                    + "again as it was (with its Idempotency-Key, if it had one): it is acted on once."));
        }
        return problem(ApiException.unavailable("The request could not be confirmed as recorded: it may have been. Look "
                + "whether it was before sending it again (sent again without an Idempotency-Key, it is a new request), "
                + "or send it with an Idempotency-Key, which is acted on once."));
    }

    @ExceptionHandler(VoucherReads.Unavailable.class)
    ResponseEntity<ProblemDetail> notReadable(VoucherReads.Unavailable error) {
        log.warn("Read not answered: {}", error.getMessage());
        return problem(ApiException.temporarilyUnavailable());
    }

    @ExceptionHandler(VoucherReads.Unconfirmed.class)
    ResponseEntity<ProblemDetail> unconfirmed(VoucherReads.Unconfirmed error, ServerWebExchange exchange) {
        log.warn("Write not confirmed: {}", error.getMessage());
        String detail = "The request was sent but could not be confirmed as done: it may have been. " + error.advice();
        return problem(safeToSendAgain(exchange) ? ApiException.temporarilyUnavailable(detail)
                : ApiException.unavailable(detail));
    }

    /**
     * Whether a write that may have been done can be sent again as it was: one with an Idempotency-Key, or a PUT or
     * DELETE, which do the same again. A POST without a key would be another request — a second voucher, a second
     * webhook endpoint — so its answer carries no Retry-After, on which a generic client sends it again by itself.
     */
    private static boolean safeToSendAgain(ServerWebExchange exchange) {
        HttpMethod method = exchange.getRequest().getMethod();
        return exchange.getRequest().getHeaders().getFirst(IDEMPOTENCY_KEY) != null
                || method == HttpMethod.PUT || method == HttpMethod.DELETE;
    }

    /** A query the owner of the data refused as asked (a cursor of another list): the client's to mend. */
    @ExceptionHandler(VoucherStreamsReads.BadQuery.class)
    ResponseEntity<ProblemDetail> badQuery(VoucherStreamsReads.BadQuery error) {
        return problem(Problems.problem(HttpStatus.BAD_REQUEST, "INVALID_QUERY", error.getMessage()), HttpHeaders.EMPTY);
    }

    /** A refusal made here, not thrown: its problem details with its headers. */
    private static ResponseEntity<ProblemDetail> problem(ApiException refusal) {
        return problem(refusal.getBody(), refusal.getHeaders());
    }

    /**
     * A name or value Spring Security's firewall refuses (a control character), found only when a handler reads it:
     * what the request asks cannot be read. Its own words are not repeated, for they quote what was refused.
     */
    @ExceptionHandler(ServerExchangeRejectedException.class)
    ResponseEntity<ProblemDetail> rejected(ServerExchangeRejectedException error) {
        return problem(ApiException.malformed());
    }

    @ExceptionHandler(RuntimeException.class)
    ResponseEntity<ProblemDetail> unexpected(RuntimeException error) {
        Optional<ProblemDetail> bodyRefused = bodyRefused(error);
        if (bodyRefused.isPresent()) {
            return problem(bodyRefused.get(), HttpHeaders.EMPTY);
        }
        log.error("Unexpected failure", error);
        return problem(Problems.problem(HttpStatus.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "Something went wrong on our side"),
                HttpHeaders.EMPTY);
    }

    /** Gives the framework's own problems a stable type and code too. */
    @Override
    protected Mono<ResponseEntity<Object>> handleExceptionInternal(Exception error, Object body, HttpHeaders headers,
                                                                   HttpStatusCode status, ServerWebExchange exchange) {
        Optional<ProblemDetail> bodyRefused = bodyRefused(error);
        if (bodyRefused.isPresent()) {
            return createResponseEntity(bodyRefused.get(), HttpHeaders.EMPTY,
                    HttpStatusCode.valueOf(bodyRefused.get().getStatus()), exchange);
        }
        Problems.codeFrameworkProblem(error, body, status);
        Object problemBody = body == null && error instanceof ErrorResponse response ? response.getBody() : body;
        if (problemBody instanceof ProblemDetail problem) {
            unreadableBecause(error).ifPresent(problem::setDetail);
        }
        return super.handleExceptionInternal(error, body, headers, status, exchange);
    }

    /**
     * What a JSON body read strictly got wrong, where the reader says so: a member the call does not take, or one given
     * twice (the framework says only that the body could not be read).
     */
    private static Optional<String> unreadableBecause(Throwable error) {
        Optional<String> unknown = Causes.find(error, UnrecognizedPropertyException.class)
                .map(member -> "`" + shortened(member.getPropertyName()) + "` is not a member this call takes"
                        + (member.getKnownPropertyIds() == null ? "" : "; it takes " + member.getKnownPropertyIds()
                                .stream().map(String::valueOf).sorted().collect(Collectors.joining(", "))));
        if (unknown.isPresent()) {
            return unknown;
        }
        return Causes.find(error, StreamReadException.class, read -> read.getOriginalMessage() != null)
                .map(read -> GIVEN_TWICE.matcher(read.getOriginalMessage()))
                .filter(Matcher::find)
                .map(twice -> "`" + twice.group(1) + "` is given twice");
    }

    /** A member's name as a client sent it, not echoed at any length. */
    private static String shortened(String name) {
        return name == null || name.length() <= 100 ? name : name.substring(0, 100) + "\u2026";
    }

    /** Every response the framework makes here, problem details as what they are. */
    @Override
    protected Mono<ResponseEntity<Object>> createResponseEntity(Object body, HttpHeaders headers,
                                                                HttpStatusCode status, ServerWebExchange exchange) {
        return super.createResponseEntity(body, body instanceof ProblemDetail ? problemHeaders(headers) : headers, status,
                exchange);
    }

    private static ResponseEntity<ProblemDetail> problem(ProblemDetail problem, HttpHeaders headers) {
        return ResponseEntity.status(problem.getStatus()).headers(problemHeaders(headers)).body(problem);
    }

    /** The headers (the framework may pass none), and the problem's own content type, whatever the request accepts. */
    private static HttpHeaders problemHeaders(HttpHeaders headers) {
        HttpHeaders problemHeaders = new HttpHeaders();
        if (headers != null) {
            problemHeaders.addAll(headers);
        }
        problemHeaders.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        return problemHeaders;
    }

    /**
     * The request's body refused as it was read, wherever in the chain the exception sits: a body or a part over its
     * size limit ({@link UploadLimit}, the codecs), or a body that stopped arriving or came too slowly
     * ({@link BodyTimeouts}). The client's doing, not our fault; the decorator that refused it closes the connection.
     */
    private static Optional<ProblemDetail> bodyRefused(Throwable error) {
        return Causes.find(error, DataBufferLimitException.class)
                .map(limit -> Problems.problem(HttpStatus.CONTENT_TOO_LARGE, "PAYLOAD_TOO_LARGE", limit.getMessage()))
                .or(() -> Causes.find(error, BodyTimeouts.BodyTimedOut.class).map(timedOut -> Problems.problem(
                        HttpStatus.REQUEST_TIMEOUT, "REQUEST_TIMEOUT",
                        timedOut.getMessage() + "; nothing was recorded. Send it again.")));
    }
}
