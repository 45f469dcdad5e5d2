package io.qrvoucher.voucher.query;

/** A parameter of an internal call out of its range: the caller's mistake, answered 400. */
public final class BadParameter extends RuntimeException {

    public BadParameter(String message) {
        super(message);
    }
}
