package io.qrvoucher.schemas;

import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro 1.12 instantiates only classes it trusts while decoding; the generated records of this
 * module must be added to that list before the first value is read.
 */
final class TrustedPackages {

    private static final String GENERATED_PACKAGE = "io.qrvoucher.avro.";
    private static boolean trusted;

    private TrustedPackages() {
    }

    static synchronized void ensureTrusted() {
        if (trusted) {
            return;
        }
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(
                ClassSecurityValidator.getGlobal(),
                type -> type.getName().startsWith(GENERATED_PACKAGE)));
        trusted = true;
    }
}
