/**
 * The cluster verbs' own logic alone, over scripted v2 actions, polls and clocks: a cluster spec
 * checked field by field and turned into its body, the summary and reasons of a compute, a failed
 * operation explained by the compute, pages followed, and waitForCompute's polling, deadline and
 * abort.
 */
import { AzureMLAbortError, AzureMLComputeFailedError, AzureMLOperationFailedError, AzureMLResponseFormatError, AzureMLTimeoutError } from '../src';
import type { ComputeResource } from '../src/spec/arm/types';
import { checkComputeName, computeNameProblem, computeResourceOf, scaleSettingsOf } from '../src/workflow/compute/compute-spec';
import { computeErrors, computeSummary } from '../src/workflow/compute/compute-summary';
import { createCompute, deleteCompute, listComputes, listNodes, resizeCompute } from '../src/workflow/compute/computes';
import { isComputeReady, waitForCompute } from '../src/workflow/compute/wait-for-compute';
import { failure, validationError } from './helpers/failure';
import { answering, v2Context } from './helpers/scripted-v2';

const ACTION = 'azureml-execution/createCompute';
const WS = { subscriptionId: 'sub', resourceGroupName: 'rg', workspaceName: 'ws1' };
const noSleep = async () => undefined;

const problemsOf = (fn: () => unknown) => validationError(fn).problems;

