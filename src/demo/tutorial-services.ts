// The tutorial's services, on loopback: `web` answers the gateway by calling `payment`; payment runs as
// a healthy blue version and a green version that is the tutorial's "sleepy client" (it answers too
// slowly, so web times out and answers 500). Which version web calls is switched at runtime.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { listen, type Listening } from '../core/listen.js';

export type PaymentVersion = 'blue' | 'green';

export interface TutorialServicesOptions {
  host: string;
  webPort: number;
  bluePort: number;
  greenPort: number;
  /** Which payment version web calls at start (the tutorial starts broken: green). */
  active: PaymentVersion;
  /** How long web waits for payment before answering 500. */
  webTimeoutMs: number;
  /** How long green sleeps before answering (longer than webTimeoutMs). */
  greenDelayMs: number;
}

export interface TutorialServices {
  web: Listening;
  blue: Listening;
  green: Listening;
  active(): PaymentVersion;
  setActive(version: PaymentVersion): void;
  close(): Promise<void>;
}

export const DEFAULT_TUTORIAL_SERVICES: TutorialServicesOptions = {
  host: '127.0.0.1',
  webPort: 9090,
  bluePort: 9091,
  greenPort: 9092,
  active: 'green',
  webTimeoutMs: 1_000,
  greenDelayMs: 3_000,
};

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function paymentHandler(version: PaymentVersion, delayMs: number): http.RequestListener {
  return (req, res) => {
    void readAll(req).then(() => {
      const answer = (): void => json(res, 200, { status: 'paid', version, amount: 42 });
      if (delayMs <= 0) return answer();
      const timer = setTimeout(answer, delayMs);
      res.on('close', () => clearTimeout(timer));
    });
  };
}

export async function startTutorialServices(options: Partial<TutorialServicesOptions> = {}): Promise<TutorialServices> {
  const o = { ...DEFAULT_TUTORIAL_SERVICES, ...options };
  let active: PaymentVersion = o.active;
  // A port that cannot be bound must not leave the ones bound before it listening.
  const bound: Listening[] = [];
  const bind = async (server: http.Server, port: number, flag: string): Promise<Listening> => {
    try {
      const listening = await listen(server, { host: o.host, port }, flag);
      bound.push(listening);
      return listening;
    } catch (err) {
      await Promise.all(bound.map((l) => l.close()));
      throw err;
    }
  };
  const blue = await bind(http.createServer(paymentHandler('blue', 0)), o.bluePort, '--blue-port');
  const green = await bind(http.createServer(paymentHandler('green', o.greenDelayMs)), o.greenPort, '--green-port');
  const portOf = (v: PaymentVersion): number => (v === 'blue' ? blue.port : green.port);

  const web = http.createServer((req, res) => {
    void handleWeb(req, res).catch(() => json(res, 500, { error: 'web failed' }));
  });
  async function handleWeb(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readAll(req);
    if (req.url === '/_demo/payment') {
      if (req.method === 'GET') return json(res, 200, { active });
      let wanted: unknown;
      try {
        wanted = (JSON.parse(body || '{}') as { version?: unknown } | null)?.version;
      } catch {
        return json(res, 400, { error: 'expected a JSON body such as {"version":"blue"}' });
      }
      if (wanted !== 'blue' && wanted !== 'green') return json(res, 400, { error: 'version must be "blue" or "green"' });
      active = wanted;
      return json(res, 200, { active });
    }
    const version = active;
    const started = Date.now();
    try {
      const payment = await callPayment(o.host, portOf(version), o.webTimeoutMs, body);
      json(res, 200, { page: req.url, payment, tookMs: Date.now() - started });
    } catch (err) {
      json(res, 500, { error: (err as Error).message, payment: version });
    }
  }
  const webListening = await bind(web, o.webPort, '--web-port');

  return {
    web: webListening,
    blue,
    green,
    active: () => active,
    setActive: (v) => {
      active = v;
    },
    async close() {
      await Promise.all([webListening.close(), blue.close(), green.close()]);
    },
  };
}

function callPayment(host: string, port: number, timeoutMs: number, body: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method: 'POST', path: '/pay', headers: { 'content-type': 'application/json' } }, (res) => {
      void readAll(res).then((text) => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(new Error(`payment answered ${res.statusCode} with a body that is not JSON`));
        }
      }, reject);
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`payment timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err.message.includes('socket hang up') ? new Error(`payment timed out after ${timeoutMs} ms`) : err);
    });
    req.end(body || '{}');
  });
}
