// A captured request path as it can travel: ingest keeps `:path` as the tap sent it, which may hold
// what a request line or a URL cannot carry raw (spaces, controls, non-ASCII).

/**
 * The path with every character outside visible ASCII percent-encoded as UTF-8; visible ASCII, `%` and
 * reserved characters included, stays as it is (the path is not re-encoded).
 * @example percentEncodePath('/a b/é?q=1') // '/a%20b/%C3%A9?q=1'
 */
export function percentEncodePath(path: string): string {
  if (/^[\x21-\x7e]*$/.test(path)) return path;
  let out = '';
  for (const ch of path) {
    const c = ch.codePointAt(0)!;
    if (c > 0x20 && c < 0x7f) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
