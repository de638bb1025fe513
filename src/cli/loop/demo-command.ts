// `loop demo` (what `npm start` runs) and `loop demo switch blue|green`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { LoopError, messageOf } from '../../core/errors.js';
import { demoOptionsSchema } from '../../demo/demo-options.js';
import { addConfigAndSchemaOptions, resolveCommandOptions, runUntilSignal } from '../command-options.js';

export function registerDemoCommand(program: Command, loopBin: string): void {
  const demo = program.command('demo').description("run the tutorial's world on loopback: loop server, gateway, web → payment blue/green");
  addConfigAndSchemaOptions(demo, demoOptionsSchema);
  demo.action(async (flags: Record<string, unknown>) => {
    const o = await resolveCommandOptions(demoOptionsSchema, flags);
    const say = (line: string): void => {
      process.stdout.write(`• ${line}\n`);
    };
    // The tutorial's TapConfig ships with the package (dist/cli/loop → the package root), wherever we run from.
    const tapFile = o.tapFile ? path.resolve(o.tapFile) : fileURLToPath(new URL('../../../examples/tutorial/gloo-loop/tap.yaml', import.meta.url));
    const { demoInstructions, startDemoWorld } = await import('../../demo/demo-world.js');
    const world = await startDemoWorld({ ...o, dataDir: path.resolve(o.dataDir), tapFile, loopBin, say });
    process.stdout.write(demoInstructions(world));
    process.stdout.write(`\n  web UI: ${world.loop.url}/ui/ (captures appear live; open one to replay it)\n`);
    let closing = false;
    const closeWorld = (): Promise<void> => {
      closing = true;
      return world.close();
    };
    // A child that dies on its own takes the demo down with it, loudly.
    const died = new Promise<void>((resolve) => {
      for (const [name, proc] of [['loop server', world.loop], ['gateway', world.gateway]] as const) {
        proc.child.once('exit', (code) => {
          if (closing) return;
          process.stderr.write(`${name} exited (code ${code}); stopping the demo\n`);
          void closeWorld().then(() => resolve());
        });
      }
    });
    await Promise.race([runUntilSignal(closeWorld, () => process.stdout.write('\nstopping…\n')), died]);
  });

  demo
    .command('switch <version>')
    .description('switch which payment version web calls: blue (healthy) or green (sleepy)')
    .option('--web <url>', "the demo's web service", 'http://127.0.0.1:9090')
    .action(async (version: string, o: { web: string }) => {
      if (version !== 'blue' && version !== 'green') throw new LoopError('BAD_REQUEST', `version "${version}" is not blue or green`);
      let res: Response;
      try {
        res = await fetch(`${o.web.replace(/\/$/, '')}/_demo/payment`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version }) });
      } catch (err) {
        throw new LoopError('SERVER_UNREACHABLE', `cannot reach the demo's web service at ${o.web}: ${messageOf((err as { cause?: unknown }).cause ?? err)}`, {
          hint: 'is `npm start` running?',
        });
      }
      if (!res.ok) throw new LoopError('INTERNAL', `web answered ${res.status}: ${await res.text()}`);
      process.stdout.write(`payment is now ${version}\n`);
    });
}
