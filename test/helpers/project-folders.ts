/** Project folders written for a test, removed by cleanup(). */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export function projectFolders(prefix: string) {
  const made: string[] = [];
  return {
    /** A new folder holding these files (names may have sub-folders). */
    make(files: Record<string, string>): string {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      made.push(dir);
      for (const [name, data] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), data);
      }
      return dir;
    },
    cleanup(): void {
      for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
