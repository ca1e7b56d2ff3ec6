/** A loopback HTTP server on an ephemeral port that records every request byte for byte. */
import * as http from 'http';
import type { AddressInfo } from 'net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer | object;
}

export interface RecordingServer {
  url: string;
  requests: RecordedRequest[];
  /** What the next requests get; the last reply repeats. */
  reply(...replies: Array<Reply | ((req: RecordedRequest) => Reply)>): void;
  close(): Promise<void>;
}

export async function startRecordingServer(): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  let replies: Array<Reply | ((req: RecordedRequest) => Reply)> = [{ status: 200, body: { runId: 'run_1' } }];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(recorded);
      const next = replies.length > 1 ? replies.shift()! : replies[0];
      const reply = typeof next === 'function' ? next(recorded) : next;
      let body = reply.body ?? '';
      const headers = { ...reply.headers };
      if (!Buffer.isBuffer(body) && typeof body === 'object') {
        body = JSON.stringify(body);
        headers['content-type'] ??= 'application/json; charset=utf-8';
      }
      res.writeHead(reply.status ?? 200, headers);
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply(...next) {
      replies = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
