/** v2 actions and polls that answer from a script and record each call: for testing the v2 workflow alone. */
import type { AnswerHead, CallOptions } from '../../src/http/call-options';
import type { V2Actions } from '../../src/spec/arm/types';
import type { ServiceActions } from '../../src/workflow/context';
import type { V2WorkflowContext } from '../../src/workflow/v2/jobs';
import type { Poll } from '../../src/workflow/v2/long-running';

const MAX_CALLS = 200;

export interface V2Call {
  op: string;
  input: Record<string, unknown>;
  call: CallOptions;
}

export type V2Script = Partial<Record<keyof V2Actions, (input: Record<string, unknown>, call: CallOptions) => unknown>>;

/** Actions that answer with `answers[op]` (an operation without one throws), recording each call in order. */
export function scriptedV2(answers: V2Script = {}): { v2: V2Actions; calls: V2Call[] } {
  const calls: V2Call[] = [];
  const v2 = new Proxy(
    {},
    {
      get: (_target, op: string) => async (input: Record<string, unknown>, call: CallOptions) => {
        calls.push({ op, input, call });
        // A loop that never ends fails here, rather than hanging on promises no timer can interrupt.
        if (calls.length > MAX_CALLS) throw new Error(`more than ${MAX_CALLS} calls: a loop that does not end`);
        const answer = answers[op as keyof V2Actions];
        if (!answer) throw new Error(`unexpected call of ${op}`);
        return answer(input, call);
      },
    },
  ) as V2Actions;
  return { v2, calls };
}

/** A poll that gives `answers` in turn (the last repeats; status 200 unless said), recording each URL and its call options. */
export function scriptedPoll(answers: Array<{ status?: number; headers?: AnswerHead['headers']; body?: unknown }>): {
  poll: Poll;
  polled: string[];
  pollCalls: Array<CallOptions | undefined>;
} {
  const polled: string[] = [];
  const pollCalls: Array<CallOptions | undefined> = [];
  const poll: Poll = async (url, call) => {
    polled.push(url);
    pollCalls.push(call);
    if (polled.length > MAX_CALLS) throw new Error(`more than ${MAX_CALLS} polls: a loop that does not end`);
    const answer = answers[Math.min(polled.length - 1, answers.length - 1)];
    return { status: answer.status ?? 200, headers: answer.headers ?? {}, body: answer.body };
  };
  return { poll, polled, pollCalls };
}

/** A v2 workflow context over scripted actions and polls. */
export function v2Context(answers: V2Script, polls: Parameters<typeof scriptedPoll>[0] = [{ status: 200 }], defaults?: Record<string, string>) {
  const { v2, calls } = scriptedV2(answers);
  const { poll, polled } = scriptedPoll(polls);
  const ctx: V2WorkflowContext = { client: {} as ServiceActions, v2, poll, defaults };
  return { ctx, calls, polled };
}

/** An answer that tells the call's onResponse the head `head` (a long-running start), then gives `body`. */
export const answering =
  (head: AnswerHead, body?: unknown) =>
  (_input: Record<string, unknown>, call: CallOptions): unknown => {
    call.onResponse?.(head);
    return body;
  };
