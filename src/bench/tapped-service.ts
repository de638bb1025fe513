// The service-tap suite's service, in a child process of its own: node:http (the server a service tapping
// itself runs), reading each request body to the end and answering 200 with a 1 KiB JSON body, as the
// gateway bench's upstream does. With a loop server it taps itself through the public entry's
// createServiceTap, and its tap's counters are at /metrics (answered outside the tapped handler).
// Run: node dist/bench/tapped-service.js [--loop-server URL]  — prints "tapped service listening on URL".
import http from 'node:http';
import { Registry } from 'prom-client';
import { listen } from '../core/listen.js';
import { exitWithParent } from '../core/spawn-server.js';
import { createServiceTap } from '../public/tap.js';

const BODY = Buffer.from(`{"data":"${'x'.repeat(1024 - 11)}"}`);

async function main(): Promise<void> {
  const at = process.argv.indexOf('--loop-server');
  const loopServer = at === -1 ? undefined : process.argv[at + 1];
  const registry = new Registry();
  const tap = loopServer ? createServiceTap({ source: 'bench', destination: 'bench-service:80', loopServer, registry }) : undefined;
  if (tap && !(await tap.ready(10_000))) throw new Error(`tapped service: no TapConfigs from ${loopServer} within 10 s`);
  const app = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(BODY.length) });
      res.end(BODY);
    });
  };
  const tapped = tap ? tap.wrap(app) : app;
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    if (req.url === '/metrics') {
      void registry.metrics().then((text) => res.end(text));
      return;
    }
    tapped(req, res);
  });
  const running = await listen(server, { host: '127.0.0.1', port: 0 });
  process.stdout.write(`tapped service listening on ${running.url}\n`);
  const stop = (): void => void Promise.all([running.close(), tap?.close(2_000)]).then(() => process.exit(0));
  process.once('SIGTERM', stop);
  exitWithParent(process.env, stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`tapped service: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
