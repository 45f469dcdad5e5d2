package io.qrvoucher.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

/**
 * The alert rules and the dashboard read as Prometheus and Grafana read them, and what their queries name. That
 * every named metric is exposed by the services is checked against the running pipeline (EmbeddedPipelineTest).
 */
class MonitoringFilesTest {

    @Test
    @SuppressWarnings("unchecked")
    void everyAlertRuleHasANameAQueryASeverityAndASummary() {
        List<Map<String, Object>> rules = MonitoringFiles.rules();

        assertThat(rules).isNotEmpty().allSatisfy(rule -> {
            assertThat(rule.get("group")).as("group name").isInstanceOf(String.class);
            assertThat(rule.get("alert")).as("alert name").isInstanceOf(String.class);
            assertThat(rule.get("expr")).as("%s: expr", rule.get("alert")).isInstanceOf(String.class);
            assertThat(PromQlMetricNames.of((String) rule.get("expr"))).isNotEmpty();
            if (rule.containsKey("for")) {
                assertThat((String) rule.get("for")).as("%s: for", rule.get("alert")).matches("([0-9]+(ms|s|m|h|d|w|y))+");
            }
            assertThat((Map<String, Object>) rule.get("labels")).as("%s: labels", rule.get("alert"))
                    .containsKey("severity");
            assertThat((Map<String, Object>) rule.get("annotations")).as("%s: annotations", rule.get("alert"))
                    .containsKey("summary");
        });
        assertThat(rules).extracting(rule -> rule.get("alert")).doesNotHaveDuplicates();
    }

    @Test
    void theDashboardParsesAndEveryPanelQueriesPrometheus() {
        JsonNode dashboard = MonitoringFiles.dashboard();

        assertThat(dashboard.path("title").asString()).isNotBlank();
        List<JsonNode> panels = MonitoringFiles.panels(dashboard).stream()
                .filter(panel -> !panel.path("type").asString().equals("row")).toList();
        assertThat(panels).isNotEmpty().allSatisfy(panel -> {
            assertThat(panel.path("datasource").path("uid").asString()).as(panel.path("title").asString())
                    .isEqualTo("${datasource}");
            assertThat(panel.path("targets")).as(panel.path("title").asString()).isNotEmpty()
                    .allSatisfy(target -> assertThat(PromQlMetricNames.of(target.path("expr").asString())).isNotEmpty());
        });
        assertThat(MonitoringFiles.panels(dashboard)).extracting(panel -> panel.path("id").asInt()).doesNotHaveDuplicates();
    }

    @Test
    void aQueryNamesItsMetricsButNotItsFunctionsLabelsOrDurations() {
        assertThat(PromQlMetricNames.of("histogram_quantile(0.99, sum by (le, uri) "
                + "(rate(http_server_requests_seconds_bucket{job=\"ingress-api\", uri!~\"/actuator.*\"}[$__rate_interval])))"))
                .containsExactly("http_server_requests_seconds_bucket");
        assertThat(PromQlMetricNames.of("sum(rate(a_total{status=~\"5..\"}[5m])) / sum(rate(b_total[5m] offset 1h)) by (job) > 0.05"))
                .containsExactly("a_total", "b_total");
        assertThat(PromQlMetricNames.of("time() - max(last_success_seconds) > 300 and on (instance) up == 1"))
                .containsExactly("last_success_seconds", "up");
    }

    @Test
    void aQueryThatIsNotWellFormedIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> PromQlMetricNames.of("sum(rate(a_total[5m])"));
        assertThatIllegalArgumentException().isThrownBy(() -> PromQlMetricNames.of("a_total{job=\"x}"));
        assertThatIllegalArgumentException().isThrownBy(() -> PromQlMetricNames.of("a_total{job=\"x\"]"));
        assertThatIllegalArgumentException().isThrownBy(() -> PromQlMetricNames.of("time() > 3"));
    }

    @Test
    void aMetricTheServicesDoNotExposeIsReportedWithTheQueryThatNamesIt() {
        Set<String> exposed = MonitoringFiles.seriesNames("""
                # HELP vouchers_stalled Vouchers waiting on the ledger
                # TYPE vouchers_stalled gauge
                vouchers_stalled 0.0
                http_server_requests_seconds_count{status="200"} 3
                """);

        assertThat(MonitoringFiles.unknownMetrics(Map.of(
                "alert VouchersStalled", "sum(vouchers_stalled_typo) > 0",
                "alert ServiceDown", "up == 0",
                "panel 'API' A", "rate(http_server_requests_seconds_count[5m])",
                "panel 'API' B", "rate(http_server_requests_seconds[5m])"), exposed))
                .containsOnly(Map.entry("alert VouchersStalled", Set.of("vouchers_stalled_typo")),
                        Map.entry("panel 'API' B", Set.of("http_server_requests_seconds")));
    }
}
