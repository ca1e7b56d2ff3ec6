/**
 * `npm run generate`: writes the generated modules. With `--check`, writes nothing and exits 1
 * when a committed file differs from what the generator makes now.
 */
import * as fs from 'fs';
import * as path from 'path';
import { generateAll } from './generate';

function main(argv: string[]): number {
  const check = argv.includes('--check');
  // npm runs scripts from the package root.
  const repoRoot = process.cwd();
  let stale = 0;
  for (const { file, content } of generateAll(repoRoot)) {
    const target = path.join(repoRoot, file);
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
    if (current === content) continue;
    if (check) {
      stale++;
      console.error(`${file} is out of date: run npm run generate`);
    } else {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, content);
      console.log(`wrote ${file}`);
    }
  }
  return stale ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