describe('a cluster spec', () => {
  it('holds a new cluster to the naming rule, and any other verb to a name being there', () => {
    expect(['ab', 'a1', 'gpu-cluster-0001', 'A-b'].map(computeNameProblem)).toEqual([undefined, undefined, undefined, undefined]);
    const rule = 'can include letters, digits and dashes, must start with a letter, end with a letter or digit, and be 2 to 16 characters long';
    expect(['a', 'gpu-cluster-00001', '1ab', 'ab-', 'a_b', ' ab'].map(computeNameProblem)).toEqual(Array(6).fill(rule));
    expect([undefined, '', 5].map(computeNameProblem)).toEqual(Array(3).fill('is required: the name of the compute'));
    expect(checkComputeName('any_Name.1', 'a')).toBe('any_Name.1');
    for (const name of [undefined, '', 3]) {
      expect(() => checkComputeName(name, 'azureml-execution/getCompute')).toThrow(
        'Action azureml-execution/getCompute was given invalid input: name is required: the name of the compute',
      );
    }
  });

  it('makes scale settings, minNodes 0 by default and the idle time as a duration only when given', () => {
    expect(scaleSettingsOf({ maxNodes: 4 }, ACTION)).toStrictEqual({ maxNodeCount: 4, minNodeCount: 0 });
    expect(scaleSettingsOf({ maxNodes: 4, minNodes: 1, idleSecondsBeforeScaleDown: 0 }, ACTION)).toStrictEqual({
      maxNodeCount: 4,
      minNodeCount: 1,
      nodeIdleTimeBeforeScaleDown: 'PT0S',
    });
    expect(scaleSettingsOf({ maxNodes: 0, minNodes: 0 }, ACTION)).toStrictEqual({ maxNodeCount: 0, minNodeCount: 0 });
  });

  it('names each problem of a scale', () => {
    for (const scale of [undefined, null, 4, [4]]) {
      expect(problemsOf(() => scaleSettingsOf(scale as never, ACTION))).toEqual([{ path: 'scale', message: 'must be an object with maxNodes (and minNodes)' }]);
    }
    expect(problemsOf(() => scaleSettingsOf({ minNodes: -1, idleSecondsBeforeScaleDown: 1.5 } as never, ACTION))).toEqual([
      { path: 'maxNodes', message: 'is required: the most nodes the cluster grows to' },
      { path: 'minNodes', message: 'must be a whole number, 0 or more (got -1)' },
      { path: 'idleSecondsBeforeScaleDown', message: 'must be a whole number, 0 or more (got 1.5)' },
    ]);
    expect(problemsOf(() => scaleSettingsOf({ maxNodes: '4', minNodes: 2 ** 53 } as never, ACTION))).toEqual([
      { path: 'maxNodes', message: 'must be a whole number, 0 or more (got "4")' },
      { path: 'minNodes', message: 'must be a whole number, 0 or more (got 9007199254740992)' },
    ]);
    expect(problemsOf(() => scaleSettingsOf({ maxNodes: 1, minNodes: 2 }, ACTION))).toEqual([{ path: 'minNodes', message: 'must not be more than maxNodes (2 > 1)' }]);
  });

  it('makes the body of a minimal cluster, and of one with every field', () => {
    expect(computeResourceOf('cpu', { vmSize: 'STANDARD_D2_V2', maxNodes: 2 }, ACTION)).toStrictEqual({
      properties: { computeType: 'AmlCompute', properties: { vmSize: 'STANDARD_D2_V2', vmPriority: 'Dedicated', scaleSettings: { maxNodeCount: 2, minNodeCount: 0 } } },
    });
    const key = 'ssh-rsa AAAA test';
    expect(
      computeResourceOf(
        'gpu',
        {
          vmSize: 'STANDARD_NC6',
          minNodes: 1,
          maxNodes: 4,
          idleSecondsBeforeScaleDown: 300,
          vmPriority: 'LowPriority',
          adminUserName: 'azureuser',
          sshPublicKey: key,
          adminUserPassword: 'pw-1',
          remoteLoginPortPublicAccess: 'Disabled',
          location: 'westeurope',
          description: '',
          tags: { team: 'ml' },
        },
        ACTION,
      ),
    ).toStrictEqual({
      location: 'westeurope',
      tags: { team: 'ml' },
      properties: {
        computeType: 'AmlCompute',
        description: '',
        properties: {
          vmSize: 'STANDARD_NC6',
          vmPriority: 'LowPriority',
          scaleSettings: { maxNodeCount: 4, minNodeCount: 1, nodeIdleTimeBeforeScaleDown: 'PT300S' },
          userAccountCredentials: { adminUserName: 'azureuser', adminUserSshPublicKey: key, adminUserPassword: 'pw-1' },
          remoteLoginPortPublicAccess: 'Disabled',
        },
      },
    });
    expect(
      (computeResourceOf('gpu', { vmSize: 'v', maxNodes: 1, adminUserName: 'u' }, ACTION).properties as unknown as { properties: Record<string, unknown> }).properties
        .userAccountCredentials,
    ).toStrictEqual({ adminUserName: 'u' });
  });

  it('names every problem of a spec at once, and no secret', () => {
    const problems = problemsOf(() =>
      computeResourceOf(
        'gpu',
        {
          vmSize: '  ',
          maxNodes: 2,
          vmPriority: 'Spot',
          remoteLoginPortPublicAccess: 'Open',
          adminUserName: 7,
          location: 1,
          description: {},
          sshPublicKey: '',
          adminUserPassword: 42,
          tags: { a: 1 },
        } as never,
        ACTION,
      ),
    );
    expect(problems).toEqual([
      { path: 'vmSize', message: 'is required: the size of the nodes, e.g. STANDARD_DS3_V2' },
      { path: 'vmPriority', message: 'must be Dedicated or LowPriority (got "Spot")' },
      { path: 'remoteLoginPortPublicAccess', message: 'must be Enabled, Disabled or NotSpecified (got "Open")' },
      { path: 'adminUserName', message: 'must be a string' },
      { path: 'location', message: 'must be a string' },
      { path: 'description', message: 'must be a string' },
      { path: 'sshPublicKey', message: 'must be a non-empty string' },
      { path: 'adminUserPassword', message: 'must be a non-empty string' },
      { path: 'tags', message: 'must be an object of strings' },
    ]);
    for (const tags of [null, ['a'], 'team=ml', { a: 'x', b: 1 }]) {
      expect(problemsOf(() => computeResourceOf('gpu', { vmSize: 'v', maxNodes: 1, tags } as never, ACTION))).toEqual([{ path: 'tags', message: 'must be an object of strings' }]);
    }
    const secret = problemsOf(() => computeResourceOf('gpu', { vmSize: 'v', maxNodes: 1, sshPublicKey: 'ssh-rsa SECRET' }, ACTION));
    expect(secret).toEqual([{ path: 'sshPublicKey', message: 'needs adminUserName: the user it logs in' }]);
    expect(problemsOf(() => computeResourceOf('g', 'big' as never, ACTION))).toEqual([
      { path: 'name', message: 'can include letters, digits and dashes, must start with a letter, end with a letter or digit, and be 2 to 16 characters long' },
      { path: 'spec', message: 'must be an object with vmSize and maxNodes' },
    ]);
    // Every value that is fine is not a problem: the checks look at the values given, not at their presence.
    expect(() =>
      computeResourceOf(
        'gpu',
        { vmSize: 'v', maxNodes: 1, vmPriority: 'Dedicated', remoteLoginPortPublicAccess: 'NotSpecified', adminUserName: 'u', adminUserPassword: 'p' },
        ACTION,
      ),
    ).not.toThrow();
    expect(() => computeResourceOf('gpu', { vmSize: 'v', maxNodes: 1, remoteLoginPortPublicAccess: 'Enabled' }, ACTION)).not.toThrow();
  });
});

