/**
 * Root reads every file, so a test of "a file that cannot be read" runs its subject without the
 * capabilities that let root ignore file permissions (setpriv, from util-linux). It stays root
 * otherwise, so it still reads this checkout wherever it lies. Not root: nothing to drop.
 */
export function withoutPermissionOverride(command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, args];
  const caps = '-dac_override,-dac_read_search';
  return ['setpriv', [`--inh-caps=${caps}`, `--bounding-set=${caps}`, command, ...args]];
}
