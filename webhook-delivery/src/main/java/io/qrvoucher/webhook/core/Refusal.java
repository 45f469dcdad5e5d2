package io.qrvoucher.webhook.core;

/**
 * A request a customer sent that is refused, with a stable code (the ingress answers it as RFC 9457 problem
 * details with that code) and a detail the customer can act on.
 */
public class Refusal extends RuntimeException {

    private final String code;

    public Refusal(String code, String detail) {
        super(detail);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
