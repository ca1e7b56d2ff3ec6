/**
 * The files of a project folder that go into its zip. In every folder, `.amlignore` (or, when the
 * folder has none, `.gitignore`) excludes files with gitwildmatch rules relative to that folder,
 * as git reads nested `.gitignore` files: a deeper file's rules come later and win, and a
 * negation (`!keep.txt`) brings back what a parent's rule left out. `.git/` is never included.
 * The order is sorted, so the same folder gives the same zip. A file or folder that cannot be read
 * is an AzureMLProjectError naming it, before anything is sent.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Ignore } from 'ignore';
import { AzureMLProjectError } from '../errors';

export interface ProjectFile {
  /** Relative, with forward slashes. */
  name: string;
  absolute: string;
  size: number;
  mode: number;
}

export interface ListProjectOptions {
  /** Told about a choice the user may not have meant: an empty .amlignore that turns .gitignore off. */
  onWarning?: (message: string) => void;
  /** @internal Folders (relative, '' for the root) whose .gitignore is read even though an .amlignore is there. */
  preferGitignoreIn?: ReadonlySet<string>;
}

const ACTION = 'azureml-execution/zipProject';

interface Rules {
  /** The folder the rules are relative to ('' for the root, else `a/b/`). */
  base: string;
  rules: Ignore;
}

function ignoreFactory(): () => Ignore {
  return (require('ignore') as { default: () => Ignore }).default;
}

/** True when a rules file has no rule: only blank lines and comments. */
function hasNoRules(text: string): boolean {
  return text.split(/\r?\n/).every((line) => line.trim() === '' || line.startsWith('#'));
}

function unreadable(root: string, name: string, error: unknown): AzureMLProjectError {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  const what = code === 'EACCES' || code === 'EPERM' ? 'cannot be read (permission denied)' : `cannot be read (${code})`;
  return new AzureMLProjectError({
    message: `The project ${root} has a file or folder that ${what}: ${name || '.'} (exclude it in .amlignore, or fix its permissions)`,
    project: root,
    action: ACTION,
  });
}

export function listProjectFiles(dir: string, options: ListProjectOptions = {}): ProjectFile[] {
  const root = path.resolve(dir);
  let rootStat: fs.Stats;
  try {
    rootStat = fs.statSync(root);
  } catch (error) {
    throw unreadable(dir, '', error);
  }
  if (!rootStat.isDirectory()) throw new AzureMLProjectError({ message: `${dir} is not a folder`, project: dir, action: ACTION });
  const ignore = ignoreFactory();
  const files: ProjectFile[] = [];
  const emptyAmlignore: string[] = [];

  /** The rules a folder adds, read from its .amlignore or else its .gitignore. */
  const folderRules = (rel: string, names: Set<string>): Rules | undefined => {
    const base = rel ? `${rel}/` : '';
    let source = names.has('.amlignore') ? '.amlignore' : names.has('.gitignore') ? '.gitignore' : undefined;
    if (source === '.amlignore' && names.has('.gitignore') && options.preferGitignoreIn?.has(rel)) source = '.gitignore';
    if (!source) return undefined;
    let text: string;
    try {
      text = fs.readFileSync(path.join(root, base, source), 'utf8');
    } catch (error) {
      throw unreadable(dir, `${base}${source}`, error);
    }
    if (source === '.amlignore' && names.has('.gitignore') && hasNoRules(text)) emptyAmlignore.push(rel);
    return { base, rules: ignore().add(text) };
  };

  /** Git's answer: every level's rules in turn, the deepest last, a negation undoing an earlier match. */
  const ignored = (stack: Rules[], name: string): boolean => {
    let result = false;
    for (const { base, rules } of stack) {
      const verdict = rules.test(name.slice(base.length));
      if (verdict.ignored) result = true;
      else if (verdict.unignored) result = false;
    }
    return result;
  };

  const walk = (rel: string, stack: Rules[]) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch (error) {
      throw unreadable(dir, rel, error);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const own = folderRules(rel, new Set(entries.filter((e) => e.isFile()).map((e) => e.name)));
    const rules = own ? [...stack, own] : stack;
    for (const entry of entries) {
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!ignored(rules, `${name}/`)) walk(name, rules);
      } else if (entry.isFile() && !ignored(rules, name)) {
        const absolute = path.join(root, name);
        try {
          const stat = fs.statSync(absolute);
          fs.accessSync(absolute, fs.constants.R_OK);
          files.push({ name, absolute, size: stat.size, mode: stat.mode });
        } catch (error) {
          throw unreadable(dir, name, error);
        }
      }
    }
  };
  walk('', [{ base: '', rules: ignore().add('.git/') }]);

  if (emptyAmlignore.length && options.onWarning && !options.preferGitignoreIn) {
    // What .gitignore would have kept out, had the empty .amlignore not replaced it.
    const kept = new Set(files.map((f) => f.name));
    const withGitignore = new Set(listProjectFiles(dir, { preferGitignoreIn: new Set(emptyAmlignore) }).map((f) => f.name));
    const added = [...kept].filter((name) => !withGitignore.has(name));
    if (added.length) {
      const where = emptyAmlignore.map((rel) => (rel ? `${rel}/.amlignore` : '.amlignore')).join(', ');
      const shown = added.slice(0, 10).join(', ') + (added.length > 10 ? `, and ${added.length - 10} more` : '');
      options.onWarning(
        `${where} in ${dir} has no rules, so .gitignore is not read there: ${added.length} file${added.length === 1 ? '' : 's'} that .gitignore leaves out will be uploaded: ${shown}`,
      );
    }
  }
  return files;
}
