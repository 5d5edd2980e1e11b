import { describe, expect, it } from "vitest";
import { activityQuery, emptyFilters, sensitiveBadge, validateRange } from "./activity";
import { duration, relativeTime, statusTone } from "./format";
import { href, parseRoute } from "./router";

describe("router", () => {
  it("parses hashes and round-trips", () => {
    expect(parseRoute("")).toEqual({ page: "servers" });
    expect(parseRoute("#/nowhere")).toEqual({ page: "servers" });
    expect(parseRoute("#/servers/my%20srv/tools")).toEqual({ page: "server", name: "my srv", tab: "tools" });
    expect(parseRoute("#/servers/x/bogus")).toEqual({ page: "server", name: "x", tab: "config" });
    expect(parseRoute("#/tools?q=create%20issue")).toEqual({ page: "tools", query: "create issue" });
    expect(parseRoute("#/servers/hx/config?embed=1")).toEqual({ page: "server", name: "hx", tab: "config", embed: true });
    expect(parseRoute("#/servers/hx/config?embed=0")).toEqual({ page: "server", name: "hx", tab: "config" });
    expect(parseRoute("#/servers/hx/tools?embed=1")).toEqual({ page: "server", name: "hx", tab: "tools" });
    for (const r of [
      { page: "server", name: "a/b", tab: "logs" },
      { page: "server", name: "a b", tab: "config", embed: true },
      { page: "tools", query: "x y" },
      { page: "activity" },
    ] as const) {
      expect(parseRoute(href(r))).toEqual(r);
    }
  });
});

describe("activity query", () => {
  it("leaves out empty filters and converts times to UTC", () => {
    const f = { ...emptyFilters(), server: " gh ", status: "error", since: "2026-01-05T10:00" };
    const q = new URLSearchParams(activityQuery(f, 50, 100));
    expect(q.get("server")).toBe("gh");
    expect(q.get("status")).toBe("error");
    expect(q.get("since")).toBe(new Date("2026-01-05T10:00").toISOString());
    expect(q.has("tool")).toBe(false);
    expect(q.get("limit")).toBe("50");
    expect(q.get("offset")).toBe("100");
  });

  it("sends the sensitive-data filters under the API's names", () => {
    const q = new URLSearchParams(activityQuery({ ...emptyFilters(), sensitive: "true", detection_type: " aws_access_key " }, 50, 0));
    expect(q.get("sensitive_data")).toBe("true");
    expect(q.get("detection_type")).toBe("aws_access_key");
    const none = new URLSearchParams(activityQuery(emptyFilters(), 50, 0));
    expect(none.has("sensitive_data")).toBe(false);
    expect(none.has("detection_type")).toBe(false);
  });

  it("badges detections", () => {
    expect(sensitiveBadge([])).toBeNull();
    expect(sensitiveBadge(undefined)).toBeNull();
    expect(sensitiveBadge(["aws_access_key"])?.text).toBe("aws_access_key");
    const two = sensitiveBadge(["aws_access_key", "known_secret"]);
    expect(two?.text).toBe("aws_access_key +1");
    expect(two?.title).toContain("known_secret");
  });

  it("refuses a reversed range", () => {
    expect(validateRange({ ...emptyFilters(), since: "2026-01-06T00:00", until: "2026-01-05T00:00" })).toMatch(/swap/);
    expect(validateRange({ ...emptyFilters(), since: "2026-01-05T00:00" })).toBeNull();
  });
});

describe("format", () => {
  it("relative times and durations", () => {
    const now = 1_000_000_000;
    expect(relativeTime(now - 1000, now)).toBe("just now");
    expect(relativeTime(now - 30_000, now)).toBe("30 s ago");
    expect(relativeTime(now - 5 * 60_000, now)).toBe("5 min ago");
    expect(relativeTime(now - 3 * 3_600_000, now)).toBe("3 h ago");
    expect(duration(850)).toBe("850 ms");
    expect(duration(1234)).toBe("1.2 s");
    expect(duration(125_000)).toBe("2 min 5 s");
    expect(duration(null)).toBe("");
  });

  it("status tones", () => {
    expect(statusTone("ready")).toBe("ok");
    expect(statusTone("error")).toBe("bad");
    expect(statusTone("quarantined")).toBe("warn");
    expect(statusTone("disabled")).toBe("muted");
  });
});
