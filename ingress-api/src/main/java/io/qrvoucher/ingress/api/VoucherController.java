package io.qrvoucher.ingress.api;

import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ingress.codes.QrCodes;
import io.qrvoucher.ingress.codes.VoucherCodes;
import io.qrvoucher.ingress.reads.VoucherReads;
import io.qrvoucher.schemas.VoucherRules;
import io.qrvoucher.support.reads.VoucherStreamsReads;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

@RestController
@RequestMapping(path = "/api/vouchers", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "vouchers", description = "Generate, read, cancel and follow vouchers")
class VoucherController {

    private static final Instant LIST_START = Instant.EPOCH;
    private static final Instant LIST_END = Instant.parse("9999-01-01T00:00:00Z");
    private static final String VOUCHER_NOT_USABLE = "VOUCHER_NOT_USABLE: the voucher is not UNUSED, or the key its "
            + "code was made with is retired";

    private final Generations generations;
    private final Cancellations cancellations;
    private final VoucherReads reads;
    private final Representations representations;
    private final VoucherCodes codes;
    private final QrCodes qrCodes;
    private final IngressProperties properties;
    private final Clock clock;

    VoucherController(Generations generations, Cancellations cancellations, VoucherReads reads,
                      Representations representations, VoucherCodes codes, QrCodes qrCodes, IngressProperties properties,
                      Clock clock) {
        this.clock = clock;
        this.generations = generations;
        this.cancellations = cancellations;
        this.reads = reads;
        this.representations = representations;
        this.codes = codes;
        this.qrCodes = qrCodes;
        this.properties = properties;
    }

    @PostMapping
    @Operation(summary = "Generate a voucher: the amount is frozen on your account",
            description = "202 with the PENDING voucher (its expiresAt as asked: null when none was, until the pipeline "
                    + "sets the bank's default on recording it; read the voucher at its Location); with `Prefer: wait=N`, "
                    + "waits up to N seconds and returns "
                    + "the settled voucher (UNUSED with its code and expiresAt, or REJECTED with the reason). 403 STEP_UP_REQUIRED "
                    + "when the step-up policy asks for a fresh sign-in; that refusal stays with its Idempotency-Key: "
                    + "after signing in again, send the request with a new key.")
    @ApiResponse(responseCode = "202", description = "Accepted, not settled yet: the PENDING voucher",
            headers = @Header(name = HttpHeaders.LOCATION, description = "the voucher, to read it once settled",
                    schema = @Schema(type = "string", format = "uri-reference")))
    @ApiResponse(responseCode = "200", description = "Settled within `Prefer: wait=N`, or already for a retry with the "
            + "same Idempotency-Key: UNUSED with its code and expiresAt, or REJECTED with the reason",
            headers = @Header(name = HttpHeaders.LOCATION, description = "the voucher",
                    schema = @Schema(type = "string", format = "uri-reference")))
    @ApiResponse(responseCode = "403", description = "STEP_UP_REQUIRED: your step-up policy asks for a fresh sign-in")
    @ApiResponse(responseCode = "429", description = OpenApiConfiguration.TOO_MANY_IN_FLIGHT)
    Mono<ResponseEntity<Dtos.Voucher>> generate(@AuthenticationPrincipal Jwt caller,
                                                @RequestBody Dtos.GenerateVoucher request,
                                                @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey,
                                                @RequestHeader(name = "Prefer", required = false) String prefer) {
        return Mono.defer(() -> generations.generate(caller, request, idempotencyKey, prefer));
    }

    @GetMapping("/{id}")
    @Operation(summary = "A voucher, to its payer or to the payee who redeemed it")
    Mono<Dtos.Voucher> voucher(@AuthenticationPrincipal Jwt caller, @PathVariable String id) {
        return visible(id, caller.getSubject()).map(voucher -> representations.voucher(voucher, caller.getSubject()));
    }

    @GetMapping(value = "/{id}/qr.png", produces = MediaType.IMAGE_PNG_VALUE)
    @Operation(summary = "The QR picture of the voucher's code, to its payer only, while it is UNUSED")
    @ApiResponse(responseCode = "200", description = "The QR picture")
    @ApiResponse(responseCode = "409", description = VOUCHER_NOT_USABLE)
    Mono<ResponseEntity<byte[]>> qr(@AuthenticationPrincipal Jwt caller, @PathVariable String id) {
        return usableCode(id, caller.getSubject()).flatMap(this::png);
    }

