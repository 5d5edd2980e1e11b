// OAuth-protected Streamable HTTP MCP server for tests/e2e_oauth.rs, built on the TypeScript
// SDK's OAuth authorization-server router (metadata, dynamic registration, /authorize, /token
// with PKCE checks) and its bearer-auth middleware. The provider below is ours: it approves
// every authorization at once (no login page), issues short-lived access tokens
// (TOKEN_TTL seconds) with rotating refresh tokens, and has admin endpoints to revoke refresh
// tokens and read counters. It implements RFC 7009 revocation (`/revoke`, advertised as
// `revocation_endpoint` by the SDK router): revoked tokens stop working at once.
//
// The same server is also offered over the legacy HTTP+SSE transport (`GET /sse`,
// `POST /messages`), protected by the same tokens (its own protected-resource metadata).
//
// AUTH_METHODS=client_secret_post (comma-separated) makes the authorization server list only
// those token endpoint auth methods in its metadata and refuse registrations asking for any
// other (as confidential-client-only servers do).
//
// Usage: PORT=0 TOKEN_TTL=4 node oauth_fixture.mjs   → prints "READY http://127.0.0.1:<port>"
import { randomUUID } from 'node:crypto';
import express from 'express';
import { mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import {
  InvalidClientMetadataError,
  InvalidGrantError,
  InvalidRequestError,
  InvalidTokenError,
  ServerError,
} from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';

const ttl = Number(process.env.TOKEN_TTL ?? 3600);
const authMethods = process.env.AUTH_METHODS ? process.env.AUTH_METHODS.split(',') : null;
let failRevocation = false;
const stats = {
  registrations: 0,
  refused_registrations: 0,
  authorizations: 0,
  code_exchanges: 0,
  refreshes: 0,
  refresh_failures: 0,
  revocations: 0,
  revocation_requests: 0,
  tool_calls: 0,
  resource_reads: 0,
  resources: [],
};

class FixtureProvider {
  constructor(issuer) {
    this.issuer = issuer;
    this.clients = new Map();
    this.codes = new Map();
    this.accessTokens = new Map();
    this.refreshTokens = new Map();
  }

  get clientsStore() {
    return {
      getClient: async (id) => this.clients.get(id),
      registerClient: async (client) => {
        const method = client.token_endpoint_auth_method ?? 'client_secret_basic';
        if (authMethods && !authMethods.includes(method)) {
          stats.refused_registrations += 1;
          throw new InvalidClientMetadataError(
            `token_endpoint_auth_method ${method} is not supported; use one of ${authMethods.join(', ')}`,
          );
        }
        stats.registrations += 1;
        this.clients.set(client.client_id, client);
        return client;
      },
    };
  }

  async authorize(client, params, res) {
    if (!client.redirect_uris.includes(params.redirectUri)) {
      throw new InvalidRequestError('redirect_uri is not registered for this client');
    }
    stats.authorizations += 1;
    const code = randomUUID();
    this.codes.set(code, { clientId: client.client_id, params });
    const target = new URL(params.redirectUri);
    target.searchParams.set('code', code);
    if (params.state !== undefined) target.searchParams.set('state', params.state);
    target.searchParams.set('iss', this.issuer);
    res.redirect(target.href);
  }

  async challengeForAuthorizationCode(_client, code) {
    const entry = this.codes.get(code);
    if (!entry) throw new InvalidGrantError('unknown authorization code');
    return entry.params.codeChallenge;
  }

  issue(clientId, scopes, resource) {
    const access = randomUUID();
    const refresh = randomUUID();
    this.accessTokens.set(access, { clientId, scopes, expiresAt: Date.now() + ttl * 1000 });
    this.refreshTokens.set(refresh, { clientId, scopes, resource });
    if (resource) stats.resources.push(String(resource));
    return {
      access_token: access,
      token_type: 'Bearer',
      expires_in: ttl,
      refresh_token: refresh,
      scope: scopes.join(' '),
    };
  }

  async exchangeAuthorizationCode(client, code, _verifier, _redirectUri, resource) {
    const entry = this.codes.get(code);
    if (!entry || entry.clientId !== client.client_id) {
      throw new InvalidGrantError('authorization code not issued to this client');
    }
    this.codes.delete(code);
    stats.code_exchanges += 1;
    return this.issue(client.client_id, entry.params.scopes ?? [], resource);
  }

  async exchangeRefreshToken(client, refreshToken, _scopes, resource) {
    const entry = this.refreshTokens.get(refreshToken);
    if (!entry || entry.clientId !== client.client_id) {
      stats.refresh_failures += 1;
      throw new InvalidGrantError('refresh token revoked or unknown');
    }
    this.refreshTokens.delete(refreshToken);
    stats.refreshes += 1;
    return this.issue(client.client_id, entry.scopes, resource ?? entry.resource);
  }

  // RFC 7009: an unknown token or one of another client is ignored (still 200).
  async revokeToken(client, request) {
    stats.revocation_requests += 1;
    if (failRevocation) throw new ServerError('revocation is switched off for this test');
    for (const map of [this.refreshTokens, this.accessTokens]) {
      const entry = map.get(request.token);
      if (entry && entry.clientId === client.client_id) {
        map.delete(request.token);
        stats.revocations += 1;
      }
    }
  }

  async verifyAccessToken(token) {
    const entry = this.accessTokens.get(token);
    if (!entry || entry.expiresAt < Date.now()) {
      throw new InvalidTokenError('invalid or expired access token');
    }
    return {
      token,
      clientId: entry.clientId,
      scopes: entry.scopes,
      expiresAt: Math.floor(entry.expiresAt / 1000),
    };
  }
}

function mcpServer(clientId) {
  const server = new McpServer({ name: 'oauth-fixture', version: '1.0.0' });
  server.registerTool(
    'whoami',
    { description: 'Tells which OAuth client called', annotations: { readOnlyHint: true } },
    async () => {
      stats.tool_calls += 1;
      return { content: [{ type: 'text', text: `authorized client ${clientId}` }] };
    },
  );
  server.registerResource('whoami', 'fixture://whoami', { mimeType: 'text/plain' }, async (uri) => {
    stats.resource_reads += 1;
    return { contents: [{ uri: uri.href, text: `authorized client ${clientId}` }] };
  });
  return server;
}

const app = express();
app.use(express.json());
const listener = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const base = `http://127.0.0.1:${listener.address().port}`;
  const issuer = new URL(`${base}/`);
  const provider = new FixtureProvider(issuer.href);
  const mcpUrl = new URL(`${base}/mcp`);
  if (authMethods) {
    app.use('/.well-known/oauth-authorization-server', (_req, res, next) => {
      const json = res.json.bind(res);
      res.json = (body) => json({ ...body, token_endpoint_auth_methods_supported: authMethods });
      next();
    });
  }
  app.use(
    mcpAuthRouter({
      provider,
      issuerUrl: issuer,
      resourceServerUrl: mcpUrl,
      scopesSupported: ['mcp:tools'],
    }),
  );
  const bearer = requireBearerAuth({
    verifier: provider,
    resourceMetadataUrl: `${base}/.well-known/oauth-protected-resource/mcp`,
  });
  app.post('/mcp', bearer, async (req, res) => {
    const server = mcpServer(req.auth.clientId);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      transport.close();
      server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  app.get('/mcp', bearer, (_req, res) => res.status(405).set('Allow', 'POST').end());
  app.delete('/mcp', bearer, (_req, res) => res.status(405).set('Allow', 'POST').end());
  const sseUrl = `${base}/sse`;
  app.get('/.well-known/oauth-protected-resource/sse', (_req, res) =>
    res.json({ resource: sseUrl, authorization_servers: [issuer.href], scopes_supported: ['mcp:tools'] }),
  );
  const sseBearer = requireBearerAuth({
    verifier: provider,
    resourceMetadataUrl: `${base}/.well-known/oauth-protected-resource/sse`,
  });
  const sseSessions = new Map();
  app.get('/sse', sseBearer, async (req, res) => {
    const transport = new SSEServerTransport('/messages', res);
    sseSessions.set(transport.sessionId, transport);
    res.on('close', () => sseSessions.delete(transport.sessionId));
    await mcpServer(req.auth.clientId).connect(transport);
  });
  app.post('/messages', sseBearer, async (req, res) => {
    const transport = sseSessions.get(String(req.query.sessionId));
    if (!transport) return res.status(404).end();
    await transport.handlePostMessage(req, res, req.body);
  });
  app.post('/admin/revoke-refresh-tokens', (_req, res) => {
    const revoked = provider.refreshTokens.size;
    provider.refreshTokens.clear();
    res.json({ revoked });
  });
  app.post('/admin/revoke-access-tokens', (_req, res) => {
    const revoked = provider.accessTokens.size;
    provider.accessTokens.clear();
    res.json({ revoked });
  });
  app.post('/admin/fail-revocation', (req, res) => {
    failRevocation = req.query.on !== 'false';
    res.json({ failRevocation });
  });
  app.get('/admin/stats', (_req, res) => res.json(stats));
  console.log(`READY ${base}`);
});
