// The gateway benchmark's upstream, run in a child process of its own so it never shares the event loop of
// the bench or of a proxy: reads each request body to the end, then answers 200 with a 1 KiB JSON body.
// Run: node dist/bench/bench-upstream.js [host:port]  — prints "bench upstream listening on URL".
import http from 'node:http';
import { exitWithParent } from '../core/spawn-server.js';
import { listen, parseHostPort } from '../core/listen.js';

const UPSTREAM_BODY_BYTES = 1024;

/** `{"data":"xxx…"}` of exactly `bytes` bytes. */
function jsonBody(bytes: number): Buffer {
  const frame = '{"data":""}';
  return Buffer.from(`{"data":"${'x'.repeat(Math.max(0, bytes - frame.length))}"}`);
}

async function main(): Promise<void> {
  const body = jsonBody(UPSTREAM_BODY_BYTES);
  const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
  const server = http.createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(200, headers);
      res.end(body);
    });
  });
  // Proxies keep pooled connections between rows; a long idle timeout keeps them from racing a close.
  server.keepAliveTimeout = 65_000;
  const address = parseHostPort(process.argv[2] ?? '127.0.0.1:0');
  if (!address) throw new Error(`bench upstream: "${process.argv[2]}" is not host:port`);
  const running = await listen(server, address);
  process.stdout.write(`bench upstream listening on ${running.url}\n`);
  const stop = (): void => void running.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  exitWithParent(process.env, stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench upstream failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
