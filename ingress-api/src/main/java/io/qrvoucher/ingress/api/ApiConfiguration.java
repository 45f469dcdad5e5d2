package io.qrvoucher.ingress.api;

import java.time.Clock;

import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.server.WebFilter;

import io.micrometer.core.instrument.MeterRegistry;
import io.qrvoucher.avro.AttemptKind;
import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ingress.codes.QrCodes;
import io.qrvoucher.ingress.codes.VoucherCodes;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.reads.AccountReads;
import io.qrvoucher.ingress.reads.VoucherReads;
import io.qrvoucher.support.BankRules;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.ObjectMapper;

@Configuration(proxyBeanMethods = false)
class ApiConfiguration {

    /**
     * Request bodies read as strictly as money needs: a field this API does not take (a misspelt {@code amount} would
     * redeem the whole voucher), or one sent twice (which would be taken as its last value), is refused 400 rather
     * than passed over.
     */
    @Bean
    JsonMapperBuilderCustomizer strictRequestBodies() {
        return builder -> builder.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
    }

    /** Requests Netty cannot read refused with problem details too: see {@link UnreadableRequestHeads}. */
    @Bean
    NettyServerCustomizer unreadableRequestHeads(ObjectMapper json) {
        return new UnreadableRequestHeads(json);
    }

    @Bean
    BodyTimeouts bodyTimeouts(IngressProperties properties) {
        return new BodyTimeouts(properties.limits().requestIdleTimeout(), properties.limits().requestTimeout());
    }

    @Bean
    Customers customers(VoucherReads reads, AccountReads accounts) {
        return new Customers(reads, accounts);
    }

    @Bean
    IdempotencyKeys idempotencyKeys(VoucherReads reads, RequestPublisher publisher) {
        return new IdempotencyKeys(reads, publisher);
    }

    @Bean
    Representations representations(VoucherCodes codes, Clock clock, IngressProperties properties) {
        return new Representations(codes, clock, properties.voucherStreams().recordingWindow());
    }

    @Bean
    AdmissionControl admissionControl(IngressProperties properties, ObjectMapper json, MeterRegistry meters) {
        return new AdmissionControl(properties.limits().maxInFlightWrites(),
                properties.limits().maxInFlightWritesPerCustomer(), json, meters);
    }

    @Bean
    UploadLimit uploadLimit(IngressProperties properties, ObjectMapper json) {
        return new UploadLimit(properties.limits().maxImageSize().toBytes(), json);
    }

    /** Admission's second half, once the token is checked: one customer's share of the places. */
    @Bean
    WebFilter customerShares(AdmissionControl admissionControl) {
        return admissionControl.customerShares();
    }

    /** Wrong codes and new attempts on used codes, per customer, over all instances. */
    @Bean
    AttemptLimiter failedRedemptions(IngressProperties properties, VoucherReads reads, RequestPublisher publisher,
                                     Clock clock) {
        IngressProperties.Limits limits = properties.limits();
        return new AttemptLimiter(new AttemptLimiter.Rule(AttemptKind.FAILED_REDEMPTION, limits.wrongCodesPerWindow(),
                limits.wrongCodeWindow(), "TOO_MANY_WRONG_CODES", "redemptions that could not succeed (wrong or used codes)"),
                reads, publisher, clock);
    }

    /** Each request's attempts let in and not decided yet, counted against the limits until they are. */
    @Bean
    WebFilter undecidedAttempts() {
        return AttemptLimiter.undecidedAttempts();
    }

    /** QR pictures uploaded, readable or not, per customer, over all instances. */
    @Bean
    AttemptLimiter pictureUploads(IngressProperties properties, VoucherReads reads, RequestPublisher publisher,
                                  Clock clock) {
        IngressProperties.Limits limits = properties.limits();
        return new AttemptLimiter(new AttemptLimiter.Rule(AttemptKind.PICTURE_UPLOAD, limits.picturesPerWindow(),
                limits.pictureWindow(), "TOO_MANY_PICTURES", "QR pictures uploaded"), reads, publisher, clock);
    }

    @Bean
    PictureDecoding pictureDecoding(QrCodes qrCodes, IngressProperties properties, AttemptLimiter pictureUploads) {
        return new PictureDecoding(qrCodes, properties.limits(), pictureUploads);
    }

    @Bean
    SignIns signIns(IngressProperties properties) {
        return new SignIns(properties.security().stepUpMaxAge());
    }

    @Bean
    Generations generations(Customers customers, VoucherReads reads, RequestPublisher publisher, VoucherCodes codes,
                            IdempotencyKeys idempotencyKeys, Representations representations,
                            IngressProperties properties, BankRules bankRules, SignIns signIns, Clock clock) {
        return new Generations(customers, reads, publisher, codes, idempotencyKeys, representations, properties,
                bankRules, signIns, clock);
    }

    @Bean
    Redemptions redemptions(Customers customers, VoucherReads reads, RequestPublisher publisher, VoucherCodes codes,
                            IdempotencyKeys idempotencyKeys, AttemptLimiter failedRedemptions,
                            IngressProperties properties, Clock clock) {
        return new Redemptions(customers, reads, publisher, codes, idempotencyKeys, failedRedemptions, properties,
                clock);
    }

    @Bean
    Cancellations cancellations(VoucherReads reads, RequestPublisher publisher, IdempotencyKeys idempotencyKeys,
                                Representations representations, IngressProperties properties, Clock clock) {
        return new Cancellations(reads, publisher, idempotencyKeys, representations, properties, clock);
    }
}
