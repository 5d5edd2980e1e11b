import { describe, expect, it } from "vitest";
import { type LiveState, retryDelay, type SourceLike, subscribe } from "./events";

class FakeSource implements SourceLike {
  listeners = new Map<string, (e: MessageEvent) => void>();
  onopen: ((e: Event) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  readyState = 0;
  closed = false;
  constructor(readonly url: string) {}
  addEventListener(type: string, l: (e: MessageEvent) => void) {
    this.listeners.set(type, l);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  emit(type: string, data: string) {
    this.listeners.get(type)?.({ data } as MessageEvent);
  }
}

describe("subscribe", () => {
  it("passes the key in the URL, parses events and reports the state", () => {
    const sources: FakeSource[] = [];
    const states: LiveState[] = [];
    const got: [string, unknown][] = [];
    const stop = subscribe("k y", (n, d) => got.push([n, d]), (st) => states.push(st), (url) => {
      const src = new FakeSource(url);
      sources.push(src);
      return src;
    });
    expect(sources[0].url).toBe("/events?apikey=k%20y");
    sources[0].onopen?.(new Event("open"));
    sources[0].emit("servers.changed", '{"name":"a","server":null}');
    sources[0].emit("ping", "not json");
    expect(got).toEqual([
      ["servers.changed", { name: "a", server: null }],
      ["ping", "not json"],
    ]);
    expect(states).toEqual(["connecting", "live"]);
    stop();
    expect(sources[0].closed).toBe(true);
  });

  it("reopens with backoff when the browser gives up, and stops for good when closed", () => {
    const sources: FakeSource[] = [];
    const timers: { f: () => void; ms: number }[] = [];
    const states: LiveState[] = [];
    const stop = subscribe(
      "k",
      () => {},
      (st) => states.push(st),
      (url) => {
        const src = new FakeSource(url);
        sources.push(src);
        return src;
      },
      { set: (f, ms) => timers.push({ f, ms }), clear: () => {} },
    );
    // A transient error: the browser retries by itself.
    sources[0].readyState = 0;
    sources[0].onerror?.(new Event("error"));
    expect(timers).toHaveLength(0);
    // The browser gave up (e.g. HTTP 401/503): we reopen after a delay.
    sources[0].readyState = 2;
    sources[0].onerror?.(new Event("error"));
    expect(states.at(-1)).toBe("offline");
    expect(timers[0].ms).toBe(1000);
    timers[0].f();
    expect(sources).toHaveLength(2);
    sources[1].readyState = 2;
    sources[1].onerror?.(new Event("error"));
    expect(timers[1].ms).toBe(2000);
    stop();
    sources[1].onerror?.(new Event("error"));
    expect(timers).toHaveLength(2);
  });

  it("caps the retry delay", () => {
    expect(retryDelay(0)).toBe(1000);
    expect(retryDelay(3)).toBe(8000);
    expect(retryDelay(50)).toBe(30_000);
  });
});

describe("subscribeTo", () => {
  it("adds the key to a path that already has a query and listens to the given events", async () => {
    const { subscribeTo } = await import("./events");
    const sources: FakeSource[] = [];
    const got: [string, unknown][] = [];
    const stop = subscribeTo("/x?tail=5", ["a.b"], "k", (n, d) => got.push([n, d]), () => {}, (url) => {
      const src = new FakeSource(url);
      sources.push(src);
      return src;
    });
    expect(sources[0].url).toBe("/x?tail=5&apikey=k");
    sources[0].emit("a.b", '{"line":"x"}');
    sources[0].emit("servers.changed", "{}");
    expect(got).toEqual([["a.b", { line: "x" }]]);
    stop();
    expect(sources[0].closed).toBe(true);
  });
});
