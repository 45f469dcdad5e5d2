package io.qrvoucher.launcher;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression selects, found by a small tokenizer rather than a full parser:
 * strings, label matchers, ranges and the label lists of {@code by}, {@code without}, {@code on},
 * {@code ignoring}, {@code group_left} and {@code group_right} are dropped; then every identifier that is not a
 * keyword and not followed by {@code (} (a function or an aggregation) is a metric name. What it cannot read it
 * refuses: an unclosed string, unbalanced brackets, an expression without a metric.
 */
final class PromQlMetricNames {

    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "bool", "and", "or", "unless", "offset", "atan2", "inf", "nan");
    private static final Map<Character, Character> CLOSING = Map.of('(', ')', '{', '}', '[', ']');
    private static final Pattern LABEL_MATCHERS = Pattern.compile("\\{[^{}]*}");
    private static final Pattern RANGES = Pattern.compile("\\[[^\\[\\]]*]");
    private static final Pattern LABEL_LISTS =
            Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^()]*\\)");
    // A number or duration (0.99, 1e6, 5m) is one token, so that its letters are not taken for a name.
    private static final Pattern TOKENS = Pattern.compile("[0-9.][0-9A-Za-z_.]*|([A-Za-z_:][A-Za-z0-9_:]*)|\\S");

    private PromQlMetricNames() {
    }

    static Set<String> of(String expression) {
        String code = withoutStrings(expression);
        checkBrackets(code, expression);
        code = LABEL_MATCHERS.matcher(code).replaceAll(" ");
        code = RANGES.matcher(code).replaceAll(" ");
        code = LABEL_LISTS.matcher(code).replaceAll(" ");
        Set<String> names = new TreeSet<>();
        Matcher token = TOKENS.matcher(code);
        while (token.find()) {
            String identifier = token.group(1);
            if (identifier != null && !KEYWORDS.contains(identifier) && !calls(code, token.end())) {
                names.add(identifier);
            }
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("No metric in: " + expression);
        }
        return names;
    }

    private static boolean calls(String code, int after) {
        String rest = code.substring(after).stripLeading();
        return rest.startsWith("(");
    }

    /** The expression with each string ("…", '…', `…`) blanked out, so that label values are never taken for code. */
    private static String withoutStrings(String expression) {
        StringBuilder code = new StringBuilder();
        int i = 0;
        while (i < expression.length()) {
            char c = expression.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                int end = i + 1;
                while (end < expression.length() && expression.charAt(end) != c) {
                    end += c != '`' && expression.charAt(end) == '\\' ? 2 : 1;
                }
                if (end >= expression.length()) {
                    throw new IllegalArgumentException("Unclosed string in: " + expression);
                }
                code.append(' ');
                i = end + 1;
            } else {
                code.append(c);
                i++;
            }
        }
        return code.toString();
    }

    private static void checkBrackets(String code, String expression) {
        Deque<Character> open = new ArrayDeque<>();
        for (char c : code.toCharArray()) {
            if (CLOSING.containsKey(c)) {
                open.push(CLOSING.get(c));
            } else if (CLOSING.containsValue(c) && (open.isEmpty() || open.pop() != c)) {
                throw new IllegalArgumentException("Unbalanced '" + c + "' in: " + expression);
            }
        }
        if (!open.isEmpty()) {
            throw new IllegalArgumentException("Unclosed bracket in: " + expression);
        }
    }
}
