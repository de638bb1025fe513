// The web UI's token prompt (web/src/logic/api-token.ts). Found by a hostile user test: a token holding
// "😀" (or a typographic dash pasted from a document) was kept, and every call then failed as "cannot reach
// the loop server" with the live stream reconnecting forever and no prompt to correct it.
import { describe, expect, it } from 'vitest';
import { tokenProblem } from '../../web/src/logic/api-token.js';

describe('tokenProblem', () => {
  it.each([
    ['admin-token-0123456789abcdef', undefined],
    ['Zm9vYmFy+/=~._-', undefined],
    ['caf\u00e9-latin1-is-sendable', undefined],
    ['', 'enter the token'],
    ['tok😀-0123456789abcdef', 'the token holds "😀", which an HTTP header cannot carry: was a character pasted with it by mistake?'],
    ['admin\u2014token', 'the token holds "\u2014", which an HTTP header cannot carry: was a character pasted with it by mistake?'],
    ['two words', 'the token holds U+0020, which an HTTP header cannot carry: was a character pasted with it by mistake?'],
    ['tab\there', 'the token holds U+0009, which an HTTP header cannot carry: was a character pasted with it by mistake?'],
  ])('%j', (token, problem) => {
    expect(tokenProblem(token)).toBe(problem);
  });
});
