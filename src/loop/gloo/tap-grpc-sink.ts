// Gloo's gRPC tap sink, server side: the client-streaming method Gloo Enterprise's tap filter calls,
// `/envoy.service.tap.v3.TapService/ReportTap` (stream TapRequest → TapResponse). That service is
// Solo's, not Envoy's: Envoy's own (unimplemented) tap sink is `TapSinkService/StreamTaps` with a
// different request message. Definitions: solo-io/tap-extension-examples, pkg/tap_service and
// tap_grpc/tap.pb.go (generated from api/envoy/service/tap/v3/tap.proto, linked from Gloo's
// traffic-tapping guide); our subset is proto/tap.proto.
//
// The service definition is hand-written for @grpc/grpc-js and its (de)serializers are our own codec
// (src/capture/tap-request-proto.ts), so no protobuf runtime is loaded. Deserialisation never throws
// (grpc-js would answer a bare INTERNAL): it yields either the decoded trace or the decode error, and
// the handler ends the stream with INVALID_ARGUMENT naming the message and the field. Each good
// message is stored as it arrives, because Gloo keeps one stream open for as long as it runs.
import * as grpc from '@grpc/grpc-js';
import type { CaptureInput } from '../../capture/capture.js';
import { type EnvoyHttpTrace, traceToCaptureInput } from '../../capture/envoy-trace.js';
import { envoyTraceFromTapRequest } from '../../capture/tap-request-proto.js';
import { LoopError, type ErrorCode, isLoopError, messageOf } from '../../core/errors.js';
import { bracketHost } from '../../core/host-port.js';
import type { ListenAddress } from '../../core/listen.js';
import type { Logger } from '../../core/logger.js';

export const TAP_SERVICE = 'envoy.service.tap.v3.TapService';
export const REPORT_TAP_PATH = `/${TAP_SERVICE}/ReportTap`;

/** One received TapRequest after our codec ran on it: the trace, or why it could not be read. */
export type ReceivedTap = { trace: EnvoyHttpTrace; error?: undefined } | { trace?: undefined; error: LoopError };

export function deserializeTapRequest(buf: Buffer): ReceivedTap {
  try {
    return { trace: envoyTraceFromTapRequest(buf) };
  } catch (err) {
    return { error: isLoopError(err) ? err : new LoopError('INGEST_INVALID', messageOf(err), { cause: err }) };
  }
}

const EMPTY = Buffer.alloc(0);

/** TapService's one method, for grpc-js. TapResponse is empty (Gloo ignores it). */
export const tapServiceDefinition = {
  ReportTap: {
    path: REPORT_TAP_PATH,
    originalName: 'reportTap',
    requestStream: true,
    responseStream: false,
    requestSerialize: (value: Buffer): Buffer => value,
    requestDeserialize: deserializeTapRequest,
    responseSerialize: (_value: Record<string, never>): Buffer => EMPTY,
    responseDeserialize: (_buf: Buffer): Record<string, never> => ({}),
  },
} satisfies grpc.ServiceDefinition;

export interface TapGrpcSinkOptions {
  /** Stores captures (on the loop server: redaction, body cap and the store, as POST /v1/taps does). */
  ingest(captures: CaptureInput[]): Promise<unknown>;
  logger: Logger;
  /** Recorded as each capture's source; default `gloo`. */
  source?: string;
  /** capturedAt of a trace without headers_received_time; default the wall clock. */
  clock?: () => Date;
  /** Called for each stream ended because of a bad message (metrics). */
  onInvalid?(err: LoopError): void;
}

export interface TapGrpcSink {
  /** Register with `server.addService(tapServiceDefinition, sink.implementation)`. */
  implementation: grpc.UntypedServiceImplementation;
  /** Streams open right now. */
  activeStreams(): number;
  /**
   * Ends every open stream with UNAVAILABLE (Gloo reconnects, to another replica if there is one),
   * after the message being stored, if any, is stored; resolves when no handler is running.
   */
  stopStreams(): Promise<void>;
}

type Status = Pick<grpc.StatusObject, 'code' | 'details'>;

interface Session {
  stopping: boolean;
  busy: boolean;
  /** Sends the call's status once: OK with an empty TapResponse for null. */
  end(status: Status | null): void;
  call: grpc.ServerReadableStream<ReceivedTap, Record<string, never>>;
  done: Promise<void>;
}

