package io.qrvoucher.ingress.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import org.springframework.http.codec.multipart.FormFieldPart;
import org.springframework.http.codec.multipart.Part;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Multipart forms as the picture endpoints read them: whole, by part name, and gone from disk once answered. */
final class Forms {

    private Forms() {
    }

    /**
     * Reads the form's parts, hands them to {@code use} by name, and deletes them once {@code use} has answered, failed
     * or been cancelled: a part beyond the parser's memory is a file on disk until it is deleted. A form that cannot
     * be read — a part's header the parser cannot parse, a part without a name — is 400 MALFORMED_REQUEST. A write's
     * admission place is taken before {@code use} ({@link AdmissionControl#takePlace}).
     */
    static <T> Mono<T> read(Flux<Part> form, Function<MultiValueMap<String, Part>, Mono<T>> use) {
        return Mono.usingWhen(Mono.fromSupplier(Received::new),
                received -> form.doOnNext(received::add)
                        // A part the parser hands over as the request is cancelled is dropped, not given to us. Above
                        // then(), which discards every part it passes over: below it, this would delete them all.
                        .doOnDiscard(Part.class, part -> part.delete().onErrorComplete().subscribe())
                        .then(Mono.fromCallable(() -> byName(received.parts())))
                        .onErrorMap(IllegalArgumentException.class, unreadable -> ApiException.badRequest(
                                "MALFORMED_REQUEST", "The form cannot be read: " + unreadable.getMessage()))
                        // The parts end at the form's last boundary, maybe before the body does.
                        .flatMap(parts -> AdmissionControl.takePlace().thenReturn(parts))
                        .flatMap(use),
                Received::delete, (received, error) -> received.delete(), Received::delete);
    }

    /**
     * Refuses a form with a part this call does not take: a misspelt field ({@code Amount}) would otherwise be passed
     * over as not sent, and an amount passed over redeems the whole voucher.
     */
    static void takesOnly(MultiValueMap<String, Part> parts, Set<String> names) {
        parts.keySet().stream().filter(name -> !names.contains(name)).findFirst().ifPresent(unknown -> {
            throw ApiException.unprocessable("INVALID_FORM_FIELD", "This form takes no part `" + unknown + "`; it takes "
                    + String.join(", ", new TreeSet<>(names)));
        });
    }

    /**
     * A text field of the form; null if it is not sent or left blank, as a form's empty input is. A field sent twice,
     * or as a file, is refused rather than taken as not sent: an amount passed over would redeem the whole voucher.
     */
    static String field(MultiValueMap<String, Part> parts, String name) {
        List<Part> sent = parts.getOrDefault(name, List.of());
        if (sent.isEmpty()) {
            return null;
        }
        if (sent.size() > 1 || !(sent.get(0) instanceof FormFieldPart text)) {
            throw ApiException.unprocessable("INVALID_FORM_FIELD", "Send `" + name + "` once, as a text field of the "
                    + "form (no file name, no content type other than text/plain)");
        }
        return text.value().isBlank() ? null : text.value();
    }

    private static MultiValueMap<String, Part> byName(List<Part> received) {
        MultiValueMap<String, Part> parts = new LinkedMultiValueMap<>();
        for (Part part : received) {
            String name = part.headers().getContentDisposition().getName();
            if (name == null) {
                throw ApiException.badRequest("MALFORMED_REQUEST", "Each part of the form needs a name "
                        + "(Content-Disposition: form-data; name=\"…\")");
            }
            parts.add(name, part);
        }
        return parts;
    }

    /**
     * The parts received so far. Parts arrive on the parser's thread and are deleted on whichever ends the request;
     * a part that arrives after its deletion began (a cancel racing the parser) is deleted as it arrives.
     */
    private static final class Received {

        private final List<Part> parts = new ArrayList<>();
        private boolean deleted;

        synchronized void add(Part part) {
            if (deleted) {
                part.delete().onErrorComplete().subscribe();
            } else {
                parts.add(part);
            }
        }

        synchronized List<Part> parts() {
            return List.copyOf(parts);
        }

        Mono<Void> delete() {
            List<Part> toDelete;
            synchronized (this) {
                deleted = true;
                toDelete = List.copyOf(parts);
            }
            return Flux.fromIterable(toDelete).concatMap(part -> part.delete().onErrorComplete()).then();
        }
    }
}
