// The gateway benchmark's baseline: the least a node:http reverse proxy can do (http.request + pipe through
// a keep-alive agent, hop-by-hop headers dropped), so the gateway's cost is read against Node's own floor.
// Run: node dist/bench/bare-node-proxy.js UPSTREAM_URL  — prints "bare node proxy listening on URL".
import http from 'node:http';
import { exitWithParent } from '../core/spawn-server.js';
import { listen } from '../core/listen.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

async function main(): Promise<void> {
  const upstream = new URL(process.argv[2] ?? '');
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: endToEnd(req.headers), agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      answer.pipe(res);
    });
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(out);
  });
  const running = await listen(server, { host: '127.0.0.1', port: 0 });
  process.stdout.write(`bare node proxy listening on ${running.url}\n`);
  const stop = (): void => void running.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  exitWithParent(process.env, stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`bare node proxy failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
