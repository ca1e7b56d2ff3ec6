/**
 * Fault injection, for tests and benchmarks of what clients survive: per operation, a status
 * (with Retry-After), a delay, a connection reset before or after the request is read or after
 * it was processed (the answer is lost, the work is done), truncated JSON, a slow body.
 */
import type { IncomingMessage, ServerResponse } from 'http';

export interface FaultRule {
  /** The operationId it applies to (`Runs_StartRun`), or `*` for every operation. */
  operation: string;
  /** How many matching requests it applies to (default: every one). */
  times?: number;
  /** The chance it applies to a matching request, 0 to 1 (default 1). */
  probability?: number;
  /** Answer this status (with an ErrorResponse) instead of doing the work. */
  status?: number;
  /** With `status`: the Retry-After header (seconds or an HTTP date). */
  retryAfter?: string;
  /** With `status`: the retry-after-ms header. */
  retryAfterMs?: number;
  /** Wait this long before handling the request. */
  delayMs?: number;
  /** Drop the connection: before reading the request, after reading it, or after doing the work. */
  reset?: 'before-read' | 'after-read' | 'after-processing';
  /** Do the work, then answer only the first half of the JSON body. */
  truncateJson?: boolean;
  /** Do the work, then send the answer's body a byte at a time over this long. */
  slowBodyMs?: number;
}

export class Faults {
  private rules: Array<FaultRule & { used: number }> = [];
  /** Faults applied so far, by kind: benchmarks count them. */
  readonly applied: Record<string, number> = {};

  set(rules: FaultRule[]): void {
    this.rules = rules.map((rule) => ({ ...rule, used: 0 }));
  }

  clear(): void {
    this.rules = [];
  }

  /** The rule for this request, if one applies now (counted as used). */
  pick(operationId: string): FaultRule | undefined {
    for (const rule of this.rules) {
      if (rule.operation !== '*' && rule.operation !== operationId) continue;
      if (rule.times !== undefined && rule.used >= rule.times) continue;
      if (rule.probability !== undefined && Math.random() >= rule.probability) continue;
      rule.used++;
      const kind = rule.reset ? `reset-${rule.reset}` : rule.status ? `status-${rule.status}` : rule.truncateJson ? 'truncated-json' : rule.slowBodyMs ? 'slow-body' : 'delay';
      this.applied[kind] = (this.applied[kind] ?? 0) + 1;
      return rule;
    }
    return undefined;
  }
}

export async function drain(req: IncomingMessage): Promise<void> {
  for await (const _chunk of req) {
    // read and discard
  }
}

/** Wraps the answer so the work is done but what goes back is faulty (lost, truncated, slow). */
export function interceptAnswer(rule: FaultRule, res: ServerResponse): void {
  if (rule.reset === 'after-processing') {
    res.writeHead = (() => res) as unknown as typeof res.writeHead;
    res.end = (() => {
      res.socket?.destroy();
      return res;
    }) as unknown as typeof res.end;
    return;
  }
  if (!rule.truncateJson && !rule.slowBodyMs) return;
  const writeHead = res.writeHead.bind(res);
  const end = res.end.bind(res);
  let status = 200;
  let headers: Record<string, unknown> = {};
  res.writeHead = ((code: number, given?: Record<string, unknown>) => {
    status = code;
    headers = { ...given };
    return res;
  }) as unknown as typeof res.writeHead;
  res.end = ((chunk?: unknown) => {
    let body = Buffer.isBuffer(chunk) ? chunk : Buffer.from(typeof chunk === 'string' ? chunk : '');
    if (rule.truncateJson) body = body.subarray(0, Math.floor(body.length / 2));
    writeHead(status, { ...headers, 'content-length': body.length });
    if (!rule.slowBodyMs) {
      end(body);
      return res;
    }
    const step = Math.max(1, Math.floor(rule.slowBodyMs / Math.max(1, body.length)));
    let i = 0;
    const timer = setInterval(() => {
      if (i >= body.length || res.destroyed) {
        clearInterval(timer);
        end();
        return;
      }
      res.write(body.subarray(i, i + 1));
      i++;
    }, step);
    return res;
  }) as unknown as typeof res.end;
}
