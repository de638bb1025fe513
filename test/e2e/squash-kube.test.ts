// squashctl on Kubernetes, end to end — against a STAND-IN API server, not a cluster (none is reachable
// here). The built squashctl talks real REST, watches, pod log and websocket port-forward
// (v4.channel.k8s.io) through the official client library to src/squash/kube/pod-api-stand-in, with only
// the permissions deploy/squash-debugger.yaml grants; its fake kubelet runs the real plank CLI on this
// machine against a real Node (or C) sample, and the test speaks CDP (gdb remote) to that real debugger
// through squashctl's local forwarded port. Every process started here is ended.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import type { V1Pod } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Pod } from 'kubernetes-models/v1';
import { standInKubeconfig } from '../../src/loop/kube/kube-api-stand-in.test-helper.js';
import { connectCdp } from '../../src/squash/debuggers/cdp-client.js';
import { connectGdbRemote } from '../../src/squash/debuggers/gdb-remote-client.js';
import { manifestAuthorizer, readSquashManifest } from '../../src/squash/kube/manifest-rbac.test-helper.js';
import { ownListeners } from '../../src/squash/debuggers/proc-sockets.js';
import { startPodApiStandIn, type PodApiStandIn, type StandInObject } from '../../src/squash/kube/pod-api-stand-in.test-helper.js';
import { EXAMPLES, sampleCommand } from '../../src/squash/samples/sample-targets.js';
import type { MachineOutput } from '../../src/squash/ide/index.js';
import { ROOT } from './harness.js';

const SQUASHCTL = path.join(ROOT, 'dist/cli/squashctl/main.js');
const PLANK = path.join(ROOT, 'dist/cli/plank/main.js');
const CONTAINER_ID = 'c0ffee'.padEnd(64, '0');

let api: PodApiStandIn;
let dir: string;
let kubeconfig: string;
const processes: ChildProcess[] = [];

/** The Node sample, started with --inspect-port=0 so SIGUSR1 opens a free port (parallel test files may hold 9229). */
/** A Node sample as the process of the API stand-in's default/web-1 container `web`. */
async function nodeSampleInWebPod(): Promise<ChildProcess> {
  const sample = await nodeSample();
  api.containerPids.set(CONTAINER_ID, sample.pid!);
  return sample;
}

async function nodeSample(): Promise<ChildProcess> {
  const { cmd, args, cwd } = sampleCommand('node', undefined);
  const child = spawn(cmd, ['--inspect-port=0', ...args], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
  processes.push(child);
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) if (/^listening on 127\.0\.0\.1:\d+$/.test(line)) break;
  return child;
}

function targetPod(phase = 'Running'): StandInObject {
  return {
    metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web' } },
    spec: { nodeName: 'node-a', containers: [{ name: 'web', image: 'docker.io/library/node:20', command: ['node', 'server.js'] }] },
    status: {
      phase,
      containerStatuses: [{ name: 'web', image: 'node:20', imageID: '', ready: true, restartCount: 0, containerID: `containerd://${CONTAINER_ID}`, state: { running: { startedAt: new Date().toISOString() } } }],
    },
  };
}

interface Squashctl {
  child: ChildProcess;
  stderr(): string;
  exit: Promise<number | null>;
  /** Resolves with the first stderr line matching. */
  stderrLine(re: RegExp): Promise<string>;
  stdoutJson(): Promise<MachineOutput>;
}

function squashctl(args: string[]): Squashctl {
  const child = spawn(process.execPath, [SQUASHCTL, '--kubeconfig', kubeconfig, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SQUASH_STATE_DIR: dir } });
  processes.push(child);
  let stderr = '';
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr += `${line}\n`;
    for (const w of waiters.splice(0)) if (w.re.test(line)) w.resolve(line); else waiters.push(w);
  });
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    stderr: () => stderr,
    exit,
    stderrLine: (re) => new Promise((resolve) => waiters.push({ re, resolve })),
    stdoutJson: async () => {
      for await (const line of createInterface({ input: child.stdout! })) return JSON.parse(line) as MachineOutput;
      throw new Error(`squashctl printed nothing; stderr:\n${stderr}`);
    },
  };
}

