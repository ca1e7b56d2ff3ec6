import type { Account } from '../../account/account';
import type { TokenSource } from '../../auth/token-source';
import type { PipelinePolicy } from '../pipeline';
import { secretValues } from '../scrub';

/**
 * Puts the token source's token in `Authorization`. On a 401 the token source may offer a new
 * token (refresh): the request is then sent once more with it, never more than once, and only
 * when its body can be built again. A second 401 is marked, so its error says so.
 */
export function bearerTokenPolicy(tokenSource: TokenSource, options: { onRefresh?: (account: Account) => void; tokenPolicies?: PipelinePolicy[] } = {}): PipelinePolicy {
  return {
    name: 'bearerToken',
    async sendRequest(request, next) {
      const context = { action: request.action, signal: request.signal, onRefresh: options.onRefresh, policies: options.tokenPolicies };
      const token = await tokenSource.getToken(context);
      request.headers.authorization = `Bearer ${token}`;
      // Whatever token went out (the first, or the renewed one) is scrubbed from answers that echo it.
      let sent = token;
      const others = request.secrets;
      request.secrets = () => [...(others?.() ?? []), ...secretValues([sent, token])];
      const response = await next(request);
      if (response.status !== 401 || !tokenSource.onUnauthorized) return response;
      const renewed = await tokenSource.onUnauthorized({ ...context, rejectedToken: token });
      if (renewed === undefined || (request.body && !request.body.replayable)) return response;
      request.headers.authorization = `Bearer ${renewed}`;
      sent = renewed;
      const second = await next(request);
      if (second.status === 401) second.afterTokenRefresh = true;
      return second;
    },
  };
}
