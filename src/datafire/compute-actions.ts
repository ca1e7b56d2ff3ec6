/**
 * The cluster verbs as DataFire actions (azureml-execution/createCompute, waitForCompute, ...):
 * each answers a flat summary of the compute (computeSummary), so that a flow reads
 * `provisioningState`, `currentNodes` or `errors` without walking the ARM resource. As with runs,
 * a compute that failed is an answer (its state and the service's reasons), not a broken call.
 */
import { AzureMLComputeFailedError } from '../errors';
import type { JSONSchema } from '../spec/operation-spec';
import { COMPUTE_SPEC_FIELDS, type ComputeSpec } from '../workflow/compute/compute-spec';
import { computeSummary, type ComputeSummary } from '../workflow/compute/compute-summary';
import type { AzureMLClient } from '../client/create-client';
import type { ComputeResource } from '../spec/arm/types';
import type { ActionContext } from './action-context';
import { defineAction } from './define-action';
import { resolve } from './workflow-resolve';

const WORKSPACE_PROPERTIES: Record<string, JSONSchema> = {
  subscriptionId: { type: 'string', description: 'The Azure subscription (default: variable subscriptionId, or AZUREML_SUBSCRIPTION_ID)' },
  resourceGroupName: { type: 'string', description: "The workspace's resource group (default: variable resourceGroupName, or AZUREML_RESOURCE_GROUP)" },
  workspaceName: { type: 'string', description: 'The workspace (default: variable workspaceName, or AZUREML_WORKSPACE)' },
};

const NAME: JSONSchema = { type: 'string', description: 'The name of the compute' };
const WAIT: JSONSchema = { type: 'boolean', description: 'Follow the operation to its end (default true)' };

const SCALE_PROPERTIES: Record<string, JSONSchema> = {
  minNodes: { type: 'integer', minimum: 0, description: 'Nodes kept even when idle (default 0)' },
  maxNodes: { type: 'integer', minimum: 0, description: 'The most nodes the cluster grows to' },
  idleSecondsBeforeScaleDown: { type: 'integer', minimum: 0, description: 'How long a node stays idle before it leaves (default: the service, 120)' },
};

const SUMMARY_SCHEMA: JSONSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    id: { type: 'string' },
    computeType: { type: 'string' },
    provisioningState: { type: 'string' },
    allocationState: { type: 'string' },
    vmSize: { type: 'string' },
    vmPriority: { type: 'string' },
    minNodes: { type: 'integer' },
    maxNodes: { type: 'integer' },
    idleSecondsBeforeScaleDown: { type: 'number' },
    currentNodes: { type: 'integer' },
    targetNodes: { type: 'integer' },
    idleNodes: { type: 'integer' },
    runningNodes: { type: 'integer' },
    location: { type: 'string' },
    createdOn: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } },
  },
};

/** The compute's summary; one that failed is an answer too (its state and errors), as a Failed run is. */
async function summaryEvenIfFailed(client: AzureMLClient, name: string, context: ActionContext | undefined, call: () => Promise<ComputeResource>): Promise<ComputeSummary> {
  try {
    return computeSummary(await call());
  } catch (error) {
    if (error instanceof AzureMLComputeFailedError) return computeSummary(await client.getCompute(name, { signal: context?.signal }));
    throw error;
  }
}

const workspaceOf = (input: Record<string, unknown>, context: ActionContext | undefined, action: string) => resolve(input, context, action, 'workspace');
const nameOf = (input: Record<string, unknown>) => input.name as string;
const waitOf = (input: Record<string, unknown>) => input.wait !== false;

