/**
 * The one way a spec becomes callable methods: `create(account)`, the DataFire integration's
 * `create` and its `actions` all bind through here, so every path validates, sends and reads the
 * same way.
 */
import type { Account } from '../account/account';
import { oauthCallback, oauthRefresh } from '../auth/oauth-actions';
import { callOptionsOf, type CallOptions } from '../http/call-options';
import type { IntegrationSpec } from '../spec/operation-spec';
import type { ClientCore } from './client-core';

export type BoundMethod = (input?: unknown, call?: CallOptions) => Promise<unknown>;

const bound = new WeakMap<ClientCore, Map<IntegrationSpec, Record<string, BoundMethod>>>();

/** The operations of `spec` as methods `(input, callOptions?)` sending through `core`: made once per core and spec. */
export function bindOperations(spec: IntegrationSpec, core: ClientCore): Record<string, BoundMethod> {
  let bySpec = bound.get(core);
  if (!bySpec) bound.set(core, (bySpec = new Map()));
  let methods = bySpec.get(spec);
  if (!methods) {
    methods = {};
    for (const op of spec.operations) methods[op.operationId] = (input, call) => core.run(spec, op, input, callOptionsOf(call));
    bySpec.set(spec, methods);
  }
  return methods;
}

/** DataFire's OAuth actions, for one account: exchange a code, or the refresh token, for tokens. */
export function bindOAuth(account: Account, integrationId: string): Record<'oauthCallback' | 'oauthRefresh', BoundMethod> {
  return {
    oauthCallback: (input) => oauthCallback(account, input, `${integrationId}/oauthCallback`),
    oauthRefresh: () => oauthRefresh(account, `${integrationId}/oauthRefresh`),
  };
}

/** The specs' operations and the first spec's OAuth actions, bound to one client core. */
export function bindClient(specs: readonly IntegrationSpec[], core: ClientCore): Record<string, BoundMethod> {
  const methods: Record<string, BoundMethod> = {};
  // A fresh object each time: callers add their own methods to it (the workflow).
  for (const spec of specs) Object.assign(methods, bindOperations(spec, core));
  return Object.assign(methods, bindOAuth(core.account, specs[0].id));
}
