/**
 * The four Execution Service operations: startrun (multipart: definition + project zip),
 * snapshotrun, startlocalrun (answers a zip) and cancel.
 */
import { randomBytes, randomUUID } from 'crypto';
import * as fs from 'fs';
import type { IncomingMessage, ServerResponse } from 'http';
import { pipeline } from 'stream/promises';
import { executionSpec } from '../../spec/execution/spec';
import { checkDefinition } from '../../spec/run-definition';
import { formatBytes, HttpError, sendJson } from '../http-util';
import type { OperationHandlers } from '../routes';
import type { EmulatorContext } from '../context';
import { LOCAL_RUN_SCRIPT } from '../local-run-script';
import { checkName, checkSnapshotId } from '../names';
import { PRIVATE_FILE, workspaceKey } from '../store';
import { inspectZip, lazyEntries, ZipRejectedError, type ZipEntryInfo } from '../zip-archive';

const MAX_DEFINITION_BYTES = 1024 * 1024;

function workspaceOf(input: Record<string, unknown>): string {
  return workspaceKey(String(input.subscriptionId), String(input.resourceGroupName), String(input.workspaceName));
}

/** The definition in the swagger's camelCase (PascalCase accepted), checked against RunDefinition. */
function parseDefinition(raw: unknown, field: string): Record<string, unknown> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new HttpError(400, 'ValidationError', `${field} must be a JSON object`, { target: field });
  // The service reads a null as "not given" (maxRunDurationSeconds: null is no limit), as the SDK writes them.
  const { definition, problems } = checkDefinition(raw as Record<string, unknown>, 'RunDefinition', executionSpec.definitions, field);
  if (problems.length) {
    throw new HttpError(400, 'ValidationError', problems.map((p) => `${p.path} ${p.message}`).join('; '), {
      target: problems[0].path,
      details: problems.map((p) => ({ code: 'Invalid', message: `${p.path} ${p.message}`, target: p.path })),
    });
  }
  if (typeof definition.parentRunId === 'string') checkName(definition.parentRunId, `${field}.parentRunId`);
  if (typeof definition.snapshotId === 'string') checkSnapshotId(definition.snapshotId, `${field}.snapshotId`);
  return definition;
}

function scriptOf(definition: Record<string, unknown>): string {
  const script = (definition.configuration as { script?: unknown } | undefined)?.script;
  if (typeof script !== 'string' || !script) throw new HttpError(400, 'UserError', 'configuration.script is required: the script to run', { target: 'configuration.script' });
  return script.replace(/^\.\//, '');
}

function checkScriptInProject(script: string, entries: ZipEntryInfo[]): void {
  if (!entries.some((e) => !e.directory && e.name === script)) {
    throw new HttpError(400, 'UserError', `The script ${script} is not in the project (configuration.script must name a file of project.zip)`, {
      target: 'configuration.script',
      innerCode: 'ScriptNotFound',
    });
  }
}

/** A zip the emulator will not run is the caller's problem: a 400 InvalidProject. */
async function asInvalidProject<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof ZipRejectedError) throw new HttpError(400, 'UserError', error.message, { target: 'projectZipFile', innerCode: 'InvalidProject' });
    throw error;
  }
}

function inspect(ctx: EmulatorContext, file: string): Promise<ZipEntryInfo[]> {
  return asInvalidProject(inspectZip(file, { maxExtractedBytes: ctx.options.maxExtractedBytes, maxEntries: ctx.options.maxZipEntries }));
}

