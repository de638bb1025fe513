// The tutorial's services as the walk-through uses them: web answers 500 while payment green is active and
// 200 after the switch, and the switch's HTTP endpoint refuses a body it cannot read with a 400.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTutorialServices, type TutorialServices } from './tutorial-services.js';

let services: TutorialServices;

beforeAll(async () => {
  services = await startTutorialServices({ host: '127.0.0.1', webPort: 0, bluePort: 0, greenPort: 0, active: 'green', webTimeoutMs: 200, greenDelayMs: 1_000 });
});

afterAll(async () => {
  await services?.close();
});

const put = (body: string): Promise<Response> => fetch(`${services.web.url}/_demo/payment`, { method: 'PUT', body });

describe('the tutorial services', () => {
  it.each([
    ['not JSON', 'x', 'expected a JSON body such as {"version":"blue"}'],
    ['JSON null', 'null', 'version must be "blue" or "green"'],
    ['an unknown version', '{"version":"purple"}', 'version must be "blue" or "green"'],
  ])('the switch refuses %s with 400 and keeps the active version', async (_name, body, error) => {
    const res = await put(body);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error });
    expect(services.active()).toBe('green');
  });

  it('web answers 500 with green, and 200 once switched to blue over HTTP', async () => {
    const broken = await fetch(services.web.url);
    expect(broken.status).toBe(500);
    expect(await broken.json()).toMatchObject({ payment: 'green' });
    const switched = await put('{"version":"blue"}');
    expect(await switched.json()).toEqual({ active: 'blue' });
    const healthy = await fetch(services.web.url);
    expect(healthy.status).toBe(200);
    expect(await healthy.json()).toMatchObject({ payment: { version: 'blue' } });
  });
});
