package io.qrvoucher.ingress.api;

import java.util.concurrent.RejectedExecutionException;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.HttpStatus;

import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ingress.codes.QrCodes;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Reads the code in uploaded QR pictures, within bounds: each customer may upload
 * {@code ingress.limits.pictures-per-window} pictures per window, readable or not, over all instances, and the pictures are
 * decoded on a pool of their own ({@code picture-decoders} threads, {@code picture-queue} waiting), so that
 * a flood of pictures neither starves the threads that serve requests and run timers nor queues without
 * end: beyond the queue an upload is refused at once (503, {@code Retry-After}).
 */
final class PictureDecoding implements DisposableBean {

    private static final int MAX_DEFAULT_DECODERS = 4;

    private final QrCodes qrCodes;
    private final AttemptLimiter uploads;
    private final Scheduler decoders;

    PictureDecoding(QrCodes qrCodes, IngressProperties.Limits limits, AttemptLimiter uploads) {
        this.qrCodes = qrCodes;
        this.uploads = uploads;
        // A decode may hold some 40 MB (QrCodes): on a large host, not one per processor.
        int threads = limits.pictureDecoders() > 0 ? limits.pictureDecoders()
                : Math.min(Runtime.getRuntime().availableProcessors(), MAX_DEFAULT_DECODERS);
        this.decoders = Schedulers.newBoundedElastic(threads, limits.pictureQueue(), "qr-picture-decoder");
    }

    /**
     * Counts an upload of the customer's, or refuses it if they uploaded too many; once it has come and holds its
     * admission place, before it is decoded: an upload refused for overload as it came is not counted.
     */
    Mono<Void> admit(String customerId) {
        return uploads.take(customerId);
    }

    /** The code in the picture, decoded on the picture pool. */
    Mono<String> codeIn(byte[] picture) {
        return Mono.fromCallable(() -> decode(picture))
                .subscribeOn(decoders)
                .onErrorMap(RejectedExecutionException.class, full -> new ApiException(HttpStatus.SERVICE_UNAVAILABLE,
                        "BUSY", "Too many pictures are being read; send it again in a moment").retryAfter(1));
    }

    private String decode(byte[] picture) {
        try {
            return qrCodes.decode(picture).orElseThrow(() -> ApiException.unprocessable("QR_UNREADABLE",
                    "No readable QR code in the picture; try a sharper, closer picture"));
        } catch (QrCodes.UnreadableImageException e) {
            throw ApiException.unprocessable("INVALID_IMAGE", "The picture must be a PNG or JPEG image");
        }
    }

    @Override
    public void destroy() {
        decoders.dispose();
    }
}