describe('a compute in a line', () => {
  it("gives a failed compute's reasons once each, in order, with only the fields that are strings", () => {
    const resource = {
      properties: {
        computeType: 'AmlCompute',
        provisioningErrors: [null, {}, { error: { code: 'QuotaExceeded', message: 'Not enough cores' } }, { error: { code: 5, message: 'only a message' } }],
        properties: { errors: [{ error: { code: 'QuotaExceeded', message: 'Not enough cores' } }, { error: { code: 'NodeFailed' } }] },
      },
    } as unknown as ComputeResource;
    expect(computeErrors(resource)).toStrictEqual([{ code: 'QuotaExceeded', message: 'Not enough cores' }, { message: 'only a message' }, { code: 'NodeFailed' }]);
    expect(computeErrors({} as ComputeResource)).toEqual([]);
    expect(computeErrors({ properties: { computeType: 'AmlCompute', provisioningErrors: 'none' } } as unknown as ComputeResource)).toEqual([]);
  });

  it('summarizes a cluster with its scale and node counts, and any other compute with what all share', () => {
    const cluster = {
      id: '/x/computes/gpu',
      name: 'gpu',
      location: 'westeurope',
      properties: {
        computeType: 'AmlCompute',
        provisioningState: 'Succeeded',
        createdOn: '2026-11-26T10:00:00Z',
        properties: {
          allocationState: 'Resizing',
          vmSize: 'STANDARD_NC6',
          vmPriority: 'Dedicated',
          scaleSettings: { maxNodeCount: 4, nodeIdleTimeBeforeScaleDown: 'PT2M' },
          currentNodeCount: 1,
          targetNodeCount: 2,
          nodeStateCounts: { idleNodeCount: 1 },
        },
      },
    } as unknown as ComputeResource;
    expect(computeSummary(cluster)).toStrictEqual({
      name: 'gpu',
      id: '/x/computes/gpu',
      computeType: 'AmlCompute',
      provisioningState: 'Succeeded',
      location: 'westeurope',
      createdOn: '2026-11-26T10:00:00Z',
      allocationState: 'Resizing',
      vmSize: 'STANDARD_NC6',
      vmPriority: 'Dedicated',
      minNodes: 0,
      maxNodes: 4,
      idleSecondsBeforeScaleDown: 120,
      currentNodes: 1,
      targetNodes: 2,
      idleNodes: 1,
      runningNodes: 0,
      errors: [],
    });
    expect(
      computeSummary({ name: 'vm', properties: { computeType: 'VirtualMachine', provisioningState: 'Succeeded', properties: { vmSize: 'x' } } } as unknown as ComputeResource),
    ).toStrictEqual({
      name: 'vm',
      computeType: 'VirtualMachine',
      provisioningState: 'Succeeded',
      errors: [],
    });
    expect(computeSummary({} as ComputeResource)).toStrictEqual({ name: '', computeType: '', provisioningState: 'Unknown', errors: [] });
  });
});

