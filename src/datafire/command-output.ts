/**
 * A file answer (Runs_StartLocalRun's zip) under `datafire run`. DataFire's run command writes the
 * result with YAML.stringify, or JSON.stringify for a .json `--outputFile`: a Buffer becomes 800
 * lines of numbers on stdout, and YAML crashes on it (`str.replace is not a function`). Neither
 * can write bytes: DataFire always writes text.
 *
 * So under `datafire run` the action answers a summary (name, size, entries), and when the command
 * line names an `--outputFile` that is not .json/.yaml/.yml, the file's bytes are written there
 * when the command exits, after DataFire has written its text (it exits right after).
 */
import * as fs from 'fs';
import * as path from 'path';

export interface CommandFileResult {
  /** Where the file was saved, or how to save it. */
  savedTo?: string;
  hint?: string;
  contentType: string;
  bytes: number;
  /** The names inside, for a zip. */
  entries?: string[];
}

/** The `--outputFile` (or `-o`) of DataFire's command line, if any. */
export function outputFileOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const inline = /^--outputFile=(.*)$/.exec(arg) ?? /^-o=(.*)$/.exec(arg);
    if (inline) return inline[1];
    if ((arg === '--outputFile' || arg === '-o') && i + 1 < argv.length) return argv[i + 1];
  }
  return undefined;
}

/** The names in a zip, read from its central directory (no zip library: the answer is already in memory). */
export function zipEntryNames(zip: Buffer): string[] | undefined {
  // The end of central directory record: signature 0x06054b50, within the last 64 KiB + 22 bytes.
  for (let eocd = zip.length - 22; eocd >= Math.max(0, zip.length - 65557); eocd--) {
    if (zip.readUInt32LE(eocd) !== 0x06054b50) continue;
    const count = zip.readUInt16LE(eocd + 10);
    let at = zip.readUInt32LE(eocd + 16);
    const names: string[] = [];
    for (let i = 0; i < count && at + 46 <= zip.length && zip.readUInt32LE(at) === 0x02014b50; i++) {
      const nameLength = zip.readUInt16LE(at + 28);
      const extraLength = zip.readUInt16LE(at + 30);
      const commentLength = zip.readUInt16LE(at + 32);
      names.push(zip.toString('utf8', at + 46, at + 46 + nameLength));
      at += 46 + nameLength + extraLength + commentLength;
    }
    return names;
  }
  return undefined;
}

/** What a file answer becomes under `datafire run`: a summary, and the bytes saved at exit when asked. */
export function commandFileResult(data: Buffer, contentType: string, argv: readonly string[] = process.argv, cwd = process.cwd()): CommandFileResult {
  const result: CommandFileResult = { contentType, bytes: data.length };
  const entries = contentType === 'application/zip' ? zipEntryNames(data) : undefined;
  if (entries) result.entries = entries;
  const outputFile = outputFileOf(argv);
  if (outputFile && !/\.(json|ya?ml)$/i.test(outputFile)) {
    const target = path.resolve(cwd, outputFile);
    // DataFire writes its text there, then exits: the bytes go last, synchronously, at exit.
    process.once('exit', () => fs.writeFileSync(target, data));
    result.savedTo = target;
  } else {
    result.hint = 'add --outputFile <name>.zip to save the file';
  }
  return result;
}
