package io.qrvoucher.ingress.reads;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import org.apache.avro.specific.SpecificRecord;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientResponseException;
import org.springframework.web.util.UriBuilder;

import io.qrvoucher.avro.AttemptKind;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.avro.query.AttemptsAnswer;
import io.qrvoucher.avro.query.ClaimAnswer;
import io.qrvoucher.avro.query.SettingsAnswer;
import io.qrvoucher.avro.query.VoucherAnswer;
import io.qrvoucher.avro.query.VoucherPage;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.support.reads.VoucherStreamsReads;
import io.qrvoucher.support.reads.VoucherStreamsReads.BadQuery;
import reactor.core.publisher.Mono;

/** One voucher-streams instance's internal read API, over HTTP. */
final class HttpVoucherStreamsReads implements VoucherStreamsReads {

    private static final AvroSerde<VoucherAnswer> ANSWERS = AvroSerde.of(VoucherAnswer.class);
    private static final AvroSerde<VoucherPage> PAGES = AvroSerde.of(VoucherPage.class);
    private static final AvroSerde<SettingsAnswer> SETTINGS = AvroSerde.of(SettingsAnswer.class);
    private static final AvroSerde<ClaimAnswer> CLAIMS = AvroSerde.of(ClaimAnswer.class);
    private static final AvroSerde<AttemptsAnswer> ATTEMPTS = AvroSerde.of(AttemptsAnswer.class);

    private final WebClient http;
    private final String instance;

    HttpVoucherStreamsReads(WebClient http, URI instance) {
        this.http = http;
        this.instance = instance.toString();
    }

    @Override
    public Mono<VoucherAnswer> voucher(String voucherId, String requestId, long afterVersion, Duration wait) {
        return get("/internal/vouchers/{voucher}", builder -> {
            builder.queryParam("afterVersion", afterVersion)
                    .queryParam("wait", wait.toString());
            if (requestId == null) {
                return builder.build(Map.of("voucher", voucherId));
            }
            return builder.queryParam("requestId", "{request}")
                    .build(Map.of("voucher", voucherId, "request", requestId));
        }, ANSWERS);
    }

    @Override
    public Mono<VoucherPage> vouchersOf(String customerId, Role role, Instant from, Instant to,
                                        Set<VoucherStatus> statuses, String after, int skip, int size) {
        return get("/internal/customers/{customer}/vouchers", builder -> {
            builder.queryParam("role", role.name())
                    .queryParam("from", "{from}")
                    .queryParam("to", "{to}")
                    .queryParam("skip", skip)
                    .queryParam("size", size);
            if (statuses.size() < VoucherStatus.values().length) {
                statuses.forEach(status -> builder.queryParam("status", status.name()));
            }
            Map<String, String> variables = new HashMap<>();
            variables.put("customer", customerId);
            variables.put("from", from.toString());
            variables.put("to", to.toString());
            if (after != null) {
                builder.queryParam("after", "{after}");
                variables.put("after", after);
            }
            return builder.build(variables);
        }, PAGES);
    }

    @Override
    public Mono<SettingsAnswer> settings(String customerId, long afterOffset, Duration wait) {
        return get("/internal/customers/{customer}/settings", builder -> builder
                .queryParam("afterOffset", afterOffset)
                .queryParam("wait", wait.toString())
                .build(customerId), SETTINGS);
    }

    @Override
    public Mono<ClaimAnswer> claim(String claimKey, Duration wait) {
        return get("/internal/claims", builder -> builder
                .queryParam("claimKey", "{key}")
                .queryParam("wait", wait.toString())
                .build(Map.of("key", claimKey)), CLAIMS);
    }

    @Override
    public Mono<AttemptsAnswer> attempts(String customerId, AttemptKind kind, Instant since, int max) {
        return get("/internal/customers/{customer}/attempts", builder -> builder
                .queryParam("kind", kind)
                .queryParam("since", since)
                .queryParam("max", max)
                .build(customerId), ATTEMPTS);
    }

    /**
     * Asks the instance at {@code path} (a template: it names the call in the client's metrics and spans, so that long
     * polls and quick reads are timed apart), with the query and variables {@code query} adds.
     */
    private <T extends SpecificRecord> Mono<T> get(String path, Function<UriBuilder, URI> query, AvroSerde<T> answers) {
        return http.get()
                .uri(instance + path, query)
                .retrieve()
                .bodyToMono(byte[].class)
                .onErrorMap(HttpVoucherStreamsReads::refusedAsAsked, HttpVoucherStreamsReads::badQuery)
                .map(answers::decode);
    }

    /** 422: the instance refused the query as the client asked it ({@link BadQuery}); a 400 is this service's mistake. */
    private static boolean refusedAsAsked(Throwable error) {
        return error instanceof WebClientResponseException refused
                && refused.getStatusCode().isSameCodeAs(HttpStatus.UNPROCESSABLE_CONTENT);
    }

    /** No other instance would answer it either. */
    private static BadQuery badQuery(Throwable refused) {
        try {
            ProblemDetail problem = ((WebClientResponseException) refused).getResponseBodyAs(ProblemDetail.class);
            if (problem != null && problem.getDetail() != null) {
                return new BadQuery(problem.getDetail());
            }
        } catch (RuntimeException unreadable) {
            // not a problem document: the status says enough
        }
        return new BadQuery("The query cannot be answered as asked");
    }
}
