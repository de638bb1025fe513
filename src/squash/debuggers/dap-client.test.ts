import { describe, expect, it } from 'vitest';
import { isLoopError } from '../../core/errors.js';
import { createDapConnection, createDapDecoder, encodeDapMessage, type DapConnection, type DapMessage } from './dap-client.js';

/** A connection whose "adapter" is the test: it reads what the client wrote and feeds bytes back. */
function fakeAdapter(): { dap: DapConnection; sent: () => DapMessage[]; closed: () => boolean } {
  const written: Buffer[] = [];
  let closed = false;
  const dap = createDapConnection({ write: (data) => void written.push(data), close: () => (closed = true) });
  const decoder = createDapDecoder();
  return { dap, sent: () => written.splice(0).flatMap((b) => decoder.push(b)), closed: () => closed };
}

const frame = (message: Record<string, unknown>): Buffer => encodeDapMessage({ seq: 0, ...message } as DapMessage);

describe('DAP framing', () => {
  it('decodes a message split across chunks at every byte', () => {
    const bytes = frame({ type: 'event', event: 'output', body: { output: 'héllo ✓\n' } });
    for (let cut = 1; cut < bytes.length; cut++) {
      const decoder = createDapDecoder();
      expect(decoder.push(bytes.subarray(0, cut))).toEqual([]);
      expect(decoder.push(bytes.subarray(cut))).toEqual([{ seq: 0, type: 'event', event: 'output', body: { output: 'héllo ✓\n' } }]);
    }
  });

  it('decodes several messages merged into one chunk, keeping a trailing partial one', () => {
    const a = frame({ type: 'event', event: 'initialized' });
    const b = frame({ type: 'response', request_seq: 1, success: true, command: 'initialize' });
    const c = frame({ type: 'event', event: 'stopped', body: { reason: 'breakpoint' } });
    const decoder = createDapDecoder();
    expect(decoder.push(Buffer.concat([a, b, c.subarray(0, 10)])).map((m) => m.event ?? m.command)).toEqual(['initialized', 'initialize']);
    expect(decoder.push(c.subarray(10)).map((m) => m.event)).toEqual(['stopped']);
  });

  it('counts Content-Length in bytes, not characters', () => {
    const bytes = frame({ type: 'event', event: 'output', body: { output: '€€€' } });
    const header = bytes.toString('latin1').split('\r\n')[0]!;
    expect(Number(header.split(': ')[1])).toBe(bytes.length - header.length - 4);
  });

  it.each([
    ['a misspelt header', 'Content-Lenght: 2\r\n\r\n{}', /header without Content-Length/],
    ['a non-numeric length', 'Content-Length: two\r\n\r\n{}', /bad Content-Length "two"/],
    ['a line that is no header', 'HTTP/1.1 400 Bad Request\r\n\r\n', /bad header line "HTTP\/1.1 400 Bad Request"/],
    ['a JSON-RPC line (no header at all)', `${'{"id":1,"result":null}\n'.repeat(60)}`, /no end of header within 1024 bytes/],
    ['a body that is not JSON', 'Content-Length: 5\r\n\r\nhello', /body is not JSON: "hello"/],
  ])('rejects %s with a clear error', (_name, wire, message) => {
    const decoder = createDapDecoder();
    let thrown: unknown;
    try {
      decoder.push(Buffer.from(wire, 'latin1'));
    } catch (err) {
      thrown = err;
    }
    expect(isLoopError(thrown, 'DEBUGGER_ATTACH_FAILED')).toBe(true);
    expect((thrown as Error).message).toMatch(message);
  });
});

describe('DAP connection', () => {
  it('matches responses to requests by request_seq, whatever order they come in', async () => {
    const { dap, sent } = fakeAdapter();
    const init = dap.request('initialize', { adapterID: 'x' });
    const threads = dap.request<{ threads: unknown[] }>('threads');
    const [a, b] = sent();
    expect(a).toMatchObject({ type: 'request', command: 'initialize', arguments: { adapterID: 'x' } });
    expect(b).toMatchObject({ type: 'request', command: 'threads' });
    expect(b!.seq).toBeGreaterThan(a!.seq);
    dap.receive(Buffer.concat([frame({ type: 'response', request_seq: b!.seq, success: true, command: 'threads', body: { threads: [{ id: 1 }] } }), frame({ type: 'response', request_seq: a!.seq, success: true, command: 'initialize' })]));
    expect(await threads).toEqual({ threads: [{ id: 1 }] });
    expect(await init).toEqual({});
  });

  it('rejects a failed request with the adapter message', async () => {
    const { dap, sent } = fakeAdapter();
    const evaluate = dap.request('evaluate', { expression: 'nope' });
    const [req] = sent();
    dap.receive(frame({ type: 'response', request_seq: req!.seq, success: false, command: 'evaluate', message: "name 'nope' is not defined" }));
    await expect(evaluate).rejects.toThrow("DAP evaluate failed: name 'nope' is not defined");
  });

  it('delivers an event to a waiter registered before it, and skips events it does not accept', async () => {
    const { dap } = fakeAdapter();
    const stopped = dap.nextEvent<{ reason: string; threadId: number }>('stopped', (b) => b.reason === 'breakpoint');
    dap.receive(Buffer.concat([frame({ type: 'event', event: 'stopped', body: { reason: 'pause', threadId: 1 } }), frame({ type: 'event', event: 'stopped', body: { reason: 'breakpoint', threadId: 7 } })]));
    expect(await stopped).toEqual({ reason: 'breakpoint', threadId: 7 });
  });

  it('answers reverse requests: handled ones with their result, others with success false', async () => {
    const { dap, sent } = fakeAdapter();
    dap.onReverseRequest('runInTerminal', () => ({ processId: 42 }));
    dap.receive(Buffer.concat([frame({ seq: 5, type: 'request', command: 'runInTerminal', arguments: { args: ['x'] } }), frame({ seq: 6, type: 'request', command: 'startDebugging' })]));
    await new Promise((r) => setImmediate(r));
    const replies = sent().sort((x, y) => (x.request_seq ?? 0) - (y.request_seq ?? 0));
    expect(replies).toEqual([
      expect.objectContaining({ type: 'response', request_seq: 5, command: 'runInTerminal', success: true, body: { processId: 42 } }),
      expect.objectContaining({ type: 'response', request_seq: 6, command: 'startDebugging', success: false, message: 'startDebugging is not supported by this client' }),
    ]);
  });

  it('a bad header fails pending requests and waits with the reason, and closes the transport', async () => {
    const { dap, closed } = fakeAdapter();
    const pending = dap.request('threads');
    const waiting = dap.nextEvent('stopped');
    dap.receive(Buffer.from('Content-Length: -1\r\n\r\n', 'latin1'));
    await expect(pending).rejects.toThrow('DAP threads: no response, DAP: bad Content-Length "-1" (expected a byte count)');
    await expect(waiting).rejects.toThrow(/no "stopped" event, DAP: bad Content-Length/);
    expect(closed()).toBe(true);
    expect(await dap.ended).toBeInstanceOf(Error);
    await expect(dap.request('threads')).rejects.toThrow('connection already ended');
  });

  it('times out a request the adapter never answers', async () => {
    const { dap } = fakeAdapter();
    const err = await dap.request('threads', undefined, 20).catch((e: unknown) => e);
    expect(isLoopError(err, 'DEBUGGER_TIMEOUT')).toBe(true);
    expect((err as Error).message).toBe('DAP threads: no response within 20 ms');
  });
});
