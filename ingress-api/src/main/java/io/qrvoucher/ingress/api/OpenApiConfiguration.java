package io.qrvoucher.ingress.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;

import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;

import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.enums.SecuritySchemeType;
import io.swagger.v3.oas.annotations.info.Info;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.security.SecurityScheme;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;

/**
 * The OpenAPI description says every call needs a bearer token, so that Swagger UI can send one, and gives every
 * {@code /api} call the refusals it can meet, as the problem details they are answered with.
 */
@Configuration(proxyBeanMethods = false)
@OpenAPIDefinition(info = @Info(title = "QR e-voucher API", version = "1"),
        security = @SecurityRequirement(name = OpenApiConfiguration.BEARER))
@SecurityScheme(name = OpenApiConfiguration.BEARER, type = SecuritySchemeType.HTTP, scheme = "bearer",
        bearerFormat = "JWT", description = "An access token of the bank's identity provider (the demo run: POST /dev/token)")
class OpenApiConfiguration {

    static final String BEARER = "bearer";

    /** The 429 of admission control's share per customer ({@link AdmissionControl}), on each call it admits. */
    static final String TOO_MANY_IN_FLIGHT = "TOO_MANY_REQUESTS_IN_FLIGHT: you have too many requests being handled; "
            + "nothing was recorded. Send it again after Retry-After.";

    private static final String PROBLEM = "Problem";

    /**
     * A refusal that every call of a kind can meet: its status, its name among the document's responses, what it
     * says, and which calls meet it.
     */
    private record Refusal(String status, String name, String description, Predicate<Operation> meets) {
    }

    /**
     * The refusals calls share, by what they take: a body, an id in the path, an Idempotency-Key. Those of some calls
     * only (403, 409, 429) are declared on their operations.
     */
    private static final List<Refusal> SHARED = List.of(
            new Refusal("400", "BadRequest", "MALFORMED_REQUEST: the request cannot be read as this call takes it (JSON "
                    + "or a form that is not well-formed, a member it does not take or one given twice, a control "
                    + "character or an encoded slash in the path); INVALID_QUERY: a query parameter out of its range; "
                    + "INVALID_IDEMPOTENCY_KEY", operation -> true),
            new Refusal("401", "Unauthenticated", "UNAUTHENTICATED: no bearer token, or one whose signature, expiry, "
                    + "issuer or audience does not check out", operation -> true),
            new Refusal("404", "NotFound", "NOT_FOUND: nothing of yours has this id", OpenApiConfiguration::namesAnId),
            new Refusal("408", "RequestTimeout", "REQUEST_TIMEOUT: the body stopped arriving, or took too long in all; "
                    + "nothing was recorded: send it again", OpenApiConfiguration::takesABody),
            new Refusal("413", "PayloadTooLarge", "PAYLOAD_TOO_LARGE: the body is larger than this call reads (JSON: "
                    + "64 KB; a picture's form: ingress.limits.max-image-size and 64 KB)", OpenApiConfiguration::takesABody),
            new Refusal("415", "UnsupportedMediaType", "UNSUPPORTED_MEDIA_TYPE: a Content-Type this call does not take, "
                    + "or one that cannot be read", OpenApiConfiguration::takesABody),
            new Refusal("422", "Unprocessable", "Understood, and refused: `code` says why (INVALID_AMOUNT, "
                    + "ACCOUNT_NOT_FOUND, IDEMPOTENCY_KEY_REUSED for a key sent before with another request, …)",
                    operation -> takesABody(operation) || takesAnIdempotencyKey(operation)),
            new Refusal("503", "Unavailable", "TEMPORARILY_UNAVAILABLE, OVERLOADED or BUSY. With Retry-After the same "
                    + "request may be sent again after that many seconds: either nothing was done, or it is acted on "
                    + "once however often it is sent (it carried an Idempotency-Key, or it is a PUT or a DELETE). "
                    + "Without it a write may have been done: look whether it was before sending it again, or send it "
                    + "with an Idempotency-Key", operation -> true));

