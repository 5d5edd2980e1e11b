// Browser end-to-end tests of the web UI against a real `mcpproxy serve` and a fixture upstream,
// in headless Chromium from the OS (playwright-core; no browser download).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, outputDir, paths, requirePaths, startCore, waitFor } from "./harness.mjs";

const API_KEY = `e2e-key-${Date.now().toString(36)}-ffffffffffffffff`;
// Plaintext secrets that must never appear in the page's DOM or in any response to the page.
const CANARY_AUTH = "Bearer canary-auth-7f3a9c1e5b2d4f60";
const CANARY_AUTH_2 = "Bearer canary-auth-second-0e9d8c7b6a5f";
const CANARY_ENV = "canary-env-token-91b2c3d4e5f6";
const CANARIES = [CANARY_AUTH, CANARY_AUTH_2, CANARY_ENV].map((c) => c.replace(/^Bearer /, ""));

let core;
let browser;
let page;
const shots = outputDir();
const responses = []; // {url, status, body}
const patches = []; // bodies of PATCH requests the page sent
const requests = []; // URLs of every request the page sent
const sseText = []; // what /events sent while the tests ran
let sseAbort;

async function shot(name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** The value the fixture upstream received for `header` (via a real proxied tool call). */
async function upstreamHeader(header) {
  const { status, json } = await core.api("POST", "/tools/call", { name: "fx:get_header", args: { name: header } });
  if (status !== 200 || !json?.success) return null;
  return json.data?.content?.[0]?.text ?? null;
}

async function expectUpstreamHeader(header, expected) {
  await waitFor(`upstream to receive ${header}=${expected.startsWith("Bearer") ? "<secret>" : expected}`, async () =>
    (await upstreamHeader(header)) === expected ? true : null,
  { timeoutMs: 30_000, everyMs: 250 });
}

/** DOM text, attributes and form field values of the page. */
async function pageContent() {
  return page.evaluate(() => {
    const fields = [...document.querySelectorAll("input, textarea, select")].map((e) => e.value);
    return document.documentElement.outerHTML + "\n" + fields.join("\n") + "\n" + JSON.stringify(localStorage);
  });
}

async function assertNoCanaryInDom(where) {
  const content = await pageContent();
  for (const canary of CANARIES) assert.ok(!content.includes(canary), `a plaintext secret is in the DOM (${where})`);
}

function headersCard() {
  return page.locator('section[data-scope="headers"]');
}

function entry(card, key) {
  return card.locator(`li[data-key="${key}"]`);
}

async function serverReady(name) {
  await waitFor(`${name} ready`, async () => {
    const { json } = await core.api("GET", "/servers");
    return json?.data?.servers?.find((s) => s.name === name)?.status === "ready";
  }, { timeoutMs: 60_000 });
}

async function endpointExists(method, path) {
  const { status, json } = await core.api(method, path, method === "GET" ? undefined : {});
  return !(status === 404 && String(json?.error ?? "").startsWith("no endpoint"));
}

before(async () => {
  requirePaths();
  core = await startCore({ apiKey: API_KEY, secretEnvValue: CANARY_ENV });
  await serverReady("fx");
  // Our own /events reader: everything the stream sends must be free of plaintext secrets too.
  sseAbort = new AbortController();
  fetch(`${core.base}/events?apikey=${API_KEY}`, { signal: sseAbort.signal })
    .then(async (res) => {
      const decoder = new TextDecoder();
      for await (const chunk of res.body) sseText.push(decoder.decode(chunk, { stream: true }));
    })
    .catch(() => {});
  browser = await chromium.launch({ executablePath: paths.chromium, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1200, height: 850 } });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("request", (req) => {
    requests.push(req.url());
    if (req.method() === "PATCH") patches.push(req.postData());
  });
  page.on("response", async (res) => {
    const type = res.request().resourceType();
    if (type === "eventsource") return; // a never-ending stream; checked by our own reader
    try {
      responses.push({ url: res.url(), status: res.status(), body: await res.text() });
    } catch {
      // redirects and aborted requests have no body
    }
  });
});

after(async () => {
  sseAbort?.abort();
  await browser?.close();
  await core?.close();
});

