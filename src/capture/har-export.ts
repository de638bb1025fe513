// Export of captures as HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), the archive format
// browsers' devtools, Postman, Insomnia and Charles import. Pseudo-headers become the URL, method
// and status; binary bodies are base64 (HAR has an `encoding` field only on response content, so a
// binary request body carries base64 text and a `comment` saying so).
import { isUtf8 } from 'node:buffer';
import { STATUS_CODES } from 'node:http';
import { type CaptureInput, type CapturedBody, type HeaderList, headerValue, isPseudoHeader, statusOf } from './capture.js';
import { percentEncodePath } from './request-path.js';

export interface HarNameValue {
  name: string;
  value: string;
  comment?: string;
}
export interface HarCookie extends HarNameValue {
  path?: string;
  domain?: string;
  expires?: string;
  httpOnly?: boolean;
  secure?: boolean;
}
export interface HarPostData {
  mimeType: string;
  text: string;
  params?: HarNameValue[];
  comment?: string;
}
export interface HarContent {
  size: number;
  mimeType: string;
  text?: string;
  encoding?: 'base64';
  comment?: string;
}
export interface HarRequest {
  method: string;
  url: string;
  httpVersion: string;
  cookies: HarCookie[];
  headers: HarNameValue[];
  queryString: HarNameValue[];
  postData?: HarPostData;
  headersSize: number;
  bodySize: number;
}
export interface HarResponse {
  status: number;
  statusText: string;
  httpVersion: string;
  cookies: HarCookie[];
  headers: HarNameValue[];
  content: HarContent;
  redirectURL: string;
  headersSize: number;
  bodySize: number;
}
export interface HarTimings {
  blocked: number;
  dns: number;
  connect: number;
  send: number;
  wait: number;
  receive: number;
  ssl: number;
}
export interface HarEntry {
  startedDateTime: string;
  time: number;
  request: HarRequest;
  response: HarResponse;
  cache: Record<string, never>;
  timings: HarTimings;
  serverIPAddress?: string;
  comment?: string;
}
export interface Har {
  log: {
    version: '1.2';
    creator: { name: string; version: string };
    entries: HarEntry[];
  };
}

export interface HarOptions {
  /** Version written as `log.creator.version`; pass the package version (default "dev"). */
  creatorVersion?: string;
}

const HTTP_VERSION = 'HTTP/1.1';

/** Builds a HAR 1.2 document with one entry per capture, in the given order. */
export function toHar(captures: readonly CaptureInput[], options: HarOptions = {}): Har {
  return {
    log: {
      version: '1.2',
      creator: { name: 'squash-loop', version: options.creatorVersion ?? 'dev' },
      entries: captures.map(toHarEntry),
    },
  };
}

export function toHarEntry(capture: CaptureInput): HarEntry {
  const req = capture.request.headers;
  const res = capture.response.headers;
  const path = headerValue(req, ':path') ?? '/';
  const time = capture.durationMs ?? 0;
  const entry: HarEntry = {
    startedDateTime: capture.capturedAt,
    time,
    request: {
      method: headerValue(req, ':method') ?? 'GET',
      url: requestUrl(capture, path),
      httpVersion: HTTP_VERSION,
      cookies: requestCookies(req),
      headers: plainHeaders(req),
      queryString: queryString(path),
      headersSize: -1,
      bodySize: capture.request.body?.bytes.length ?? 0,
    },
    response: {
      status: statusOf(capture),
      statusText: STATUS_CODES[statusOf(capture)] ?? '',
      httpVersion: HTTP_VERSION,
      cookies: responseCookies(res),
      headers: plainHeaders(res),
      content: responseContent(capture.response.body, headerValue(res, 'content-type') ?? ''),
      redirectURL: headerValue(res, 'location') ?? '',
      headersSize: -1,
      bodySize: capture.response.body?.bytes.length ?? 0,
    },
    cache: {},
    timings: { blocked: -1, dns: -1, connect: -1, send: 0, wait: time, receive: 0, ssl: -1 },
  };
  const postData = requestPostData(capture.request.body, headerValue(req, 'content-type') ?? '');
  if (postData) entry.request.postData = postData;
  const upstream = capture.upstream?.remote?.address;
  if (upstream) entry.serverIPAddress = upstream;
  if (capture.tapConfig) entry.comment = `tap config ${capture.tapConfig}, source ${capture.source}`;
  return entry;
}

