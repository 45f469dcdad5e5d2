package io.qrvoucher.ingress.api;

import java.time.Clock;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ingress.codes.VoucherCodes;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.view.PipelineView;

@Configuration(proxyBeanMethods = false)
class ApiConfiguration {

    @Bean
    VoucherOperations voucherOperations(PipelineView view, RequestPublisher publisher, VoucherCodes codes,
                                        IngressProperties properties, Clock clock) {
        return new VoucherOperations(view, publisher, codes, properties, clock);
    }
}
