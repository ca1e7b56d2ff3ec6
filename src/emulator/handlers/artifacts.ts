/**
 * Run History's artifact operations over a run's files (see ../artifacts.ts): listings in pages
 * (continuationToken and nextLink), one artifact's metadata, its content link (signed, readable
 * with Range, like a blob SAS URL), and empty artifacts that a client then uploads to.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import type { EmulatorContext } from '../context';
import { ARTIFACT_ORIGIN, artifactJson, checkArtifactPath, containerOf, createEmptyArtifact, findArtifact, listArtifacts, type ArtifactFile } from '../artifacts';
import { errorResponse } from '../error-response';
import { fileUrl } from '../file-links';
import { HttpError, sendJson } from '../http-util';
import { pageOf } from '../odata';
import type { OperationHandlers } from '../routes';
import { findRun } from '../run-lookup';
import type { RunRecord } from '../store';

/** The same request, asking for the page at `token`: Run History's nextLink. */
function nextLinkOf(ctx: EmulatorContext, req: IncomingMessage): (token: string) => string {
  return (token) => {
    const url = new URL(req.url ?? '/', ctx.baseUrl);
    url.searchParams.set('continuationToken', token);
    return url.toString();
  };
}

function contentInformation(ctx: EmulatorContext, run: RunRecord, artifact: ArtifactFile): Record<string, unknown> {
  return { contentUri: fileUrl(ctx.baseUrl, run, artifact.file), origin: ARTIFACT_ORIGIN, container: containerOf(run), path: artifact.path };
}

function notFound(run: RunRecord, artifactPath: string): HttpError {
  return new HttpError(404, 'UserError', `Run ${run.runId} has no artifact ${artifactPath}`, { target: 'path', innerCode: 'ArtifactNotFound' });
}

/** The artifacts under a folder: the folder itself as a path, or anything below it. */
function underFolder(artifacts: ArtifactFile[], folder: unknown): ArtifactFile[] {
  const prefix = typeof folder === 'string' ? folder.replace(/^\/+|\/+$/g, '') : '';
  return prefix ? artifacts.filter((a) => a.path === prefix || a.path.startsWith(`${prefix}/`)) : artifacts;
}

function one(ctx: EmulatorContext, input: Record<string, unknown>): { run: RunRecord; artifact: ArtifactFile } {
  const run = findRun(ctx, input);
  const artifactPath = checkArtifactPath(input.path, 'path');
  const artifact = findArtifact(ctx.store.runDir(run), artifactPath);
  if (!artifact) throw notFound(run, artifactPath);
  return { run, artifact };
}

function list(ctx: EmulatorContext, input: Record<string, unknown>, req: IncomingMessage, res: ServerResponse, select: (all: ArtifactFile[]) => ArtifactFile[]): void {
  const run = findRun(ctx, input);
  const artifacts = select(listArtifacts(ctx.store.runDir(run)));
  sendJson(
    res,
    200,
    pageOf(artifacts, input.continuationToken as string | undefined, ctx.options.pageSize, (a) => artifactJson(run, a), nextLinkOf(ctx, req)),
  );
}

function batchCreate(ctx: EmulatorContext, input: Record<string, unknown>, res: ServerResponse): void {
  const run = findRun(ctx, input);
  const paths = ((input.artifactPaths as { paths?: Array<{ path?: unknown }> } | undefined)?.paths ?? []).map((p) => p?.path);
  if (paths.length > 500) throw new HttpError(400, 'ValidationError', `artifactPaths.paths has ${paths.length} paths; at most 500 per call`, { target: 'artifactPaths.paths' });
  const artifacts: Record<string, unknown> = {};
  const artifactContentInformation: Record<string, unknown> = {};
  const errors: Record<string, unknown> = {};
  const root = ctx.store.runDir(run);
  paths.forEach((given, i) => {
    const key = typeof given === 'string' ? given : String(i);
    try {
      const artifactPath = checkArtifactPath(given, `artifactPaths.paths[${i}].path`);
      const logs = ['azureml-logs/', 'user_logs/'].find((prefix) => artifactPath.startsWith(prefix));
      if (logs) {
        throw new HttpError(400, 'UserError', `${artifactPath}: ${logs} holds the service's own logs; it takes no artifacts`, { target: `artifactPaths.paths[${i}].path` });
      }
      const artifact = createEmptyArtifact(root, artifactPath);
      artifacts[key] = artifactJson(run, artifact);
      artifactContentInformation[key] = contentInformation(ctx, run, artifact);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      errors[key] = errorResponse(error.code, error.message, error.extra);
    }
  });
  sendJson(res, 200, { artifacts, artifactContentInformation, errors });
}

/** Run History's artifact operations, by operationId. A run's own token may use them for its run. */
export const artifactHandlers: OperationHandlers = {
  RunArtifacts_ListInContainer: { runScoped: true, handle: (ctx, input, req, res) => list(ctx, input, req, res, (all) => all) },
  RunArtifacts_ListInPath: { runScoped: true, handle: (ctx, input, req, res) => list(ctx, input, req, res, (all) => underFolder(all, input.path)) },
  RunArtifacts_GetById: {
    runScoped: true,
    handle: (ctx, input, _req, res) => {
      const { run, artifact } = one(ctx, input);
      sendJson(res, 200, artifactJson(run, artifact));
    },
  },
  RunArtifacts_GetContentInformation: {
    runScoped: true,
    handle: (ctx, input, _req, res) => {
      const { run, artifact } = one(ctx, input);
      sendJson(res, 200, contentInformation(ctx, run, artifact));
    },
  },
  RunArtifacts_GetSasUri: {
    runScoped: true,
    handle: (ctx, input, _req, res) => {
      const { run, artifact } = one(ctx, input);
      sendJson(res, 200, fileUrl(ctx.baseUrl, run, artifact.file));
    },
  },
  RunArtifacts_ListSasByPrefix: {
    runScoped: true,
    handle: (ctx, input, req, res) => {
      const run = findRun(ctx, input);
      const prefix = typeof input.path === 'string' ? input.path : '';
      const artifacts = listArtifacts(ctx.store.runDir(run)).filter((a) => a.path.startsWith(prefix));
      sendJson(
        res,
        200,
        pageOf(artifacts, input.continuationToken as string | undefined, ctx.options.pageSize, (a) => contentInformation(ctx, run, a), nextLinkOf(ctx, req)),
      );
    },
  },
  RunArtifacts_BatchCreateEmptyArtifacts: { runScoped: true, handle: (ctx, input, _req, res) => batchCreate(ctx, input, res) },
};
