/**
 * A jest reporter that makes a skipped Docker deploy suite impossible to miss: jest hides the console output of a suite
 * whose tests all skip, so the suite's own message never reaches the terminal. When `docker-deploy.test.ts` ran and
 * every one of its tests was skipped, this prints a banner at the end of the run, to stderr.
 * (Minimal on purpose: one shared banner reporter for every skippable suite is planned; this one knows only the Docker
 * suite.)
 */
class DockerSkipBannerReporter {
  constructor() {
    /** @type {string[]} */
    this.skippedTitles = [];
    this.seen = false;
  }

  /**
   * @param {{ path: string }} test
   * @param {{ numPendingTests: number, numPassingTests: number, numFailingTests: number, testResults: { title: string, status: string }[] }} result
   */
  onTestResult(test, result) {
    if (!test.path.endsWith("docker-deploy.test.ts")) return;
    this.seen = true;
    if (result.numPassingTests === 0 && result.numFailingTests === 0 && result.numPendingTests > 0) {
      this.skippedTitles = result.testResults.map((item) => item.title);
    }
  }

  onRunComplete() {
    if (!this.seen || this.skippedTitles.length === 0) return;
    const line = "=".repeat(100);
    process.stderr.write(
      [
        "",
        line,
        "DOCKER DEPLOY SUITE SKIPPED: the containers as synthesized were NOT proven in this run.",
        ...this.skippedTitles.map((title) => `  ${title}`),
        "Start a Docker engine (apt-get install docker.io; dockerd &) or run CI=true bash .ci/run, which starts one and",
        "makes the suite mandatory.",
        line,
        "",
      ].join("\n"),
    );
  }
}

module.exports = DockerSkipBannerReporter;
