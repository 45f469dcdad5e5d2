package io.qrvoucher.ingress.api;

import java.util.Optional;
import java.util.Set;

import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.multipart.Part;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.qrvoucher.ingress.IngressProperties;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Encoding;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

@RestController
@RequestMapping(path = "/api/redemptions", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "redemptions", description = "Redeem a voucher by its code or a picture of its QR code")
class RedemptionController {

    /**
     * The parts a redemption's form takes ({@link RedemptionForm} describes them); a preview takes the same form (and
     * reads the picture only).
     */
    private static final Set<String> REDEMPTION_FORM = Set.of("image", "amount", "accountId", "externalAccount.bank",
            "externalAccount.name", "externalAccount.number");

    // springdoc describes the handlers of one path and method as one operation, with the id of whichever it reads
    // first and the summary and description of whichever it reads last: the JSON and the form handler carry the same.
    private static final String REDEEM_SUMMARY = "Redeem by code, or by a picture of the QR code";
    private static final String REDEEM_DESCRIPTION = "202 with the PENDING redemption; with `Prefer: wait=N`, 200 with "
            + "the settled one (SUCCEEDED, FAILED or REJECTED with the reason). By code: a JSON body. By picture: a "
            + "multipart form of the part `image` (PNG or JPEG), and optionally the text fields `amount`, `accountId`, "
            + "or `externalAccount.bank`, `externalAccount.name`, `externalAccount.number`, each once (a blank one "
            + "counts as not sent; one sent twice or as a file, or a part of another name, is 422 INVALID_FORM_FIELD).";
    private static final String PREVIEW_SUMMARY = "What a code, or the code in a picture of a QR code, stands for, "
            + "before redeeming it";
    private static final String PREVIEW_DESCRIPTION = "The voucher's face value, currency, status and validity, to "
            + "show before the payee confirms an amount (scan, then confirm): a redemption, partial or not, is the "
            + "voucher's only one. Nothing is redeemed. 200 whatever the status: only UNUSED can be redeemed (a voucher "
            + "past its end is EXPIRED). A code that is not genuine is 422 INVALID_CODE (an expired counter code "
            + "CODE_EXPIRED), counted toward the failed attempts as in a redemption; 429 TOO_MANY_WRONG_CODES past "
            + "their limit; 503 with Retry-After while the voucher's owner cannot be read. By code: a JSON body. By "
            + "picture: the redemption's form, of which only `image` (PNG or JPEG) is read; the answer's `code` is the "
            + "one read from the picture: redeem with it, without sending the picture again. Refusals as for a code, "
            + "and those of a picture (IMAGE_REQUIRED, INVALID_IMAGE, QR_UNREADABLE; 429 TOO_MANY_PICTURES).";
    private static final String TOO_MANY_ATTEMPTS = "TOO_MANY_WRONG_CODES past the limit of failed attempts, "
            + "TOO_MANY_PICTURES past that of pictures, or " + OpenApiConfiguration.TOO_MANY_IN_FLIGHT;

    private final Redemptions redemptions;
    private final PictureDecoding pictures;
    private final IngressProperties properties;