export const computeActions = {
  createCompute: defineAction('createCompute', {
    title: 'Create a compute cluster',
    description: 'Creates an AmlCompute cluster (AZTK: create_cluster) and follows its creation to the end unless wait is false.',
    inputSchema: {
      type: 'object',
      required: ['name', 'vmSize', 'maxNodes'],
      properties: {
        ...WORKSPACE_PROPERTIES,
        name: NAME,
        vmSize: { type: 'string', description: 'The size of each node, e.g. STANDARD_DS3_V2' },
        ...SCALE_PROPERTIES,
        vmPriority: { type: 'string', enum: ['Dedicated', 'LowPriority'], description: 'Dedicated (default) or LowPriority nodes' },
        adminUserName: { type: 'string', description: 'The admin user made on each node' },
        sshPublicKey: { type: 'string', description: "The admin user's SSH public key" },
        adminUserPassword: { type: 'string', description: "The admin user's password (never shown back)" },
        location: { type: 'string', description: "The Azure region (default: the workspace's)" },
        description: { type: 'string' },
        tags: { type: 'object', additionalProperties: { type: 'string' } },
        remoteLoginPortPublicAccess: { type: 'string', enum: ['Enabled', 'Disabled', 'NotSpecified'] },
        wait: WAIT,
      },
    },
    outputSchema: SUMMARY_SCHEMA,
    handler: async (input, context, action) => {
      const { client } = workspaceOf(input, context, action);
      const spec = Object.fromEntries(COMPUTE_SPEC_FIELDS.filter((f) => input[f] !== undefined).map((f) => [f, input[f]])) as unknown as ComputeSpec;
      return summaryEvenIfFailed(client, nameOf(input), context, () => client.createCompute(nameOf(input), spec, { signal: context?.signal, wait: waitOf(input) }));
    },
  }),

  waitForCompute: defineAction('waitForCompute', {
    title: 'Wait for a compute to be ready',
    description: 'Polls until the compute is provisioned and its allocation steady (AZTK: wait_until_cluster_is_ready); a Failed compute is answered with its errors.',
    inputSchema: {
      type: 'object',
      required: ['name'],
      properties: {
        ...WORKSPACE_PROPERTIES,
        name: NAME,
        pollSeconds: { type: 'number', description: 'Wait between polls (default 5)' },
        timeoutSeconds: { type: 'number', description: 'Stop waiting after this long (an error; the compute goes on)' },
      },
    },
    outputSchema: SUMMARY_SCHEMA,
    handler: async (input, context, action) => {
      const { client } = workspaceOf(input, context, action);
      const poll = typeof input.pollSeconds === 'number' && input.pollSeconds > 0 ? input.pollSeconds * 1000 : 5000;
      const timeoutMs = typeof input.timeoutSeconds === 'number' && input.timeoutSeconds > 0 ? input.timeoutSeconds * 1000 : undefined;
      return summaryEvenIfFailed(client, nameOf(input), context, () =>
        client.waitForCompute(nameOf(input), { signal: context?.signal, pollIntervalMs: poll, ...(timeoutMs ? { timeoutMs } : {}) }),
      );
    },
  }),

  resizeCompute: defineAction('resizeCompute', {
    title: 'Resize a compute cluster',
    description: "Changes a cluster's minNodes, maxNodes and idle time; nodes come and go to match.",
    inputSchema: { type: 'object', required: ['name', 'maxNodes'], properties: { ...WORKSPACE_PROPERTIES, name: NAME, ...SCALE_PROPERTIES, wait: WAIT } },
    outputSchema: SUMMARY_SCHEMA,
    handler: async (input, context, action) => {
      const scale = Object.fromEntries(['minNodes', 'maxNodes', 'idleSecondsBeforeScaleDown'].filter((f) => input[f] !== undefined).map((f) => [f, input[f]]));
      const resource = await workspaceOf(input, context, action).client.resizeCompute(nameOf(input), scale as never, { signal: context?.signal, wait: waitOf(input) });
      return computeSummary(resource);
    },
  }),

  getCompute: defineAction('getCompute', {
    title: 'Get a compute',
    description: "The compute's state, size, scale, node counts and errors (AZTK: get_cluster).",
    inputSchema: { type: 'object', required: ['name'], properties: { ...WORKSPACE_PROPERTIES, name: NAME } },
    outputSchema: SUMMARY_SCHEMA,
    handler: async (input, context, action) => computeSummary(await workspaceOf(input, context, action).client.getCompute(nameOf(input), { signal: context?.signal })),
  }),

  listComputes: defineAction('listComputes', {
    title: 'List computes',
    description: 'Every compute of the workspace (AZTK: list_clusters).',
    inputSchema: { type: 'object', properties: { ...WORKSPACE_PROPERTIES } },
    outputSchema: { type: 'object', properties: { computes: { type: 'array', items: SUMMARY_SCHEMA } } },
    handler: async (input, context, action) => ({
      computes: (await workspaceOf(input, context, action).client.listComputes({}, { signal: context?.signal })).map(computeSummary),
    }),
  }),

  listNodes: defineAction('listNodes', {
    title: "List a cluster's nodes",
    description: 'Each node: id, state, the run on it, and the address and port to log in (AZTK: get_remote_login_settings).',
    inputSchema: { type: 'object', required: ['name'], properties: { ...WORKSPACE_PROPERTIES, name: NAME } },
    outputSchema: {
      type: 'object',
      properties: {
        nodes: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              nodeId: { type: 'string' },
              nodeState: { type: 'string' },
              runId: { type: ['string', 'null'] },
              privateIpAddress: { type: ['string', 'null'] },
              publicIpAddress: { type: ['string', 'null'] },
              port: { type: 'number' },
            },
          },
        },
      },
    },
    handler: async (input, context, action) => ({ nodes: await workspaceOf(input, context, action).client.listNodes(nameOf(input), { signal: context?.signal }) }),
  }),

  deleteCompute: defineAction('deleteCompute', {
    title: 'Delete a compute',
    description: 'Deletes the compute (or detaches it with detach: true) and follows the operation (AZTK: delete_cluster). Its runs end Failed.',
    inputSchema: {
      type: 'object',
      required: ['name'],
      properties: { ...WORKSPACE_PROPERTIES, name: NAME, detach: { type: 'boolean', description: 'Detach it from the workspace instead of deleting it' }, wait: WAIT },
    },
    outputSchema: { type: 'object', properties: { name: { type: 'string' }, underlyingResourceAction: { type: 'string' } } },
    handler: async (input, context, action) =>
      workspaceOf(input, context, action).client.deleteCompute(nameOf(input), { signal: context?.signal, detach: input.detach === true, wait: waitOf(input) }),
  }),
};