    @GetMapping("/{id}/counter-code")
    @Operation(summary = "The code to show at a shop counter, to the payer only, while the voucher is UNUSED",
            description = "It changes every 30 s and is taken until the end of the next step, so a photo of the "
                    + "screen is useless a minute later. Ask again at `refreshAt`.")
    @ApiResponse(responseCode = "200", description = "The counter code shown now")
    @ApiResponse(responseCode = "409", description = VOUCHER_NOT_USABLE)
    Mono<ResponseEntity<Dtos.CounterCode>> counterCode(@AuthenticationPrincipal Jwt caller, @PathVariable String id) {
        return usableCode(id, caller.getSubject()).map(usable -> {
            Instant now = clock.instant();
            return ResponseEntity.ok().cacheControl(CacheControl.noStore())
                    .body(new Dtos.CounterCode(codes.counterCodeOf(id, now), VoucherCodes.nextCounterStepAt(now)));
        });
    }

    @GetMapping(value = "/{id}/counter-qr.png", produces = MediaType.IMAGE_PNG_VALUE)
    @Operation(summary = "The QR picture of the counter code shown now, to the payer only, while the voucher is UNUSED")
    @ApiResponse(responseCode = "200", description = "The QR picture of the counter code")
    @ApiResponse(responseCode = "409", description = VOUCHER_NOT_USABLE)
    Mono<ResponseEntity<byte[]>> counterQr(@AuthenticationPrincipal Jwt caller, @PathVariable String id) {
        return usableCode(id, caller.getSubject()).flatMap(usable -> png(codes.counterCodeOf(id, clock.instant())));
    }

    /** The voucher's bearer code, to its payer while it is UNUSED; 404 to anyone else, 409 once it cannot be used. */
    private Mono<String> usableCode(String id, String customerId) {
        return visible(id, customerId).map(voucher -> {
            if (!voucher.getPayerCustomerId().equals(customerId)) {
                throw ApiException.notFound("Voucher " + id);
            }
            VoucherStatus status = VoucherRules.statusAt(voucher, clock.instant());
            if (status != VoucherStatus.UNUSED) {
                throw ApiException.conflict("VOUCHER_NOT_USABLE", "The voucher is " + status + "; it has no usable code");
            }
            return codes.codeOf(id, voucher.getCodeHash()).orElseThrow(() -> ApiException.conflict(
                    "VOUCHER_NOT_USABLE", "The key this voucher's code was made with is retired; cancel it"));
        });
    }

    private Mono<ResponseEntity<byte[]>> png(String code) {
        return Mono.just(code)
                .publishOn(Schedulers.parallel())
                .map(qrCodes::render)
                .map(png -> ResponseEntity.ok().contentType(MediaType.IMAGE_PNG)
                        .cacheControl(CacheControl.noStore()).body(png));
    }

    @PostMapping("/{id}/cancel")
    @Operation(summary = "Cancel an unused voucher; its amount is released",
            description = "200 with the CANCELLED voucher, or 409 with the reason it cannot be cancelled. 202 if the "
                    + "outcome is not known within the wait (5 s by default, Prefer: wait=N; none with Prefer: "
                    + "respond-async alone): the voucher as it was, "
                    + "without its code, and a Location to read the outcome from")
    @ApiResponse(responseCode = "200", description = "The CANCELLED voucher")
    @ApiResponse(responseCode = "202", description = "The outcome is not known within the wait: the voucher as it was, "
            + "without its code",
            headers = @Header(name = HttpHeaders.LOCATION, description = "the voucher, to read the outcome",
                    schema = @Schema(type = "string", format = "uri-reference")))
    @ApiResponse(responseCode = "403", description = "NOT_OWNER: only the payer may cancel a voucher")
    @ApiResponse(responseCode = "409", description = "The voucher cannot be cancelled; `code` says why: "
            + "ALREADY_REDEEMED, CANCELLED, EXPIRED, VOUCHER_NOT_ISSUED")
    @ApiResponse(responseCode = "429", description = OpenApiConfiguration.TOO_MANY_IN_FLIGHT)
    Mono<ResponseEntity<Dtos.Voucher>> cancel(@AuthenticationPrincipal Jwt caller, @PathVariable String id,
                                              @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey,
                                              @RequestHeader(name = "Prefer", required = false) String prefer) {
        // Its place taken first: a body sent with it is never read, and would not take it.
        return AdmissionControl.takePlace().then(Mono.defer(() -> cancellations.cancel(caller.getSubject(), id,
                idempotencyKey, prefer)));
    }

