#!/usr/bin/env node
/**
 * `azureml-emulator [--port N] [--host H] [--data-dir DIR] [--strict-auth] [--token-lifetime S]
 * [--max-concurrent-runs N]`: prints its base URL on the first line and serves until stopped.
 */
import { parseArgs } from 'util';
import { startEmulator } from './emulator';

const USAGE = 'usage: azureml-emulator [--port N] [--host H] [--data-dir DIR] [--strict-auth] [--token-lifetime SECONDS] [--max-concurrent-runs N]';

function positiveInteger(name: string, value: string | undefined, allowZero = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer (got ${value})`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        'strict-auth': { type: 'boolean' },
        'token-lifetime': { type: 'string' },
        'max-concurrent-runs': { type: 'string' },
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
    emulator = await startEmulator({
      port: positiveInteger('port', values.port, true),
      host: values.host,
      dataDir: values['data-dir'] ?? '.azureml-emulator',
      strictAuth: values['strict-auth'],
      tokenLifetimeSeconds: positiveInteger('token-lifetime', values['token-lifetime']),
      maxConcurrentRuns: positiveInteger('max-concurrent-runs', values['max-concurrent-runs']),
    });
  } catch (error) {
    console.error(`azureml-emulator: ${(error as Error).message}`);
    process.exit(2);
  }
  console.log(emulator.url);
  console.error(`Azure ML emulator: data in ${emulator.dataDir}; account { host: '${emulator.url}', access_token: 'any' }. Ctrl-C stops it.`);
  const stop = () => {
    emulator.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
