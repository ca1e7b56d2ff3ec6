/**
 * The v2 code assets: containers and versions (ARM resources of the workspace), and pending
 * uploads whose SAS link points at the emulator's own blob endpoint (handlers/blob.ts). A version
 * names its files by `codeUri`: a container (and optional folder) of that endpoint, which a job's
 * run copies into its working folder.
 */
import { randomBytes } from 'crypto';
import type { ServerResponse } from 'http';
import type { EmulatorContext } from '../context';
import { ArmError, PROVIDER, systemData, workspaceId } from '../arm';
import { BLOB_ACCOUNT } from '../blob-sas';
import { sendJson } from '../http-util';
import type { OperationHandlers } from '../routes';
import { workspaceOf } from '../run-lookup';
import type { CodeRecord } from '../store';

/** How long a pending upload's SAS link is valid. */
const PENDING_UPLOAD_HOURS = 24;

function containerJson(input: Record<string, unknown>, code: CodeRecord, ctx: EmulatorContext): Record<string, unknown> {
  const versions = ctx.store.listCodeVersions(code.workspace, code.name).map((v) => v.version!);
  const latest = versions.sort().pop();
  return {
    id: `${workspaceId(input)}/codes/${code.name}`,
    name: code.name,
    type: `${PROVIDER}/workspaces/codes`,
    properties: { ...code.properties, ...(latest ? { latestVersion: latest } : {}), provisioningState: 'Succeeded', isArchived: code.properties.isArchived ?? false },
    systemData: systemData(code.createdAt, code.lastModifiedAt),
  };
}

function versionJson(input: Record<string, unknown>, version: CodeRecord): Record<string, unknown> {
  return {
    id: `${workspaceId(input)}/codes/${version.name}/versions/${version.version}`,
    name: version.version,
    type: `${PROVIDER}/workspaces/codes/versions`,
    properties: { isAnonymous: false, isArchived: false, ...version.properties, provisioningState: 'Succeeded' },
    systemData: systemData(version.createdAt, version.lastModifiedAt),
  };
}

const bodyProperties = (input: Record<string, unknown>): Record<string, unknown> =>
  ((input.body as { properties?: Record<string, unknown> } | undefined)?.properties ?? {}) as Record<string, unknown>;

function notFound(what: string, target: string): ArmError {
  return new ArmError(404, 'UserError', `${what} was not found.`, target);
}

/** The container (and folder) of the emulator's blob endpoint a codeUri names, or undefined for any other URL. */
export function emulatorCodeLocation(ctx: EmulatorContext, codeUri: unknown): { container: string; prefix: string } | undefined {
  if (typeof codeUri !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(codeUri);
  } catch {
    return undefined;
  }
  if (url.origin !== new URL(ctx.baseUrl).origin) return undefined;
  const [account, container, ...rest] = url.pathname.replace(/^\/+/, '').split('/');
  if (account !== BLOB_ACCOUNT || !container || !ctx.blobs.exists(container)) return undefined;
  try {
    return { container, prefix: rest.filter(Boolean).map(decodeURIComponent).join('/') };
  } catch {
    return undefined; // malformed percent-encoding: no folder of this endpoint
  }
}

