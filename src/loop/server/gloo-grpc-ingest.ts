// Connects Gloo's gRPC tap sink (src/loop/gloo) to the loop server's ingest: every trace streamed to
// `envoy.service.tap.v3.TapService/ReportTap` is redacted, capped and stored exactly like a POST /v1/taps.
import * as grpc from '@grpc/grpc-js';
import { LoopError, isLoopError, messageOf } from '../../core/errors.js';
import { parseHostPort } from '../../core/listen.js';
import { createTapGrpcSink, listenTapGrpcSink, type TapGrpcListening } from '../gloo/index.js';
import type { AccessControl } from './auth.js';
import { storeTaps } from './ingest-routes.js';
import type { LoopServer } from './loop-server.js';

/** Listens for Gloo's gRPC tap stream on `address` (host:port; port 0 picks one). */
export async function listenGlooGrpcIngest(server: LoopServer, address: string): Promise<TapGrpcListening> {
  const ctx = server.context;
  const parsed = parseHostPort(address);
  if (!parsed) throw new LoopError('CONFIG_INVALID', `--grpc-listen "${address}" is not host:port`);
  const sink = createTapGrpcSink({
    ingest: (captures) => storeTaps(ctx, captures, 'grpc'),
    logger: ctx.logger,
    clock: ctx.clock,
    onInvalid: () => ctx.metrics.ingestBatches.inc({ format: 'grpc', outcome: 'invalid' }),
  });
  return listenTapGrpcSink({ ...sink, implementation: { ReportTap: requireIngestToken(sink.implementation.ReportTap!, ctx.access) } }, parsed, {
    maxMessageBytes: ctx.options.maxIngestBytes,
  });
}

/**
 * With tokens configured, a stream needs `authorization: Bearer <ingest or admin token>` in its metadata
 * (Envoy's GrpcService `initial_metadata`); otherwise it ends at once with UNAUTHENTICATED / PERMISSION_DENIED.
 */
export function requireIngestToken(handler: grpc.UntypedHandleCall, access: AccessControl): grpc.UntypedHandleCall {
  const guarded: grpc.handleClientStreamingCall<unknown, unknown> = (call, callback) => {
    const value = call.metadata.get('authorization')[0];
    try {
      access.authorizeHeader(value === undefined ? undefined : String(value), 'ingest', 'ReportTap');
    } catch (err) {
      const code = isLoopError(err, 'FORBIDDEN') ? grpc.status.PERMISSION_DENIED : grpc.status.UNAUTHENTICATED;
      callback({ code, details: messageOf(err), metadata: new grpc.Metadata() });
      return;
    }
    (handler as grpc.handleClientStreamingCall<unknown, unknown>)(call, callback);
  };
  return guarded as grpc.UntypedHandleCall;
}
