package io.qrvoucher.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The harness's command line: the benchmarks to run ({@code all} when none is named), its own
 * {@code --name=value} options, and settings passed on to the services as they are given:
 * {@code --voucher.*} to voucher-streams, {@code --ledger.*} and {@code --spring.*} to the ledger adapter.
 */
record CommandLine(List<String> benchmarks, Map<String, String> options, Map<String, String> voucherStreams,
                   Map<String, String> ledgerAdapter) {

    static CommandLine parse(List<String> known, String... args) {
        List<String> benchmarks = new ArrayList<>();
        Map<String, String> options = new LinkedHashMap<>();
        Map<String, String> voucherStreams = new LinkedHashMap<>();
        Map<String, String> ledgerAdapter = new LinkedHashMap<>();
        for (String arg : args) {
            if (arg.startsWith("--")) {
                int equals = arg.indexOf('=');
                if (equals < 0) {
                    throw new IllegalArgumentException("Options are --name=value: " + arg);
                }
                String name = arg.substring(2, equals);
                Map<String, String> target = name.startsWith("voucher.") ? voucherStreams
                        : name.startsWith("ledger.") || name.startsWith("spring.") ? ledgerAdapter : options;
                target.put(name, arg.substring(equals + 1));
            } else if (arg.equals("all")) {
                benchmarks.addAll(known);
            } else if (known.contains(arg)) {
                benchmarks.add(arg);
            } else {
                throw new IllegalArgumentException("Unknown benchmark " + arg + "; choose from " + known + " or all");
            }
        }
        return new CommandLine(benchmarks.isEmpty() ? known : List.copyOf(benchmarks), options, voucherStreams,
                ledgerAdapter);
    }

    int integer(String option, int byDefault) {
        return Integer.parseInt(options.getOrDefault(option, Integer.toString(byDefault)));
    }

    String text(String option, String byDefault) {
        return options.getOrDefault(option, byDefault);
    }

    /** The option's value split at {@code separator}, each item trimmed, blanks left out. */
    List<String> list(String option, String byDefault, String separator) {
        return Stream.of(text(option, byDefault).split(separator)).map(String::trim).filter(item -> !item.isEmpty()).toList();
    }
}
