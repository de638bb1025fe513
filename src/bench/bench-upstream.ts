// The gateway benchmark's upstream, run in a child process of its own so it never shares the event loop of
// the bench or of a proxy: reads each request body to the end, then answers 200 with a 1 KiB JSON body.
// It runs on the gateway's own HTTP/1.1 server rather than node:http because it shares the load CPU with
// wrk (and the tap rows' loop servers): node:http spent ~40 µs of that CPU per request, this ~25, and with
// node:http the load side could not keep the proxy's CPU busy in the tap rows (72% busy in a capture-all
// head to head, 91-95% with this one), so those rows measured an idling proxy.
// Run: node dist/bench/bench-upstream.js [host:port]  — prints "bench upstream listening on URL".
import { exitWithParent } from '../core/spawn-server.js';
import { listen, parseHostPort } from '../core/listen.js';
import { Http1Server } from '../loop/gateway/http1-server.js';

const UPSTREAM_BODY_BYTES = 1024;

/** `{"data":"xxx…"}` of exactly `bytes` bytes. */
function jsonBody(bytes: number): Buffer {
  const frame = '{"data":""}';
  return Buffer.from(`{"data":"${'x'.repeat(Math.max(0, bytes - frame.length))}"}`);
}

async function main(): Promise<void> {
  const body = jsonBody(UPSTREAM_BODY_BYTES);
  const headers = ['content-type', 'application/json', 'content-length', String(body.length)];
  // Proxies keep pooled connections between rows; a long idle timeout keeps them from racing a close.
  const server = new Http1Server(
    (req, res) => {
      req.on('data', () => {});
      req.on('end', () => {
        res.writeHead(200, headers);
        res.end(body);
      });
    },
    { keepAliveTimeoutMs: 65_000 },
  );
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
