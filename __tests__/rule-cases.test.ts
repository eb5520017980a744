/**
 * Every rule file of the stack with every component enabled, checked by the real promtool (Prometheus 3.5): `check config` on the generated
 * prometheus.yml, `check rules` on each rule file, and `test rules` on every promtool case a component registered next
 * to its rules (`rules.cases.ts`, passed to `stack.addAlertRules(name, rules, { tests })`), each case on the rules of
 * its file that decide its alerts (`rulesUnderTest`: the rules they read, transitively, as rendered), and per file the
 * shortest case of each kind of input on the whole file too, so that every rule still evaluates without error.
 *
 * Nothing here names a component or an alert: the rule files, the alerts and the cases are read from the synthesized
 * stack, and the cases are rendered from the same context the rules are (scrape interval, jobs, runbook base URL), so
 * a threshold or the scrape interval changes both sides. Every alert must have a case where it fires and one where it
 * must not (an alert that always fires, `vector(1)`, only the first).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse, stringify } from "yaml";
import { isAlertingRule } from "../constructs/core/rules";
import type { AlertRuleContext, RulesDocument, RuleTestCase, RuleTestGroup } from "../constructs/core/rules";
import { ruleTestDocument, rulesUnderTest } from "../constructs/core/rule-tests";
import { toGeneratedYaml } from "../constructs/prometheus/config";
import { describeWithBinaries, promtoolTestEnv, runBinary, type RunResult } from "./support/prometheus-binaries";
import { ALL_COMPONENTS_ENV, synthMonitoringStack } from "./support/stack";

// Every component enabled: each one's rule files and promtool cases.
const { stack } = synthMonitoringStack({}, ALL_COMPONENTS_ENV);
const CONFIG_FILES = stack.prometheus.configFiles();
const PROMETHEUS_YML = "prometheus.yml";

/** The context the stack renders its rule files with, from the stack's final set of services. */
const CONTEXT: AlertRuleContext = {
  scrapeIntervalSeconds: stack.scrapeIntervalSeconds,
  jobs: stack.jobs,
  deployedJobs: stack.deployedJobs,
  ...(stack.runbookBaseUrl !== undefined ? { runbookBaseUrl: stack.runbookBaseUrl } : {}),
};

/** Where prometheus.yml lists a rule file, relative to its own directory. */
function ruleFilePath(name: string): string {
  return `rules/${name}.yml`;
}

/** Every rule file as rendered, with its cases rendered from the same context. */
const RULE_FILES = stack.ruleFiles.map((file) => ({
  name: file.name,
  path: ruleFilePath(file.name),
  document: file.render(),
  cases: file.tests?.(CONTEXT) ?? [],
}));
/** Every case, with the rules it runs on (rulesUnderTest: its file's document itself when it needs all of it). */
const CASES = RULE_FILES.flatMap((file) =>
  file.cases.map((ruleCase) => ({ file, ruleCase, rules: rulesUnderTest(file.document, alertsOf(ruleCase.group)) })),
);

/** An alert that fires whatever the data: its cases can only show it firing. */
function alwaysFires(expr: string): boolean {
  return expr.trim() === "vector(1)";
}

const ALERTS = RULE_FILES.flatMap((file) =>
  file.document.groups.flatMap((group) =>
    group.rules
      .filter(isAlertingRule)
      .map((rule) => ({ file: file.name, alert: rule.alert, alwaysFires: alwaysFires(rule.expr) })),
  ),
);

// A bound against a hung promtool, not a speed check: an SLO case took 3-6 s alone on a 2-core machine on its whole
// rule file (1-2 s on the rules it reads), and one timed out at 20 s while the other workers and a lint run shared the
// CPU.
const PROMTOOL_TIMEOUT_MS = 60_000;
/** jest's limit for each promtool test: above promtool's, so a hang is reported as promtool's, with its output. */
const TEST_TIMEOUT_MS = PROMTOOL_TIMEOUT_MS + 15_000;

/** Every alert a test group asserts on. */
function alertsOf(group: RuleTestGroup): string[] {
  return [...new Set(group.alert_rule_test.map((test) => test.alertname))];
}

/** Seconds in a duration as formatDuration writes it (`1h10m`, `90s`). */
function durationSeconds(text: string): number {
  const units: Readonly<Record<string, number>> = { d: 86400, h: 3600, m: 60, s: 1 };
  let total = 0;
  for (const [, count, unit] of text.matchAll(/(\d+)([dhms])/g)) total += Number(count) * units[unit];
  return total;
}

/**
 * The cases that also run on their whole rule file: per file, the shortest case of each kind of input (the metric
 * names of its input series) among those rulesUnderTest reduces. promtool fails a run when any rule's evaluation fails,
 * so every rule of a file, those no alert reads included (an SLO's meta series), still evaluates on every kind of input
 * its cases have, as when every case ran on its whole file.
 */
