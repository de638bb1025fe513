// Why a file or directory could not be read, written or made, in words: errno codes (ENOENT, EACCES) are
// what a user would have to look up, so messages that name a file say this instead.

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory, not a file',
  ENOTDIR: 'a part of its path is not a directory',
  ELOOP: 'too many symbolic links',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
};

/**
 * The reason of a file system error in words; its message when the code is not one of the common ones.
 * @example fileErrorText(Object.assign(new Error('…'), { code: 'EACCES' })) // 'permission denied'
 */
export function fileErrorText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code && Object.hasOwn(FILE_ERRORS, code)) return FILE_ERRORS[code]!;
  return err instanceof Error ? err.message : String(err);
}
