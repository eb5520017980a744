import {
  excludeValues,
  histogramQuantile,
  labelValues,
  matcher,
  rate,
  ratioOrZero,
  selector,
  sumBy,
  variableRef,
} from "../dashboards/house-style";
import {
  analyzePromql,
  grafanaTimeVariables,
  matcherAccepts,
  metricNamesInExpr,
  promqlString,
  regexAlternation,
  substituteVariables,
  unquotePromqlString,
} from "../dashboards/promql";
import { histogramSeries, PROCESS_SERIES, SCRAPE_SERIES, seriesNames } from "../dashboards/metrics";
import { GRAFANA_SELF_METRICS } from "../constructs/grafana/catalog";
import { PROMETHEUS_SELF_METRICS } from "../constructs/prometheus/catalog";

describe("query helpers (house style)", () => {
  it("writes selectors with quoted, escaped values", () => {
    expect(selector("up", [])).toBe("up");
    expect(selector("up", [matcher("job", "=", "api"), matcher("instance", "=~", variableRef("instance"))])).toBe(
      'up{job="api", instance=~"$instance"}',
    );
    expect(selector("x", [matcher("path", "=", 'a"b\\c')])).toBe('x{path="a\\"b\\\\c"}');
  });

  it("excludes values with an escaped regex alternation", () => {
    expect(excludeValues("endpoint", ["/metrics", "/health"])).toEqual({
      label: "endpoint",
      op: "!~",
      value: "/metrics|/health",
    });
    expect(regexAlternation(["/a.b", "/c+(d)"])).toBe("/a\\.b|/c\\+\\(d\\)");
  });

  it("rates over $__rate_interval and sums with or without grouping", () => {
    expect(rate('x{job="api"}')).toBe('rate(x{job="api"}[$__rate_interval])');
    expect(sumBy([], "y")).toBe("sum(y)");
    expect(sumBy(["endpoint", "status"], "y")).toBe("sum by (endpoint, status) (y)");
  });

  it("computes histogram quantiles per group, always keeping le", () => {
    expect(histogramQuantile(0.95, [], "h_bucket")).toBe(
      "histogram_quantile(0.95, sum by (le) (rate(h_bucket[$__rate_interval])))",
    );
    expect(histogramQuantile(0.5, ["endpoint"], "h_bucket")).toBe(
      "histogram_quantile(0.5, sum by (le, endpoint) (rate(h_bucket[$__rate_interval])))",
    );
  });

  it("guards a ratio: 0 when the numerator is empty, empty when the denominator is empty or 0", () => {
    expect(ratioOrZero("sum(a)", "sum(b)")).toBe("(sum(a) or vector(0)) / (sum(b) > 0)");
  });

  it("writes label_values variable queries", () => {
    expect(labelValues('up{job="api"}', "instance")).toBe('label_values(up{job="api"}, instance)');
  });

  it("names histogram and summary series like a Prometheus scrape", () => {
    expect(histogramSeries("h")).toEqual({ bucket: "h_bucket", count: "h_count", sum: "h_sum" });
    expect(seriesNames({ name: "h", type: "histogram" })).toEqual(["h_bucket", "h_count", "h_sum"]);
    expect(seriesNames({ name: "s", type: "summary" })).toEqual(["s", "s_count", "s_sum"]);
    expect(seriesNames({ name: "c_total", type: "counter" })).toEqual(["c_total"]);
  });
});

describe("declared self-metrics", () => {
  it("lists Prometheus', Grafana's, the scrape and the process series names exactly", () => {
    expect(PROMETHEUS_SELF_METRICS).toEqual([
      "prometheus_config_last_reload_successful",
      "prometheus_rule_evaluation_failures_total",
      "prometheus_tsdb_head_samples_appended_total",
      "prometheus_tsdb_head_series",
    ]);
    expect(GRAFANA_SELF_METRICS).toEqual([
      "grafana_datasource_request_total",
      "grafana_http_request_duration_seconds_bucket",
      "grafana_http_request_duration_seconds_count",
      "grafana_http_request_duration_seconds_sum",
      "grafana_http_request_in_flight",
    ]);
    expect(SCRAPE_SERIES).toEqual([
      "scrape_duration_seconds",
      "scrape_samples_post_metric_relabeling",
      "scrape_samples_scraped",
      "scrape_series_added",
      "up",
    ]);
    expect(PROCESS_SERIES).toEqual([
      "process_cpu_seconds_total",
      "process_open_fds",
      "process_resident_memory_bytes",
      "process_start_time_seconds",
    ]);
  });
});