function newRunId(experimentName: string): string {
  // As the Python SDK makes them: {experiment}_{unix seconds}_{8 hex}.
  return `${experimentName}_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
}

/** Creates the run record (and the experiment when it does not exist yet) and queues it. */
function startRun(ctx: EmulatorContext, input: Record<string, unknown>, definition: Record<string, unknown>, snapshotId: string): string {
  const workspace = workspaceOf(input);
  const experimentName = String(input.experimentName);
  const runId = typeof input.runId === 'string' ? input.runId : newRunId(experimentName);
  if (ctx.store.getRun(workspace, runId)) {
    throw new HttpError(409, 'UserError', `A run with id ${runId} already exists`, { target: 'runId', innerCode: 'RunIdAlreadyExists' });
  }
  const now = new Date().toISOString();
  const experiment = ctx.store.ensureExperiment(workspace, experimentName, now);
  const config = (definition.configuration ?? {}) as { target?: string };
  const run = ctx.store.createRun(
    {
      workspace,
      experimentName: experiment.name,
      experimentId: experiment.experimentId,
      runId,
      target: config.target ?? 'local',
      parentRunId: typeof definition.parentRunId === 'string' ? definition.parentRunId : undefined,
      runType: typeof definition.runType === 'string' ? definition.runType : 'experiment',
      definition,
      snapshotId,
    },
    now,
  );
  ctx.runner.enqueue(run);
  return runId;
}

interface Upload {
  definition?: Buffer;
  zipFile?: string;
  /** The zip's file stream: a stream destroyed while it opens still creates the file, so removal waits for its close. */
  zipStream?: fs.WriteStream;
  zipBytes: number;
}

const PARTS = ['runDefinitionFile', 'projectZipFile'];

/** A failure of the request itself (a malformed or cut body): a 400, which clients do not retry. */
function badBody(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const message = (error as Error)?.message ?? String(error);
  return new HttpError(400, 'ValidationError', `The multipart body cannot be read: ${message}`);
}

/**
 * Reads the multipart body: the definition into memory (bounded), the zip to a file (bounded).
 * Any other part, a part given twice, a malformed or truncated body, or a client that leaves,
 * ends the read at once: the rest is not read (the answer closes the connection).
 */
async function readStartRunParts(ctx: EmulatorContext, req: IncomingMessage, upload: Upload): Promise<void> {
  const busboy = require('busboy') as typeof import('busboy');
  const contentType = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(contentType)) throw new HttpError(415, 'UserError', 'startrun takes multipart/form-data with runDefinitionFile and projectZipFile');
  let parser: import('busboy').Busboy;
  try {
    parser = busboy({ headers: req.headers, limits: { parts: PARTS.length + 1, fieldSize: MAX_DEFINITION_BYTES + 1, headerPairs: 20 } });
  } catch (error) {
    throw badBody(error); // no boundary, or a content type busboy cannot parse
  }
  const seen = new Set<string>();
  const pending: Promise<void>[] = [];
  let failure: unknown;
  let finish!: () => void;
  const ended = new Promise<void>((resolve) => (finish = resolve));
  const stop = (error: unknown) => {
    failure ??= error;
    req.unpipe(parser);
    parser.destroy(error as Error);
    finish();
  };
  const track = (work: Promise<void>) => pending.push(work.catch(stop));
  /** Accepts a part's name once; anything else stops the read with a 400 that names it. */
  const claim = (name: string): boolean => {
    if (!PARTS.includes(name))
      stop(
        new HttpError(400, 'ValidationError', `Unknown part ${JSON.stringify(name.slice(0, 100))}: startrun takes runDefinitionFile and projectZipFile`, {
          target: name.slice(0, 100),
        }),
      );
    else if (seen.has(name)) stop(new HttpError(400, 'ValidationError', `The part ${name} appears more than once`, { target: name }));
    else {
      seen.add(name);
      return true;
    }
    return false;
  };
  parser.on('file', (name, stream) => {
    // A part's stream is destroyed with the parser's error when the read stops: its readers see it.
    stream.on('error', () => undefined);
    if (!claim(name)) return;
    if (name === 'runDefinitionFile') {
      const chunks: Buffer[] = [];
      let size = 0;
      track(
        (async () => {
          for await (const chunk of stream as AsyncIterable<Buffer>) {
            size += chunk.length;
            if (size > MAX_DEFINITION_BYTES) throw new HttpError(413, 'UserError', 'runDefinitionFile is larger than 1 MB', { target: 'runDefinitionFile' });
            chunks.push(chunk);
          }
          upload.definition = Buffer.concat(chunks);
        })(),
      );
      return;
    }
    const file = ctx.store.uploadPath();
    upload.zipFile = file;
    upload.zipStream = fs.createWriteStream(file, { flags: 'wx', mode: PRIVATE_FILE });
    const limit = ctx.options.maxZipBytes;
    track(
      pipeline(
        stream,
        async function* count(source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            upload.zipBytes += chunk.length;
            if (upload.zipBytes > limit)
              throw new HttpError(413, 'UserError', `project.zip is larger than the ${formatBytes(limit)} startrun accepts`, { target: 'projectZipFile' });
            yield chunk;
          }
        },
        upload.zipStream,
      ),
    );
  });
  parser.on('field', (name, value, info) => {
    if (!claim(name)) return;
    // curl -F 'runDefinitionFile=<definition.json' sends the definition without a file name.
    if (name !== 'runDefinitionFile') return stop(new HttpError(400, 'ValidationError', `${name} must be a file part (with a filename)`, { target: name }));
    if (info.valueTruncated) return stop(new HttpError(413, 'UserError', 'runDefinitionFile is larger than 1 MB', { target: 'runDefinitionFile' }));
    upload.definition = Buffer.from(value, 'utf8');
  });
  parser.on('error', (error) => stop(badBody(error)));
  parser.on('close', () => finish());
  req.on('error', (error) => stop(badBody(error)));
  req.on('close', () => {
    if (!req.complete) stop(new HttpError(400, 'ValidationError', 'The client closed the connection before the body was complete'));
  });
  req.pipe(parser);
  await ended;
  await Promise.all(pending);
  if (failure) throw failure;
}

export async function handleStartRun(ctx: EmulatorContext, input: Record<string, unknown>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const upload: Upload = { zipBytes: 0 };
  try {
    await readStartRunParts(ctx, req, upload);
    if (!upload.definition) throw new HttpError(400, 'ValidationError', 'runDefinitionFile is required', { target: 'runDefinitionFile' });
    if (!upload.zipFile) throw new HttpError(400, 'ValidationError', 'projectZipFile is required', { target: 'projectZipFile' });
    let raw: unknown;
    try {
      raw = JSON.parse(upload.definition.toString('utf8').replace(/^\uFEFF/, ''));
    } catch (error) {
      throw new HttpError(400, 'ValidationError', `runDefinitionFile is not JSON: ${(error as Error).message}`, { target: 'runDefinitionFile' });
    }
    const definition = parseDefinition(raw, 'runDefinitionFile');
    const script = scriptOf(definition);
    checkScriptInProject(script, await inspect(ctx, upload.zipFile));
    const snapshotId = randomUUID();
    fs.renameSync(upload.zipFile, ctx.store.snapshotPath(snapshotId));
    upload.zipFile = undefined;
    sendJson(res, 200, { runId: startRun(ctx, input, { ...definition, snapshotId }, snapshotId) });
  } finally {
    const stream = upload.zipStream;
    if (upload.zipFile) {
      if (stream && !stream.closed) await new Promise<void>((resolve) => stream.once('close', () => resolve()));
      fs.rmSync(upload.zipFile, { force: true });
    }
  }
}

function knownSnapshot(ctx: EmulatorContext, definition: Record<string, unknown>, required: boolean): string | undefined {
  const snapshotId = definition.snapshotId;
  if (typeof snapshotId !== 'string') {
    if (required) throw new HttpError(400, 'UserError', 'definition.snapshotId is required: the snapshot to run', { target: 'definition.snapshotId' });
    return undefined;
  }
  if (!fs.existsSync(ctx.store.snapshotPath(snapshotId))) {
    throw new HttpError(400, 'UserError', `Snapshot ${snapshotId} was not found`, { target: 'definition.snapshotId', innerCode: 'SnapshotNotFound' });
  }
  return snapshotId;
}

export async function handleStartSnapshotRun(ctx: EmulatorContext, input: Record<string, unknown>, res: ServerResponse): Promise<void> {
  const definition = parseDefinition(input.definition, 'definition');
  const snapshotId = knownSnapshot(ctx, definition, true)!;
  checkScriptInProject(scriptOf(definition), await inspect(ctx, ctx.store.snapshotPath(snapshotId)));
  sendJson(res, 200, { runId: startRun(ctx, input, definition, snapshotId) });
}

/**
 * Answers a zip with definition.json, the project (from definition.snapshotId, when given) under
 * project/, and azureml_local_run.py, which runs the definition's script on this machine. The
 * snapshot's files are streamed from its archive into the answer one at a time: nothing is
 * extracted to disk, and memory does not grow with the project.
 */
export async function handleStartLocalRun(ctx: EmulatorContext, input: Record<string, unknown>, res: ServerResponse): Promise<void> {
  const definition = parseDefinition(input.definition, 'definition');
  const snapshotId = knownSnapshot(ctx, definition, false);
  const snapshot = snapshotId ? await asInvalidProject(lazyEntries(ctx.store.snapshotPath(snapshotId))) : undefined;
  try {
    const yazl = require('yazl') as typeof import('yazl');
    const zip = new yazl.ZipFile();
    const output = zip.outputStream as NodeJS.ReadableStream as import('stream').Readable;
    // A failed entry read fails the answer (the client sees a cut body), never the process.
    zip.on('error', (error: Error) => output.destroy(error));
    const mtime = new Date('2020-01-01T00:00:00Z');
    zip.addBuffer(Buffer.from(JSON.stringify(definition, null, 2)), 'definition.json', { mtime });
    zip.addBuffer(Buffer.from(LOCAL_RUN_SCRIPT), 'azureml_local_run.py', { mtime, mode: 0o100755 });
    for (const entry of snapshot?.entries ?? []) {
      const mode = (entry.mode & 0o170000) === 0o100000 ? entry.mode : 0o100644;
      if (entry.directory) zip.addEmptyDirectory(`project/${entry.name}`, { mtime });
      else
        zip.addReadStreamLazy(`project/${entry.name}`, { mtime, mode }, (callback) => {
          entry.open().then(
            (stream) => void callback(null, stream),
            (error: Error) => void callback(error, undefined as never),
          );
        });
    }
    zip.end();
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-disposition': 'attachment; filename="local-run.zip"' });
    await pipeline(output, res);
  } finally {
    snapshot?.close();
  }
}

export function handleCancel(ctx: EmulatorContext, input: Record<string, unknown>, res: ServerResponse): void {
  const workspace = workspaceOf(input);
  const run = ctx.store.getRun(workspace, String(input.runId));
  if (!run || run.experimentName.toLowerCase() !== String(input.experimentName).toLowerCase()) {
    throw new HttpError(404, 'UserError', `Run ${String(input.runId)} was not found in experiment ${String(input.experimentName)}`, { target: 'runId', innerCode: 'RunNotFound' });
  }
  // Cancelling a run that has ended changes nothing and is no error: cancel is idempotent.
  ctx.runner.cancel(run);
  sendJson(res, 200, { runId: run.runId });
}

/** The Execution Service's operations, by operationId. */
export const executionHandlers: OperationHandlers = {
  Runs_StartRun: { handle: handleStartRun, readsParts: true },
  Runs_StartSnapshotRun: { handle: (ctx, input, _req, res) => handleStartSnapshotRun(ctx, input, res) },
  Runs_StartLocalRun: { handle: (ctx, input, _req, res) => handleStartLocalRun(ctx, input, res) },
  Runs_CancelRunWithUri: { handle: (ctx, input, _req, res) => handleCancel(ctx, input, res) },
};
