package io.qrvoucher.webhook.store;

import java.time.Instant;
import java.util.List;

/**
 * One delivery of an event to an endpoint, as the internal API answers it.
 *
 * @param status        {@code PENDING} (waiting for its turn or its next attempt), {@code DELIVERED} or
 *                      {@code GIVEN_UP}
 * @param nextAttemptAt when it is tried next, while pending (it also waits for its endpoint's turn and rest); null
 *                      while it waits behind an earlier delivery of its voucher to the endpoint
 * @param resendOf      the delivery this one sends again, if it is a resend
 * @param attempts      every attempt, oldest first
 */
public record Delivery(String id, String eventId, String eventType, String voucherId, String status,
                       Instant createdAt, Instant nextAttemptAt, Instant finishedAt, String resendOf,
                       List<Attempt> attempts) {

    /**
     * @param statusCode the endpoint's HTTP status, if it answered
     * @param error      why the attempt failed without an answer (timeout, refused connection, refused address)
     */
    public record Attempt(int number, Instant at, long durationMs, Integer statusCode, String error) {
    }

    Delivery withAttempts(List<Attempt> attempts) {
        return new Delivery(id, eventId, eventType, voucherId, status, createdAt, nextAttemptAt, finishedAt, resendOf,
                List.copyOf(attempts));
    }
}
