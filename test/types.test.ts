/**
 * The published types, as a user's TypeScript project compiles against dist/: typed inputs and
 * outputs, enum members, the error class; and wrong uses (marked @ts-expect-error) must fail.
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';

const REPO = path.resolve(__dirname, '..');

it('compiles a consumer project against the package types, and rejects wrong uses', async () => {
  const tsc = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await promisify(execFile)(process.execPath, [tsc, '-p', path.join(__dirname, 'types-consumer', 'tsconfig.json')], { cwd: REPO, timeout: 60000 }).then(
    () => 'compiled',
    (error: { stdout: string }) => error.stdout,
  );
  expect(result).toBe('compiled');
});