describe('the cluster verbs', () => {
  const resource = (provisioningState: string, extra: Record<string, unknown> = {}) =>
    ({ name: 'gpu', properties: { computeType: 'AmlCompute', provisioningState, ...extra } }) as unknown as ComputeResource;
  const failedOperation = [{ status: 200, body: { status: 'Failed', error: { code: 'InternalError', message: 'it broke' } } }];

  it('explains a failed creation with the reasons the compute gives', async () => {
    const failed = resource('Failed', { provisioningErrors: [{ error: { code: 'QuotaExceeded', message: 'Not enough cores' } }] });
    const { ctx, calls } = v2Context(
      { Compute_CreateOrUpdate: answering({ status: 201, headers: { 'azure-asyncoperation': 'https://arm/op' } }, resource('Creating')), Compute_Get: () => failed },
      failedOperation,
      WS,
    );
    const signal = new AbortController().signal;
    const error = (await failure(createCompute(ctx, 'gpu', { vmSize: 'v', maxNodes: 1 }, { sleep: noSleep, signal }))) as AzureMLComputeFailedError;
    expect(error).toBeInstanceOf(AzureMLComputeFailedError);
    expect(error.message).toBe('Compute gpu is Failed: QuotaExceeded: Not enough cores');
    expect(calls.map((c) => c.op)).toEqual(['Compute_CreateOrUpdate', 'Compute_Get']);
    expect(calls[1]).toMatchObject({ input: { ...WS, computeName: 'gpu' }, call: { signal } });
  });

  it("gives the operation's own error when the compute is not Failed, or cannot be read", async () => {
    for (const get of [() => resource('Succeeded'), () => ({}), () => Promise.reject(new Error('gone'))]) {
      const { ctx } = v2Context(
        { Compute_CreateOrUpdate: answering({ status: 201, headers: { 'azure-asyncoperation': 'https://arm/op' } }), Compute_Get: get },
        failedOperation,
        WS,
      );
      const error = await failure(createCompute(ctx, 'gpu', { vmSize: 'v', maxNodes: 1 }, { sleep: noSleep }));
      expect(error).toBeInstanceOf(AzureMLOperationFailedError);
      expect(error.message).toBe('Action azureml-execution/createCompute ended Failed: InternalError: it broke');
    }
    // An error that is not the operation's end is not explained by the compute: it is not even read.
    const { ctx, calls } = v2Context({ Compute_Update: answering({ status: 202, headers: { 'azure-asyncoperation': 'https://arm/op' } }) }, [{ status: 200, body: {} }], WS);
    expect(await failure(resizeCompute(ctx, 'gpu', { maxNodes: 2 }, { sleep: noSleep }))).toBeInstanceOf(AzureMLResponseFormatError);
    expect(calls.map((c) => c.op)).toEqual(['Compute_Update']);
  });

  it('names a Failed compute without a name or a state as the service left it', async () => {
    const { ctx } = v2Context(
      {
        Compute_Delete: answering({ status: 202, headers: { location: 'https://arm/op' } }),
        Compute_Get: () => ({ properties: { provisioningState: 'Failed' } }),
      },
      [{ status: 200, body: { status: 'Failed' } }],
      WS,
    );
    // A Location answer ends with its final answer, not a status: the delete succeeds here.
    expect(await deleteCompute(ctx, 'gpu', { sleep: noSleep, detach: true })).toEqual({ name: 'gpu', underlyingResourceAction: 'Detach' });
    const del = v2Context(
      { Compute_Delete: answering({ status: 202, headers: { 'azure-asyncoperation': 'https://arm/op' } }), Compute_Get: () => ({ properties: { provisioningState: 'Failed' } }) },
      failedOperation,
      WS,
    );
    const error = (await failure(deleteCompute(del.ctx, 'gpu', { sleep: noSleep }))) as AzureMLComputeFailedError;
    expect([error.message, error.computeName, error.provisioningState]).toEqual(['Compute  is Failed', '', 'Failed']);
    expect(del.calls[0].input).toEqual({ ...WS, computeName: 'gpu', underlyingResourceAction: 'Delete' });
  });

  it('returns what the service accepted with wait: false, and the compute as it is then after following the operation', async () => {
    const signal = new AbortController().signal;
    const creating = resource('Creating');
    const start = v2Context({ Compute_CreateOrUpdate: answering({ status: 201, headers: { 'azure-asyncoperation': 'https://arm/op' } }, creating) }, [], WS);
    expect(await createCompute(start.ctx, 'gpu', { vmSize: 'v', maxNodes: 1 }, { wait: false })).toBe(creating);
    expect(start.polled).toEqual([]);
    const done = resource('Succeeded');
    const full = v2Context(
      { Compute_CreateOrUpdate: answering({ status: 201, headers: { 'azure-asyncoperation': 'https://arm/op' } }, creating), Compute_Get: () => done },
      [{ status: 200, body: { status: 'Succeeded' } }],
      WS,
    );
    expect(await createCompute(full.ctx, 'gpu', { vmSize: 'v', maxNodes: 1 }, { sleep: noSleep, signal })).toBe(done);
    expect(full.calls.map((c) => [c.op, c.call])).toEqual([
      ['Compute_CreateOrUpdate', { signal, onResponse: expect.any(Function) }],
      ['Compute_Get', { signal }],
    ]);
    // A 200 at once (nothing to follow) is the answer.
    const at = v2Context({ Compute_Update: answering({ status: 200, headers: {} }, done) }, [], WS);
    expect(await resizeCompute(at.ctx, 'gpu', { maxNodes: 3 })).toBe(done);
    expect(at.calls[0].input).toEqual({ ...WS, computeName: 'gpu', parameters: { properties: { properties: { scaleSettings: { maxNodeCount: 3, minNodeCount: 0 } } } } });
  });

  it('follows nextLink pages to the end, and stops at a link that was read already', async () => {
    const { ctx, polled } = v2Context(
      { Compute_List: () => ({ value: [resource('A')], nextLink: 'https://arm/p2' }) },
      [
        { status: 200, body: { nextLink: 'https://arm/p3' } },
        { status: 200, body: { value: [resource('B')], nextLink: '' } },
      ],
      WS,
    );
    expect((await listComputes(ctx)).map((c) => c.properties?.provisioningState)).toEqual(['A', 'B']);
    expect(polled).toEqual(['https://arm/p2', 'https://arm/p3']);
    const loop = v2Context({ Compute_ListNodes: () => ({ nextLink: 'https://arm/n2' }) }, [{ status: 200, body: { nodes: [{ nodeId: 'n1' }], nextLink: 'https://arm/n2' } }], WS);
    const error = await failure(listNodes(loop.ctx, 'gpu'));
    expect(error).toBeInstanceOf(AzureMLResponseFormatError);
    expect(error.message).toBe('Action azureml-execution/listNodes got an answer it cannot read (status code 200): a nextLink that was already read (the list does not end)');
    expect((error as AzureMLResponseFormatError).body).toBe('{"nextLink":"https://arm/n2"}');
    const empty = v2Context({ Compute_ListNodes: () => ({}) }, [], WS);
    expect(await listNodes(empty.ctx, { name: 'gpu' })).toEqual([]);
  });
});

