// A real MCP client (the official TypeScript SDK) driving mcpproxy's /mcp endpoint.
// Usage: node client.mjs <mcp-url> <server:tool> <json-args>
// Prints one JSON line: {tools, retrieve, call}.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, toolKey, argsJson] = process.argv.slice(2);
const client = new Client({ name: "ts-sdk-e2e", version: "1.0.0" });
await client.connect(new StreamableHTTPClientTransport(new URL(url)));
const tools = await client.listTools();
const retrieve = await client.callTool({ name: "retrieve_tools", arguments: { query: toolKey.split(":")[1] } });
const call = await client.callTool({ name: "call_tool_read", arguments: { name: toolKey, args: JSON.parse(argsJson) } });
console.log(JSON.stringify({ tools: tools.tools.map((t) => t.name), retrieve, call }));
await client.close();
