import type { PipelinePolicy } from '../pipeline';

// crypto is required on the first request, not at import, and then kept: not looked up per call.
let randomUUID: (() => string) | undefined;

/** One `x-ms-client-request-id` per call, kept by every attempt (the policy sits outside any retry). */
export function clientRequestIdPolicy(): PipelinePolicy {
  return {
    name: 'clientRequestId',
    sendRequest(request, next) {
      if (!request.headers['x-ms-client-request-id']) {
        randomUUID ??= (require('crypto') as typeof import('crypto')).randomUUID;
        request.headers['x-ms-client-request-id'] = randomUUID();
      }
      return next(request);
    },
  };
}