describe('waitForCompute', () => {
  it('is ready when provisioned: any compute at once, a cluster when its allocation is steady (or not said)', () => {
    const ready = (properties: Record<string, unknown>) => isComputeReady({ properties } as unknown as ComputeResource);
    expect(ready({ computeType: 'ComputeInstance', provisioningState: 'Succeeded', properties: { allocationState: 'Resizing' } })).toBe(true);
    expect(ready({ computeType: 'AmlCompute', provisioningState: 'Succeeded', properties: {} })).toBe(true);
    expect(ready({ computeType: 'AmlCompute', provisioningState: 'Succeeded' })).toBe(true);
    expect(ready({ computeType: 'AmlCompute', provisioningState: 'Succeeded', properties: { allocationState: 'Resizing' } })).toBe(false);
    expect(ready({ computeType: 'ComputeInstance', provisioningState: 'Creating' })).toBe(false);
    expect(isComputeReady({} as ComputeResource)).toBe(false);
  });

  /** A compute that goes through `states` (allocation state per poll; the last repeats). */
  const polls = (states: Array<[string, string?, number?]>) => {
    let i = -1;
    return () => {
      i++;
      const [provisioningState, allocationState, currentNodeCount] = states[Math.min(i, states.length - 1)];
      return { name: 'gpu', properties: { computeType: 'AmlCompute', provisioningState, properties: { allocationState, currentNodeCount } } };
    };
  };

  it('polls at its interval until ready, telling each change once', async () => {
    const waits: number[] = [];
    const seen: string[] = [];
    const { ctx, calls } = v2Context(
      { Compute_Get: polls([['Creating'], ['Creating'], ['Succeeded', 'Resizing', 0], ['Succeeded', 'Resizing', 1], ['Succeeded', 'Steady', 1]]) },
      [],
      WS,
    );
    const out = await waitForCompute(ctx, 'gpu', {
      pollIntervalMs: 250,
      sleep: async (ms) => void waits.push(ms),
      onStatus: (s) => seen.push(`${s.provisioningState}/${s.allocationState ?? '-'}/${s.currentNodes ?? '-'}`),
    });
    expect(out.properties?.provisioningState).toBe('Succeeded');
    expect(waits).toEqual([250, 250, 250, 250]);
    expect(seen).toEqual(['Creating/-/-', 'Succeeded/Resizing/0', 'Succeeded/Resizing/1', 'Succeeded/Steady/1']);
    expect(calls).toHaveLength(5);
  });

  it('waits 5 s by default, never past its deadline, and then stops with a timeout', async () => {
    let clock = 1_000;
    const waits: number[] = [];
    const { ctx, calls } = v2Context({ Compute_Get: polls([['Creating']]) }, [], WS);
    const error = await failure(
      waitForCompute(ctx, 'gpu', {
        timeoutMs: 12_000,
        now: () => clock,
        sleep: async (ms) => {
          waits.push(ms);
          clock += ms;
        },
      }),
    );
    expect(error).toBeInstanceOf(AzureMLTimeoutError);
    expect(error.message).toBe('Action azureml-execution/waitForCompute did not finish within its deadline of 12000 ms');
    expect(waits).toEqual([5000, 5000, 2000]);
    expect(calls).toHaveLength(4);
  });

  it.each(['Failed', 'Canceled'])('stops at a compute that is %s, with its reasons', async (state) => {
    const { ctx } = v2Context(
      { Compute_Get: () => ({ name: 'gpu', properties: { computeType: 'AmlCompute', provisioningState: state, provisioningErrors: [{ error: { code: 'X', message: 'y' } }] } }) },
      [],
      WS,
    );
    const error = (await failure(waitForCompute(ctx, 'gpu', { sleep: noSleep }))) as AzureMLComputeFailedError;
    expect(error).toBeInstanceOf(AzureMLComputeFailedError);
    expect(error.message).toBe(`Compute gpu is ${state}: X: y`);
  });

  it('stops with an AbortError when aborted before or between polls, leaving the compute alone', async () => {
    const controller = new AbortController();
    controller.abort(new Error('enough'));
    const before = v2Context({ Compute_Get: polls([['Creating']]) }, [], WS);
    const error = await failure(waitForCompute(before.ctx, 'gpu', { signal: controller.signal, sleep: noSleep }));
    expect(error).toBeInstanceOf(AzureMLAbortError);
    expect(error.message).toBe('Action azureml-execution/waitForCompute was aborted: enough');
    expect(before.calls).toEqual([]);
    const later = new AbortController();
    const during = v2Context({ Compute_Get: polls([['Creating']]) }, [], WS);
    const stopped = await failure(
      waitForCompute(during.ctx, 'gpu', {
        signal: later.signal,
        sleep: async () => {
          later.abort('user');
        },
      }),
    );
    expect(stopped.message).toBe('Action azureml-execution/waitForCompute was aborted: user');
    expect(during.calls).toHaveLength(1);
    expect(during.calls[0].call).toEqual({ signal: later.signal });
  });
});
