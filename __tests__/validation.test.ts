import {
  ConfigError,
  checkBindAddress,
  checkDockerName,
  checkImage,
  checkIntegerInRange,
  formatDuration,
  show,
  throwIfProblems,
} from "../constructs/core/validation";

describe("checkImage", () => {
  it.each([
    "prom/prometheus:v3.5.3",
    "grafana/grafana:12.2.1",
    "node:22.20.0-alpine3.22",
    "registry.local:5000/team/api:1.0",
  ])("accepts %s", (image) => expect(checkImage("image", image)).toEqual([]));

  it("accepts a tag pinned with a digest", () => {
    expect(checkImage("image", `grafana/grafana:12.2.1@sha256:${"a".repeat(64)}`)).toEqual([]);
  });

  it("fails when the image is empty", () => {
    expect(checkImage("grafana.image", "")).toEqual([
      {
        path: "grafana.image",
        message: 'grafana.image must name an image with a pinned tag such as "prom/prometheus:v3.5.3" (got "")',
      },
    ]);
  });

  it("fails when the tag is latest", () => {
    expect(checkImage("image", "registry.local:5000/grafana:latest").map((p) => p.message)).toEqual([
      'image must be pinned to a version tag, not "latest", so every deploy runs the same image (got "registry.local:5000/grafana:latest")',
    ]);
  });

  it("fails when there is no tag (which Docker reads as latest)", () => {
    expect(checkImage("image", "registry.local:5000/grafana").map((p) => p.message)).toEqual([
      'image must be an image reference with an explicit version tag such as "grafana/grafana:12.2.1" (got "registry.local:5000/grafana")',
    ]);
  });
});

describe("other checks", () => {
  it("shows a value with every user:password@'s password and secret query parameter as ***, never an image digest", () => {
    expect(show("http://agent:S3CR3T@lb:9090/api/v1/write")).toBe('"http://agent:***@lb:9090/api/v1/write"');
    expect(show("scraper:S3CR3T@10.0.0.5:9100")).toBe('"scraper:***@10.0.0.5:9100"');
    expect(show(["redis://:S3CR3T@redis:6379"])).toBe('["redis://:***@redis:6379"]');
    expect(show("ssh://ops@10.0.0.6:2222")).toBe('"ssh://ops@10.0.0.6:2222"');
    expect(show("https://x.example/a?page=2&api_key=S3CR3T#access_token=T")).toBe(
      '"https://x.example/a?page=2&api_key=***#access_token=***"',
    );
    expect(show("prom/prometheus:v3.5.0@sha256:0123abcd")).toBe('"prom/prometheus:v3.5.0@sha256:0123abcd"');
  });

  it("fails when an integer is fractional", () => {
    expect(checkIntegerInRange("x", 1.5, 1, 10).map((p) => p.message)).toEqual([
      "x must be an integer between 1 and 10 (got 1.5)",
    ]);
  });

  it("fails when a bind address has an octet over 255", () => {
    expect(checkBindAddress("b", "127.0.0.256")).toHaveLength(1);
    expect(checkBindAddress("b", "0.0.0.0")).toEqual([]);
  });

  it("fails when a Docker name starts with a dash", () => {
    expect(checkDockerName("n", "-x")).toHaveLength(1);
    expect(checkDockerName("n", "monitoring_2.a-b")).toEqual([]);
  });

  it("formats durations in the largest exact unit", () => {
    expect([1, 15, 60, 90, 120, 3600, 5400].map(formatDuration)).toEqual(["1s", "15s", "1m", "90s", "2m", "1h", "90m"]);
  });

  it("throws one error listing every problem", () => {
    const problems = [
      { path: "a", message: "a is wrong" },
      { path: "b", message: "b is wrong" },
    ];
    expect(() => throwIfProblems("Thing", problems)).toThrow(
      "Thing: 2 invalid settings:\n  - a is wrong\n  - b is wrong",
    );
    let caught: unknown;
    try {
      throwIfProblems("Thing", problems);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toEqual(problems);
    expect(() => throwIfProblems("Thing", [])).not.toThrow();
  });
});
