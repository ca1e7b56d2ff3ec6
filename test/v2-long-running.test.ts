/**
 * followLongRunning and isLongRunning alone, over a scripted poll and a recorded sleep: which
 * answers start an operation, which URL is polled and how often, at what pace, and what each end
 * gives. Also the ARM ids a job's compute and environment are sent as (arm-ids.ts).
 */
import { AzureMLOperationFailedError, AzureMLResponseFormatError } from '../src';
import type { AnswerHead } from '../src/http/call-options';
import { qualifyComputeId, qualifyEnvironmentId, workspaceArmId } from '../src/workflow/v2/arm-ids';
import { followLongRunning, isLongRunning } from '../src/workflow/v2/long-running';
import { failure } from './helpers/failure';
import { scriptedPoll } from './helpers/scripted-v2';

const ACTION = 'azureml-execution/cancelJob';
const head = (status: number, headers: AnswerHead['headers'] = {}): AnswerHead => ({ status, headers });

/** A scripted poll, and a sleep that records its waits. */
function scripted(answers: Parameters<typeof scriptedPoll>[0]) {
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
  };
  return { ...scriptedPoll(answers), waits, sleep };
}

describe('isLongRunning', () => {
  it('is a 201 or 202 with Azure-AsyncOperation or Location, or a 200 with Azure-AsyncOperation', () => {
    expect(isLongRunning(head(202, { location: 'https://x/op' }))).toBe(true);
    expect(isLongRunning(head(201, { 'azure-asyncoperation': 'https://x/op' }))).toBe(true);
    expect(isLongRunning(head(202, { 'azure-asyncoperation': ['https://x/op', 'https://x/other'] }))).toBe(true);
    expect(isLongRunning(head(200, { 'azure-asyncoperation': 'https://x/op' }))).toBe(true);
    // A 200 with Location alone is a finished answer; 202 and 201 without either header cannot be followed.
    expect(isLongRunning(head(200, { location: 'https://x/op' }))).toBe(false);
    expect(isLongRunning(head(202))).toBe(false);
    expect(isLongRunning(head(201, { location: '' }))).toBe(false);
    expect(isLongRunning(head(204, { location: 'https://x/op', 'azure-asyncoperation': 'https://x/op' }))).toBe(false);
    expect(isLongRunning(head(200))).toBe(false);
  });
});

