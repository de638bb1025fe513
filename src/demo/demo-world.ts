// `npm start`: the tutorial's world on loopback. The loop server (SQLite) and the gateway run as real
// child processes of their CLIs; the tutorial's services (web → payment blue/green) run in this process.
// The tutorial's TapConfig is applied from examples/tutorial/gloo-loop/tap.yaml. close() stops it all.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isLoopError, LoopError } from '../core/errors.js';
import { bracketHost, formatHostPort } from '../core/host-port.js';
import { checkBindable } from '../core/listen.js';
import { spawnServer, type SpawnedServer } from '../core/spawn-server.js';
import { startTutorialServices, type PaymentVersion, type TutorialServices } from './tutorial-services.js';

export interface DemoWorldOptions {
  host: string;
  loopPort: number;
  gatewayPort: number;
  webPort: number;
  bluePort: number;
  greenPort: number;
  adminPort: number;
  dataDir: string;
  tapFile: string;
  active: PaymentVersion;
  /** The `loop` CLI entry (dist/cli/loop/main.js). */
  loopBin: string;
  /** Progress lines for the user. */
  say(line: string): void;
}

export interface DemoWorld {
  loop: SpawnedServer;
  gateway: SpawnedServer;
  services: TutorialServices;
  close(): Promise<void>;
}

export async function startDemoWorld(o: DemoWorldOptions): Promise<DemoWorld> {
  const started: Array<() => Promise<unknown>> = [];
  const closeAll = async (): Promise<void> => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
  };
  try {
    // The loop server and the gateway are children whose errors would name their own flags (--listen): their
    // ports are checked first, under the demo's names, before anything starts.
    for (const [port, flag] of [[o.loopPort, '--loop-port'], [o.gatewayPort, '--gateway-port'], [o.adminPort, '--admin-port']] as const) {
      await checkBindable({ host: o.host, port }, flag).catch((err: unknown) => {
        throw portError(err);
      });
    }
    o.say('starting web, payment blue (healthy) and payment green (the sleepy one)');
    const services = await startTutorialServices({ host: o.host, webPort: o.webPort, bluePort: o.bluePort, greenPort: o.greenPort, active: o.active }).catch((err: unknown) => {
      throw portError(err);
    });
    started.push(() => services.close());

    o.say(`web ${services.web.url}, payment blue ${services.blue.url}, green ${services.green.url}; starting the loop server (SQLite in ${o.dataDir})`);
    const web = formatHostPort(o.host, services.web.port);
    const loop = await spawnServer(
      [o.loopBin, 'serve', '--listen', formatHostPort(o.host, o.loopPort), '--data-dir', o.dataDir, '--alias', `web.default:9090=${web}`, '--alias', `web.default=${bracketHost(o.host)}`, '--log-level', 'warn'],
      { name: 'loop serve', inheritStderr: true },
    );
    started.push(() => loop.stop());

    const tapYaml = await readFile(o.tapFile, 'utf8');
    const applied = await fetch(`${loop.url}/v1/tapconfigs`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: tapYaml });
    if (!applied.ok) throw new LoopError('TAPCONFIG_INVALID', `applying ${o.tapFile} failed: ${await applied.text()}`);
    o.say(`applied the TapConfig in ${path.relative(process.cwd(), o.tapFile) || o.tapFile}`);

    o.say(`loop server ${loop.url}; starting the gateway: / → web.default:9090`);
    const gateway = await spawnServer(
      [
        o.loopBin, 'gateway',
        '--listen', formatHostPort(o.host, o.gatewayPort),
        '--admin', formatHostPort(o.host, o.adminPort),
        '--route', '/=web.default:9090',
        '--alias', `web.default:9090=${web}`,
        '--loop-server', loop.url,
        '--log-level', 'warn',
      ],
      { name: 'loop gateway', inheritStderr: true },
    );
    started.push(() => gateway.stop());
    return { loop, gateway, services, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** A port in use is most likely another `npm start`: the hint says so. */
function portError(err: unknown): unknown {
  if (isLoopError(err, 'CONFIG_INVALID') && err.details?.errno === 'EADDRINUSE') {
    const flag = String(err.details.flag);
    return new LoopError('CONFIG_INVALID', err.message, { cause: err.cause, details: err.details, hint: `another \`npm start\` may be running: stop it, or give ${flag} another port (loop demo --help)` });
  }
  return err;
}

/** What to try next, printed once everything is up. */
export function demoInstructions(world: DemoWorld): string {
  const gw = world.gateway.url.replace('http://127.0.0.1', 'localhost');
  // loopctl talks to http://localhost:5678 and `loop demo switch` to web at 127.0.0.1:9090 unless told otherwise.
  const loopctl = `npx loopctl${/^http:\/\/(?:127\.0\.0\.1|localhost):5678$/.test(world.loop.url) ? '' : ` --server ${world.loop.url}`}`;
  const switchWeb = world.services.web.url === 'http://127.0.0.1:9090' ? '' : ` --web ${world.services.web.url}`;
  return [
    '',
    `The tutorial's world is up. Payment is ${world.services.active()} (${world.services.active() === 'green' ? 'the sleepy version: web times out and answers 500' : 'healthy'}).`,
    '',
    `  loop server ${world.loop.url}   gateway ${world.gateway.url} → web ${world.services.web.url}`,
    '',
    'Try:',
    ...aligned([
      [`curl -v ${gw}`, '# 500: payment green is too slow'],
      [`${loopctl} list`, '# the failure was captured (2xx are not)'],
      [`${loopctl} replay --id 1 --destination web.default:9090`, '# replay it: still 500'],
      [`npx loop demo switch blue${switchWeb}`, '# switch payment to the healthy version'],
      [`${loopctl} replay --id 1 --destination web.default:9090`, '# now 200, and the diff shows it'],
    ]),
    '',
    'Ctrl-C stops everything.',
    '',
  ].join('\n');
}

function aligned(rows: Array<[string, string]>): string[] {
  const width = Math.max(...rows.map(([cmd]) => cmd.length));
  return rows.map(([cmd, note]) => `  ${cmd.padEnd(width)}   ${note}`);
}
