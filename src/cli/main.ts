#!/usr/bin/env node
/**
 * The `azureml-exec` command. Ctrl-C while waiting stops the waiting (exit 130), not the run; a
 * second Ctrl-C exits at once.
 */
import { runCli } from './program';

const controller = new AbortController();
process.on('SIGINT', () => {
  if (controller.signal.aborted) process.exit(130);
  controller.abort();
});

// A reader that went away (`azureml-exec logs r | head`) is not an error: stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

const { version } = require('../../package.json') as { version: string };

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal, version }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = 4;
  },
);