describe('followLongRunning', () => {
  it('polls Azure-AsyncOperation (not Location) until Succeeded, at the pace of Retry-After, and gives the last body', async () => {
    const s = scripted([{ headers: { 'retry-after': '2' }, body: { status: 'InProgress' } }, { body: { status: 'Running' } }, { body: { status: 'Succeeded', endTime: 'now' } }]);
    const statuses: string[] = [];
    const signal = new AbortController().signal;
    const out = await followLongRunning(s.poll, head(202, { 'azure-asyncoperation': 'https://arm/op/1', location: 'https://arm/loc/1', 'retry-after': '5' }), ACTION, {
      sleep: s.sleep,
      onStatus: (status) => statuses.push(status),
      signal,
      timeoutMs: 1234,
      pollIntervalMs: 300,
    });
    expect(out).toEqual({ status: 'Succeeded', endTime: 'now' });
    expect(s.polled).toEqual(['https://arm/op/1', 'https://arm/op/1', 'https://arm/op/1']);
    // The first wait is the first answer's Retry-After, then each poll's own, else pollIntervalMs.
    expect(s.waits).toEqual([5000, 2000, 300]);
    expect(statuses).toEqual(['InProgress', 'Running', 'Succeeded']);
    // The poll gets the call options, without the options of the following itself.
    expect(s.pollCalls[0]).toEqual({ signal, timeoutMs: 1234 });
  });

  it('waits 1 s when the service says nothing, and never more than maxPollIntervalMs (60 s by default)', async () => {
    const s = scripted([{ headers: { 'retry-after': '3600' }, body: { status: 'InProgress' } }, { body: { status: 'succeeded' } }]);
    await followLongRunning(s.poll, head(201, { 'azure-asyncoperation': 'https://arm/op' }), ACTION, { sleep: s.sleep });
    expect(s.waits).toEqual([1000, 60_000]);
    const t = scripted([{ headers: { 'retry-after': '3600' }, body: { status: 'InProgress' } }, { body: { status: 'Succeeded' } }]);
    await followLongRunning(t.poll, head(201, { 'azure-asyncoperation': 'https://arm/op' }), ACTION, { sleep: t.sleep, maxPollIntervalMs: 7000 });
    expect(t.waits).toEqual([1000, 7000]);
  });

  it.each([
    ['Failed', { code: 'JobCancelFailed', message: 'the job had ended' }, 'Action azureml-execution/cancelJob ended Failed: JobCancelFailed: the job had ended'],
    ['Canceled', undefined, 'Action azureml-execution/cancelJob ended Canceled'],
    ['Cancelled', 'not an object', 'Action azureml-execution/cancelJob ended Cancelled'],
  ])('rejects an operation that ends %s, with its error', async (status, error, message) => {
    const s = scripted([{ body: { status: 'InProgress' } }, { body: { status, error } }]);
    const thrown = (await failure(followLongRunning(s.poll, head(202, { 'azure-asyncoperation': 'https://arm/op' }), ACTION, { sleep: s.sleep }))) as AzureMLOperationFailedError;
    expect(thrown).toBeInstanceOf(AzureMLOperationFailedError);
    expect(thrown.message).toBe(message);
    expect(thrown.status).toBe(status);
    expect(thrown.operationError).toEqual(typeof error === 'object' ? error : undefined);
    expect(s.polled).toHaveLength(2);
  });

  it.each([
    [{ state: 'Succeeded' }, '{"state":"Succeeded"}'],
    [{ status: 3 }, '{"status":3}'],
    [undefined, 'null'],
    ['Succeeded', '"Succeeded"'],
  ])('refuses an operation status without a status field: %j', async (body, text) => {
    const s = scripted([{ status: 200, body }]);
    const thrown = (await failure(followLongRunning(s.poll, head(202, { 'azure-asyncoperation': 'https://arm/op' }), ACTION, { sleep: s.sleep }))) as AzureMLResponseFormatError;
    expect(thrown).toBeInstanceOf(AzureMLResponseFormatError);
    expect(thrown.message).toBe('Action azureml-execution/cancelJob got an answer it cannot read (status code 200): the operation status has no status field');
    expect(thrown.body).toBe(text);
  });

  it('polls Location until it stops answering 202, and gives that answer', async () => {
    const s = scripted([{ status: 202, headers: { 'retry-after': '4' } }, { status: 202 }, { status: 200, body: { done: true } }]);
    const statuses: string[] = [];
    const out = await followLongRunning(s.poll, head(202, { location: 'https://arm/loc/9' }), ACTION, { sleep: s.sleep, onStatus: (x) => statuses.push(x) });
    expect(out).toEqual({ done: true });
    expect(s.polled).toEqual(['https://arm/loc/9', 'https://arm/loc/9', 'https://arm/loc/9']);
    expect(s.waits).toEqual([1000, 4000, 1000]);
    expect(statuses).toEqual(['InProgress', 'InProgress']);
  });

  it('has nothing to follow without either header: it neither waits nor polls', async () => {
    const s = scripted([{ status: 200 }]);
    expect(await followLongRunning(s.poll, head(202), ACTION, { sleep: s.sleep })).toBeUndefined();
    expect([s.polled, s.waits]).toEqual([[], []]);
  });
});

describe('ARM ids of a job', () => {
  const ws = { subscriptionId: 'sub', resourceGroupName: 'rg', workspaceName: 'ws1' };
  const WS_ID = '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws1';

  it('names the workspace as Resource Manager does', () => {
    expect(workspaceArmId(ws)).toBe(WS_ID);
  });

  it('qualifies a compute name, with or without azureml:, and keeps every other id as given', () => {
    expect(qualifyComputeId('cpu-cluster', ws)).toBe(`${WS_ID}/computes/cpu-cluster`);
    expect(qualifyComputeId('AzureML:gpu', ws)).toBe(`${WS_ID}/computes/gpu`);
    expect(qualifyComputeId(`${WS_ID}/computes/x`, ws)).toBe(`${WS_ID}/computes/x`);
    expect(qualifyComputeId('azureml://registries/r/computes/x', ws)).toBe('azureml://registries/r/computes/x');
    expect(qualifyComputeId('azureml:', ws)).toBe('azureml:');
    expect(qualifyComputeId('other:cpu', ws)).toBe('other:cpu');
    // Only a leading azureml: is a prefix.
    expect(qualifyComputeId('myazureml:cpu', ws)).toBe('myazureml:cpu');
  });

  it('qualifies azureml:name:version as an environment version, and keeps @latest and full ids as given', () => {
    expect(qualifyEnvironmentId('azureml:python-env:12', ws)).toBe(`${WS_ID}/environments/python-env/versions/12`);
    expect(qualifyEnvironmentId('AZUREML:my.env_1:1.0-b', ws)).toBe(`${WS_ID}/environments/my.env_1/versions/1.0-b`);
    for (const id of ['azureml:env@latest', 'azureml:env', 'x-azureml:env:1', 'azureml:env:1:2', 'azureml:env:1/x', 'azureml:-env:1', 'azureml:env:']) {
      expect([id, qualifyEnvironmentId(id, ws)]).toEqual([id, id]);
    }
  });
});
