/**
 * A run's files (its artifacts: outputs/, logs/, the service's logs, uploads) as a tree of folders
 * with sizes and download links. The list comes from RunArtifacts_ListSasByPrefix (each file with
 * its content link); sizes from a HEAD on each link, as a blob's properties are read.
 */
import { sameOrigin, sizeOf } from './api';
import { formatBytes, h } from './dom';

export interface RunFile {
  path: string;
  contentUri: string;
}

interface Folder {
  folders: Map<string, Folder>;
  files: Array<{ name: string; file: RunFile }>;
}

/** The most files the tree shows (and sizes it asks for). */
export const MAX_FILES = 500;
const SIZE_REQUESTS_AT_ONCE = 4;

function treeOf(files: RunFile[]): Folder {
  const root: Folder = { folders: new Map(), files: [] };
  for (const file of files) {
    const parts = file.path.split('/');
    let folder = root;
    for (const part of parts.slice(0, -1)) {
      let next = folder.folders.get(part);
      if (!next) folder.folders.set(part, (next = { folders: new Map(), files: [] }));
      folder = next;
    }
    folder.files.push({ name: parts[parts.length - 1], file });
  }
  return root;
}

export class FilesView {
  readonly element: HTMLElement;
  private readonly sizes = new Map<string, number | undefined>();
  /** Folders the user closed stay closed when the tree is drawn again. */
  private readonly closed = new Set<string>();
  private drawn = '';

  constructor() {
    this.element = h('div', { class: 'files-view' }, h('p', { class: 'muted' }, 'No files yet.'));
  }

  /** Shows `files`; `growing` asks for the sizes again (a running script may still be writing). */
  async update(files: RunFile[], growing: boolean, signal?: AbortSignal): Promise<void> {
    const wanted = files.slice(0, MAX_FILES).filter((f) => growing || !this.sizes.has(f.path));
    for (let i = 0; i < wanted.length; i += SIZE_REQUESTS_AT_ONCE) {
      await Promise.all(wanted.slice(i, i + SIZE_REQUESTS_AT_ONCE).map(async (f) => this.sizes.set(f.path, await sizeOf(f.contentUri, signal).catch(() => undefined))));
    }
    const signature = JSON.stringify(files.map((f) => [f.path, this.sizes.get(f.path)]));
    if (signature === this.drawn) return;
    this.drawn = signature;
    const tree = treeOf(files.slice(0, MAX_FILES));
    const list = this.folderList(tree, '');
    this.element.replaceChildren(files.length ? list : h('p', { class: 'muted' }, 'No files yet.'));
    if (files.length > MAX_FILES) this.element.append(h('p', { class: 'muted' }, `The first ${MAX_FILES} of ${files.length} files are shown.`));
  }

  private folderList(folder: Folder, prefix: string): HTMLElement {
    const folders = [...folder.folders.entries()].sort(([a], [b]) => a.localeCompare(b));
    const files = [...folder.files].sort((a, b) => a.name.localeCompare(b.name));
    return h(
      'ul',
      { class: 'tree', role: prefix ? 'group' : undefined },
      ...folders.map(([name, child]) => {
        const path = `${prefix}${name}/`;
        const details = h('details', { open: !this.closed.has(path) }, h('summary', {}, h('span', { class: 'folder' }, `${name}/`)), this.folderList(child, path));
        details.addEventListener('toggle', () => (details.open ? this.closed.delete(path) : this.closed.add(path)));
        return h('li', {}, details);
      }),
      ...files.map(({ name, file }) =>
        h(
          'li',
          { class: 'file', 'data-path': file.path },
          h('a', { href: sameOrigin(file.contentUri), download: name }, name),
          h('span', { class: 'size muted' }, formatBytes(this.sizes.get(file.path))),
        ),
      ),
    );
  }
}
