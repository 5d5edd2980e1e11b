// Test harness: a real `mcpproxy serve` with a fixture upstream, and headless Chromium from the OS.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, "..", "..");
const target = process.env.CARGO_TARGET_DIR ? resolve(repo, process.env.CARGO_TARGET_DIR) : join(repo, "target");

/** Binaries and browser used by the tests (override with env vars). */
export const paths = {
  mcpproxy: process.env.MCPPROXY_BIN ?? join(target, "debug", "mcpproxy"),
  fixture: process.env.FIXTURE_BIN ?? join(target, "debug", "examples", "fixture_server"),
  chromium: process.env.CHROMIUM ?? "/usr/bin/chromium",
  output: process.env.UI_TEST_OUTPUT ?? join(here, "..", "test-output"),
};

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Fails with a message naming the fix when something the tests need is missing. */
export function requirePaths() {
  const missing = [];
  if (!existsSync(paths.mcpproxy)) missing.push(`${paths.mcpproxy} (cargo build)`);
  if (!existsSync(paths.fixture)) missing.push(`${paths.fixture} (cargo build --example fixture_server)`);
  if (!existsSync(paths.chromium)) missing.push(`${paths.chromium} (apt-get install chromium)`);
  if (missing.length) throw new Error(`missing for the UI browser tests: ${missing.join(", ")}`);
}

const children = new Set();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/** Spawns `cmd` and resolves with the first stdout line matching `pattern` (bounded wait). */
export function spawnUntil(cmd, args, pattern, { env, timeoutMs = 60_000, name = cmd } = {}) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  child.on("exit", () => children.delete(child));
  const stderr = [];
  child.stderr.on("data", (d) => {
    stderr.push(d.toString());
    if (stderr.length > 200) stderr.shift();
  });
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not start within ${timeoutMs} ms; stderr: ${stderr.join("").slice(-2000)}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready; stderr: ${stderr.join("").slice(-2000)}`));
    });
    createInterface({ input: child.stdout }).on("line", (line) => {
      const match = line.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ child, match, stderr });
      }
    });
  });
}

/** Stops a child with SIGTERM and waits for it (SIGKILL after `graceMs`). */
export function stop(child, graceMs = 15_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      done();
    });
    child.kill("SIGTERM");
  });
}

/** Polls `probe` until it returns a truthy value (every `everyMs`, at most `timeoutMs`). */
export async function waitFor(what, probe, { timeoutMs = 30_000, everyMs = 200 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

/** A core with one HTTP fixture upstream (`fx`), stdio servers `local` (disabled) and `chatty`, and one quarantined server. */
export async function startCore({ apiKey, env = {}, secretEnvValue }) {
  const dir = mkdtempSync(join(tmpdir(), "mcpproxy-ui-e2e-"));
  const fixture = await spawnUntil(paths.fixture, ["http", "--port", "0", "--name", "fx"], /^LISTENING (\S+)/, {
    name: "fixture_server",
  });
  const upstreamUrl = fixture.match[1];
  const config = {
    listen: "127.0.0.1:0",
    api_key: apiKey,
    mcpServers: [
      { name: "fx", protocol: "http", url: upstreamUrl, headers: { "X-Static": "static-value" }, quarantined: false },
      {
        name: "local",
        protocol: "stdio",
        command: paths.fixture,
        args: ["stdio", "--name", "local"],
        env: { API_TOKEN: secretEnvValue, LOG_LEVEL: "debug", GITHUB_TOKEN: "${keyring:github_token}" },
        quarantined: false,
        enabled: false,
      },
      // Writes to stderr on its `sleep` tool (live log lines).
      { name: "chatty", protocol: "stdio", command: paths.fixture, args: ["stdio", "--name", "chatty"], quarantined: false },
      { name: "newcomer", protocol: "stdio", command: paths.fixture, args: ["stdio", "--name", "newcomer"], quarantined: true },
    ],
  };
  const configPath = join(dir, "mcp_config.json");
  writeFileSync(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
  const core = await spawnUntil(
    paths.mcpproxy,
    ["--config", configPath, "--data-dir", dir, "serve", "--listen", "127.0.0.1:0"],
    /^mcpproxy listening on http:\/\/([^/\s]+)\/mcp/,
    { env: { MCPPROXY_LOG: "info", XDG_DATA_HOME: join(dir, "xdg"), ...env }, name: "mcpproxy serve" },
  );
  const base = `http://${core.match[1]}`;
  return {
    base,
    dir,
    upstreamUrl,
    async api(method, path, body) {
      const res = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { "X-API-Key": apiKey, "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = await res.json().catch(() => null);
      return { status: res.status, json };
    },
    async close() {
      await stop(core.child);
      await stop(fixture.child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Directory for screenshots (created). */
export function outputDir() {
  const dir = join(paths.output, "screenshots");
  mkdirSync(dir, { recursive: true });
  return dir;
}
