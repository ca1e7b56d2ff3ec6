import type { TokenSource } from '../../auth/token-source';
import type { PipelinePolicy } from '../pipeline';

/**
 * Puts the token source's token in `Authorization`. On a 401 the token source may offer a new
 * token (refresh): the request is then sent once more with it, never more than once.
 */
export function bearerTokenPolicy(tokenSource: TokenSource): PipelinePolicy {
  return {
    name: 'bearerToken',
    async sendRequest(request, next) {
      const token = await tokenSource.getToken({ action: request.action, signal: request.signal });
      request.headers.authorization = `Bearer ${token}`;
      const response = await next(request);
      if (response.status !== 401 || !tokenSource.onUnauthorized) return response;
      const renewed = await tokenSource.onUnauthorized({ action: request.action, rejectedToken: token, signal: request.signal });
      if (renewed === undefined) return response;
      request.headers.authorization = `Bearer ${renewed}`;
      return next(request);
    },
  };
}