/** The ReportTap handler, separate from any listener. */
export function createTapGrpcSink(options: TapGrpcSinkOptions): TapGrpcSink {
  const source = options.source ?? 'gloo';
  const clock = options.clock ?? (() => new Date());
  const sessions = new Set<Session>();
  let stopped = false;

  const reportTap: grpc.handleClientStreamingCall<ReceivedTap, Record<string, never>> = (call, callback) => {
    let ended = false;
    let markDone!: () => void;
    const session: Session = {
      stopping: stopped,
      busy: false,
      call,
      done: new Promise<void>((resolve) => (markDone = resolve)),
      end(status) {
        if (ended) return;
        ended = true;
        if (status) callback({ ...status, metadata: new grpc.Metadata() });
        else callback(null, {});
      },
    };
    sessions.add(session);
    const peer = call.getPeer();
    void serve(session)
      .catch((err: unknown) => {
        // The stream broke under us: the client cancelled, or stopStreams destroyed it while idle.
        if (!session.stopping) options.logger.debug('tap stream closed', { peer, err: messageOf(err) });
        session.end(null);
      })
      .finally(() => {
        sessions.delete(session);
        markDone();
      });
  };

  async function serve(session: Session): Promise<void> {
    if (session.stopping) return session.end(shuttingDown());
    let received = 0;
    for await (const message of session.call as AsyncIterable<ReceivedTap>) {
      received++;
      if (message.error) {
        options.onInvalid?.(message.error);
        const details = `TapRequest ${received} of this stream: ${message.error.message}`;
        options.logger.warn('tap stream rejected', { peer: session.call.getPeer(), error: details });
        return session.end({ code: grpc.status.INVALID_ARGUMENT, details });
      }
      session.busy = true;
      try {
        await options.ingest([traceToCaptureInput(message.trace, { source, now: clock })]);
      } catch (err) {
        const details = `TapRequest ${received} of this stream was not stored: ${messageOf(err)}`;
        options.logger.error('tap stream ingest failed', { error: details });
        return session.end({ code: statusFor(err), details });
      } finally {
        session.busy = false;
      }
      if (session.stopping) return session.end(shuttingDown());
    }
    session.end(null);
  }

  return {
    implementation: { ReportTap: reportTap },
    activeStreams: () => sessions.size,
    async stopStreams() {
      stopped = true;
      const all = [...sessions];
      for (const s of all) {
        s.stopping = true;
        // Idle (waiting for Gloo's next message): end it now; a busy one ends after its store.
        if (!s.busy) {
          s.end(shuttingDown());
          s.call.destroy();
        }
      }
      await Promise.all(all.map((s) => s.done));
    },
  };
}

function shuttingDown(): Status {
  return { code: grpc.status.UNAVAILABLE, details: 'the loop server is shutting down' };
}

const STATUS_FOR: Partial<Record<ErrorCode, grpc.status>> = {
  INGEST_INVALID: grpc.status.INVALID_ARGUMENT,
  INGEST_TOO_LARGE: grpc.status.RESOURCE_EXHAUSTED,
  STORE_UNAVAILABLE: grpc.status.UNAVAILABLE,
};

function statusFor(err: unknown): grpc.status {
  return (isLoopError(err) && STATUS_FOR[err.code]) || grpc.status.INTERNAL;
}

export interface TapGrpcListening {
  /** `host:port` actually bound (IPv6 hosts in brackets). */
  address: string;
  host: string;
  port: number;
  /** Ends open streams (see stopStreams), then shuts the gRPC server down. */
  close(): Promise<void>;
}

export interface TapGrpcListenOptions {
  /** Largest TapRequest accepted; bigger ones end the stream with RESOURCE_EXHAUSTED. */
  maxMessageBytes: number;
}

/** Serves the sink over plaintext HTTP/2 (what Gloo's gRPC upstream speaks) on `address`. */
export async function listenTapGrpcSink(sink: TapGrpcSink, address: ListenAddress, options: TapGrpcListenOptions): Promise<TapGrpcListening> {
  // grpc-js never closes idle connections by default, which suits Gloo's one long-lived stream.
  const server = new grpc.Server({ 'grpc.max_receive_message_length': options.maxMessageBytes });
  server.addService(tapServiceDefinition, sink.implementation);
  const host = bracketHost(address.host);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${address.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) {
        server.forceShutdown();
        reject(new LoopError('CONFIG_INVALID', `cannot listen for gRPC taps on ${host}:${address.port}: ${err.message}`, { cause: err }));
      } else resolve(bound);
    });
  });
  let closing: Promise<void> | undefined;
  return {
    address: `${host}:${port}`,
    host: address.host,
    port,
    close() {
      closing ??= (async () => {
        await sink.stopStreams();
        await new Promise<void>((resolve) => {
          // Every stream has ended, so this is quick; the timer only guards against a stuck connection.
          const timer = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, 2_000);
          timer.unref();
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      })();
      return closing;
    },
  };
}
