import { describe, expect, it } from 'vitest';
import { fileErrorText } from './file-error-text.js';

const errno = (code: string): Error => Object.assign(new Error(`${code}: something, open '/x'`), { code });

describe('fileErrorText', () => {
  it.each([
    ['ENOENT', 'no such file or directory'],
    ['EACCES', 'permission denied'],
    ['ENOTDIR', 'a part of its path is not a directory'],
    ['EROFS', 'the file system is read-only'],
  ])('%s reads %j', (code, text) => expect(fileErrorText(errno(code))).toBe(text));

  it('falls back to the message for other errors, and to the text of what is not an Error', () => {
    expect(fileErrorText(errno('EMFILE'))).toBe("EMFILE: something, open '/x'");
    expect(fileErrorText(errno('toString'))).toBe("toString: something, open '/x'");
    expect(fileErrorText('odd')).toBe('odd');
  });
});
