package io.qrvoucher.voucher.domain;

/** Why the voucher lifecycle refused a request or rejected a voucher; stable codes for clients. */
public enum Refusal {
    INVALID_CODE,
    VOUCHER_NOT_FOUND,
    VOUCHER_NOT_ISSUED,
    ALREADY_REDEEMED,
    CANCELLED,
    EXPIRED,
    NOT_OWNER,
    INVALID_AMOUNT,
    AMOUNT_EXCEEDS_FACE_VALUE,
    AMOUNT_EXCEEDS_VOUCHER_CAP,
    UNSUPPORTED_CURRENCY,
    VALIDITY_IN_PAST,
    VALIDITY_TOO_LONG,
    DUPLICATE_VOUCHER_ID
}