describe("analyzePromql (the real PromQL grammar)", () => {
  it("finds metric names, matchers and rate windows, with Grafana variables in ranges and label values", () => {
    const expr =
      'sum by (status_class) (label_replace(rate(http_requests_total{job="api", endpoint=~"$endpoint"}' +
      '[$__rate_interval]), "status_class", "${1}xx", "status", "(.).."))';
    expect(analyzePromql(expr)).toEqual({
      errors: [],
      metricNames: ["http_requests_total"],
      selectors: [
        {
          metric: "http_requests_total",
          matchers: [
            { label: "job", op: "=", value: "api" },
            { label: "endpoint", op: "=~", value: "$endpoint" },
          ],
        },
      ],
      rangeCalls: [{ fn: "rate", window: "$__rate_interval" }],
    });
  });

  it("reads every variable form: ${name}, [[name]], ${name:format}, interval numbers, offsets, subqueries", () => {
    const expr =
      'increase(a{x=~"${job:regex}", y="[[inst]]"}[${__range}]) / $__range_s + ' +
      "max_over_time(b[$__rate_interval:$__interval]) + c offset $__interval";
    const analysis = analyzePromql(expr);
    expect(analysis.errors).toEqual([]);
    expect(analysis.metricNames).toEqual(["a", "b", "c"]);
    expect(analysis.rangeCalls).toEqual([{ fn: "increase", window: "${__range}" }]);
  });

  it("takes metric names from __name__ matchers and quoted names, and reports what it cannot check", () => {
    expect(analyzePromql('{__name__="up", job="x"}').metricNames).toEqual(["up"]);
    expect(analyzePromql('{"my.metric", a="b"}').metricNames).toEqual(["my.metric"]);
    expect(analyzePromql('{__name__=~"http_.*"}').errors).toEqual([
      'selector matches __name__ with =~ "http_.*"; its metrics cannot be checked',
    ]);
    expect(analyzePromql('{job="api"}').errors).toEqual(['selector {job="api"} has no metric name']);
  });

  it("reports a rate over no plain range (a subquery) with an undefined window", () => {
    expect(analyzePromql("rate(x[5m:1m])").rangeCalls).toEqual([{ fn: "rate", window: undefined }]);
  });

  it("reports syntax errors with their position, an empty query, and variables standing for metric names", () => {
    expect(analyzePromql("sum(rate(x[5m])").errors).toEqual(["PromQL syntax error at character 16"]);
    expect(analyzePromql("  ").errors).toEqual(["the query is empty"]);
    expect(analyzePromql('$metric{a="b"}').errors[0]).toBe(
      "variable $metric is used outside a label value at character 1; " +
        "only Grafana's interval variables may stand for a duration or number",
    );
  });

  it("ignores variables and quotes inside comments and strings", () => {
    expect(analyzePromql('up{a="#$x\\"[["} # $y "').errors).toEqual([]);
  });
});

describe("metricNamesInExpr", () => {
  it("returns the sorted unique metric names", () => {
    expect(metricNamesInExpr("b + a + rate(b[$__rate_interval])")).toEqual(["a", "b"]);
  });

  it("fails on invalid PromQL, quoting the query", () => {
    expect(() => metricNamesInExpr("rate(x[5m]")).toThrow('PromQL syntax error at character 11 in query "rate(x[5m]"');
  });
});

describe("substituteVariables and grafanaTimeVariables", () => {
  it("substitutes every variable form everywhere and leaves unknown ones as Grafana does", () => {
    expect(
      substituteVariables('rate(x{job=~"$job", i="${inst:regex}", k="[[k]]"}[$__rate_interval]) "${1}xx" $unknown', {
        job: ".*",
        inst: "a",
        k: "b",
        __rate_interval: "60s",
      }),
    ).toBe('rate(x{job=~".*", i="a", k="b"}[60s]) "${1}xx" $unknown');
  });

  it("computes $__rate_interval as max($__interval + scrape interval, 4 * scrape interval)", () => {
    expect(grafanaTimeVariables({ scrapeIntervalSeconds: 15, rangeSeconds: 3600 })).toEqual({
      __interval: "15s",
      __interval_ms: "15000",
      __rate_interval: "60s",
      __rate_interval_ms: "60000",
      __range: "3600s",
      __range_s: "3600",
      __range_ms: "3600000",
    });
    expect(
      grafanaTimeVariables({ scrapeIntervalSeconds: 15, rangeSeconds: 3600, intervalSeconds: 60 }).__rate_interval,
    ).toBe("75s");
  });
});

describe("PromQL strings and matchers", () => {
  it("quotes and unquotes PromQL strings", () => {
    expect(promqlString('a"b')).toBe('"a\\"b"');
    expect(unquotePromqlString('"a\\"b\\\\.c\\u0041"')).toBe('a"b\\.cA');
    expect(unquotePromqlString("'x'")).toBe("x");
    expect(unquotePromqlString("`raw\\n`")).toBe("raw\\n");
  });

  it("evaluates matchers like Prometheus (anchored regexes); variables accept everything", () => {
    expect(matcherAccepts({ label: "e", op: "!~", value: "/metrics|/health" }, "/health")).toBe(false);
    expect(matcherAccepts({ label: "e", op: "!~", value: "/metrics|/health" }, "/healthz")).toBe(true);
    expect(matcherAccepts({ label: "e", op: "=~", value: "/api.*" }, "/api/items")).toBe(true);
    expect(matcherAccepts({ label: "e", op: "!=", value: "/metrics" }, "/metrics")).toBe(false);
    expect(matcherAccepts({ label: "e", op: "=", value: "/metrics" }, "/metrics")).toBe(true);
    expect(matcherAccepts({ label: "e", op: "!~", value: "$endpoint" }, "/metrics")).toBe(true);
  });
});
