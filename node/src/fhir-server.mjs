// A small FHIR R4 server for Bedside's integration tests: @medplum/fhir-router over an in-memory
// MemoryRepository, listening on 127.0.0.1 only. Every write (create, update, and every resource
// of a batch/transaction Bundle) is validated with @medplum/core's validateResource first; a
// rejected write changes nothing and answers 400 with the OperationOutcome.
//
// It also plays the EHR's authorization server for SMART Backend Services: POST /auth/token
// accepts grant_type=client_credentials with a private_key_jwt client assertion (RS384 or ES384),
// verified against the JWKS registered for the client (iss = sub = client_id, aud = the token
// URL, exp at most 5 minutes after iat, jti single use). /fhir/* needs a Bearer token it issued
// that has not expired.
//
// Usage: node src/fhir-server.mjs --config CONFIG.json [--port 0]
// CONFIG: {"clients": {"<client_id>": {"jwks": {"keys": [...]}}}, "tokenLifetime": 300}
// On start it prints one JSON line {"port": N, "base": "http://127.0.0.1:N"} to stdout.
//
// Test controls (not FHIR): POST /_control/outage {"count": n, "mode": "503" | "after-commit"}
// makes the next n FHIR requests fail (503 before doing anything, or 503 after committing, as
// when a response is lost); POST /_control/expire-tokens invalidates every issued token;
// POST /_control/token-lifetime {"seconds": n} sets the lifetime of tokens issued from now on;
// GET /_control/stats gives counts of token grants and FHIR requests.
import { createPublicKey, randomBytes, verify as cryptoVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { getStatus, normalizeOperationOutcome } from '@medplum/core';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import { loadDefinitions } from './definitions.mjs';
import { validateOne } from './validate-one.mjs';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const MAX_ASSERTION_SECONDS = 300;

function parseArgs(argv) {
  const args = { port: 0, config: null };
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === '--port') args.port = Number(argv[i + 1]);
    else if (argv[i] === '--config') args.config = argv[i + 1];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!args.config) throw new Error('--config is required');
  return args;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, body, contentType = 'application/fhir+json') {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function outcome(code, diagnostics, expression) {
  const issue = { severity: 'error', code, diagnostics };
  if (expression) issue.expression = [expression];
  return { resourceType: 'OperationOutcome', issue: [issue] };
}

function b64urlJson(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

// Returns null when the assertion is acceptable, else the reason it is not.
function checkAssertion(jwt, clientId, tokenUrl, clients, seenJti, nowSeconds) {
  const parts = jwt.split('.');
  if (parts.length !== 3) return 'client_assertion is not a compact JWS';
  let header;
  let claims;
  try {
    header = b64urlJson(parts[0]);
    claims = b64urlJson(parts[1]);
  } catch {
    return 'client_assertion header or claims are not base64url JSON';
  }
  if (header.alg !== 'RS384' && header.alg !== 'ES384') return `alg ${header.alg} not accepted`;
  const iss = claims.iss;
  if (clientId && clientId !== iss) return 'client_id does not match the assertion issuer';
  const client = clients[iss];
  if (!client) return `unknown client ${iss}`;
  if (claims.sub !== iss) return 'sub must equal iss (the client_id)';
  if (claims.aud !== tokenUrl) return `aud must be ${tokenUrl}`;
  if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) return 'assertion expired';
  const iat = typeof claims.iat === 'number' ? claims.iat : nowSeconds;
  if (claims.exp - Math.min(iat, nowSeconds) > MAX_ASSERTION_SECONDS) {
    return 'assertion lifetime exceeds 5 minutes';
  }
  if (typeof claims.jti !== 'string' || !claims.jti) return 'jti missing';
  if (seenJti.has(`${iss}|${claims.jti}`)) return 'jti already used';
  const kty = header.alg === 'RS384' ? 'RSA' : 'EC';
  const keys = (client.jwks.keys ?? []).filter(
    (k) => k.kty === kty && (!header.kid || k.kid === header.kid),
  );
  const data = Buffer.from(`${parts[0]}.${parts[1]}`);
  const signature = Buffer.from(parts[2], 'base64url');
  const ok = keys.some((jwk) => {
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    return header.alg === 'ES384'
      ? cryptoVerify('sha384', data, { key, dsaEncoding: 'ieee-p1363' }, signature)
      : cryptoVerify('sha384', data, key, signature);
  });
  if (!ok) return 'signature does not verify against the registered JWKS';
  seenJti.add(`${iss}|${claims.jti}`);
  return null;
}

// Validates the resources a request would write; returns an OperationOutcome or null.
function validateWrite(method, body) {
  if (method !== 'POST' && method !== 'PUT') return null;
  if (!body || typeof body !== 'object') return outcome('invalid', 'request body is not a resource');
  const targets = [[body, body.resourceType ?? '?']];
  if (body.resourceType === 'Bundle') {
    (body.entry ?? []).forEach((entry, i) => {
      if (entry?.resource) targets.push([entry.resource, `Bundle.entry[${i}].resource`]);
    });
  }
  const issues = [];
  for (const [resource, where] of targets) {
    for (const issue of validateOne(resource)) {
      if (issue.severity === 'error' || issue.severity === 'fatal') {
        issues.push({ ...issue, diagnostics: `${where}: ${issue.details?.text ?? issue.diagnostics ?? ''}` });
      }
    }
  }
  return issues.length ? { resourceType: 'OperationOutcome', issue: issues } : null;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const config = JSON.parse(readFileSync(args.config, 'utf8'));
  const clients = config.clients ?? {};
  let tokenLifetime = config.tokenLifetime ?? 300;
  loadDefinitions();
  const repo = new MemoryRepository();
  const router = new FhirRouter();
  const tokens = new Map(); // token -> {clientId, scope, expires}
  const seenJti = new Set();
  const stats = { tokenGrants: 0, tokenRejections: 0, fhirRequests: 0, rejectedWrites: 0 };
  let outage = { count: 0, mode: '503' };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, `http://${req.headers.host}`);
    const base = `http://${req.headers.host}`;
    try {
      const text = await readBody(req);
      if (url.pathname.startsWith('/_control/')) {
        const name = url.pathname.slice('/_control/'.length);
        if (name === 'outage' && req.method === 'POST') {
          const body = JSON.parse(text || '{}');
          outage = { count: Number(body.count ?? 1), mode: String(body.mode ?? '503') };
          return send(res, 200, outage, 'application/json');
        }
        if (name === 'token-lifetime' && req.method === 'POST') {
          tokenLifetime = Number(JSON.parse(text || '{}').seconds ?? 300);
          return send(res, 200, { tokenLifetime }, 'application/json');
        }
        if (name === 'expire-tokens' && req.method === 'POST') {
          tokens.clear();
          return send(res, 200, { expired: true }, 'application/json');
        }
        if (name === 'stats') return send(res, 200, stats, 'application/json');
        return send(res, 404, { error: 'unknown control' }, 'application/json');
      }
      if (url.pathname === '/auth/token' && req.method === 'POST') {
        const form = new URLSearchParams(text);
        const error = (reason) => {
          stats.tokenRejections++;
          return send(res, 400, { error: 'invalid_client', error_description: reason }, 'application/json');
        };
        if (form.get('grant_type') !== 'client_credentials') return error('grant_type must be client_credentials');
        if (form.get('client_assertion_type') !== ASSERTION_TYPE) return error('wrong client_assertion_type');
        const reason = checkAssertion(
          form.get('client_assertion') ?? '',
          form.get('client_id'),
          `${base}/auth/token`,
          clients,
          seenJti,
          Math.floor(Date.now() / 1000),
        );
        if (reason) return error(reason);
        const token = randomBytes(24).toString('base64url');
        const scope = form.get('scope') ?? '';
        tokens.set(token, { scope, expires: Date.now() + tokenLifetime * 1000 });
        stats.tokenGrants++;
        return send(
          res,
          200,
          { access_token: token, token_type: 'bearer', expires_in: tokenLifetime, scope },
          'application/json',
        );
      }
      if (!url.pathname.startsWith('/fhir/') && url.pathname !== '/fhir') {
        return send(res, 404, outcome('not-found', `no route ${url.pathname}`));
      }
      const auth = req.headers.authorization ?? '';
      const grant = tokens.get(auth.replace(/^Bearer /i, ''));
      if (!grant || grant.expires <= Date.now()) {
        res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
        return send(res, 401, outcome('login', 'missing, unknown or expired access token'));
      }
      stats.fhirRequests++;
      if (outage.count > 0 && outage.mode === '503') {
        outage.count--;
        return send(res, 503, outcome('transient', 'simulated outage'));
      }
      let body;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        return send(res, 400, outcome('structure', 'body is not JSON'));
      }
      const rejected = validateWrite(req.method, body);
      if (rejected) {
        stats.rejectedWrites++;
        return send(res, 400, rejected);
      }
      const path = url.pathname.slice('/fhir'.length) || '/';
      const query = Object.fromEntries(url.searchParams.entries());
      const fhirRequest = {
        method: req.method,
        url: path + url.search,
        pathname: '',
        body,
        params: {},
        query,
        headers: req.headers,
        config: { transactions: false },
      };
      const [result, resource] = await router.handleRequest(fhirRequest, repo);
      if (outage.count > 0 && outage.mode === 'after-commit') {
        outage.count--;
        return send(res, 503, outcome('transient', 'simulated outage after commit'));
      }
      const status = getStatus(result);
      return send(res, status, resource ?? result);
    } catch (err) {
      const oo = normalizeOperationOutcome(err);
      return send(res, getStatus(oo) || 500, oo);
    }
  });
  server.listen(args.port, '127.0.0.1', () => {
    const { port } = server.address();
    process.stdout.write(JSON.stringify({ port, base: `http://127.0.0.1:${port}` }) + '\n');
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(2);
});
