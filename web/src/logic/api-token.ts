// What the token prompt accepts: a bearer token goes in an Authorization header, and fetch refuses a header
// holding characters beyond Latin-1 (every call would then fail as if the server were unreachable).

/** Why `token` cannot be sent as a bearer token, or undefined when it can. */
export function tokenProblem(token: string): string | undefined {
  if (token === '') return 'enter the token';
  for (const ch of token) {
    const c = ch.codePointAt(0)!;
    if (c <= 0x20 || c === 0x7f || c > 0xff) {
      const shown = c <= 0x20 || c === 0x7f ? `U+${c.toString(16).toUpperCase().padStart(4, '0')}` : `"${ch}"`;
      return `the token holds ${shown}, which an HTTP header cannot carry: was a character pasted with it by mistake?`;
    }
  }
  return undefined;
}
