// Header rewriting at the proxy hop. Headers stay in Node's raw form (a flat [name, value, name, value…]
// array) so names keep their case, order and duplicates end to end.
// Hop-by-hop (RFC 9110 §7.6.1): Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding,
// Upgrade, and every header named in Connection are removed in both directions; framing is re-established
// by Node on each hop.

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
// Lengths of the hop-by-hop names: most headers are ruled out by their length alone, without lower-casing.
const HOP_BY_HOP_LENGTHS = new Set([...HOP_BY_HOP].map((n) => n.length));

function isHopByHop(name: string): boolean {
  return HOP_BY_HOP_LENGTHS.has(name.length) && HOP_BY_HOP.has(name.toLowerCase());
}

/**
 * Raw headers without hop-by-hop ones; `also` names more headers (lower case) to drop. When the message came
 * with Transfer-Encoding, its Content-Length goes too: the body was read by Transfer-Encoding, which
 * overrides it, and RFC 9112 §6.3 has a sender remove it before forwarding (the next hop frames the body
 * anew, and a Content-Length passed on would promise a length the body need not have).
 */
export function withoutHopByHop(raw: readonly string[], also?: ReadonlySet<string>): string[] {
  const named = connectionNamed(raw);
  const out: string[] = [];
  let transferEncoded = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (isHopByHop(name)) {
      // Transfer-Encoding is the only hop-by-hop name of 17 characters.
      if (name.length === 17) transferEncoded = true;
      continue;
    }
    if ((named !== undefined || also !== undefined) && (named?.has(name.toLowerCase()) || also?.has(name.toLowerCase()))) continue;
    out.push(name, raw[i + 1]!);
  }
  return transferEncoded ? withoutContentLength(out) : out;
}

function withoutContentLength(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length !== 14 || raw[i]!.toLowerCase() !== 'content-length') out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/**
 * Headers a Connection header cannot make hop-by-hop: the gateway reads the body by Content-Length and routes
 * by Host, so dropping them would send the upstream another message than the one read. A request naming
 * Content-Length had its body forwarded without it, which the upstream read as the next request (request
 * smuggling past the routes, X-Forwarded-For and the tap). RFC 9110 §7.6.1 forbids senders to name headers
 * meant for every recipient; these are kept rather than honoured.
 */
const NEVER_CONNECTION_NAMED = new Set(['content-length', 'host']);

/** Lower-case names listed in Connection headers (`Connection: close, X-Secret`), or undefined. */
function connectionNamed(raw: readonly string[]): Set<string> | undefined {
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length !== 10 || raw[i]!.toLowerCase() !== 'connection') continue;
    const value = raw[i + 1]!;
    // The common values name no other header.
    if (value === 'keep-alive' || value === 'close' || value === 'Keep-Alive' || value === 'Close') continue;
    for (const token of value.split(',')) {
      const t = token.trim().toLowerCase();
      if (t && t !== 'keep-alive' && t !== 'close' && !NEVER_CONNECTION_NAMED.has(t)) (named ??= new Set()).add(t);
    }
  }
  return named;
}

export interface ForwardingFacts {
  /** The downstream peer's address (appended to X-Forwarded-For). */
  remoteAddress: string | undefined;
  scheme: 'http' | 'https';
  /** Host to send when the request carried none (HTTP/1.0): the route's destination name. */
  fallbackHost: string;
  /** Drop `Expect` (Node already answered 100 Continue itself, so the upstream must not be asked again). */
  dropExpect: boolean;
}

const FORWARDED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']);

/**
 * Fields a trailer section does not carry on: hop-by-hop ones, the framing (Content-Length), and those this
 * hop sets for the upstream (Host, X-Forwarded-*). Trailers are forwarded after the body; a recipient that
 * merges them into the head (Apache's MergeTrailers, CVE-2013-5704) would otherwise take a client's
 * `X-Forwarded-For` trailer over the one the gateway vouches for (RFC 9110 §6.5.1: such fields do not
 * belong in trailers).
 */
const NOT_FORWARDED_IN_TRAILERS = new Set([...HOP_BY_HOP, ...FORWARDED, 'content-length', 'host']);

/** The trailers to pass on, as raw [name, value, …]; undefined when none is left. */
export function forwardedTrailers(raw: readonly string[]): string[] | undefined {
  let out: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (NOT_FORWARDED_IN_TRAILERS.has(raw[i]!.toLowerCase())) continue;
    (out ??= []).push(raw[i]!, raw[i + 1]!);
  }
  return out;
}
const LOOKED_AT_LENGTHS = new Set([...HOP_BY_HOP, ...FORWARDED, 'host', 'expect'].map((n) => n.length));

/**
 * The headers sent upstream: the request's own minus hop-by-hop ones, Host as received, and
 * X-Forwarded-For (the chain so far, plus the peer), X-Forwarded-Proto and X-Forwarded-Host set to what this
 * gateway saw — it is the edge, so client-supplied proto/host values are not trusted.
 */
export function upstreamRequestHeaders(raw: readonly string[], facts: ForwardingFacts): string[] {
  const named = connectionNamed(raw);
  const out: string[] = [];
  let host: string | undefined;
  let chain: string | undefined;
  // One pass: names are lower-cased only when their length says they may be one of the names looked for.
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = LOOKED_AT_LENGTHS.has(name.length) || named !== undefined ? name.toLowerCase() : undefined;
    if (lower !== undefined) {
      if (lower === 'host') host ??= value;
      else if (lower === 'x-forwarded-for') {
        chain = chain === undefined ? value : `${chain}, ${value}`;
        continue;
      }
      if (HOP_BY_HOP.has(lower) || FORWARDED.has(lower) || named?.has(lower) || (facts.dropExpect && lower === 'expect')) continue;
    }
    out.push(name, value);
  }
  if (host === undefined) out.unshift('Host', facts.fallbackHost);
  if (facts.remoteAddress) chain = chain === undefined ? facts.remoteAddress : `${chain}, ${facts.remoteAddress}`;
  if (chain !== undefined) out.push('X-Forwarded-For', chain);
  out.push('X-Forwarded-Proto', facts.scheme);
  if (host !== undefined) out.push('X-Forwarded-Host', host);
  return out;
}

/**
 * How a request's body is framed, from one pass over its raw headers (Node's parser already refused
 * conflicting or malformed framing, and a coding list not ending with chunked): chunked, or the
 * Content-Length value. `otherCodings`: Transfer-Encoding names codings besides chunked (`gzip, chunked`).
 */
export function requestFraming(raw: readonly string[]): { chunked: boolean; length: string | undefined; otherCodings: boolean } {
  let chunked = false;
  let otherCodings = false;
  let length: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
      // A second coding (or a second header) means more than chunked; the common value is checked first.
      otherCodings ||= chunked || (raw[i + 1] !== 'chunked' && raw[i + 1]!.split(',').some((c) => c.trim().toLowerCase() !== 'chunked'));
      chunked = true;
    } else if (name.length === 14 && name.toLowerCase() === 'content-length') length ??= raw[i + 1]!.trim();
  }
  return { chunked, length, otherCodings };
}