describe("web UI", () => {
  test("/?apikey= redirects to /ui/, stores the key and removes it from the address", async () => {
    await page.goto(`${core.base}/?apikey=${API_KEY}`);
    await page.waitForURL((url) => url.pathname === "/ui/");
    assert.ok(!page.url().includes("apikey"), `key left in the address: ${page.url()}`);
    assert.equal(await page.evaluate(() => localStorage.getItem("mcpproxy.apikey")), API_KEY);
    await page.locator('tr[data-server="fx"] [data-status="ready"]').waitFor();
    await page.getByTestId("live").filter({ hasText: "Live" }).waitFor();
  });

  test("servers page lists status, protocol, tool count and the quarantine badge", async () => {
    const fx = page.locator('tr[data-server="fx"]');
    await fx.getByText("ready").waitFor();
    const tools = await waitFor("fx tool count", async () => {
      const n = Number((await fx.locator("td").nth(3).innerText()).replace(/\D/g, ""));
      return n > 0 ? n : null;
    });
    assert.ok(tools > 5, `tool count ${tools}`);
    await page.locator('tr[data-server="newcomer"]').getByText("quarantined").first().waitFor();
    await page.locator('tr[data-server="local"]').getByRole("button", { name: "Enable" }).waitFor();
    await shot("01-servers");
  });

  test("add-server form shows validation messages next to the fields", async () => {
    await page.getByRole("button", { name: "+ Add server" }).click();
    const form = page.getByRole("form", { name: "Add server" });
    await form.getByRole("button", { name: "Add server" }).click();
    await form.getByText("Enter a name.").waitFor();
    await form.getByText("Enter the server's URL").waitFor();
    await form.locator('input[name="name"]').fill("fx");
    await form.locator('input[name="url"]').fill("ftp://example");
    await form.getByRole("button", { name: "Add server" }).click();
    await form.getByText("A server named fx already exists.").waitFor();
    await form.getByText("The URL must start with http:// or https://.").waitFor();
    await shot("02-add-server-validation");
    // A valid server is added through the API and listed live.
    await form.locator('input[name="name"]').fill("second");
    await form.locator('input[name="url"]').fill(core.upstreamUrl);
    await form.getByRole("button", { name: "Add server" }).click();
    await page.waitForURL(/#\/servers\/second\/config/);
    const { json } = await core.api("GET", "/servers");
    const second = json.data.servers.find((s) => s.name === "second");
    assert.equal(second?.url, core.upstreamUrl);
    assert.equal(second?.quarantined, true, "new servers start quarantined by default");
  });

  test("headers card: add, edit in place, delete with confirm; the upstream receives the values", async () => {
    await page.goto(`${core.base}/ui/#/servers/fx/config`);
    const card = headersCard();
    await entry(card, "X-Static").waitFor();

    // Add a plain header.
    await card.getByRole("button", { name: "+ Add header" }).click();
    await card.getByLabel("New header name").fill("Bad Header");
    await card.getByLabel("New header value").fill("x");
    await card.getByRole("button", { name: "Save" }).click();
    await card.getByText('"Bad Header" is not a valid header name').waitFor();
    await card.getByLabel("New header name").fill("X-Test-Header");
    await card.getByLabel("New header value").fill("alpha-1");
    await card.getByRole("button", { name: "Save" }).click();
    await entry(card, "X-Test-Header").getByText("alpha-1").waitFor();
    await expectUpstreamHeader("X-Test-Header", "alpha-1");

    // Add a secret header: shown masked, never in plaintext.
    await card.getByRole("button", { name: "+ Add header" }).click();
    await card.getByLabel("New header name").fill("Authorization");
    await card.getByLabel("New header value").fill(CANARY_AUTH);
    await card.getByRole("button", { name: "Save" }).click();
    const auth = entry(card, "Authorization");
    await auth.locator('[data-kind="masked"]').waitFor();
    assert.match(await auth.locator('[data-kind="masked"]').innerText(), /••••[\s\S]*\(\d+ chars\)/);
    await expectUpstreamHeader("Authorization", CANARY_AUTH);
    await assertNoCanaryInDom("after adding a secret header");

    // Edit the plain header in place.
    await entry(card, "X-Test-Header").getByRole("button", { name: "Edit X-Test-Header" }).click();
    const input = card.getByLabel("New value of X-Test-Header");
    assert.equal(await input.inputValue(), "alpha-1");
    await input.fill("beta-2");
    await card.getByRole("button", { name: "Save" }).click();
    await entry(card, "X-Test-Header").getByText("beta-2").waitFor();
    await expectUpstreamHeader("X-Test-Header", "beta-2");

    // Edit the masked header: the input starts empty (the mask is never echoed back).
    await auth.getByRole("button", { name: "Edit Authorization" }).click();
    const secretInput = card.getByLabel("New value of Authorization");
    assert.equal(await secretInput.inputValue(), "");
    await card.getByRole("button", { name: "Save" }).click();
    await card.getByText("Type the new value (the current one is hidden)").waitFor();
    await secretInput.fill(CANARY_AUTH_2);
    await card.getByRole("button", { name: "Save" }).click();
    await card.getByLabel("New value of Authorization").waitFor({ state: "detached" });
    await expectUpstreamHeader("Authorization", CANARY_AUTH_2);
    await expectUpstreamHeader("X-Static", "static-value");
    await assertNoCanaryInDom("after editing a secret header");

    // Every PATCH was a merge-patch diff naming one key, and none carried a mask.
    assert.ok(patches.length >= 3, `PATCH requests: ${patches.length}`);
    for (const body of patches) {
      const patch = JSON.parse(body);
      assert.deepEqual(Object.keys(patch), ["headers"], body.replaceAll(/canary[-\w]*/g, "<secret>"));
      assert.equal(Object.keys(patch.headers).length, 1);
      assert.ok(!body.includes("••••"), "a masked value was sent back");
    }

    // Delete with confirmation: Cancel keeps it, Delete removes it.
    await entry(card, "X-Test-Header").getByRole("button", { name: "Delete X-Test-Header" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete header X-Test-Header?" });
    await dialog.waitFor();
    await shot("04-delete-confirm");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    assert.equal(await entry(card, "X-Test-Header").count(), 1);
    await entry(card, "X-Test-Header").getByRole("button", { name: "Delete X-Test-Header" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await entry(card, "X-Test-Header").waitFor({ state: "detached" });
    await expectUpstreamHeader("X-Test-Header", "<none>");
    assert.deepEqual(JSON.parse(patches.at(-1)), { headers: { "X-Test-Header": null } });
    // Live events bring the reconnected server back to "ready" in the page (no reload).
    await page.locator('.title [data-status="ready"]').waitFor();
    await shot("03-server-config");
  });

  test("convert to secret: the value moves to the keyring and shows as a chip", async (t) => {
    if (!(await endpointExists("POST", "/servers/fx/config-to-secret"))) {
      // The modal still works and shows the core's answer inline.
      const card = headersCard();
      await entry(card, "Authorization").getByRole("button", { name: "Convert Authorization to secret" }).click();
      const dialog = page.getByRole("dialog", { name: "Convert to secret" });
      await dialog.getByRole("button", { name: "Convert" }).click();
      await dialog.getByText(/no endpoint POST/).waitFor();
      await shot("05-convert-secret-modal");
      await dialog.getByRole("button", { name: "Cancel" }).click();
      t.skip("POST /api/v1/servers/{name}/config-to-secret does not exist in this core yet");
      return;
    }
    const card = headersCard();
    await entry(card, "Authorization").getByRole("button", { name: "Convert Authorization to secret" }).click();
    const dialog = page.getByRole("dialog", { name: "Convert to secret" });
    await dialog.getByLabel("Secret name").fill("fx_auth");
    await shot("05-convert-secret-modal");
    await dialog.getByRole("button", { name: "Convert" }).click();
    await dialog.waitFor({ state: "detached" });
    const chip = entry(card, "Authorization").locator('[data-kind="keyring"][data-secret="fx_auth"]');
    await chip.waitFor();
    await expectUpstreamHeader("Authorization", CANARY_AUTH_2);
    await assertNoCanaryInDom("after converting to a secret");
  });

  test("env card: keyring references render as a chip distinct from masked values", async () => {
    await page.goto(`${core.base}/ui/#/servers/local/config`);
    const env = page.locator('section[data-scope="env"]');
    const ref = entry(env, "GITHUB_TOKEN").locator('[data-kind="keyring"]');
    await ref.waitFor();
    assert.equal(await ref.getAttribute("data-secret"), "github_token");
    assert.match(await ref.innerText(), /keyring\s*github_token/i);
    assert.equal(await entry(env, "GITHUB_TOKEN").locator('[data-kind="masked"]').count(), 0);
    await entry(env, "API_TOKEN").locator('[data-kind="masked"]').waitFor();
    assert.equal(await entry(env, "API_TOKEN").locator('[data-kind="keyring"]').count(), 0);
    await entry(env, "LOG_LEVEL").getByText("debug").waitFor();
    // The chip and the mask look different.
    const [chipBg, maskBg] = await Promise.all([
      ref.evaluate((e) => getComputedStyle(e).backgroundColor),
      entry(env, "API_TOKEN").locator('[data-kind="masked"]').evaluate((e) => getComputedStyle(e).backgroundColor),
    ]);
    assert.notEqual(chipBg, maskBg);
    // Add a variable through the env card; the core stores it.
    await env.getByRole("button", { name: "+ Add variable" }).click();
    await env.getByLabel("New variable name").fill("LOG_LEVEL");
    await env.getByRole("button", { name: "Save" }).click();
    await env.getByText("A variable named LOG_LEVEL already exists: edit it instead.").waitFor();
    await env.getByLabel("New variable name").fill("FEATURE_FLAG");
    await env.getByLabel("New variable value").fill("on");
    await env.getByRole("button", { name: "Save" }).click();
    await entry(env, "FEATURE_FLAG").getByText("on").waitFor();
    const { json } = await core.api("GET", "/servers");
    const local = json.data.servers.find((s) => s.name === "local");
    assert.equal(local.env.FEATURE_FLAG, "on");
    assert.equal(local.env.GITHUB_TOKEN, "${keyring:github_token}", "the reference is kept as written");
    assert.deepEqual(JSON.parse(patches.at(-1)), { env: { FEATURE_FLAG: "on" } });
    await assertNoCanaryInDom("env card");
    await shot("06-env-card");
    // Dark mode follows the system setting.
    await page.emulateMedia({ colorScheme: "dark" });
    const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    const [r, g, b] = bg.match(/\d+/g).map(Number);
    assert.ok(r + g + b < 150, `dark background expected, got ${bg}`);
    await shot("06-env-card-dark");
    await page.emulateMedia({ colorScheme: "light" });
  });

  test("embed=1 (the desktop editor window): the server's cards without navigation", async () => {
    await page.goto(`${core.base}/ui/#/servers/fx/config?embed=1`);
    await page.locator('section.kv[data-scope="headers"]').waitFor();
    await page.locator('section.kv[data-scope="env"]').waitFor();
    assert.equal(await page.locator('[data-testid="embed-title"] h1').innerText(), "fx");
    assert.equal(await page.locator('nav[aria-label="Main"]').count(), 0, "no main navigation");
    assert.equal(await page.locator(".crumb").count(), 0, "no breadcrumb");
    assert.equal(await page.locator('[role="tablist"]').count(), 0, "no tabs");
    assert.equal(await page.getByRole("button", { name: "Remove" }).count(), 0, "no server actions");
    await shot("07a-embedded-editor");
    // The same page without the flag is the full UI.
    await page.goto(`${core.base}/ui/#/servers/fx/config`);
    await page.locator('nav[aria-label="Main"]').waitFor();
  });

  test("tools and logs tabs", async () => {
    await page.goto(`${core.base}/ui/#/servers/fx/tools`);
    await page.locator('li[data-tool="get_header"]').waitFor();
    await shot("07-server-tools");
    await page.goto(`${core.base}/ui/#/servers/fx/logs`);
    const log = page.getByLabel("Log of fx");
    await waitFor("log lines", async () => (await log.innerText()).trim().length > 0);
    await shot("08-server-logs");

    // Live: a line the upstream writes after the tab is open appears without reload or polling.
    await serverReady("chatty");
    await page.goto(`${core.base}/ui/#/servers/chatty/logs`);
    await page.evaluate(() => (window.__sameDocument = true));
    const chatty = page.getByLabel("Log of chatty");
    await waitFor("chatty's tail", async () => (await chatty.innerText()).includes("fixture_server chatty starting"));
    await page.getByTestId("log-stream").getByText("live").waitFor();
    const since = requests.length;
    // The call takes 2.5 s, longer than the old 2 s poll interval: a poller would show up.
    const { status } = await core.api("POST", "/tools/call", { name: "chatty:sleep", args: { ms: 2500 } });
    assert.equal(status, 200);
    await waitFor("the live line", async () => (await chatty.innerText()).includes("chatty: sleep started (2500 ms)"));
    assert.equal(await page.evaluate(() => window.__sameDocument), true, "the page was not reloaded");
    const later = requests.slice(since).map((u) => new URL(u).pathname);
    assert.deepEqual(later.filter((p) => p.endsWith("/logs")), [], "no GET …/logs polling");
    assert.deepEqual(later.filter((p) => p.endsWith("/logs/stream")), [], "the stream stayed open");
    await shot("08b-server-logs-live");

    // Pause holds new lines back; resume shows them.
    await page.getByRole("button", { name: "Pause" }).click();
    await core.api("POST", "/tools/call", { name: "chatty:sleep", args: { ms: 3 } });
    await page.getByRole("button", { name: /^Resume \(\d+ new\)/ }).waitFor();
    assert.ok(!(await chatty.innerText()).includes("sleep started (3 ms)"), "paused: the line is held");
    await page.getByRole("button", { name: /^Resume/ }).click();
    await waitFor("held line shown", async () => (await chatty.innerText()).includes("sleep started (3 ms)"));
  });

  test("tools page: BM25 search and catalogue", async () => {
    await page.goto(`${core.base}/ui/#/tools`);
    await page.getByRole("searchbox", { name: "Search tools" }).fill("request header");
    await page.getByRole("button", { name: "Search" }).click();
    const results = page.getByLabel("Search results");
    await results.getByText("get_header").first().waitFor();
    await page.getByRole("heading", { name: /Catalogue \(\d+\)/ }).waitFor();
    await shot("09-tools");
  });

  test("secrets, quarantine and activity pages render (API errors inline)", async () => {
    await page.goto(`${core.base}/ui/#/secrets`);
    await page.getByRole("heading", { name: "Secrets" }).waitFor();
    await waitFor("secrets loaded", async () => (await page.getByText("Loading…").count()) === 0);
    if (!(await endpointExists("GET", "/secrets"))) await page.getByRole("alert").getByText(/no endpoint GET/).waitFor();
    await shot("10-secrets");

    await page.goto(`${core.base}/ui/#/quarantine`);
    await page.locator('tr[data-server="newcomer"]').waitFor();
    await shot("11-quarantine");

    await page.goto(`${core.base}/ui/#/activity`);
    await waitFor("activity loaded", async () => (await page.getByText("Loading…").count()) === 0);
    if (!(await endpointExists("GET", "/activity"))) await page.getByRole("alert").getByText(/no endpoint GET/).waitFor();
    await shot("12-activity");
  });

  test("activity page: sensitive-data filter and badge; the detected key is masked", async () => {
    const awsKey = "AKIAZXCVBNMASDFGHJ12";
    const { json } = await core.api("POST", "/tools/call", { name: "fx:echo", args: { message: `deploy with ${awsKey}` } });
    assert.equal(json?.data?.content?.[0]?.text, `deploy with ${awsKey}`, "the caller gets the response unchanged");
    await core.api("POST", "/tools/call", { name: "fx:echo", args: { message: "nothing secret here" } });
    await page.goto(`${core.base}/ui/#/activity`);
    const filters = page.getByRole("form", { name: "Activity filters" });
    await filters.getByLabel("Sensitive data").selectOption("true");
    await filters.getByLabel("Detection type").fill("aws_access_key");
    await filters.getByRole("button", { name: "Apply" }).click();
    const table = page.getByRole("table", { name: "Activity" });
    const badge = table.getByTestId("sensitive-badge").first();
    await badge.waitFor();
    assert.match(await badge.getAttribute("title"), /aws_access_key/);
    await waitFor("only flagged records listed", async () => {
      const rows = await table.locator("tbody tr").count();
      const badges = await table.getByTestId("sensitive-badge").count();
      return rows > 0 && rows === badges ? true : null;
    });
    await table.locator("tbody tr").first().click();
    const drawer = page.getByRole("complementary", { name: "Activity detail" });
    await drawer.getByTestId("sensitive-types").getByText(/aws_access_key/).waitFor();
    const content = await pageContent();
    assert.ok(!content.includes(awsKey), "the detected key is in the DOM");
    assert.ok(content.includes("••••12 (20 chars)"), "the masked key is shown");
    await shot("12b-activity-sensitive");
    await page.getByRole("button", { name: "Close" }).click();
    await filters.getByRole("button", { name: "Reset" }).click();
  });

  test("servers page: disable and enable follow the core live", async () => {
    await page.goto(`${core.base}/ui/#/servers`);
    const fx = page.locator('tr[data-server="fx"]');
    await fx.getByRole("button", { name: "Disable" }).click();
    await fx.locator('[data-status="disabled"]').waitFor();
    const { json } = await core.api("GET", "/servers");
    assert.equal(json.data.servers.find((s) => s.name === "fx").enabled, false);
    await fx.getByRole("button", { name: "Enable" }).click();
    await fx.locator('[data-status="ready"]').waitFor({ timeout: 30_000 });
    await expectUpstreamHeader("X-Static", "static-value");
  });

  test("quarantine page: approving a server releases it", async () => {
    await page.goto(`${core.base}/ui/#/quarantine`);
    const row = page.locator('tr[data-server="newcomer"]');
    await row.getByRole("button", { name: "Approve" }).click();
    await row.waitFor({ state: "detached" });
    await waitFor("newcomer released", async () => {
      const { json } = await core.api("GET", "/servers");
      return json.data.servers.find((s) => s.name === "newcomer")?.quarantined === false;
    });
    await page.goto(`${core.base}/ui/#/servers`);
    assert.equal(await page.locator('tr[data-server="newcomer"]').getByText("quarantined").count(), 0);
  });

  test("a wrong key shows the key prompt; the right key opens the UI", async () => {
    const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
    const other = await context.newPage();
    try {
      await other.goto(`${core.base}/?apikey=wrong-key`);
      await other.getByText("The core rejected the API key").waitFor();
      await other.screenshot({ path: join(shots, "00-key-prompt.png") });
      await other.getByLabel("API key").fill(API_KEY);
      await other.getByRole("button", { name: "Continue" }).click();
      await other.locator('tr[data-server="fx"]').waitFor();
      assert.equal(await other.evaluate(() => localStorage.getItem("mcpproxy.apikey")), API_KEY);
    } finally {
      await context.close();
    }
  });

  test("small window: no horizontal scrolling on any page", async () => {
    await page.setViewportSize({ width: 380, height: 700 });
    for (const [name, hash] of [
      ["servers", "#/servers"],
      ["config", "#/servers/fx/config"],
      ["tools", "#/tools"],
      ["quarantine", "#/quarantine"],
      ["activity", "#/activity"],
    ]) {
      await page.goto(`${core.base}/ui/${hash}`);
      await page.locator("main h1, main .card").first().waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${name} overflows by ${overflow}px at 380px`);
      await shot(`13-small-${name}`);
    }
    await page.setViewportSize({ width: 1200, height: 850 });
  });

  test("no plaintext secret in the DOM, in any response to the page, or on /events", async () => {
    await assertNoCanaryInDom("final");
    assert.ok(responses.some((r) => r.url.includes("/api/v1/servers")), "responses were captured");
    for (const r of responses) {
      for (const canary of CANARIES) assert.ok(!r.body.includes(canary), `plaintext secret in the response of ${r.url}`);
    }
    const events = sseText.join("");
    assert.ok(events.includes("servers.changed"), "the /events reader saw the edits");
    for (const canary of CANARIES) assert.ok(!events.includes(canary), "plaintext secret on /events");
  });
});