export const codeHandlers: OperationHandlers = {
  CodeContainers_Get: {
    handle(ctx, input, _req, res: ServerResponse) {
      const code = ctx.store.getCode(workspaceOf(input), String(input.name));
      if (!code) throw notFound(`Code container ${String(input.name)}`, 'name');
      sendJson(res, 200, containerJson(input, code, ctx));
    },
  },
  CodeContainers_CreateOrUpdate: {
    handle(ctx, input, _req, res) {
      const workspace = workspaceOf(input);
      const existing = ctx.store.getCode(workspace, String(input.name));
      const now = new Date(ctx.now()).toISOString();
      const code: CodeRecord = {
        workspace,
        name: existing?.name ?? String(input.name),
        createdAt: existing?.createdAt ?? now,
        lastModifiedAt: now,
        properties: bodyProperties(input),
      };
      ctx.store.putCode(code);
      sendJson(res, existing ? 200 : 201, containerJson(input, code, ctx));
    },
  },
  CodeVersions_List: {
    handle(ctx, input, _req, res) {
      let versions = ctx.store.listCodeVersions(workspaceOf(input), String(input.name));
      if (typeof input.hash === 'string') versions = versions.filter((v) => v.version === input.hash);
      versions.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      const top = typeof input.$top === 'number' && input.$top > 0 ? input.$top : versions.length;
      sendJson(res, 200, { value: versions.slice(0, top).map((v) => versionJson(input, v)) });
    },
  },
  CodeVersions_Get: {
    handle(ctx, input, _req, res) {
      const version = ctx.store.getCodeVersion(workspaceOf(input), String(input.name), String(input.version));
      if (!version) throw notFound(`Code version ${String(input.name)}:${String(input.version)}`, 'version');
      sendJson(res, 200, versionJson(input, version));
    },
  },
  CodeVersions_CreateOrUpdate: {
    handle(ctx, input, _req, res) {
      const workspace = workspaceOf(input);
      const properties = bodyProperties(input);
      const existing = ctx.store.getCodeVersion(workspace, String(input.name), String(input.version));
      // A version's files are fixed once registered, as on the service: the same codeUri is an update, another is refused.
      if (existing && existing.properties.codeUri !== properties.codeUri) {
        throw new ArmError(409, 'UserError', `Code version ${String(input.name)}:${String(input.version)} already exists with another codeUri; versions are immutable.`, 'version');
      }
      const now = new Date(ctx.now()).toISOString();
      if (!ctx.store.getCode(workspace, String(input.name))) ctx.store.putCode({ workspace, name: String(input.name), createdAt: now, lastModifiedAt: now, properties: {} });
      const version: CodeRecord = { workspace, name: String(input.name), version: String(input.version), createdAt: existing?.createdAt ?? now, lastModifiedAt: now, properties };
      ctx.store.putCodeVersion(version);
      sendJson(res, existing ? 200 : 201, versionJson(input, version));
    },
  },
  CodeVersions_CreateOrGetStartPendingUpload: {
    handle(ctx, input, _req, res) {
      const workspace = workspaceOf(input);
      const body = (input.body ?? {}) as { pendingUploadId?: string; pendingUploadType?: string };
      if (body.pendingUploadType !== undefined && body.pendingUploadType !== 'TemporaryBlobReference') {
        throw new ArmError(400, 'UserError', `pendingUploadType ${body.pendingUploadType} is not supported: use TemporaryBlobReference.`, 'pendingUploadType');
      }
      const pendingUploadId = body.pendingUploadId ?? randomBytes(16).toString('hex');
      let pending = ctx.store.getPendingUpload(workspace, pendingUploadId);
      if (!pending) {
        const container = `code-${randomBytes(12).toString('hex')}`;
        ctx.blobs.createContainer(container);
        pending = { workspace, name: String(input.name), version: String(input.version), pendingUploadId, container };
        ctx.store.putPendingUpload(pending);
      }
      const now = ctx.now();
      const blobUri = `${ctx.baseUrl}/${BLOB_ACCOUNT}/${pending.container}`;
      const sas = ctx.blobSigner.containerSas(pending.container, 'racwl', new Date(now - 5 * 60_000), new Date(now + PENDING_UPLOAD_HOURS * 3600_000));
      sendJson(res, 200, {
        blobReferenceForConsumption: {
          blobUri,
          storageAccountArmId: `${workspaceId(input)}/storage/${BLOB_ACCOUNT}`,
          credential: { credentialType: 'SAS', sasUri: `${blobUri}?${sas}` },
        },
        pendingUploadId,
        pendingUploadType: 'TemporaryBlobReference',
      });
    },
  },
};
