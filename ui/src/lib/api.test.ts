import { describe, expect, it } from "vitest";
import { ApiClient, ApiError, errorMessage, type Fetch } from "./api";

interface Call {
  url: string;
  init: RequestInit;
}

function client(status: number, body: unknown, opts: { key?: string | null; onUnauthorized?: () => void } = {}) {
  const calls: Call[] = [];
  const fetchImpl: Fetch = async (url, init) => {
    calls.push({ url, init: init ?? {} });
    return new Response(typeof body === "string" ? body : JSON.stringify(body), {
      status,
      headers: { "X-Request-Id": "req-1" },
    });
  };
  const c = new ApiClient(() => (opts.key === undefined ? "k1" : opts.key), fetchImpl, "http://core", opts.onUnauthorized);
  return { c, calls };
}

describe("ApiClient", () => {
  it("sends the key and unwraps data", async () => {
    const { c, calls } = client(200, { success: true, data: { servers: [] } });
    expect(await c.get("/servers")).toEqual({ servers: [] });
    expect(calls[0].url).toBe("http://core/api/v1/servers");
    expect((calls[0].init.headers as Record<string, string>)["X-API-Key"]).toBe("k1");
    expect((calls[0].init.headers as Record<string, string>)["X-MCPProxy-Source"]).toBe("ui");
  });

  it("sends merge patches with the merge-patch content type", async () => {
    const { c, calls } = client(200, { success: true, data: {} });
    await c.mergePatch("/servers/a", { headers: { X: null } });
    expect(calls[0].init.method).toBe("PATCH");
    expect((calls[0].init.headers as Record<string, string>)["Content-Type"]).toBe("application/merge-patch+json");
    expect(calls[0].init.body).toBe('{"headers":{"X":null}}');
  });

  it("throws the server's message with status and request id", async () => {
    const { c } = client(400, { success: false, error: "field `url`: bad. Fix: set it" });
    const err = (await c.post("/servers", {}).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toBe("field `url`: bad. Fix: set it");
    expect(err.status).toBe(400);
    expect(err.requestId).toBe("req-1");
  });

  it("reports 401 to the app", async () => {
    let told = 0;
    const { c } = client(401, { success: false, error: "missing or wrong API key" }, { onUnauthorized: () => told++ });
    await expect(c.get("/servers")).rejects.toThrow("missing or wrong API key");
    expect(told).toBe(1);
  });

  it("explains non-JSON failures and unreachable cores", async () => {
    const { c } = client(502, "<html>bad gateway</html>");
    await expect(c.get("/status")).rejects.toThrow("GET /status failed with HTTP 502");
    const down = new ApiClient(() => "k", async () => {
      throw new TypeError("Failed to fetch");
    });
    await expect(down.get("/status")).rejects.toThrow("Cannot reach MCPProxy");
  });

  it("names missing endpoints as a missing feature", async () => {
    const { c } = client(404, { success: false, error: "no endpoint GET /api/v1/secrets; see /api/v1/openapi.json for the API" });
    const err = (await c.get("/secrets").catch((e: unknown) => e)) as ApiError;
    expect(err.missingEndpoint).toBe(true);
    expect(errorMessage(err)).toMatch(/^This MCPProxy core does not offer this feature yet \(no endpoint GET/);
    const other = new ApiError("no server named `x`", 404);
    expect(other.missingEndpoint).toBe(false);
    expect(errorMessage(other)).toBe("no server named `x`");
  });

  it("omits the key header when there is no key", async () => {
    const { c, calls } = client(200, { success: true, data: 1 }, { key: null });
    await c.get("/status");
    expect((calls[0].init.headers as Record<string, string>)["X-API-Key"]).toBeUndefined();
  });
});
