// A stand-in for the parts of a Kubernetes cluster squashctl uses, for tests: namespaces (list, get), pods (list,
// get, create with generateName, delete, delete by label, watch), events (list, watch), configmaps (get), the pod log
// (follow) and port-forward (websocket, v4.channel.k8s.io: per port a data and an error channel, each
// channel's first frame the port as 2 bytes little-endian). It rides on the TapConfig stand-in's server
// (same auth, same request recording). It is not a cluster: there is no scheduler and no kubelet, only a
// "fake kubelet" that, for a plank pod, spawns the real `plank` CLI on this machine with the pod's
// `--container <id>` mapped to the PID of a real local process, serves its output as the pod log, and
// port-forwards to 127.0.0.1 (every "pod" here shares this machine's network namespace).
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { STAND_IN_TOKEN, startKubeApiStandIn, type KubeApiStandIn, type RecordedRequest } from '../../loop/kube/kube-api-stand-in.test-helper.js';

type Json = Record<string, unknown>;
interface Meta { name: string; namespace?: string; generateName?: string; labels?: Record<string, string>; resourceVersion?: string; uid?: string; creationTimestamp?: string }
export interface StandInObject { apiVersion?: string; kind?: string; metadata: Meta; spec?: Json; status?: Json; [k: string]: unknown }

/** What the fake kubelet does with a new plank pod. */
export type PlankBehaviour =
  | { kind: 'run' }
  /** Pulling the image fails: ErrImagePull, then ImagePullBackOff, with the kubelet's events. */
  | { kind: 'image-pull-fails' }
  /** A FailedScheduling event and the PodScheduled=False condition, as when the node is full. */
  | { kind: 'unschedulable'; message: string }
  /** Stays Pending (ContainerCreating) until deleted. */
  | { kind: 'pending' };

export interface PodApiStandIn {
  api: KubeApiStandIn;
  url: string;
  /**
   * `pod-created`, `pod-deleted` (the pod), `plank-spawned` (the ChildProcess), `portforward` ({namespace, pod, port}),
   * `watch-closed` (the kind: `pods`, `events`, … of a watch whose connection ended).
   */
  events: EventEmitter;
  requests: RecordedRequest[];
  addNamespace(name: string): void;
  addPod(pod: StandInObject): void;
  /** A ConfigMap (get and list only), e.g. squashctl's plank policy. */
  addConfigMap(namespace: string, name: string, data: Record<string, string>): void;
  pod(namespace: string, name: string): StandInObject | undefined;
  pods(namespace: string): StandInObject[];
  /** Leaves watches of `kind` (e.g. `events`) unanswered, not even their headers, until `releaseWatches`. */
  holdWatches(kind: 'pods' | 'events'): void;
  releaseWatches(): void;
  /** Open watch connections, by kind. */
  openWatches(kind: 'pods' | 'events'): number;
  /** Answers 403 Forbidden, as RBAC does, for `verb` on `resource` (e.g. `pods`, `pods/log`) in `namespace`. */
  deny(verb: string, resource: string, namespace: string): void;
  /** An RBAC stand-in: when set, every request it returns false for is answered 403 (namespace undefined: cluster-wide). */
  authorize: ((verb: string, resource: string, namespace: string | undefined) => boolean) | undefined;
  plankBehaviour: PlankBehaviour;
  /** Container ID (without runtime://) → host PID the fake kubelet gives the plank as `--pid`. */
  containerPids: Map<string, number>;
  close(): Promise<void>;
}

export interface PodApiStandInOptions {
  /** The node and the built plank entry point the fake kubelet runs. */
  nodePath: string;
  plankMain: string;
}

const POD_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/(pods|events|configmaps)(?:\/([^/]+)(?:\/(log|portforward))?)?$/;

