// nginx as a reverse proxy for the gateway benchmark: a config generated into a temp dir (keep-alive
// upstream pool, HTTP/1.1 to the upstream, no access log), run in the foreground as our child.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LoopError } from '../core/errors.js';

export interface NginxTarget {
  url: string;
  /** The master's; its workers are its children. */
  pid: number;
  stop(): Promise<void>;
}

export interface NginxConfigInput {
  dir: string;
  port: number;
  upstream: URL;
  /** `1` or `auto`. */
  workers: string;
  /** Answered on /__bench_ready, so readiness proves the port is ours and not another process's. */
  nonce: string;
}

export function nginxConfig(c: NginxConfigInput): string {
  const temp = (name: string): string => `${name} ${path.join(c.dir, name.replace(/_path$/, ''))};`;
  return `worker_processes ${c.workers};
pid ${path.join(c.dir, 'nginx.pid')};
error_log ${path.join(c.dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  ${temp('client_body_temp_path')}
  ${temp('proxy_temp_path')}
  ${temp('fastcgi_temp_path')}
  ${temp('uwsgi_temp_path')}
  ${temp('scgi_temp_path')}
  upstream bench_upstream {
    server ${c.upstream.hostname}:${c.upstream.port};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${c.port};
    location = /__bench_ready { return 200 "${c.nonce}"; }
    location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

function getText(url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 1000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => (text += s));
      res.on('end', () => resolve(res.statusCode === 200 ? text : undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM'); // nginx: fast shutdown, the master stops its workers
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts nginx with `workers` worker processes in front of `upstream`. nginx cannot listen on port 0 and
 * tell us the port, so a random high port is tried, and another one if nginx exits (the port was taken);
 * readiness is a GET answering our nonce.
 */
export async function startNginx(nginxPath: string, dir: string, upstream: URL, workers: string): Promise<NginxTarget> {
  await mkdir(dir, { recursive: true });
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = randomInt(20_000, 60_000);
    const nonce = randomBytes(8).toString('hex');
    const conf = path.join(dir, 'nginx.conf');
    await writeFile(conf, nginxConfig({ dir, port, upstream, workers, nonce }));
    // -e: the startup error log goes to the temp dir too (not /var/log/nginx, which may not be writable).
    const child = spawn(nginxPath, ['-p', dir, '-c', conf, '-e', path.join(dir, 'error.log'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) {
      if ((await getText(`${url}/__bench_ready`)) === nonce) {
        return {
          url,
          pid: child.pid!,
          stop: async () => {
            await stopChild(child, exited);
            process.off('exit', killOnExit);
          },
        };
      }
      await sleep(50);
    }
    await stopChild(child, exited);
    process.off('exit', killOnExit);
    lastError = stderr.trim() || `nginx did not answer on ${url} within 10 s`;
    if (!/Address already in use/i.test(lastError)) break;
  }
  throw new LoopError('INTERNAL', `nginx did not start: ${lastError}`);
}
