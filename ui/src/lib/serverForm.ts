/** The add-server form as typed. */
export interface ServerForm {
  name: string;
  kind: "stdio" | "http";
  /** For HTTP: `auto`, `http` (Streamable HTTP) or `sse`. */
  httpProtocol: "auto" | "http" | "sse";
  url: string;
  command: string;
  /** One argument per line. */
  args: string;
  workingDir: string;
  /** One `Name: value` per line. */
  headers: string;
  /** One `KEY=value` per line. */
  env: string;
  enabled: boolean;
  /** Start quarantined (the core's default for new servers). */
  quarantined: boolean;
}

/** An empty form. */
export function emptyForm(): ServerForm {
  return {
    name: "",
    kind: "http",
    httpProtocol: "auto",
    url: "",
    command: "",
    args: "",
    workingDir: "",
    headers: "",
    env: "",
    enabled: true,
    quarantined: true,
  };
}

/** Messages per form field (only fields with a problem). */
export type FormErrors = Partial<Record<keyof ServerForm, string>>;

/** Body of `POST /api/v1/servers`. */
export interface NewServer {
  name: string;
  protocol: string;
  url?: string;
  command?: string;
  args?: string[];
  working_dir?: string;
  headers?: Record<string, string>;
  env?: Record<string, string>;
  enabled: boolean;
  quarantined: boolean;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

function parseHeaders(text: string): { map: Record<string, string>; error?: string } {
  const map: Record<string, string> = {};
  for (const [i, line] of lines(text).entries()) {
    const colon = line.indexOf(":");
    if (colon <= 0) return { map, error: `Line ${i + 1}: write headers as "Name: value".` };
    const name = line.slice(0, colon).trim();
    if (!HEADER_NAME.test(name)) return { map, error: `Line ${i + 1}: "${name}" is not a valid header name.` };
    if (Object.keys(map).some((k) => k.toLowerCase() === name.toLowerCase()))
      return { map, error: `Line ${i + 1}: header ${name} is given twice.` };
    map[name] = line.slice(colon + 1).trim();
  }
  return { map };
}

function parseEnv(text: string): { map: Record<string, string>; error?: string } {
  const map: Record<string, string> = {};
  for (const [i, line] of lines(text).entries()) {
    const eq = line.indexOf("=");
    if (eq <= 0) return { map, error: `Line ${i + 1}: write variables as KEY=value.` };
    const key = line.slice(0, eq).trim();
    if (/\s/.test(key)) return { map, error: `Line ${i + 1}: "${key}" is not a valid variable name.` };
    if (key in map) return { map, error: `Line ${i + 1}: ${key} is given twice.` };
    map[key] = line.slice(eq + 1);
  }
  return { map };
}

/** Validates the form; returns the request body or the messages per field. */
export function buildServer(
  form: ServerForm,
  existingNames: string[],
): { ok: true; body: NewServer } | { ok: false; errors: FormErrors } {
  const errors: FormErrors = {};
  const name = form.name.trim();
  if (!name) errors.name = "Enter a name.";
  else if (name.length > 64) errors.name = "Use at most 64 characters.";
  else if (/[:/\s]/.test(name)) errors.name = "The name cannot contain ':', '/' or spaces.";
  else if (existingNames.includes(name)) errors.name = `A server named ${name} already exists.`;

  const body: NewServer = {
    name,
    protocol: form.kind === "stdio" ? "stdio" : form.httpProtocol,
    enabled: form.enabled,
    quarantined: form.quarantined,
  };
  if (form.kind === "http") {
    const url = form.url.trim();
    if (!url) errors.url = "Enter the server's URL, e.g. http://127.0.0.1:3000/mcp.";
    else {
      try {
        const parsed = new URL(url);
        if (parsed.protocol !== "http:" && parsed.protocol !== "https:") errors.url = "The URL must start with http:// or https://.";
      } catch {
        errors.url = "This is not a valid URL.";
      }
    }
    body.url = url;
    const headers = parseHeaders(form.headers);
    if (headers.error) errors.headers = headers.error;
    if (Object.keys(headers.map).length) body.headers = headers.map;
  } else {
    const command = form.command.trim();
    if (!command) errors.command = "Enter the command to run, e.g. npx.";
    body.command = command;
    const args = form.args.split(/\r?\n/).filter((a) => a.trim().length > 0);
    if (args.length) body.args = args;
    if (form.workingDir.trim()) body.working_dir = form.workingDir.trim();
    const env = parseEnv(form.env);
    if (env.error) errors.env = env.error;
    if (Object.keys(env.map).length) body.env = env.map;
  }
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, body };
}