/** squashctl on a real pseudo-terminal (util-linux `script`): we type, it draws (ANSI stripped). */
function onTerminal(args: string[]): { write(keys: string): void; waitFor(re: RegExp): Promise<void>; exit: Promise<number | null>; screen(): string } {
  // `exec`: script runs the command through $SHELL -c; dash (CI's /bin/sh) stays as the parent and dies of the Ctrl-C itself (exit 130).
  const command = `exec ${[process.execPath, SQUASHCTL, '--kubeconfig', kubeconfig, ...args].map((a) => JSON.stringify(a)).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, SQUASH_STATE_DIR: dir, TERM: 'xterm', COLUMNS: '200', LINES: '50' }, stdio: ['pipe', 'pipe', 'pipe'] });
  processes.push(child);
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (c: Buffer): void => {
    // eslint-disable-next-line no-control-regex
    text += c.toString().replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return {
    write: (keys) => void child.stdin!.write(keys),
    screen: () => text,
    exit: new Promise((resolve) => child.once('close', (code) => resolve(code))),
    waitFor: (re) =>
      new Promise((resolve) => {
        const check = (): void => {
          if (!re.test(text)) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
  };
}

const plankPods = () => api.pods('squash-debugger');
const createdPlank = () => api.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/namespaces/squash-debugger/pods')?.body as V1Pod | undefined;

beforeEach(async () => {
  api = await startPodApiStandIn({ nodePath: process.execPath, plankMain: PLANK });
  for (const ns of ['default', 'squash-debugger', 'kube-system']) api.addNamespace(ns);
  api.addPod(targetPod());
  // squashctl's user has exactly what deploy/squash-debugger.yaml grants the group squash-users.
  api.authorize = manifestAuthorizer(readSquashManifest(), 'squash-users');
  dir = await mkdtemp(path.join(tmpdir(), 'squash-kube-'));
  kubeconfig = path.join(dir, 'kubeconfig');
  await writeFile(kubeconfig, standInKubeconfig(api.url));
});

afterEach(async () => {
  for (const p of processes.splice(0)) if (p.exitCode === null && p.signalCode === null) {
    p.kill('SIGKILL');
    await once(p, 'exit');
  }
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

describe('squashctl --namespace/--pod against the Kubernetes API stand-in', () => {
  it('starts a least-privilege plank pod on the node, port-forwards to the real inspector the real plank attached, and deletes the pod on Ctrl-C', async () => {
    const sample = await nodeSampleInWebPod();
    const forwards: Array<{ namespace: string; pod: string; port: number }> = [];
    api.events.on('portforward', (f) => forwards.push(f));
    // The fake kubelet runs the pod at once; on a node, its events come while it is still Pending. Holding the
    // pod watch's answer until they are shown gives that order (events that come after Running are not progress).
    api.holdWatches('pods');
    const run = squashctl(['--namespace', 'default', '--pod', 'web-1', '--machine']);
    void run.stderrLine(/Started: Started container plank/).then(() => api.releaseWatches());
    const out = await run.stdoutJson();

    const pod = createdPlank()!;
    expect(() => new Pod(pod as never).validate()).not.toThrow();
    expect(pod.spec).toMatchObject({ nodeName: 'node-a', hostPID: true, restartPolicy: 'Never', activeDeadlineSeconds: 3600 });
    expect(pod.spec!.hostNetwork).toBeUndefined();
    expect(pod.metadata!.labels).toMatchObject({ plank: 'true', 'squash.solo.io/target-namespace': 'default', 'squash.solo.io/target-pod': 'web-1', 'squash.solo.io/target-container': 'web' });
    expect(pod.spec!.containers[0]!.securityContext!.capabilities).toEqual({ drop: ['ALL'], add: ['SYS_PTRACE'] });
    expect(pod.spec!.containers[0]!.args!.slice(0, 5)).toEqual(['plank', '--container', CONTAINER_ID, '--debugger', 'nodejs']);
    expect(pod.spec!.containers[0]!.args!.slice(-2)).toEqual(['--netns-relay', 'off']);
    expect(JSON.stringify(pod)).not.toMatch(/containerd\.sock|crio\.sock|docker\.sock/);

    // Progress was shown on the way.
    expect(run.stderr()).toMatch(/plank pod squash-debugger\/plank-\w+ created/);
    expect(run.stderr()).toMatch(/Pulling: Pulling image "squash-plank:/);
    expect(run.stderr()).toMatch(/Running: waiting for the plank to attach/);

    // The endpoint is local; CDP through it reaches the real inspector inside the "target pod".
    expect(out.endpoint).toMatchObject({ debugger: 'nodejs', protocol: 'cdp', host: '127.0.0.1', pid: sample.pid });
    const cdp = await connectCdp(out.endpoint.websocketUrl!);
    const result = await cdp.send<{ result: { value: number } }>('Runtime.evaluate', { expression: '1+1' });
    cdp.close();
    expect(result.result.value).toBe(2);
    // To the target pod, at the port the inspector listens on inside it (the plank's ready endpoint named it).
    const inspectorPorts = (await ownListeners(sample.pid!)).map((s) => s.port);
    expect(forwards[0]).toMatchObject({ namespace: 'default', pod: 'web-1' });
    expect(inspectorPorts).toContain(forwards[0]!.port);

    const deleted = once(api.events, 'pod-deleted');
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(0);
    await deleted;
    expect(plankPods()).toEqual([]);
    expect(sample.exitCode).toBeNull(); // the target keeps running
  });

  it('deletes the plank pod when its terminal closes (SIGHUP), as on Ctrl-C', async () => {
    const sample = await nodeSampleInWebPod();
    const run = squashctl(['--namespace', 'default', '--pod', 'web-1', '--machine']);
    await run.stdoutJson();
    expect(plankPods()).toHaveLength(1);
    run.child.kill('SIGHUP');
    expect(await run.exit).toBe(0);
    expect(plankPods()).toEqual([]);
    expect(sample.exitCode).toBeNull();
  });

  it("stops watching the plank pod's events once it runs, also when that watch is answered after the pod's", async () => {
    await nodeSampleInWebPod();
    api.holdWatches('events');
    const run = squashctl(['--namespace', 'default', '--pod', 'web-1', '--machine']);
    await run.stdoutJson();
    const eventsWatchClosed = new Promise<void>((resolve) => api.events.on('watch-closed', (kind) => kind === 'events' && resolve()));
    api.releaseWatches();
    await eventsWatchClosed; // squashctl ends it as soon as it is answered (it used to hold it for the whole session)
    expect(api.openWatches('events')).toBe(0);
    expect(api.openWatches('pods')).toBe(0);
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(0);
    // Nothing of that watch shows as progress after the wait: not its events, not its abort.
    const afterWait = run.stderr().slice(run.stderr().indexOf('Running: waiting for the plank to attach'));
    expect(afterWait).not.toMatch(/Pulling|no event progress/);
  });

  it('ends the session, saying why, when the plank lets go at its TTL (instead of holding a port-forward to nothing)', async () => {
    const sample = await nodeSampleInWebPod();
    const run = squashctl(['--namespace', 'default', '--pod', 'web-1', '--ttl', '2s', '--machine']);
    await run.stdoutJson();
    expect(await run.exit).toBe(0);
    expect(run.stderr()).toMatch(/the plank in pod squash-debugger\/plank-\w+ let go of the target: the TTL of 2000 ms ran out: the session is over\n/);
    expect(plankPods()).toEqual([]);
    expect(sample.exitCode).toBeNull();
  });

  it('ends the session when its plank pod is deleted from elsewhere (squashctl cleanup --platform kube)', async () => {
    await nodeSampleInWebPod();
    const run = squashctl(['--namespace', 'default', '--pod', 'web-1', '--machine']);
    await run.stdoutJson();
    const cleanup = squashctl(['cleanup', '--platform', 'kube']);
    expect(await cleanup.exit).toBe(0);
    expect(await run.exit).toBe(0);
    expect(run.stderr()).toMatch(/the plank pod squash-debugger\/plank-\w+ was deleted: the session is over\n/);
  });

  it('closes the Node inspector it opened in the target when the session ends, so a next session can open it again', async () => {
    const sample = await nodeSampleInWebPod();
    const before = (await ownListeners(sample.pid!)).map((s) => s.port);
    for (const session of ['first', 'second']) {
      const run = squashctl(['--namespace', 'default', '--pod', 'web-1', '--timeout', '5s', '--machine']);
      const printed = await run.stdoutJson().catch((err: unknown) => err);
      expect(printed, `${session} session: ${run.stderr()}`).toMatchObject({ endpoint: { protocol: 'cdp', pid: sample.pid } });
      run.child.kill('SIGINT');
      expect(await run.exit).toBe(0);
      // The inspector's port is gone from the target again (it stayed open, and the next plank timed out waiting for it to open).
      await vi.waitFor(async () => expect((await ownListeners(sample.pid!)).map((s) => s.port)).toEqual(before), { timeout: 5000, interval: 50 });
    }
    expect(sample.exitCode).toBeNull();
  });

  it('refuses a second session on a container a live plank pod holds, naming that pod, and starts no second one', async () => {
    await nodeSampleInWebPod();
    const first = squashctl(['--namespace', 'default', '--pod', 'web-1', '--machine']);
    await first.stdoutJson();
    const holder = plankPods()[0]!.metadata.name;
    const second = squashctl(['--namespace', 'default', '--pod', 'web-1', '--timeout', '3s']);
    expect(await second.exit).toBe(1);
    expect(second.stderr()).toContain(`squashctl: default/web-1 container web is already held by plank pod squash-debugger/${holder} (nodejs, since `);
    expect(second.stderr()).toContain(`hint: connect through the squashctl session that started it, or end it with kubectl delete pod -n squash-debugger ${holder}`);
    expect(api.requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/namespaces/squash-debugger/pods')).toHaveLength(1);
    first.child.kill('SIGINT');
    expect(await first.exit).toBe(0);
    expect(plankPods()).toEqual([]);
  });

  it('for gdbserver (it runs in the plank pod) port-forwards to the plank pod and reaches the real gdbserver', async () => {
    const cBinary = path.join(dir, 'cservice');
    await new Promise<void>((resolve, reject) => {
      const cc = spawn('gcc', ['-g', '-O0', '-o', cBinary, path.join(EXAMPLES, 'c-service/server.c')], { stdio: 'inherit' });
      cc.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`gcc exited ${code}`))));
    });
    const { cmd, args, cwd } = sampleCommand('c', { dir, goBinary: '', cBinary, remove: async () => undefined });
    const sample = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    processes.push(sample);
    for await (const line of createInterface({ input: sample.stdout! })) if (/^listening on/.test(line)) break;
    api.containerPids.set(CONTAINER_ID, sample.pid!);
    const forwards: Array<{ namespace: string; pod: string; port: number }> = [];
    api.events.on('portforward', (f) => forwards.push(f));

    const run = squashctl(['--namespace', 'default', '--pod', 'web-1', '--debugger', 'gdb', '--program', cBinary, '--machine']);
    const out = await run.stdoutJson();
    expect(out.endpoint).toMatchObject({ debugger: 'gdb', protocol: 'gdb-remote', host: '127.0.0.1', pid: sample.pid });
    const gdb = await connectGdbRemote(out.endpoint.host, out.endpoint.port);
    expect(await gdb.request('qSupported')).toMatch(/PacketSize=/);
    gdb.close();
    const plankName = plankPods()[0]!.metadata.name;
    expect(forwards[0]).toMatchObject({ namespace: 'squash-debugger', pod: plankName });
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(plankPods()).toEqual([]);
  });

  it('gdb without --program is refused before any plank pod is created (every IDE needs the local binary for symbols)', async () => {
    const created: unknown[] = [];
    api.events.on('pod-created', (p) => created.push(p));
    const run = squashctl(['--namespace', 'default', '--pod', 'web-1', '--debugger', 'gdb', '--machine']);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toContain('gdb on Kubernetes needs --program');
    expect(created).toEqual([]);
  });

  it.skipIf(!existsSync('/usr/bin/script'))('picks namespace → pod → debugger on a terminal (system namespaces and pods not Running hidden)', async () => {
    await nodeSampleInWebPod();
    api.addPod({ ...targetPod('Pending'), metadata: { name: 'web-pending', namespace: 'default' } });
    const term = onTerminal(['--platform', 'kube']);
    await term.waitFor(/Namespace \(type to filter\)[\s\S]*default/);
    expect(term.screen()).not.toMatch(/kube-system|squash-debugger/);
    term.write('def');
    await term.waitFor(/❯ default/);
    term.write('\r');
    await term.waitFor(/Pod in default[\s\S]*web-1/);
    expect(term.screen()).not.toContain('web-pending');
    term.write('\r');
    await term.waitFor(/nodejs \(detected from the image\)/);
    term.write('\r');
    // The IDE configuration is the last thing printed: wait for it, not for the line before it.
    await term.waitFor(/"request": "attach"/);
    expect(term.screen()).toMatch(/Attached nodejs to default\/web-1 container web/);
    expect(term.screen()).toContain('Ctrl-C ends the session');
    const deleted = once(api.events, 'pod-deleted');
    term.write('\x03');
    const code = await term.exit;
    expect(code, `squashctl exited ${code}; the terminal showed:\n${term.screen().slice(-3000)}`).toBe(0);
    await deleted;
    expect(plankPods()).toEqual([]);
  });

  it('names the image when the node cannot pull it, and leaves no plank pod behind', async () => {
    api.plankBehaviour = { kind: 'image-pull-fails' };
    const run = squashctl(['--namespace', 'default', '--pod', 'web-1', '--container', 'web', '--debugger', 'nodejs', '--plank-image', 'registry.example/squash-plank:nope']);
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toMatch(/cannot pull the plank image registry\.example\/squash-plank:nope \((ErrImagePull|ImagePullBackOff)\)/);
    expect(run.stderr()).toMatch(/hint: push the image/);
    expect(plankPods()).toEqual([]);
  });

  it("says why the node cannot pull the image (the kubelet's event) even when the pod shows the failure before the events watch brings it", async () => {
    api.plankBehaviour = { kind: 'image-pull-fails' };
    api.holdWatches('events');
    const run = squashctl(['--namespace', 'default', '--pod', 'web-1', '--container', 'web', '--debugger', 'nodejs', '--plank-image', 'registry.example/squash-plank:nope']);
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toMatch(/cannot pull the plank image registry\.example\/squash-plank:nope \(\w+\): Failed to pull image "registry\.example\/squash-plank:nope": .*pull access denied/);
    expect(plankPods()).toEqual([]);
  });

  it('says which verb, resource and namespace RBAC refused when the plank pod cannot be created', async () => {
    api.deny('create', 'pods', 'squash-debugger');
    const run = squashctl(['--namespace', 'default', '--pod', 'web-1']);
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toMatch(/squashctl: not allowed to create pods in namespace squash-debugger: pods is forbidden: User "stand-in-user" cannot create resource "pods"/);
    expect(run.stderr()).toMatch(/hint: apply deploy\/squash-debugger\.yaml/);
  });

  it('reports the scheduler message when the plank pod cannot be scheduled', async () => {
    api.plankBehaviour = { kind: 'unschedulable', message: '0/3 nodes are available: 3 Insufficient memory.' };
    const run = squashctl(['--namespace', 'default', '--pod', 'web-1']);
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toMatch(/the plank pod plank-\w+ cannot be scheduled: 0\/3 nodes are available: 3 Insufficient memory\./);
    expect(plankPods()).toEqual([]);
  });

  it("reports the plank's refusal when the cluster's plank policy leaves out the target's namespace, and deletes the plank pod", async () => {
    const sample = await nodeSampleInWebPod();
    api.addConfigMap('squash-debugger', 'squash-plank-policy', { allowedNamespaces: 'prod, staging' });
    const listenersBefore = await ownListeners(sample.pid!);
    const deleted = once(api.events, 'pod-deleted');
    const run = squashctl(['--namespace', 'default', '--pod', 'web-1', '--container', 'web', '--debugger', 'nodejs']);
    expect(await run.exit).toBe(1);
    expect(createdPlank()!.spec!.containers[0]!.args).toEqual(expect.arrayContaining(['--target-namespace', 'default', '--allow-namespaces', 'prod,staging']));
    expect(run.stderr()).toMatch(new RegExp(`squashctl: process ${sample.pid} is in namespace default, which planks may not debug; allowed namespaces: prod, staging`));
    await deleted;
    expect(plankPods()).toEqual([]);
    expect(sample.exitCode).toBeNull();
    expect(await ownListeners(sample.pid!)).toEqual(listenersBefore); // no inspector was opened in the target
  });

  it('refuses a --port that is already in use before it starts a plank pod, naming the port', async () => {
    await nodeSampleInWebPod();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const run = squashctl(['--namespace', 'default', '--pod', 'web-1', '--port', String(port)]);
      expect(await run.exit).toBe(2);
      expect(run.stderr()).toContain(`squashctl: --port: cannot listen on 127.0.0.1:${port}: the address is already in use`);
      expect(run.stderr()).toMatch(/hint: stop what listens there .*or give --port another port/);
      expect(createdPlank()).toBeUndefined();
    } finally {
      taken.close();
    }
  });

  it('says which of namespace and pod does not exist', async () => {
    const noNamespace = squashctl(['--namespace', 'defualt', '--pod', 'web-1']);
    expect(await noNamespace.exit).toBe(3);
    expect(noNamespace.stderr()).toBe('squashctl: no namespace defualt\n  hint: squashctl kube namespaces lists them (system ones with --all-namespaces)\n');
    const noPod = squashctl(['--namespace', 'default', '--pod', 'web-9']);
    expect(await noPod.exit).toBe(3);
    expect(noPod.stderr()).toBe('squashctl: no pod web-9 in namespace default\n  hint: kubectl get pods -n default\n');
    expect(createdPlank()).toBeUndefined();
  });

  it('refuses a target pod that is not Running, creating nothing', async () => {
    api.addPod({ ...targetPod('Pending'), metadata: { name: 'web-2', namespace: 'default' } });
    const run = squashctl(['--namespace', 'default', '--pod', 'web-2']);
    expect(await run.exit).toBe(3);
    expect(run.stderr()).toMatch(/pod default\/web-2 is Pending, not Running/);
    expect(run.stderr()).not.toMatch(/attaching|starting a plank pod/);
    expect(createdPlank()).toBeUndefined();
  });

  it('refuses a container the pod does not have, or one not running, before it names a debugger or starts anything', async () => {
    const missing = squashctl(['--namespace', 'default', '--pod', 'web-1', '--container', 'nope']);
    expect(await missing.exit).toBe(3);
    expect(missing.stderr()).toBe('squashctl: pod default/web-1 has no container "nope"\n  hint: its containers: web\n');
    const crashing = targetPod();
    (crashing.status!.containerStatuses as Array<{ state: unknown }>)[0]!.state = { waiting: { reason: 'CrashLoopBackOff' } };
    api.addPod({ ...crashing, metadata: { name: 'web-3', namespace: 'default' } });
    const notRunning = squashctl(['--namespace', 'default', '--pod', 'web-3']);
    expect(await notRunning.exit).toBe(3);
    expect(notRunning.stderr()).toBe('squashctl: container web of pod default/web-3 is not running\n');
    expect(createdPlank()).toBeUndefined();
  });

  it('refuses gdb without --program before it starts a plank pod (the IDE configuration cannot be written without it)', async () => {
    await nodeSampleInWebPod();
    const run = squashctl(['--namespace', 'default', '--pod', 'web-1', '--debugger', 'gdb']);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toMatch(/^squashctl: gdb on Kubernetes needs --program: the IDE's gdb loads symbols from a local copy of container web's binary\n {2}hint: .*--program/);
    expect(createdPlank()).toBeUndefined();
  });

  it('deletes the plank pod when Ctrl-C arrives while it is still pending', async () => {
    api.plankBehaviour = { kind: 'pending' };
    const run = squashctl(['--namespace', 'default', '--pod', 'web-1']);
    await run.stderrLine(/ContainerCreating/);
    expect(plankPods()).toHaveLength(1);
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(130);
    expect(plankPods()).toEqual([]);
  });

  it('`squashctl cleanup --platform kube` deletes every plank pod in squash-debugger and nothing else', async () => {
    for (const name of ['plank-a', 'plank-b']) api.addPod({ metadata: { name, namespace: 'squash-debugger', labels: { plank: 'true' } }, spec: { containers: [] }, status: { phase: 'Pending' } });
    api.addPod({ metadata: { name: 'other', namespace: 'squash-debugger' }, spec: { containers: [] }, status: { phase: 'Running' } });
    const run = squashctl(['cleanup', '--platform', 'kube']);
    expect(await run.exit).toBe(0);
    expect(plankPods().map((p) => p.metadata.name)).toEqual(['other']);
    expect(api.pods('default').map((p) => p.metadata.name)).toEqual(['web-1']);
  });
});

describe('squashctl kube namespaces|pods -o json (the listing editor plugins read) against the stand-in', () => {
  async function stdoutOf(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const run = squashctl(args);
    let stdout = '';
    run.child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    const [code] = (await once(run.child, 'close')) as [number | null];
    return { code, stdout, stderr: run.stderr() };
  }

  it('lists the namespaces a target can be picked from, system ones hidden', async () => {
    const r = await stdoutOf(['kube', 'namespaces', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ name: 'default' }]);
    expect(JSON.parse((await stdoutOf(['kube', 'namespaces', '--all-namespaces', '-o', 'json'])).stdout)).toEqual([{ name: 'default' }, { name: 'kube-system' }, { name: 'squash-debugger' }]);
  });

  it('lists the Running pods of a namespace with their containers, container IDs and guessed debuggers', async () => {
    api.addPod({ ...targetPod('Pending'), metadata: { name: 'web-pending', namespace: 'default' } });
    api.addPod({
      metadata: { name: 'api-2', namespace: 'default' },
      spec: { nodeName: 'node-b', containers: [{ name: 'api', image: 'registry.example/api:v2', args: ['python3', 'app.py'] }, { name: 'envoy', image: 'envoyproxy/envoy:v1.30' }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'api', image: '', imageID: '', ready: true, restartCount: 0, containerID: 'cri-o://0123456789abcdef', state: { running: {} } }, { name: 'envoy', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] },
    });
    const r = await stdoutOf(['kube', 'pods', '--namespace', 'default', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        namespace: 'default',
        name: 'api-2',
        node: 'node-b',
        containers: [
          { name: 'api', image: 'registry.example/api:v2', containerId: '0123456789abcdef', debugger: 'python' },
          { name: 'envoy', image: 'envoyproxy/envoy:v1.30', debugger: 'gdb' },
        ],
      },
      { namespace: 'default', name: 'web-1', node: 'node-a', containers: [{ name: 'web', image: 'docker.io/library/node:20', containerId: CONTAINER_ID, debugger: 'nodejs' }] },
    ]);
  });

  it('says which flag is missing, and what RBAC refused', async () => {
    const missing = await stdoutOf(['kube', 'pods', '-o', 'json']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/--namespace/);
    api.deny('list', 'pods', 'default');
    const denied = await stdoutOf(['kube', 'pods', '--namespace', 'default', '-o', 'json']);
    expect(denied.code).not.toBe(0);
    expect(denied.stdout).toBe('');
    expect(denied.stderr).toMatch(/list.*pods.*default/);
  });
});
