package io.qrvoucher.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** QR encode and decode per second on one thread, measured by JMH in a forked JVM. */
final class QrThroughput {

    record Operation(String name, double perSecond, double error, String unit) {
    }

    record Result(String png, int forks, int iterations, int iterationSeconds, List<Operation> operations) {
    }

    private static final int ITERATIONS = 5;

    private QrThroughput() {
    }

    static Result run(int iterationSeconds) throws RunnerException {
        var options = new OptionsBuilder()
                .include(QrCodesBenchmark.class.getName())
                .mode(Mode.Throughput)
                .timeUnit(TimeUnit.SECONDS)
                .forks(1)
                .threads(1)
                .warmupIterations(3)
                .warmupTime(TimeValue.seconds(iterationSeconds))
                .measurementIterations(ITERATIONS)
                .measurementTime(TimeValue.seconds(iterationSeconds))
                .build();
        List<Operation> operations = new ArrayList<>();
        for (RunResult result : new Runner(options).run()) {
            String method = result.getParams().getBenchmark();
            operations.add(new Operation(method.substring(method.lastIndexOf('.') + 1),
                    result.getPrimaryResult().getScore(), result.getPrimaryResult().getScoreError(),
                    result.getPrimaryResult().getScoreUnit()));
        }
        return new Result("480 x 480 px, error correction Q", 1, ITERATIONS, iterationSeconds, operations);
    }
}