    RedemptionController(Redemptions redemptions, PictureDecoding pictures, IngressProperties properties) {
        this.redemptions = redemptions;
        this.pictures = pictures;
        this.properties = properties;
    }

    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "redeem", summary = REDEEM_SUMMARY, description = REDEEM_DESCRIPTION)
    @ApiResponse(responseCode = "202", description = "Accepted, not settled yet: the PENDING redemption",
            headers = @Header(name = HttpHeaders.LOCATION, description = "the redemption, to read it once settled",
                    schema = @Schema(type = "string", format = "uri-reference")))
    @ApiResponse(responseCode = "200", description = "Settled within `Prefer: wait=N`: SUCCEEDED, FAILED or REJECTED "
            + "with the reason",
            headers = @Header(name = HttpHeaders.LOCATION, description = "the redemption",
                    schema = @Schema(type = "string", format = "uri-reference")))
    @ApiResponse(responseCode = "429", description = TOO_MANY_ATTEMPTS)
    Mono<ResponseEntity<Dtos.Redemption>> redeem(@AuthenticationPrincipal Jwt caller, @RequestBody Dtos.Redeem request,
                                                 @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey,
                                                 @RequestHeader(name = "Prefer", required = false) String prefer) {
        return Mono.defer(() -> redemptions.redeem(caller.getSubject(), request, idempotencyKey, prefer));
    }

    @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    @Operation(operationId = "redeem", summary = REDEEM_SUMMARY, description = REDEEM_DESCRIPTION)
    @ApiResponse(responseCode = "202", description = "Accepted, not settled yet: the PENDING redemption",
            headers = @Header(name = HttpHeaders.LOCATION, description = "the redemption, to read it once settled",
                    schema = @Schema(type = "string", format = "uri-reference")))
    @ApiResponse(responseCode = "200", description = "Settled within `Prefer: wait=N`: SUCCEEDED, FAILED or REJECTED "
            + "with the reason",
            headers = @Header(name = HttpHeaders.LOCATION, description = "the redemption",
                    schema = @Schema(type = "string", format = "uri-reference")))
    @ApiResponse(responseCode = "429", description = TOO_MANY_ATTEMPTS)
    Mono<ResponseEntity<Dtos.Redemption>> redeemPicture(@AuthenticationPrincipal Jwt caller,
                                                        @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(
                                                                mediaType = MediaType.MULTIPART_FORM_DATA_VALUE,
                                                                schema = @Schema(implementation = RedemptionForm.class),
                                                                encoding = @Encoding(name = "image", contentType = "image/png, image/jpeg")))
                                                        @RequestBody Flux<Part> form,
                                                        @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey,
                                                        @RequestHeader(name = "Prefer", required = false) String prefer) {
        String customerId = caller.getSubject();
        // Past the limit of failed attempts only a keyed retry goes on, to read its picture (a pictures' place
        // still) and see whether it retries the redemption a voucher took.
        Mono<Optional<ApiException>> limit = redemptions.limitRefusal(customerId).flatMap(refusal ->
                refusal.isPresent() && idempotencyKey == null ? Mono.error(refusal.get()) : Mono.just(refusal));
        // The attempt not held undecided while the picture is read; once its code is known, the limit is asked again
        // and holds it (a burst of pictures of wrong codes passed it).
        return limit.flatMap(refusal -> redemptions.decidedUntilThePictureIsRead()
                .thenReturn(refusal)).flatMap(beforeReading -> Forms.read(form, parts -> {
            Forms.takesOnly(parts, REDEMPTION_FORM);
            String amount = Forms.field(parts, "amount");
            String accountId = Forms.field(parts, "accountId");
            Dtos.ExternalAccount externalAccount = externalAccount(parts);
            return pictures.admit(customerId).then(codeInPicture(parts)).flatMap(code -> (beforeReading.isPresent()
                            ? Mono.just(beforeReading)
                            : redemptions.limitRefusal(customerId))
                    .flatMap(limitRefusal -> redemptions.redeemWithin(limitRefusal, customerId,
                            new Dtos.Redeem(code, amount, accountId, externalAccount), idempotencyKey, prefer)));
        }));
    }

    /** The code in the form's {@code image} part. */
    private Mono<String> codeInPicture(MultiValueMap<String, Part> parts) {
        Part image = parts.getFirst("image");
        if (image == null) {
            return Mono.error(ApiException.unprocessable("IMAGE_REQUIRED", "Send the QR picture as the part `image`"));
        }
        return DataBufferUtils.join(image.content(), (int) properties.limits().maxImageSize().toBytes())
                .map(buffer -> {
                    byte[] bytes = new byte[buffer.readableByteCount()];
                    buffer.read(bytes);
                    DataBufferUtils.release(buffer);
                    return bytes;
                })
                .flatMap(pictures::codeIn);
    }

    @PostMapping(path = "/preview", consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "preview", summary = PREVIEW_SUMMARY, description = PREVIEW_DESCRIPTION)
    @ApiResponse(responseCode = "200", description = "What the code stands for")
    @ApiResponse(responseCode = "429", description = TOO_MANY_ATTEMPTS)
    Mono<Dtos.VoucherPreview> preview(@AuthenticationPrincipal Jwt caller, @RequestBody Dtos.CodePresented request) {
        String customerId = caller.getSubject();
        return redemptions.checkAllowed(customerId).then(Mono.defer(() -> redemptions.previewAllowed(customerId,
                request.code())));
    }

    @PostMapping(path = "/preview", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    @Operation(operationId = "preview", summary = PREVIEW_SUMMARY, description = PREVIEW_DESCRIPTION)
    @ApiResponse(responseCode = "200", description = "What the code stands for")
    @ApiResponse(responseCode = "429", description = TOO_MANY_ATTEMPTS)
    Mono<Dtos.VoucherPreview> previewPicture(@AuthenticationPrincipal Jwt caller,
                                             @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(
                                                     mediaType = MediaType.MULTIPART_FORM_DATA_VALUE,
                                                     schema = @Schema(implementation = RedemptionForm.class),
                                                     encoding = @Encoding(name = "image", contentType = "image/png, image/jpeg")))
                                             @RequestBody Flux<Part> form) {
        String customerId = caller.getSubject();
        return redemptions.checkAllowed(customerId).then(redemptions.decidedUntilThePictureIsRead())
                .then(Forms.read(form, parts -> {
                    Forms.takesOnly(parts, REDEMPTION_FORM);
                    return pictures.admit(customerId).then(codeInPicture(parts));
                }))
                // Asked again, and held, once the code is known, as for a code sent as text.
                .flatMap(code -> redemptions.checkAllowed(customerId).then(redemptions.previewAllowed(customerId, code)));
    }

    @GetMapping("/{id}")
    @Operation(summary = "A redemption, to its payee: PENDING, SUCCEEDED, FAILED or REJECTED with the reason")
    Mono<Dtos.Redemption> redemption(@AuthenticationPrincipal Jwt caller, @PathVariable String id) {
        return redemptions.redemption(caller.getSubject(), id)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("Redemption " + id)));
    }

    private static Dtos.ExternalAccount externalAccount(MultiValueMap<String, Part> parts) {
        String bank = Forms.field(parts, "externalAccount.bank");
        String name = Forms.field(parts, "externalAccount.name");
        String number = Forms.field(parts, "externalAccount.number");
        return bank == null && name == null && number == null ? null : new Dtos.ExternalAccount(bank, name, number);
    }

    /**
     * The redemption's form as the API's description shows it: a handler reads the parts one by one
     * ({@link #REDEMPTION_FORM}), so none is bound to this, and springdoc would otherwise describe the body as a list of
     * parts.
     */
    @Schema(description = "A picture of the QR code, and optionally the amount and where it goes: each field a text "
            + "part, sent once")
    record RedemptionForm(
            @Schema(type = "string", format = "binary", requiredMode = Schema.RequiredMode.REQUIRED,
                    description = "the QR picture, PNG or JPEG") byte[] image,
            @Schema(example = "12.34", description = "a decimal string at the voucher's currency scale; default: the "
                    + "full face value") String amount,
            @Schema(example = "bob-cny", description = "your account to receive the money; default: as your settings "
                    + "say") String accountId,
            @Schema(name = "externalAccount.bank", description = "an account at another bank instead: its bank")
            String externalAccountBank,
            @Schema(name = "externalAccount.name", description = "an account at another bank: its holder's name")
            String externalAccountName,
            @Schema(name = "externalAccount.number", description = "an account at another bank: its number")
            String externalAccountNumber) {
    }
}