    @GetMapping
    @Operation(summary = "Your vouchers, newest first, by role (payer: generated; payee: redeemed), status and time range",
            description = "Page on with `cursor` (the `next` of the page before: it holds its place however many "
                    + "vouchers are made meanwhile), or with `page` numbers. A page reads a bounded part of the list "
                    + "(10,000 vouchers of any status): filtered by a rare status it may be short, even empty, with "
                    + "`next` to go on from; a page number whose vouchers lie past that is refused (400 "
                    + "INVALID_QUERY): go on by cursors.")
    Mono<Dtos.Page<Dtos.Voucher>> list(@AuthenticationPrincipal Jwt caller,
                                       @RequestParam(defaultValue = "payer") String role,
                                       @RequestParam(required = false) String status,
                                       @RequestParam(required = false) String from,
                                       @RequestParam(required = false) String to,
                                       @RequestParam(defaultValue = "0") int page,
                                       @RequestParam(defaultValue = "20") int size,
                                       @RequestParam(required = false) String cursor) {
        VoucherStreamsReads.Role asRole = switch (role.toLowerCase(Locale.ROOT)) {
            case "payer" -> VoucherStreamsReads.Role.PAYER;
            case "payee" -> VoucherStreamsReads.Role.PAYEE;
            default -> throw ApiException.badRequest("INVALID_QUERY", "role is payer or payee");
        };
        Set<VoucherStatus> statuses = statuses(status);
        Instant start = instant(from, LIST_START, "from");
        Instant end = instant(to, LIST_END, "to");
        if (!start.isBefore(end) || page < 0 || size < 1 || size > properties.limits().maxPageSize()
                || (long) page * size > Integer.MAX_VALUE || (cursor != null && page != 0)) {
            throw ApiException.badRequest("INVALID_QUERY", "Need from < to, page >= 0, 1 <= size <= "
                    + properties.limits().maxPageSize() + ", page * size < 2^31, and either a cursor or a page number");
        }
        return reads.vouchersOf(caller.getSubject(), asRole, start, end, statuses, Cursors.decode(cursor),
                        page * size, size)
                // The owner filters on the status it holds; a voucher shown EXPIRED before its owner marks it so
                // (VoucherRules.statusAt) is left out of a list of other statuses, and is in a list of EXPIRED ones
                // only once marked: for those seconds it is in unfiltered lists alone, and such a page may be short
                // (even empty, with more to come).
                .map(found -> new Dtos.Page<>(found.getItems().stream()
                        .map(voucher -> representations.voucher(voucher, caller.getSubject()))
                        .filter(shown -> statuses.contains(VoucherStatus.valueOf(shown.status()))).toList(),
                        page, size, found.getNext() != null, Cursors.encode(found.getNext())));
    }

    private Mono<VoucherState> visible(String id, String customerId) {
        return representations.visible(reads, id, customerId);
    }

    private static Set<VoucherStatus> statuses(String status) {
        if (status == null || status.isBlank()) {
            return EnumSet.allOf(VoucherStatus.class);
        }
        Set<VoucherStatus> statuses = EnumSet.noneOf(VoucherStatus.class);
        for (String name : status.split(",")) {
            try {
                statuses.add(VoucherStatus.valueOf(name.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("INVALID_QUERY", "Unknown status " + name.trim());
            }
        }
        // Only commas name no status: every status, as the filter left out would.
        return statuses.isEmpty() ? EnumSet.allOf(VoucherStatus.class) : statuses;
    }

    private static Instant instant(String value, Instant absent, String name) {
        if (value == null || value.isBlank()) {
            return absent;
        }
        try {
            // A list covers LIST_START to LIST_END: an instant beyond them (ISO-8601 allows years of nine digits,
            // which the index's milliseconds cannot hold) asks for the same vouchers as the bound.
            Instant parsed = Instant.parse(value);
            return parsed.isBefore(LIST_START) ? LIST_START : parsed.isAfter(LIST_END) ? LIST_END : parsed;
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest("INVALID_QUERY", name + " must be an ISO-8601 instant such as 2026-11-26T00:00:00Z");
        }
    }
}
