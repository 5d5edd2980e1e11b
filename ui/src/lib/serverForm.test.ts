import { describe, expect, it } from "vitest";
import { buildServer, emptyForm } from "./serverForm";

describe("buildServer", () => {
  it("reports every problem next to its field", () => {
    const result = buildServer(emptyForm(), []);
    expect(result).toEqual({ ok: false, errors: { name: "Enter a name.", url: expect.stringMatching(/Enter the server's URL/) } });
  });

  it("validates names", () => {
    const form = { ...emptyForm(), url: "http://x/mcp" };
    const errs = (name: string, existing: string[] = []) => {
      const r = buildServer({ ...form, name }, existing);
      return r.ok ? null : r.errors.name;
    };
    expect(errs("a:b")).toMatch(/cannot contain/);
    expect(errs("a b")).toMatch(/cannot contain/);
    expect(errs("x".repeat(65))).toMatch(/64/);
    expect(errs("gh", ["gh"])).toBe("A server named gh already exists.");
    expect(errs("gh")).toBeNull();
  });

  it("builds an HTTP server with headers", () => {
    const r = buildServer(
      { ...emptyForm(), name: " gh ", url: "https://api.example.com/mcp", httpProtocol: "http", headers: "Authorization: Bearer a:b\n\nX-Trace: on" },
      [],
    );
    expect(r).toEqual({
      ok: true,
      body: {
        name: "gh",
        protocol: "http",
        url: "https://api.example.com/mcp",
        headers: { Authorization: "Bearer a:b", "X-Trace": "on" },
        enabled: true,
        quarantined: true,
      },
    });
  });

  it("refuses bad URLs and header lines", () => {
    const base = { ...emptyForm(), name: "x" };
    const r1 = buildServer({ ...base, url: "ftp://x" }, []);
    expect(!r1.ok && r1.errors.url).toMatch(/http:\/\/ or https:\/\//);
    const r2 = buildServer({ ...base, url: "not a url" }, []);
    expect(!r2.ok && r2.errors.url).toBe("This is not a valid URL.");
    const r3 = buildServer({ ...base, url: "http://x", headers: "NoColon" }, []);
    expect(!r3.ok && r3.errors.headers).toMatch(/Line 1/);
    const r4 = buildServer({ ...base, url: "http://x", headers: "A: 1\na: 2" }, []);
    expect(!r4.ok && r4.errors.headers).toMatch(/twice/);
  });

  it("builds a stdio server with args, env and working dir", () => {
    const r = buildServer(
      { ...emptyForm(), kind: "stdio", name: "fs", command: "npx", args: "-y\n@scope/server fs\n", env: "TOKEN=a=b\nEMPTY=", workingDir: "/tmp", quarantined: false },
      [],
    );
    expect(r).toEqual({
      ok: true,
      body: {
        name: "fs",
        protocol: "stdio",
        command: "npx",
        args: ["-y", "@scope/server fs"],
        working_dir: "/tmp",
        env: { TOKEN: "a=b", EMPTY: "" },
        enabled: true,
        quarantined: false,
      },
    });
    const bad = buildServer({ ...emptyForm(), kind: "stdio", name: "fs", env: "NOEQUALS" }, []);
    expect(bad.ok ? null : bad.errors).toEqual({ command: expect.any(String), env: expect.stringMatching(/KEY=value/) });
  });
});
