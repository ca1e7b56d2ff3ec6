import type { PipelinePolicy } from '../pipeline';
import { sanitizeHeaders, sanitizeUrl } from '../sanitizer';

export type Logger = (message: string) => void;

/**
 * Logs each request and answer (method, sanitized URL and headers, status, time), never a body:
 * opt-in, through `create(account, { logger })` or `DEBUG=azureml-execution`.
 */
export function loggingPolicy(log: Logger): PipelinePolicy {
  return {
    name: 'logging',
    async sendRequest(request, next) {
      const started = Date.now();
      log(`--> ${request.action}: ${request.method.toUpperCase()} ${sanitizeUrl(request.url, request.redactPath)} ${JSON.stringify(sanitizeHeaders(request.headers))}`);
      try {
        const response = await next(request);
        log(`<-- ${request.action}: ${response.status} in ${Date.now() - started} ms ${JSON.stringify(sanitizeHeaders(response.headers))}`);
        return response;
      } catch (error) {
        log(`<-- ${request.action}: no answer after ${Date.now() - started} ms: ${(error as Error).message}`);
        throw error;
      }
    },
  };
}

/** The `debug` package's logger when DEBUG names azureml-execution; loaded only then. */
export function environmentLogger(): Logger | undefined {
  const setting = process.env.DEBUG;
  if (!setting || !/azureml-execution|\*/.test(setting)) return undefined;

  const debug = require('debug') as typeof import('debug');
  const logger = debug('azureml-execution');
  return logger.enabled ? (message) => logger(message) : undefined;
}
