import type { PipelinePolicy } from '../pipeline';

// crypto is required on first use: import time stays low.
/** One `x-ms-client-request-id` per call, kept by every attempt (the policy sits outside any retry). */
export function clientRequestIdPolicy(): PipelinePolicy {
  return {
    name: 'clientRequestId',
    sendRequest(request, next) {
      if (!request.headers['x-ms-client-request-id']) request.headers['x-ms-client-request-id'] = (require('crypto') as typeof import('crypto')).randomUUID();
      return next(request);
    },
  };
}
