/** A server as `GET /api/v1/servers` returns it (secrets already masked by the core). */
export interface Server {
  name: string;
  protocol: string;
  command: string | null;
  args: string[];
  working_dir: string | null;
  url: string | null;
  env: Record<string, string>;
  headers: Record<string, string>;
  enabled: boolean;
  quarantined: boolean;
  status: string;
  last_error: string | null;
  transport: string | null;
  retry_count: number;
  server_info: string | null;
  tool_count: number;
  created?: string | null;
  updated?: string | null;
}

/** Approval state of a tool. */
export type ApprovalStatus = "approved" | "pending" | "changed";

/** A tool of one server (`GET /servers/{name}/tools`), normalised. */
export interface ServerTool {
  /** Upstream tool name. */
  name: string;
  /** `server:tool`. */
  key: string;
  description: string | null;
  call_with: string | null;
  /** Approval state; null when the core does not report one. */
  status: ApprovalStatus | null;
}

/** A tool of the merged catalogue or a search hit. */
export interface CatalogTool {
  name: string;
  server: string;
  tool: string;
  description: string | null;
  call_with: string;
  score?: number;
  annotations?: Record<string, unknown> | null;
}

/** One line of a tool definition diff. */
export interface DiffLine {
  op: " " | "-" | "+";
  text: string;
}

/** `GET /servers/{name}/tools/{tool}/diff`. */
export interface ToolDiff {
  approved: unknown;
  current: unknown;
  diff: DiffLine[];
}

/** Where a keyring secret is used. */
export interface SecretRef {
  server: string;
  scope: string;
  key: string;
}

/** A keyring secret (value never included). */
export interface Secret {
  name: string;
  refs: SecretRef[];
}

/** One activity record. */
export interface ActivityRecord {
  id: number;
  timestamp_ms: number;
  type: string;
  source?: string | null;
  server?: string | null;
  tool?: string | null;
  status?: string | null;
  duration_ms?: number | null;
  request_id?: string | null;
  session_id?: string | null;
  arguments?: unknown;
  response_size?: number | null;
  response?: string | null;
  detail?: string | null;
  /** Detection types of sensitive data found (and masked) in the record. */
  sensitive_data?: string[];
}

/** `GET /api/v1/status`. */
export interface CoreStatus {
  version: string;
  listen: string;
  config_path: string;
  routing_mode: string;
  servers: Record<string, number>;
  tools: number;
}
