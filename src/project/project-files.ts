/**
 * The files of a project folder that go into its zip: everything but what `.amlignore` (or, when
 * there is none, `.gitignore`) excludes, with gitwildmatch rules as the Azure ML SDK reads them.
 * `.git/` is never included. The order is sorted, so that the same folder gives the same zip.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Ignore } from 'ignore';

export interface ProjectFile {
  /** Relative, with forward slashes. */
  name: string;
  absolute: string;
  size: number;
  mode: number;
}

function loadIgnore(root: string): { rules: Ignore; source?: string } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ignore = (require('ignore') as { default: () => Ignore }).default;
  const rules = ignore().add('.git/');
  for (const source of ['.amlignore', '.gitignore']) {
    const file = path.join(root, source);
    if (fs.existsSync(file)) return { rules: rules.add(fs.readFileSync(file, 'utf8')), source };
  }
  return { rules };
}

export function listProjectFiles(dir: string): ProjectFile[] {
  const root = path.resolve(dir);
  if (!fs.statSync(root).isDirectory()) throw new Error(`${dir} is not a folder`);
  const { rules } = loadIgnore(root);
  const files: ProjectFile[] = [];
  const walk = (rel: string) => {
    const entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!rules.ignores(`${name}/`)) walk(name);
      } else if (entry.isFile() && !rules.ignores(name)) {
        const absolute = path.join(root, name);
        const stat = fs.statSync(absolute);
        files.push({ name, absolute, size: stat.size, mode: stat.mode });
      }
    }
  };
  walk('');
  return files;
}
