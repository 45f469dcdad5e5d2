package io.qrvoucher.launcher;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.yaml.snakeyaml.Yaml;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Prometheus alert rules and the Grafana dashboard of docs/monitoring, read as Prometheus and Grafana read
 * them, and the queries in them.
 */
final class MonitoringFiles {

    static final Path RULES = Path.of("..", "docs", "monitoring", "prometheus-alerts.yml");
    static final Path DASHBOARD = Path.of("..", "docs", "monitoring", "grafana-dashboard.json");

    /** Series that Prometheus makes itself for every target it scrapes. */
    private static final Set<String> PROMETHEUS_SERIES = Set.of("up");

    private MonitoringFiles() {
    }

    /** Every rule of the rule file, in order, each with the name of its group added as {@code group}. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> rules() {
        Map<String, Object> file;
        try (Reader in = Files.newBufferedReader(RULES)) {
            file = new Yaml().load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Map<String, Object>> rules = new ArrayList<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) file.get("groups")) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                Map<String, Object> withGroup = new LinkedHashMap<>(rule);
                withGroup.put("group", group.get("name"));
                rules.add(withGroup);
            }
        }
        return rules;
    }

    static JsonNode dashboard() {
        return JsonMapper.builder().build().readTree(DASHBOARD);
    }

    /** The panels of the dashboard, those inside collapsed rows too. */
    static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> panels = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            panels.add(panel);
            panel.path("panels").forEach(panels::add);
        }
        return panels;
    }

    /** Each query of the rules and of the dashboard's panels, by where it is. */
    static Map<String, String> queries() {
        Map<String, String> queries = new LinkedHashMap<>();
        rules().forEach(rule -> queries.put("alert " + rule.get("alert"), (String) rule.get("expr")));
        for (JsonNode panel : panels(dashboard())) {
            for (JsonNode target : panel.path("targets")) {
                queries.put("panel '" + panel.path("title").asString() + "' " + target.path("refId").asString(),
                        target.path("expr").asString());
            }
        }
        return queries;
    }

    /** The metrics each query names that are not among {@code exposed} (nor made by Prometheus), by query. */
    static Map<String, Set<String>> unknownMetrics(Map<String, String> queries, Set<String> exposed) {
        Map<String, Set<String>> unknown = new LinkedHashMap<>();
        queries.forEach((where, query) -> {
            Set<String> names = new TreeSet<>(PromQlMetricNames.of(query));
            names.removeAll(exposed);
            names.removeAll(PROMETHEUS_SERIES);
            if (!names.isEmpty()) {
                unknown.put(where, names);
            }
        });
        return unknown;
    }

    /**
     * The names of the series in a Prometheus text exposition: what queries select, so a counter's {@code _total}
     * and a histogram's {@code _bucket}, {@code _count} and {@code _sum} are there as such.
     */
    static Set<String> seriesNames(String exposition) {
        Set<String> names = new TreeSet<>();
        exposition.lines().filter(line -> !line.isBlank() && !line.startsWith("#"))
                .forEach(line -> names.add(line.split("[{ ]", 2)[0]));
        return names;
    }
}