function requestUrl(capture: CaptureInput, path: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return percentEncodePath(path); // absolute-form request target (forward proxies)
  const req = capture.request.headers;
  const scheme = headerValue(req, ':scheme') ?? 'http';
  const authority = headerValue(req, ':authority') ?? headerValue(req, 'host') ?? (capture.destination || 'localhost');
  // A URL cannot carry what ingest may keep in a path (spaces, controls, non-ASCII): percent-encoded, as replay sends it.
  return `${scheme}://${authority}${path.startsWith('/') || path === '*' ? '' : '/'}${percentEncodePath(path)}`;
}

function plainHeaders(headers: HeaderList): HarNameValue[] {
  const out: HarNameValue[] = [];
  for (const [name, value] of headers) if (!isPseudoHeader(name)) out.push({ name, value });
  return out;
}

function queryString(path: string): HarNameValue[] {
  const q = path.indexOf('?');
  if (q < 0) return [];
  const hash = path.indexOf('#', q);
  const out: HarNameValue[] = [];
  for (const [name, value] of new URLSearchParams(path.slice(q + 1, hash < 0 ? undefined : hash))) out.push({ name, value });
  return out;
}

function requestCookies(headers: HeaderList): HarCookie[] {
  const out: HarCookie[] = [];
  for (const [name, value] of headers) {
    if (name.toLowerCase() !== 'cookie') continue;
    for (const part of value.split(';')) {
      const kv = splitPair(part);
      if (kv) out.push(kv);
    }
  }
  return out;
}

function responseCookies(headers: HeaderList): HarCookie[] {
  const out: HarCookie[] = [];
  for (const [name, value] of headers) {
    if (name.toLowerCase() !== 'set-cookie') continue;
    const [first = '', ...attrs] = value.split(';');
    const cookie: HarCookie | undefined = splitPair(first);
    if (!cookie) continue;
    for (const attr of attrs) {
      const eq = attr.indexOf('=');
      const key = (eq < 0 ? attr : attr.slice(0, eq)).trim().toLowerCase();
      const val = eq < 0 ? '' : attr.slice(eq + 1).trim();
      if (key === 'path') cookie.path = val;
      else if (key === 'domain') cookie.domain = val;
      else if (key === 'expires') {
        const t = Date.parse(val);
        if (Number.isFinite(t)) cookie.expires = new Date(t).toISOString();
      } else if (key === 'httponly') cookie.httpOnly = true;
      else if (key === 'secure') cookie.secure = true;
    }
    out.push(cookie);
  }
  return out;
}

function splitPair(part: string): HarCookie | undefined {
  const s = part.trim();
  if (s === '') return undefined;
  const eq = s.indexOf('=');
  return eq < 0 ? { name: s, value: '' } : { name: s.slice(0, eq).trim(), value: s.slice(eq + 1).trim() };
}

function truncatedNote(body: CapturedBody): string {
  return `body was truncated at ${body.bytes.length} bytes by the tap`;
}

function requestPostData(body: CapturedBody | undefined, mimeType: string): HarPostData | undefined {
  if (!body) return undefined;
  const notes: string[] = [];
  const out: HarPostData = { mimeType, text: '' };
  if (isUtf8(body.bytes)) {
    out.text = body.bytes.toString('utf8');
    if (mimeType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      out.params = [...new URLSearchParams(out.text)].map(([name, value]) => ({ name, value }));
    }
  } else {
    out.text = body.bytes.toString('base64');
    notes.push('text is base64: the request body is binary');
  }
  if (body.truncated) notes.push(truncatedNote(body));
  if (notes.length > 0) out.comment = notes.join('; ');
  return out;
}

function responseContent(body: CapturedBody | undefined, mimeType: string): HarContent {
  if (!body) return { size: 0, mimeType };
  const content: HarContent = { size: body.bytes.length, mimeType };
  if (isUtf8(body.bytes)) content.text = body.bytes.toString('utf8');
  else {
    content.text = body.bytes.toString('base64');
    content.encoding = 'base64';
  }
  if (body.truncated) content.comment = truncatedNote(body);
  return content;
}
