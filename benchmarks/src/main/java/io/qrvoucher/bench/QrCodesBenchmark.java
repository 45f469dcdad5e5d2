package io.qrvoucher.bench;

import java.util.UUID;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import io.qrvoucher.ingress.codes.QrCodes;

/** Rendering a voucher's code as the PNG the API serves, and reading it back from that PNG. */
@State(Scope.Benchmark)
public class QrCodesBenchmark {

    private final QrCodes codes = new QrCodes();
    private String code;
    private byte[] picture;

    @Setup
    public void render() {
        // The shape of a real bearer code: QRV1.<voucher id>.<43-character tag>.
        code = "QRV1." + UUID.randomUUID() + "." + "x".repeat(43);
        picture = codes.render(code);
    }

    @Benchmark
    public byte[] encode() {
        return codes.render(code);
    }

    @Benchmark
    public String decode() {
        return codes.decode(picture).orElseThrow();
    }
}
