package io.qrvoucher.ingress.api;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
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
import io.qrvoucher.ingress.view.PipelineView;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

@RestController
@RequestMapping("/api/vouchers")
@Tag(name = "vouchers", description = "Generate, read, cancel and follow vouchers")
class VoucherController {

    private static final Instant LIST_START = Instant.EPOCH;
    private static final Instant LIST_END = Instant.parse("9999-01-01T00:00:00Z");

    private final VoucherOperations operations;
    private final PipelineView view;
    private final VoucherCodes codes;
    private final QrCodes qrCodes;
    private final IngressProperties properties;

    VoucherController(VoucherOperations operations, PipelineView view, VoucherCodes codes, QrCodes qrCodes,
                      IngressProperties properties) {
        this.operations = operations;
        this.view = view;
        this.codes = codes;
        this.qrCodes = qrCodes;
        this.properties = properties;
    }

    @PostMapping
    @Operation(summary = "Generate a voucher: the amount is frozen on your account",
            description = "202 with the PENDING voucher; with `Prefer: wait=N`, waits up to N seconds and returns "
                    + "the settled voucher (UNUSED with its code, or REJECTED with the reason).")
    Mono<ResponseEntity<Dtos.Voucher>> generate(@AuthenticationPrincipal Jwt caller,
                                                @RequestBody Dtos.GenerateVoucher request,
                                                @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey,
                                                @RequestHeader(name = "Prefer", required = false) String prefer) {
        return Mono.defer(() -> operations.generate(caller, request, idempotencyKey, prefer));
    }

    @GetMapping("/{id}")
    @Operation(summary = "A voucher, to its payer or to the payee who redeemed it")
    Dtos.Voucher voucher(@AuthenticationPrincipal Jwt caller, @PathVariable String id) {
        return operations.representations().voucher(visible(id, caller.getSubject()), caller.getSubject());
    }

    @GetMapping(value = "/{id}/qr.png", produces = MediaType.IMAGE_PNG_VALUE)
    @Operation(summary = "The QR picture of the voucher's code, to its payer only, while it is UNUSED")
    Mono<ResponseEntity<byte[]>> qr(@AuthenticationPrincipal Jwt caller, @PathVariable String id) {
        VoucherState voucher = visible(id, caller.getSubject());
        if (!voucher.getPayerCustomerId().equals(caller.getSubject())) {
            throw ApiException.notFound("Voucher " + id);
        }
        if (voucher.getStatus() != VoucherStatus.UNUSED) {
            throw ApiException.conflict("VOUCHER_NOT_USABLE", "The voucher is " + voucher.getStatus() + "; it has no usable code");
        }
        return Mono.fromSupplier(() -> qrCodes.render(codes.codeOf(id)))
                .subscribeOn(Schedulers.parallel())
                .map(png -> ResponseEntity.ok().contentType(MediaType.IMAGE_PNG)
                        .cacheControl(CacheControl.noStore()).body(png));
    }

    @PostMapping("/{id}/cancel")
    @Operation(summary = "Cancel an unused voucher; its amount is released",
            description = "200 with the CANCELLED voucher, or 409 with the reason it cannot be cancelled.")
    Mono<ResponseEntity<Dtos.Voucher>> cancel(@AuthenticationPrincipal Jwt caller, @PathVariable String id,
                                              @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey,
                                              @RequestHeader(name = "Prefer", required = false) String prefer) {
        return Mono.defer(() -> operations.cancel(caller.getSubject(), id, idempotencyKey, prefer));
    }

    @GetMapping
    @Operation(summary = "Your vouchers, newest first, by role (payer: generated; payee: redeemed), status and time range")
    Dtos.Page<Dtos.Voucher> list(@AuthenticationPrincipal Jwt caller,
                                 @RequestParam(defaultValue = "payer") String role,
                                 @RequestParam(required = false) String status,
                                 @RequestParam(required = false) String from,
                                 @RequestParam(required = false) String to,
                                 @RequestParam(defaultValue = "0") int page,
                                 @RequestParam(defaultValue = "20") int size) {
        boolean asPayer = switch (role.toLowerCase(Locale.ROOT)) {
            case "payer" -> true;
            case "payee" -> false;
            default -> throw ApiException.badRequest("INVALID_QUERY", "role is payer or payee");
        };
        Set<VoucherStatus> statuses = statuses(status);
        Instant start = instant(from, LIST_START, "from");
        Instant end = instant(to, LIST_END, "to");
        if (!start.isBefore(end) || page < 0 || size < 1 || size > properties.limits().maxPageSize()) {
            throw ApiException.badRequest("INVALID_QUERY", "Need from < to, page >= 0 and 1 <= size <= "
                    + properties.limits().maxPageSize());
        }
        PipelineView.Page<VoucherState> found = view.list(caller.getSubject(), asPayer,
                voucher -> statuses.contains(voucher.getStatus()), start, end, page, size);
        return new Dtos.Page<>(found.items().stream()
                .map(voucher -> operations.representations().voucher(voucher, caller.getSubject())).toList(),
                page, size, found.hasMore());
    }

    @GetMapping(value = "/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    @Operation(summary = "Live status of a voucher as Server-Sent Events",
            description = "Sends the voucher now and at every change (event `voucher`), and each refusal of a "
                    + "request about it (event `refused`); ends after a final status.")
    Flux<ServerSentEvent<Object>> events(@AuthenticationPrincipal Jwt caller, @PathVariable String id) {
        String customerId = caller.getSubject();
        VoucherState current = visible(id, customerId);
        Flux<ServerSentEvent<Object>> changes = view.changesOf(id)
                .filter(change -> change.state() != null || change.event() != null)
                .map(change -> change.state() != null
                        ? voucherEvent(change.state(), customerId)
                        : ServerSentEvent.builder((Object) new Refusal(change.event().getRequestId(), change.event().getReason()))
                                .event("refused").build());
        Flux<ServerSentEvent<Object>> heartbeats = Flux.interval(Duration.ofSeconds(15))
                .map(tick -> ServerSentEvent.builder().comment("keep-alive").build());
        return Flux.merge(Flux.concat(Flux.just(voucherEvent(current, customerId)), changes), heartbeats)
                .takeUntil(event -> event.data() instanceof Dtos.Voucher voucher && isFinal(voucher.status()));
    }

    record Refusal(String requestId, String reason) {
    }

    private ServerSentEvent<Object> voucherEvent(VoucherState state, String customerId) {
        Dtos.Voucher voucher = operations.representations().voucher(state, customerId);
        return ServerSentEvent.builder((Object) voucher).event("voucher").id(Long.toString(voucher.version())).build();
    }

    private static boolean isFinal(String status) {
        return !Set.of("PENDING", "UNUSED", "REDEEMING").contains(status);
    }

    private VoucherState visible(String id, String customerId) {
        return view.voucher(id)
                .filter(voucher -> Representations.isVisibleTo(voucher, customerId))
                .orElseThrow(() -> ApiException.notFound("Voucher " + id));
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
        return statuses;
    }

    private static Instant instant(String value, Instant absent, String name) {
        if (value == null || value.isBlank()) {
            return absent;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest("INVALID_QUERY", name + " must be an ISO-8601 instant such as 2026-11-26T00:00:00Z");
        }
    }
}
