import * as fs from 'fs';
import * as path from 'path';
import type { PipelinePolicy } from '../pipeline';

let userAgent: string | undefined;

/** `azureml-execution/0.1.0 Node.js/v20.20.2 (linux; x64)`: read once, on the first request. */
export function defaultUserAgent(): string {
  if (userAgent) return userAgent;
  // src/http/policies and dist/http/policies are both three levels below the package root.
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { name: string; version: string };
  userAgent = `${pkg.name}/${pkg.version} Node.js/${process.version} (${process.platform}; ${process.arch})`;
  return userAgent;
}

/** Sets User-Agent; an application's own prefix (e.g. `my-flow/1.2`) goes first, as Azure SDKs do. */
export function userAgentPolicy(prefix?: string): PipelinePolicy {
  return {
    name: 'userAgent',
    sendRequest(request, next) {
      request.headers['user-agent'] = prefix ? `${prefix} ${defaultUserAgent()}` : defaultUserAgent();
      return next(request);
    },
  };
}
