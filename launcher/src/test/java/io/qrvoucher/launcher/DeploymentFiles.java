package io.qrvoucher.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.yaml.snakeyaml.Yaml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What the deployment tests read beside the files they check: the Dockerfile's stages, the services' own
 * configuration files and the configuration properties the applications declare (Spring Boot's metadata in
 * their jars), and sizes as compose and Kubernetes write them.
 */
final class DeploymentFiles {

    static final Path ROOT = Path.of("..");
    static final Map<String, String> CONFIG_OF = Map.of(
            "ingress-api", "ingress-api/src/main/resources/ingress-api.yml",
            "ledger-adapter", "ledger-adapter/src/main/resources/ledger-adapter.yml",
            "voucher-streams", "voucher-streams/src/main/resources/voucher-streams.yml",
            "webhook-delivery", "webhook-delivery/src/main/resources/webhook-delivery.yml");
    static final long MIB = 1024L * 1024;
    /** What a JVM needs beside its heap: metaspace, code cache, thread stacks, direct buffers. */
    static final long BESIDE_THE_HEAP = 384 * MIB;
    /** What voucher-streams needs beside that: RocksDB's block caches and memtables are off the heap. */
    static final long ROCKSDB = 640 * MIB;

    private DeploymentFiles() {
    }

    /** One stage of the Dockerfile: its instructions, continuation lines joined. */
    record Stage(String name, List<String> instructions) {

        List<String> all(String instruction) {
            return instructions.stream().filter(line -> line.startsWith(instruction + " "))
                    .map(line -> line.substring(instruction.length() + 1).trim()).toList();
        }

        /** The heap's share of the container's memory, from the stage's JDK_JAVA_OPTIONS. */
        int maxRamPercentage() {
            String options = all("ENV").stream().filter(env -> env.startsWith("JDK_JAVA_OPTIONS=")).reduce((a, b) -> b)
                    .orElseThrow(() -> new AssertionError("stage " + name + " sets no JDK_JAVA_OPTIONS"));
            Matcher share = Pattern.compile("-XX:MaxRAMPercentage=(\\d+)").matcher(options);
            assertThat(share.find()).as(name + " sets -XX:MaxRAMPercentage").isTrue();
            return Integer.parseInt(share.group(1));
        }
    }

    static Map<String, Stage> dockerfileStages() {
        Map<String, Stage> stages = new LinkedHashMap<>();
        List<String> current = null;
        String joined = read(ROOT.resolve("Dockerfile")).replaceAll("\\\\\\n\\s*", " ");
        for (String line : joined.split("\n")) {
            String trimmed = line.trim();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            Matcher from = Pattern.compile("(?i)^FROM\\s+(\\S+)\\s+AS\\s+(\\S+)$").matcher(trimmed);
            if (from.matches()) {
                current = new ArrayList<>();
                current.add("FROM " + from.group(1));
                stages.put(from.group(2), new Stage(from.group(2), current));
            } else if (current != null) {
                current.add(trimmed);
            }
        }
        return stages;
    }

    /** Bytes of a size as compose ({@code 512m}, {@code 2g}) or Kubernetes ({@code 512Mi}, {@code 2Gi}) writes it. */
    static long bytes(Object size) {
        Matcher quantity = Pattern.compile("(\\d+)([kKmMgG])?(i)?[bB]?").matcher(String.valueOf(size).trim());
        assertThat(quantity.matches()).as("a size: " + size).isTrue();
        long number = Long.parseLong(quantity.group(1));
        String unit = quantity.group(2) == null ? "" : quantity.group(2).toLowerCase(Locale.ROOT);
        return switch (unit) {
            case "k" -> number * 1024;
            case "m" -> number * MIB;
            case "g" -> number * 1024 * MIB;
            default -> number;
        };
    }

    /** The heap a {@code -Xmx} option fixes. */
    static long xmx(String options) {
        Matcher xmx = Pattern.compile("-Xmx(\\S+)").matcher(options);
        assertThat(xmx.find()).as("-Xmx in " + options).isTrue();
        return bytes(xmx.group(1));
    }

    /**
     * Whether an application declares this configuration property (in the metadata of its jar or of Spring
     * Boot's), or a map property it belongs to ({@code ingress.request-signing.keys.k1}).
     */
    static boolean declaredProperty(String name) {
        Map<String, String> declared = declaredProperties();
        if (declared.containsKey(name)) {
            return true;
        }
        for (int dot = name.lastIndexOf('.'); dot > 0; dot = name.lastIndexOf('.', dot - 1)) {
            String type = declared.get(name.substring(0, dot));
            if (type != null && type.startsWith("java.util.Map")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The declared property an environment variable sets by Spring Boot's relaxed binding
     * ({@code INGRESS_SECURITY_DEMOTOKENSECRET} sets {@code ingress.security.demo-token-secret}), or null.
     */
    static String propertyOfVariable(String variable) {
        String relaxed = variable.toLowerCase(Locale.ROOT).replace('_', '.');
        return declaredProperties().keySet().stream()
                .filter(property -> property.replace("-", "").equals(relaxed)).findFirst().orElse(null);
    }

    private static Map<String, String> declared;

    /** Every property in every {@code META-INF/spring-configuration-metadata.json} on the class path, with its type. */
    static synchronized Map<String, String> declaredProperties() {
        if (declared == null) {
            Map<String, String> properties = new HashMap<>();
            try {
                for (URL url : Collections.list(DeploymentFiles.class.getClassLoader()
                        .getResources("META-INF/spring-configuration-metadata.json"))) {
                    try (InputStream in = url.openStream()) {
                        for (JsonNode property : new ObjectMapper().readTree(in).path("properties")) {
                            properties.put(property.path("name").asText(), property.path("type").asText(""));
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            declared = properties;
        }
        return declared;
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, Object> yaml(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return new Yaml().load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The value at a path of nested YAML maps, or null. */
    static Object at(Map<String, Object> yaml, String... path) {
        Object value = yaml;
        for (String key : path) {
            value = value instanceof Map<?, ?> map ? map.get(key) : null;
        }
        return value;
    }

    @SuppressWarnings("unchecked")
    static <V> Map<String, V> map(Object value) {
        return value == null ? Map.of() : (Map<String, V>) value;
    }

    @SuppressWarnings("unchecked")
    static List<String> list(Object value) {
        return value == null ? new ArrayList<>() : new ArrayList<>(((List<Object>) value).stream().map(String::valueOf).toList());
    }
}
