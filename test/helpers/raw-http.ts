/**
 * HTTP without a client library: bytes written to a socket as a hostile or broken client would
 * (any Host, a body cut short, a connection dropped mid-part), and the answer read as it comes.
 */
import * as net from 'net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function parse(text: string): RawAnswer {
  const [head, ...rest] = text.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = rest.join('\r\n\r\n');
  if (headers['transfer-encoding'] === 'chunked') {
    let out = '';
    for (let i = 0; i < body.length;) {
      const end = body.indexOf('\r\n', i);
      const size = parseInt(body.slice(i, end), 16);
      if (!size) break;
      out += body.slice(end + 2, end + 2 + size);
      i = end + 2 + size + 2;
    }
    body = out;
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

/**
 * Sends `head` and `body` (written in order; a function is called with the socket to write the
 * rest itself) and resolves with the answer once the server closes or a whole answer is in.
 */
export function rawRequest(
  port: number,
  head: string,
  body: Buffer | string = '',
  options: { host?: string; endAfterWrite?: boolean; destroyAfterWrite?: boolean } = {},
): Promise<RawAnswer | 'closed'> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, options.host ?? '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      const text = Buffer.concat(chunks).toString('utf8');
      resolve(text ? parse(text) : 'closed');
    };
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('utf8');
      const answer = text.includes('\r\n\r\n') ? parse(text) : undefined;
      const length = answer ? Number(answer.headers['content-length']) : NaN;
      if (answer && Number.isFinite(length) && Buffer.byteLength(answer.body) >= length) {
        socket.destroy();
        done();
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => (chunks.length ? done() : error.code === 'ECONNRESET' || error.code === 'EPIPE' ? done() : reject(error)));
    socket.on('close', done);
    socket.write(head.replace(/\n/g, '\r\n') + '\r\n');
    socket.write(body, () => {
      if (options.destroyAfterWrite) socket.destroy();
      else if (options.endAfterWrite) socket.end();
    });
  });
}
