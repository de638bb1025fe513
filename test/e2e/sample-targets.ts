// The sample services live with the Squash sources (the benchmark uses them too); tests import them here.
import { request } from 'node:http';

export * from '../../src/squash/samples/sample-targets.js';
export * from '../../src/squash/samples/built-samples-fixture.test-helper.js';

/**
 * GET a sample's URL over a fresh connection (no keep-alive: the C sample serves one connection at a
 * time), answering with the status and the body text.
 */
export function sampleGet(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end();
  });
}