    /** The headers a refusal carries, by status; each described once among the document's headers. */
    private static final Map<String, String> HEADERS = Map.of(
            "401", HttpHeaders.WWW_AUTHENTICATE,
            "429", HttpHeaders.RETRY_AFTER,
            "503", HttpHeaders.RETRY_AFTER);

    /**
     * Every {@code /api} call's refusals as {@link #problem problem details}: the shared ones, described once and
     * referred to, and its own, whose schema springdoc took from the handler's answer.
     */
    @Bean
    OpenApiCustomizer problemResponses() {
        return openApi -> {
            Components components = openApi.getComponents();
            components.addSchemas(PROBLEM, problem());
            components.addHeaders(HttpHeaders.RETRY_AFTER, new Header()
                    .description("seconds to wait before sending the same request again")
                    .schema(new IntegerSchema().example(1)));
            components.addHeaders(HttpHeaders.WWW_AUTHENTICATE, new Header()
                    .description("the scheme to authenticate with").schema(new StringSchema().example("Bearer")));
            SHARED.forEach(refusal -> components.addResponses(refusal.name(),
                    asProblem(refusal.status(), new ApiResponse().description(refusal.description()))));
            openApi.getPaths().forEach((path, item) -> {
                if (path.startsWith("/api/")) {
                    item.readOperations().forEach(OpenApiConfiguration::withRefusals);
                }
            });
        };
    }

    private static void withRefusals(Operation operation) {
        Map<String, ApiResponse> responses = new TreeMap<>(operation.getResponses());
        responses.replaceAll((status, response) -> isRefusal(status) ? asProblem(status, response) : response);
        SHARED.stream().filter(refusal -> refusal.meets().test(operation)).forEach(refusal ->
                responses.putIfAbsent(refusal.status(), new ApiResponse().$ref(refusal.name())));
        ApiResponses sorted = new ApiResponses();
        responses.forEach(sorted::addApiResponse);
        operation.setResponses(sorted);
    }

    private static boolean isRefusal(String status) {
        return status.startsWith("4") || status.startsWith("5");
    }

    private static ApiResponse asProblem(String status, ApiResponse response) {
        response.content(new Content().addMediaType(org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                new MediaType().schema(new Schema<>().$ref(PROBLEM))));
        Optional.ofNullable(HEADERS.get(status)).ifPresent(header ->
                response.addHeaderObject(header, new Header().$ref(header)));
        return response;
    }

    /** RFC 9457 problem details as {@code io.qrvoucher.support.Problems} makes them. */
    private static Schema<?> problem() {
        return new ObjectSchema()
                .description("RFC 9457 problem details: every refusal of this API, whatever the request accepts")
                .addProperty("type", new StringSchema().format("uri")
                        .description("urn:qrvoucher:problem: and the code in lower case with hyphens")
                        .example("urn:qrvoucher:problem:invalid-amount"))
                .addProperty("title", new StringSchema().description("a short summary, for a person (the code in words, "
                        + "or the HTTP reason phrase)").example("Invalid amount"))
                .addProperty("status", new IntegerSchema().description("the HTTP status").example(422))
                .addProperty("detail", new StringSchema().description("what was refused and why, for a person"))
                .addProperty("instance", new StringSchema().format("uri-reference").description("the request's path"))
                .addProperty("code", new StringSchema().description("the stable code to act on")
                        .example("INVALID_AMOUNT"))
                .required(List.of("type", "title", "status", "detail", "instance", "code"));
    }

    private static boolean takesABody(Operation operation) {
        return operation.getRequestBody() != null;
    }

    private static boolean namesAnId(Operation operation) {
        return hasParameter(operation, parameter -> "path".equals(parameter.getIn()));
    }

    private static boolean takesAnIdempotencyKey(Operation operation) {
        return hasParameter(operation, parameter -> "header".equals(parameter.getIn())
                && "Idempotency-Key".equalsIgnoreCase(parameter.getName()));
    }

    private static boolean hasParameter(Operation operation, Predicate<Parameter> matching) {
        return operation.getParameters() != null && operation.getParameters().stream().anyMatch(matching);
    }
}