const WHOLE_FILE_CASES = RULE_FILES.flatMap((file) => {
  const lasting = (ruleCase: RuleTestCase): number =>
    Math.max(...ruleCase.group.alert_rule_test.map((test) => durationSeconds(test.eval_time)));
  const shortest = new Map<string, RuleTestCase>();
  for (const { ruleCase } of CASES.filter((c) => c.file === file && c.rules !== file.document)) {
    const names = ruleCase.group.input_series.map((input) => input.series.replace(/\{[\s\S]*$/, ""));
    const kind = [...new Set(names)].sort().join(" ");
    const known = shortest.get(kind);
    if (known === undefined || lasting(ruleCase) < lasting(known)) shortest.set(kind, ruleCase);
  }
  return [...shortest.values()].map((ruleCase) => ({ file, ruleCase }));
});

/** The unit-test file of one case: the rule file it runs on, evaluated at the stack's interval. */
function ruleTestFile(file: string, group: RuleTestGroup): string {
  return stringify(ruleTestDocument([file], [group], stack.scrapeIntervalSeconds), { lineWidth: 0 });
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

/** The parts of a promtool run a failed assertion should show. */
function outcome(result: RunResult): { exitCode: number | null; timedOut: boolean; output: string } {
  return { exitCode: result.exitCode, timedOut: result.timedOut, output: `${result.stdout}${result.stderr}` };
}

/** A copy of a rule file with its first expression broken, the way a typo in a renderer would break it. */
function withBrokenExpr(document: RulesDocument): RulesDocument {
  return {
    groups: document.groups.map((group, g) => ({
      ...group,
      rules: group.rules.map((rule, r) => (g === 0 && r === 0 ? { ...rule, expr: `${rule.expr})` } : rule)),
    })),
  };
}

describe("the default stack's rule files and their promtool cases", () => {
  it("lists every rule file in prometheus.yml, as rules/<name>.yml", () => {
    const listed = (
      parse(CONFIG_FILES.find((file) => file.path === PROMETHEUS_YML)?.content ?? "") as {
        rule_files?: string[];
      }
    ).rule_files;

    expect(listed).toEqual(RULE_FILES.map((file) => file.path));
    expect(CONFIG_FILES.map((file) => file.path)).toEqual([PROMETHEUS_YML, ...RULE_FILES.map((file) => file.path)]);
  });

  it("writes each rule file exactly as its source renders it", () => {
    for (const file of RULE_FILES) {
      expect({ file: file.path, content: CONFIG_FILES.find((written) => written.path === file.path)?.content }).toEqual(
        { file: file.path, content: toGeneratedYaml(file.document) },
      );
    }
  });

  it("has a firing case and a non-firing case for every alert of every rule file (an always-firing alert: a firing one)", () => {
    const covered = (fires: boolean) => new Set(CASES.filter((c) => c.ruleCase.fires === fires).map((c) => key(c)));
    const key = (c: { file: { name: string }; ruleCase: RuleTestCase }) => `${c.file.name}: ${c.ruleCase.alert}`;
    const alertKeys = ALERTS.map((a) => `${a.file}: ${a.alert}`);

    expect(alertKeys.filter((name) => !covered(true).has(name))).toEqual([]);
    expect(
      ALERTS.filter((a) => !a.alwaysFires)
        .map((a) => `${a.file}: ${a.alert}`)
        .filter((name) => !covered(false).has(name)),
    ).toEqual([]);
    // Every case is about an alert of its own rule file, so the coverage above cannot be met by a stray case.
    expect(CASES.map((c) => key(c)).filter((name) => !alertKeys.includes(name))).toEqual([]);
    expect(ALERTS.filter((a) => a.alwaysFires).length).toBeLessThan(ALERTS.length);
  });

  it("has cases whose expectations match what they claim: a firing case expects an alert, a quiet one none", () => {
    const mismatched = CASES.filter(({ ruleCase }) => {
      const ownEvaluations = ruleCase.group.alert_rule_test.filter((test) => test.alertname === ruleCase.alert);
      const expectsAlert = ownEvaluations.some((test) => test.exp_alerts.length > 0);
      return ownEvaluations.length === 0 || expectsAlert !== ruleCase.fires;
    }).map(({ ruleCase }) => ruleCase.title);

    expect(mismatched).toEqual([]);
  });

  it("gives every case its own title", () => {
    const titles = CASES.map((c) => c.ruleCase.title);

    expect(titles.filter((title, index) => titles.indexOf(title) !== index)).toEqual([]);
  });
});

describeWithBinaries("promtool on the default stack's prometheus.yml and rule files", ["promtool"], (bins) => {
  jest.setTimeout(TEST_TIMEOUT_MS);
  let dir = "";

  function write(relativePath: string, content: string): void {
    const path = join(dir, relativePath);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }

  function promtool(args: readonly string[]): Promise<RunResult> {
    const env = args[0] === "test" ? promtoolTestEnv() : process.env;
    return runBinary(bins.promtool, args, { cwd: dir, timeoutMs: PROMTOOL_TIMEOUT_MS, env });
  }

  /**
   * Runs one case on `rules`: its file's document (the rule file as written) or the part of it rulesUnderTest keeps,
   * written to a file of its own: an SLO case evaluates 10 of 34 rules at every 15 s step.
   */
  function runCase(
    file: (typeof RULE_FILES)[number],
    rules: RulesDocument,
    group: RuleTestGroup,
    fileName = `${slug(group.name)}.test.yml`,
  ): Promise<RunResult> {
    let path = file.path;
    if (rules !== file.document) {
      path = join("cases", fileName.replace(/\.test\.yml$/, ".rules.yml"));
      write(path, toGeneratedYaml(rules));
    }
    write(fileName, ruleTestFile(path, group));
    return promtool(["test", "rules", fileName]);
  }

  // broken/prometheus.yml and its rule files, the first of which has a broken expression.
  function writeBrokenCopy(): string {
    const [first] = RULE_FILES;
    for (const file of CONFIG_FILES) write(join("broken", file.path), file.content);
    write(join("broken", first.path), toGeneratedYaml(withBrokenExpr(first.document)));
    return join("broken", first.path);
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "rule-cases-"));
    for (const file of CONFIG_FILES) write(file.path, file.content);
  });

  afterAll(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("check config accepts the generated prometheus.yml with every lint, and finds every rule file and rule", async () => {
    const result = await promtool(["check", "config", "--lint=all", "--lint-fatal", PROMETHEUS_YML]);

    expect(outcome(result)).toEqual({
      exitCode: 0,
      timedOut: false,
      output: expect.stringContaining(`SUCCESS: ${RULE_FILES.length} rule files found`),
    });
    for (const file of RULE_FILES) {
      const rules = file.document.groups.flatMap((group) => group.rules).length;
      expect(result.stdout).toContain(`Checking ${file.path}\n  SUCCESS: ${rules} rules found`);
    }
  });

  it.each(RULE_FILES.map((file) => [file.path, file] as const))(
    "check rules accepts %s with every lint enabled",
    async (path, file) => {
      const rules = file.document.groups.flatMap((group) => group.rules).length;

      const result = await promtool(["check", "rules", "--lint=all", "--lint-fatal", path]);

      expect(outcome(result)).toEqual({
        exitCode: 0,
        timedOut: false,
        output: expect.stringContaining(`SUCCESS: ${rules} rules found`),
      });
    },
  );

  it("check rules fails on a rule file with a broken expression", async () => {
    const broken = writeBrokenCopy();

    const result = await promtool(["check", "rules", broken]);

    expect(outcome(result)).toEqual({
      exitCode: 1,
      timedOut: false,
      output: expect.stringMatching(/FAILED[\s\S]*parse error/),
    });
  });

  it("check config fails when prometheus.yml lists a broken rule file", async () => {
    writeBrokenCopy();

    const result = await promtool(["check", "config", join("broken", PROMETHEUS_YML)]);

    expect(outcome(result)).toEqual({
      exitCode: 1,
      timedOut: false,
      output: expect.stringMatching(/FAILED[\s\S]*parse error/),
    });
  });

  describe("test rules", () => {
    for (const { file, ruleCase, rules } of CASES) {
      it(ruleCase.title, async () => {
        const result = await runCase(file, rules, ruleCase.group);

        expect(outcome(result)).toEqual({ exitCode: 0, timedOut: false, output: expect.stringContaining("SUCCESS") });
      });
    }

    for (const { file, ruleCase } of WHOLE_FILE_CASES) {
      it(`${ruleCase.title}, on every rule of ${file.path}`, async () => {
        const result = await runCase(
          file,
          file.document,
          ruleCase.group,
          `${slug(ruleCase.group.name)}.whole.test.yml`,
        );

        expect(outcome(result)).toEqual({ exitCode: 0, timedOut: false, output: expect.stringContaining("SUCCESS") });
      });
    }

    it("fails when a firing case expects no alert, so these cases can fail", async () => {
      // given the first firing case, expecting no alert at any of its evaluations
      const firing = CASES.find((c) => c.ruleCase.fires);
      if (firing === undefined) throw new Error("no firing case");
      const wrong: RuleTestGroup = {
        ...firing.ruleCase.group,
        name: "wrong expectation",
        alert_rule_test: firing.ruleCase.group.alert_rule_test.map((test) => ({ ...test, exp_alerts: [] })),
      };

      const result = await runCase(firing.file, firing.rules, wrong);

      expect(outcome(result)).toEqual({
        exitCode: 1,
        timedOut: false,
        output: expect.stringMatching(new RegExp(`FAILED[\\s\\S]*alertname: ${firing.ruleCase.alert}`)),
      });
    });
  });
});
