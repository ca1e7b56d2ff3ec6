#!/usr/bin/env node
/**
 * `azureml-emulator`: prints its base URL on the first line (its root is the dashboard) and serves
 * until stopped. See USAGE.
 * It runs whatever code it is sent, so it serves loopback only unless told otherwise twice
 * (--host with a remote address and --allow-remote), and then only with --strict-auth.
 */
import * as fs from 'fs';
import { parseArgs } from 'util';
import type { EmulatorClient } from './auth';
import { startEmulator } from './emulator';
import { isLoopbackHost } from './host-check';

const USAGE = [
  'usage: azureml-emulator [--port N] [--host H] [--data-dir DIR] [--strict-auth] [--token-lifetime SECONDS] [--max-concurrent-runs N]',
  '                        [--compute-provisioning-ms MS] [--node-quota N]',
  '                        [--client-id ID --client-secret-file FILE | --credentials-file FILE] [--allow-remote]',
  '  --strict-auth           accept only tokens it issued, issued only to the client given (else one it makes and saves)',
  '  --client-id ID          with --strict-auth: the client that gets tokens; its secret from --client-secret-file or',
  '                          AZUREML_EMULATOR_CLIENT_SECRET (--client-secret S works, but shows in the process list)',
  '  --credentials-file FILE with --strict-auth: JSON [{"client_id": "...", "client_secret": "..."}, ...]',
  '  --allow-remote          serve on a non-loopback --host: anyone who can reach it can run code on this machine',
  '  --compute-provisioning-ms MS  how long creating, resizing or deleting a compute cluster takes (default 1000)',
  '  --node-quota N          the most nodes a compute cluster may have (default 100)',
].join('\n');

function positiveInteger(name: string, value: string | undefined, allowZero = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer (got ${value})`);
  return n;
}

type Values = Record<string, string | boolean | undefined>;

/** The strict-mode clients from the flags, a file or the environment; undefined lets the emulator make one. */
function clientsOf(values: Values): EmulatorClient[] | undefined {
  const file = values['credentials-file'] as string | undefined;
  const clientId = values['client-id'] as string | undefined;
  if (file) {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    const list = Array.isArray(parsed) ? parsed : [parsed];
    return list.map((item: { client_id?: unknown; client_secret?: unknown }, i) => {
      if (typeof item?.client_id !== 'string' || typeof item.client_secret !== 'string')
        throw new Error(`--credentials-file: entry ${i} needs client_id and client_secret strings`);
      return { clientId: item.client_id, clientSecret: item.client_secret };
    });
  }
  if (!clientId) {
    if (values['client-secret'] || values['client-secret-file']) throw new Error('--client-secret needs --client-id');
    return undefined;
  }
  const secretFile = values['client-secret-file'] as string | undefined;
  const secret = secretFile ? fs.readFileSync(secretFile, 'utf8').trim() : ((values['client-secret'] as string | undefined) ?? process.env.AZUREML_EMULATOR_CLIENT_SECRET);
  if (!secret) throw new Error('--client-id needs a secret: --client-secret-file FILE, or AZUREML_EMULATOR_CLIENT_SECRET');
  return [{ clientId, clientSecret: secret }];
}

async function main(): Promise<void> {
  let values: Values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        'strict-auth': { type: 'boolean' },
        'token-lifetime': { type: 'string' },
        'max-concurrent-runs': { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        'client-secret-file': { type: 'string' },
        'credentials-file': { type: 'string' },
        'allow-remote': { type: 'boolean' },
        'compute-provisioning-ms': { type: 'string' },
        'node-quota': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  let emulator;
  try {
    const host = values.host as string | undefined;
    const strictAuth = !!values['strict-auth'];
    const clients = clientsOf(values);
    if (clients && !strictAuth) throw new Error('--client-id and --credentials-file take effect with --strict-auth only: add it');
    emulator = await startEmulator({
      port: positiveInteger('port', values.port as string | undefined, true),
      host,
      allowRemote: !!values['allow-remote'],
      dataDir: (values['data-dir'] as string | undefined) ?? '.azureml-emulator',
      strictAuth,
      clients,
      tokenLifetimeSeconds: positiveInteger('token-lifetime', values['token-lifetime'] as string | undefined),
      maxConcurrentRuns: positiveInteger('max-concurrent-runs', values['max-concurrent-runs'] as string | undefined),
      computeProvisioningMs: positiveInteger('compute-provisioning-ms', values['compute-provisioning-ms'] as string | undefined, true),
      nodeQuota: positiveInteger('node-quota', values['node-quota'] as string | undefined),
    });
    if (host && !isLoopbackHost(host)) {
      console.error(
        `WARNING: serving on ${host}: anyone who can reach ${emulator.url} and holds the client secret can run code on this machine as ${process.env.USER ?? 'this user'}.`,
      );
    }
  } catch (error) {
    console.error(`azureml-emulator: ${(error as Error).message}`);
    process.exit(2);
  }
  console.log(emulator.url);
  const credentials = emulator.credentials;
  const account = credentials
    ? `account { host: '${emulator.url}', management_host: '${emulator.url}', authority_host: '${emulator.authorityHost}', tenant_id: 'any', client_id: '${credentials.clientIds[0]}', client_secret: <${credentials.file ? `"client_secret" in ${credentials.file}` : 'the secret it was given'}> }`
    : `account { host: '${emulator.url}', management_host: '${emulator.url}', access_token: 'any' }`;
  console.error(`Azure ML emulator: dashboard at ${emulator.url}/ (open it in a browser); data in ${emulator.dataDir}; ${account}. Ctrl-C stops it.`);
  const stop = () => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
