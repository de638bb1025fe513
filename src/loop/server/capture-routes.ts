// Captures: list (filters + cursor), get, delete, export (HAR, curl, Envoy JSON).
import { captureToJson } from '../../capture/capture-json.js';
import { toCurl } from '../../capture/curl-export.js';
import { encodeEnvoyTrace } from '../../capture/envoy-trace-json.js';
import { toHar } from '../../capture/har-export.js';
import type { Capture } from '../../capture/capture.js';
import { LoopError } from '../../core/errors.js';
import { packageVersion } from '../../core/version.js';
import { sendJson, sendText } from './http-io.js';
import { listOptionsFromQuery, parseCaptureId } from './query-params.js';
import type { Router } from './router.js';
import type { ServerContext } from './server-context.js';

export const EXPORT_FORMATS = ['har', 'curl', 'envoy'] as const;

export function registerCaptureRoutes(router: Router, ctx: ServerContext): void {
  router.on('GET', '/v1/captures', async (_req, res, _p, url) => {
    sendJson(res, 200, await ctx.store.list(listOptionsFromQuery(url.searchParams, ctx.clock())));
  });

  router.on('GET', '/v1/captures/:id', async (_req, res, params) => {
    sendJson(res, 200, captureToJson(await mustGet(ctx, params.id)));
  });

  router.on('DELETE', '/v1/captures/:id', async (_req, res, params) => {
    const id = parseCaptureId(params.id);
    if (!(await ctx.store.delete(id))) throw notFound(id);
    res.writeHead(204).end();
  });

  router.on('GET', '/v1/captures/:id/export', async (_req, res, params, url) => {
    const format = url.searchParams.get('format') ?? 'har';
    const capture = await mustGet(ctx, params.id);
    switch (format) {
      case 'har':
        res.setHeader('content-disposition', `attachment; filename="capture-${capture.id}.har"`);
        return sendJson(res, 200, toHar([capture], { creatorVersion: packageVersion() }));
      case 'curl': {
        const destination = url.searchParams.get('destination');
        return sendText(res, 200, 'text/plain; charset=utf-8', toCurl(capture, destination ? { destination } : {}) + '\n');
      }
      case 'envoy':
        return sendJson(res, 200, encodeEnvoyTrace(capture));
      default:
        throw new LoopError('BAD_REQUEST', `export format "${format}" is unknown; expected one of ${EXPORT_FORMATS.join(', ')}`);
    }
  });
}

export async function mustGet(ctx: ServerContext, rawId: string | undefined): Promise<Capture> {
  const id = parseCaptureId(rawId);
  const capture = await ctx.store.get(id);
  if (!capture) throw notFound(id);
  return capture;
}

function notFound(id: number): LoopError {
  return new LoopError('NOT_FOUND', `capture ${id} does not exist`, { hint: 'loopctl list shows the stored captures' });
}
