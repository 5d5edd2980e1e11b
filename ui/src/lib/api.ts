/** A failed API call: the server's message (it names the field and the fix) and status. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly requestId: string | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** True when the endpoint itself is missing (an older core without that feature). */
  get missingEndpoint(): boolean {
    return this.status === 404 && this.message.startsWith("no endpoint");
  }
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** Options of one request. */
export interface RequestOptions {
  body?: unknown;
  /** Content type of `body` (default `application/json`). */
  contentType?: string;
  signal?: AbortSignal;
}

/** Prefix of the REST API. */
export const API_PREFIX = "/api/v1";

/** Client of the core's REST API: sends the key, unwraps the `{success, data|error}` envelope. */
export class ApiClient {
  constructor(
    private readonly getKey: () => string | null,
    private readonly fetchImpl: Fetch = (input, init) => fetch(input, init),
    private readonly base = "",
    /** Called when the core answers 401 (wrong or missing key). */
    private readonly onUnauthorized: () => void = () => {},
  ) {}

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    // Names the surface for the activity log (the core records who changed what).
    const headers: Record<string, string> = { Accept: "application/json", "X-MCPProxy-Source": "ui" };
    const key = this.getKey();
    if (key) headers["X-API-Key"] = key;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers["Content-Type"] = options.contentType ?? "application/json";
      body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await this.fetchImpl(this.base + API_PREFIX + path, {
        method,
        headers,
        body,
        signal: options.signal,
        cache: "no-store",
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") throw err;
      throw new ApiError("Cannot reach MCPProxy. Is the core running?", 0);
    }
    const requestId = response.headers.get("X-Request-Id");
    let envelope: { success?: boolean; data?: T; error?: string } | null = null;
    try {
      envelope = await response.json();
    } catch {
      envelope = null;
    }
    if (response.status === 401) this.onUnauthorized();
    if (!response.ok || !envelope || envelope.success !== true) {
      const message =
        envelope?.error ??
        `${method} ${path} failed with HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
      throw new ApiError(message, response.status, requestId);
    }
    return envelope.data as T;
  }

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>("GET", path, { signal });
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("POST", path, { body: body ?? {} });
  }

  /** PATCH with a JSON Merge Patch body (RFC 7396). */
  mergePatch<T>(path: string, patch: unknown): Promise<T> {
    return this.request<T>("PATCH", path, { body: patch, contentType: "application/merge-patch+json" });
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>("DELETE", path);
  }
}

/** Message to show for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError && err.missingEndpoint)
    return `This MCPProxy core does not offer this feature yet (${err.message}).`;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Path segment encoding for names. */
export const seg = (value: string): string => encodeURIComponent(value);
