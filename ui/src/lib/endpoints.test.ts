import { describe, expect, it } from "vitest";
import { ApiClient, type Fetch } from "./api";
import { Endpoints } from "./endpoints";

function endpoints(answers: Record<string, [number, unknown]>) {
  const calls: string[] = [];
  const fetchImpl: Fetch = async (url, init) => {
    const key = `${init?.method} ${url}`;
    calls.push(`${key} ${init?.body ?? ""}`.trim());
    const [status, body] = answers[key] ?? [404, { success: false, error: `no endpoint ${key}` }];
    return new Response(JSON.stringify(body), { status });
  };
  return { api: new Endpoints(new ApiClient(() => "k", fetchImpl)), calls };
}

describe("Endpoints", () => {
  it("releases a server with unquarantine when the core has it", async () => {
    const { api, calls } = endpoints({ "POST /api/v1/servers/a%20b/unquarantine": [200, { success: true, data: { ok: 1 } }] });
    expect(await api.setQuarantined("a b", false)).toEqual({ ok: 1 });
    expect(calls).toEqual(["POST /api/v1/servers/a%20b/unquarantine {}"]);
  });

  it("falls back to a merge patch of `quarantined` on cores without the endpoint", async () => {
    const { api, calls } = endpoints({ "PATCH /api/v1/servers/a": [200, { success: true, data: { name: "a" } }] });
    await api.setQuarantined("a", true);
    expect(calls).toEqual(["POST /api/v1/servers/a/quarantine {}", 'PATCH /api/v1/servers/a {"quarantined":true}']);
  });

  it("does not fall back on other errors", async () => {
    const { api, calls } = endpoints({ "POST /api/v1/servers/a/unquarantine": [404, { success: false, error: "no server named `a`" }] });
    await expect(api.setQuarantined("a", false)).rejects.toThrow("no server named `a`");
    expect(calls).toHaveLength(1);
  });

  it("sends config-to-secret with the core's scope names and approvals as documented", async () => {
    const { api, calls } = endpoints({});
    await api.configToSecret("gh", "headers", "Authorization", "gh_auth").catch(() => {});
    await api.configToSecret("gh", "env", "TOKEN", "gh_auth", true).catch(() => {});
    await api.setSecret("gh_auth", "v", true).catch(() => {});
    await api.approveTools("gh", "all").catch(() => {});
    await api.approveTools("gh", ["a", "b"]).catch(() => {});
    expect(calls).toEqual([
      'POST /api/v1/servers/gh/config-to-secret {"scope":"header","key":"Authorization","secret_name":"gh_auth"}',
      'POST /api/v1/servers/gh/config-to-secret {"scope":"env","key":"TOKEN","secret_name":"gh_auth","overwrite":true}',
      'POST /api/v1/secrets {"name":"gh_auth","value":"v","overwrite":true}',
      'POST /api/v1/servers/gh/tools/approve {"approve_all":true}',
      'POST /api/v1/servers/gh/tools/approve {"tools":["a","b"]}',
    ]);
  });
});
