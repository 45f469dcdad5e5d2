package io.qrvoucher.ingress.api;

import org.springframework.context.annotation.Configuration;

import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.enums.SecuritySchemeType;
import io.swagger.v3.oas.annotations.info.Info;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.security.SecurityScheme;

/** The OpenAPI description says every call needs a bearer token, so that Swagger UI can send one. */
@Configuration(proxyBeanMethods = false)
@OpenAPIDefinition(info = @Info(title = "QR e-voucher API", version = "1"),
        security = @SecurityRequirement(name = OpenApiConfiguration.BEARER))
@SecurityScheme(name = OpenApiConfiguration.BEARER, type = SecuritySchemeType.HTTP, scheme = "bearer",
        bearerFormat = "JWT", description = "An access token of the bank's identity provider (the demo run: POST /dev/token)")
class OpenApiConfiguration {

    static final String BEARER = "bearer";
}