export async function startPodApiStandIn(options: PodApiStandInOptions): Promise<PodApiStandIn> {
  const store = { pods: new Map<string, StandInObject>(), events: new Map<string, StandInObject>(), namespaces: new Map<string, StandInObject>(), configmaps: new Map<string, StandInObject>() };
  type Kind = keyof typeof store;
  let rv = 1000;
  let uid = 0;
  const watchers = new Set<{ kind: Kind; ns: string | undefined; filter: (o: StandInObject) => boolean; res: ServerResponse }>();
  const denied = new Set<string>();
  let heldKind: Kind | undefined;
  const held: Array<() => void> = [];
  const emitter = new EventEmitter();
  const planks = new Map<string, { child: ChildProcess; log: string; followers: Set<ServerResponse> }>();
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => (p.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false) });
  const state = {
    plankBehaviour: { kind: 'run' } as PlankBehaviour,
    containerPids: new Map<string, number>(),
    authorize: undefined as ((verb: string, resource: string, namespace: string | undefined) => boolean) | undefined,
  };
  const refused = (verb: string, resource: string, ns: string | undefined): boolean =>
    denied.has(`${verb} ${resource} ${ns ?? '*'}`) || (state.authorize !== undefined && !state.authorize(verb, resource, ns));

  const key = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`;
  const copy = <T>(v: T): T => structuredClone(v);
  const notify = (kind: Kind, type: string, o: StandInObject): void => {
    for (const w of watchers) if (w.kind === kind && (w.ns === undefined || w.ns === o.metadata.namespace) && w.filter(o)) w.res.write(JSON.stringify({ type, object: o }) + '\n');
  };
  const put = (kind: Kind, o: StandInObject): StandInObject => {
    const k = key(o.metadata.namespace, o.metadata.name);
    const existed = store[kind].has(k);
    o.metadata.resourceVersion = String(++rv);
    o.metadata.uid ??= `uid-${++uid}`;
    o.metadata.creationTimestamp ??= new Date().toISOString();
    store[kind].set(k, o);
    notify(kind, existed ? 'MODIFIED' : 'ADDED', copy(o));
    return copy(o);
  };
  const remove = (kind: Kind, o: StandInObject): void => {
    store[kind].delete(key(o.metadata.namespace, o.metadata.name));
    o.metadata.resourceVersion = String(++rv);
    notify(kind, 'DELETED', copy(o));
  };
  const event = (pod: StandInObject, type: 'Normal' | 'Warning', reason: string, message: string): void => {
    const ns = pod.metadata.namespace!;
    put('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${pod.metadata.name}.${(++uid).toString(16)}`, namespace: ns },
      involvedObject: { kind: 'Pod', namespace: ns, name: pod.metadata.name, uid: pod.metadata.uid },
      type,
      reason,
      message,
      source: { component: reason === 'FailedScheduling' ? 'default-scheduler' : 'kubelet' },
      lastTimestamp: new Date().toISOString(),
    });
  };
  const setStatus = (pod: StandInObject, status: Json): void => {
    const current = store.pods.get(key(pod.metadata.namespace, pod.metadata.name));
    if (!current) return;
    current.status = status;
    put('pods', current);
  };

  /** The fake kubelet: turns a created plank pod into a real plank process, or into the failure asked for. */
  const kubelet = (pod: StandInObject): void => {
    const container = (pod.spec!.containers as Json[])[0]!;
    const image = container.image as string;
    const waiting = (reason: string, message?: string): Json => ({
      phase: 'Pending',
      containerStatuses: [{ name: container.name, image, imageID: '', ready: false, restartCount: 0, started: false, state: { waiting: { reason, ...(message ? { message } : {}) } } }],
    });
    const behaviour = state.plankBehaviour;
    if (behaviour.kind === 'unschedulable') {
      setStatus(pod, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: behaviour.message }] });
      event(pod, 'Warning', 'FailedScheduling', behaviour.message);
      return;
    }
    setStatus(pod, waiting('ContainerCreating'));
    event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
    if (behaviour.kind === 'pending') return;
    if (behaviour.kind === 'image-pull-fails') {
      const why = `failed to pull and unpack image "${image}": failed to resolve reference "${image}": pull access denied, repository does not exist or may require authorization`;
      event(pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${why}`);
      setStatus(pod, waiting('ErrImagePull', why));
      event(pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
      setStatus(pod, waiting('ImagePullBackOff', `Back-off pulling image "${image}"`));
      return;
    }
    event(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in 0s`);
    const args = (container.args as string[]).slice(1);
    const at = args.indexOf('--container');
    const id = args[at + 1]!;
    const pid = state.containerPids.get(id);
    if (at < 0 || pid === undefined) throw new Error(`stand-in: no PID for container ${id}`);
    args.splice(at, 2, '--pid', String(pid));
    const child = spawn(options.nodePath, [options.plankMain, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const entry = { child, log: '', followers: new Set<ServerResponse>() };
    planks.set(key(pod.metadata.namespace, pod.metadata.name), entry);
    const append = (chunk: Buffer): void => {
      entry.log += chunk.toString();
      for (const f of entry.followers) f.write(chunk);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    event(pod, 'Normal', 'Created', 'Created container plank');
    event(pod, 'Normal', 'Started', 'Started container plank');
    setStatus(pod, {
      phase: 'Running',
      containerStatuses: [{ name: container.name, image, imageID: image, ready: true, restartCount: 0, started: true, containerID: `containerd://plank-${child.pid}`, state: { running: { startedAt: new Date().toISOString() } } }],
    });
    emitter.emit('plank-spawned', child);
    child.once('exit', (code) => {
      for (const f of entry.followers) f.end();
      entry.followers.clear();
      setStatus(pod, { phase: code === 0 ? 'Succeeded' : 'Failed' });
    });
  };

  const forbidden = (res: ServerResponse, verb: string, resource: string, ns: string | undefined): void => {
    const [group, sub] = resource.split('/');
    const message = `${resource} is forbidden: User "stand-in-user" cannot ${verb} resource "${group}"${sub ? ` subresource "${sub}"` : ''} in API group ""${ns ? ` in the namespace "${ns}"` : ' at the cluster scope'}`;
    json(res, 403, statusObject(403, 'Forbidden', message, { kind: group }));
  };

  function handle(req: IncomingMessage, res: ServerResponse, url: URL, r: RecordedRequest): boolean {
    const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    const filter = selectorFilter(url);
    if (url.pathname === '/api/v1/namespaces' || url.pathname === '/api/v1/pods') {
      const kind: Kind = url.pathname.endsWith('pods') ? 'pods' : 'namespaces';
      if (r.method !== 'GET') return false;
      if (refused(watch ? 'watch' : 'list', kind, undefined)) return forbidden(res, watch ? 'watch' : 'list', kind, undefined), true;
      return list(res, kind, undefined, filter), true;
    }
    const namespaceName = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(url.pathname)?.[1];
    if (namespaceName !== undefined && r.method === 'GET') {
      if (refused('get', 'namespaces', undefined)) return forbidden(res, 'get', 'namespaces', undefined), true;
      const found = store.namespaces.get(key(undefined, namespaceName));
      return json(res, found ? 200 : 404, found ?? statusObject(404, 'NotFound', `namespaces "${namespaceName}" not found`, { name: namespaceName, kind: 'namespaces' })), true;
    }
    const m = POD_PATH.exec(url.pathname);
    if (!m) return false;
    const [, ns, kind, name, sub] = m as unknown as [string, string, Kind, string | undefined, string | undefined];
    const verb = sub === 'log' ? 'get' : r.method === 'POST' ? 'create' : r.method === 'DELETE' ? (name ? 'delete' : 'deletecollection') : name ? 'get' : watch ? 'watch' : 'list';
    const resource = sub ? `${kind}/${sub}` : kind;
    if (refused(verb, resource, ns)) return forbidden(res, verb, resource, ns), true;
    if (r.method === 'GET' && !name) {
      if (!watch) return list(res, kind, ns, filter), true;
      const w = { kind, ns, filter, res };
      const answer = (): void => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.flushHeaders();
        for (const o of store[kind].values()) if (o.metadata.namespace === ns && filter(o)) res.write(JSON.stringify({ type: 'ADDED', object: o }) + '\n');
        watchers.add(w);
      };
      res.on('close', () => {
        watchers.delete(w);
        emitter.emit('watch-closed', kind);
      });
      if (heldKind === kind) held.push(answer);
      else answer();
      return true;
    }
    if (r.method === 'POST' && !name && kind === 'pods') {
      const body = copy(r.body as StandInObject);
      if (!store.namespaces.has(key(undefined, ns))) return json(res, 404, statusObject(404, 'NotFound', `namespaces "${ns}" not found`)), true;
      body.metadata.namespace = ns;
      if (!body.metadata.name && body.metadata.generateName) body.metadata.name = `${body.metadata.generateName}${Math.random().toString(36).slice(2, 7)}`;
      body.status = { phase: 'Pending' };
      const created = put('pods', body);
      json(res, 201, created);
      emitter.emit('pod-created', created);
      if (body.metadata.labels?.plank === 'true') setImmediate(() => kubelet(created));
      return true;
    }
    if (r.method === 'DELETE' && !name && kind === 'pods') {
      const gone = [...store.pods.values()].filter((o) => o.metadata.namespace === ns && filter(o));
      for (const o of gone) deletePod(o);
      return json(res, 200, { apiVersion: 'v1', kind: 'PodList', metadata: {}, items: gone }), true;
    }
    const o = name ? store[kind].get(key(ns, name)) : undefined;
    if (!o) return json(res, 404, statusObject(404, 'NotFound', `${kind} "${name}" not found`, { name, kind })), true;
    if (r.method === 'GET' && sub === 'log') {
      const plank = planks.get(key(ns, name!));
      if (!plank) return json(res, 400, statusObject(400, 'BadRequest', `container "plank" in pod "${name}" is waiting to start: ContainerCreating`)), true;
      res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
      res.write(plank.log);
      if (url.searchParams.get('follow') !== 'true' || plank.child.exitCode !== null || plank.child.signalCode !== null) return res.end(), true;
      plank.followers.add(res);
      res.on('close', () => plank.followers.delete(res));
      return true;
    }
    if (r.method === 'GET') return json(res, 200, o), true;
    if (r.method === 'DELETE' && kind === 'pods') return deletePod(o), json(res, 200, o), true;
    return false;
  }

  function deletePod(o: StandInObject): void {
    const plank = planks.get(key(o.metadata.namespace, o.metadata.name));
    if (plank && plank.child.exitCode === null && plank.child.signalCode === null) plank.child.kill('SIGTERM');
    remove('pods', o);
    emitter.emit('pod-deleted', copy(o));
  }

  function list(res: ServerResponse, kind: Kind, ns: string | undefined, filter: (o: StandInObject) => boolean): void {
    const items = [...store[kind].values()].filter((o) => (ns === undefined || o.metadata.namespace === ns) && filter(o));
    const listKind = { pods: 'PodList', events: 'EventList', namespaces: 'NamespaceList', configmaps: 'ConfigMapList' }[kind];
    json(res, 200, { apiVersion: 'v1', kind: listKind, metadata: { resourceVersion: String(rv) }, items });
  }

  function upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const m = POD_PATH.exec(url.pathname);
    const refuse = (code: number, text: string): void => void socket.end(`HTTP/1.1 ${code} ${text}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
    if (req.headers.authorization !== `Bearer ${STAND_IN_TOKEN}`) return refuse(401, 'Unauthorized');
    if (!m || m[2] !== 'pods' || m[4] !== 'portforward') return refuse(404, 'Not Found');
    const [, ns, , name] = m as unknown as [string, string, string, string];
    if (refused('create', 'pods/portforward', ns)) return refuse(403, 'Forbidden');
    const pod = store.pods.get(key(ns, name));
    if (!pod || (pod.status as Json | undefined)?.phase !== 'Running') return refuse(pod ? 400 : 404, pod ? 'Bad Request' : 'Not Found');
    const port = Number(url.searchParams.get('ports'));
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      emitter.emit('portforward', { namespace: ns, pod: name, port });
      const portBytes = Buffer.alloc(2);
      portBytes.writeUInt16LE(port);
      ws.send(Buffer.concat([Buffer.from([0]), portBytes]));
      ws.send(Buffer.concat([Buffer.from([1]), portBytes]));
      // Every stand-in "pod" shares this machine's network namespace; the kubelet would dial localhost in the pod's.
      const upstream = connect(port, '127.0.0.1');
      upstream.on('data', (chunk: Buffer) => ws.send(Buffer.concat([Buffer.from([0]), chunk])));
      upstream.on('error', (err) => {
        ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(`error forwarding port ${port} to pod ${name}: ${err.message}`)]));
        ws.close();
      });
      upstream.on('close', () => ws.close());
      ws.on('message', (data: Buffer) => {
        if (data[0] === 0 && data.length > 1) upstream.write(data.subarray(1));
      });
      ws.on('close', () => {
        sockets.delete(ws);
        upstream.destroy();
      });
    });
  }

  const api = await startKubeApiStandIn({
    handle,
    upgrade,
    async close() {
      for (const w of watchers) w.res.socket?.destroy();
      for (const ws of sockets) ws.terminate();
      await Promise.all(
        [...planks.values()].map(({ child }) => {
          if (child.exitCode !== null || child.signalCode !== null) return undefined;
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGKILL');
          return exited;
        }),
      );
    },
  });

  return {
    api,
    url: api.url,
    events: emitter,
    requests: api.requests,
    addConfigMap: (namespace, name, data) => void put('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data }),
    addNamespace: (name) => void put('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' } }),
    addPod: (pod) => void put('pods', { apiVersion: 'v1', kind: 'Pod', ...copy(pod) }),
    pod: (ns, name) => copy(store.pods.get(key(ns, name))),
    pods: (ns) => [...store.pods.values()].filter((o) => o.metadata.namespace === ns).map(copy),
    deny: (verb, resource, namespace) => void denied.add(`${verb} ${resource} ${namespace}`),
    holdWatches: (kind) => void (heldKind = kind),
    releaseWatches: () => {
      heldKind = undefined;
      for (const answer of held.splice(0)) answer();
    },
    openWatches: (kind) => [...watchers].filter((w) => w.kind === kind).length,
    get plankBehaviour() {
      return state.plankBehaviour;
    },
    set plankBehaviour(b: PlankBehaviour) {
      state.plankBehaviour = b;
    },
    containerPids: state.containerPids,
    get authorize() {
      return state.authorize;
    },
    set authorize(f) {
      state.authorize = f;
    },
    close: () => api.close(),
  };
}

/** `labelSelector=a=b,c=d` and `fieldSelector=metadata.name=x,involvedObject.name=y` (equality only). */
function selectorFilter(url: URL): (o: StandInObject) => boolean {
  const pairs = (s: string | null): Array<[string, string]> => (s ? s.split(',').map((p) => p.split('=') as [string, string]) : []);
  const labels = pairs(url.searchParams.get('labelSelector'));
  const fields = pairs(url.searchParams.get('fieldSelector'));
  const field = (o: StandInObject, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v as Json | undefined)?.[k], o);
  return (o) => labels.every(([k, v]) => o.metadata.labels?.[k] === v) && fields.every(([k, v]) => String(field(o, k)) === v);
}

function statusObject(code: number, reason: string, message: string, details?: Json): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code, ...(details ? { details } : {}) };
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
