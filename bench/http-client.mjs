// The bench's HTTP/1.1 client: keep-alive sockets, one request in flight on each, requests
// written as one string and responses read by Content-Length (the gateway and the raw server
// always send it; a response without one is reported as a failure). The load generator
// shares the machine's two cores with the system it measures, so it should cost as little as
// it can (what autocannon does): with node:http's client the bench used 0.15-0.3 ms of CPU per
// site created in the throughput run on the AMD machine, with this one 0.07-0.10 ms.
import net from 'node:net';

const HEAD_END = Buffer.from('\r\n\r\n');

/** Reads one response at a time from `socket`; `onResponse` gets `{ status, body }`. */
function responseReader(onResponse) {
  let buffer = Buffer.alloc(0);
  return (chunk) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    const headEnd = buffer.indexOf(HEAD_END);
    if (headEnd < 0) return;
    const head = buffer.toString('latin1', 0, headEnd);
    const status = Number(head.slice(9, 12));
    const bodyStart = headEnd + 4;
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!length) {
      buffer = Buffer.alloc(0);
      return onResponse({ status: 0, body: `a ${status} response without content-length` });
    }
    const end = bodyStart + Number(length[1]);
    if (buffer.length < end) return;
    const body = buffer.toString('utf8', bodyStart, end);
    buffer = Buffer.alloc(0);
    onResponse({ status, body });
  };
}

/** `post(path, body, headers)` resolves `{ status, body }`; status 0 with the error on a failure. */
export function httpClient(baseUrl, connections) {
  const { hostname, port } = new URL(baseUrl);
  const idle = [];
  const waiting = [];
  const all = new Set();
  let opening = 0;

  function open() {
    return new Promise((resolve) => {
      const conn = { socket: net.connect({ host: hostname, port: Number(port) }), done: undefined, closed: false };
      conn.socket.setNoDelay(true);
      conn.socket.on(
        'data',
        responseReader((response) => conn.done?.(response)),
      );
      const fail = (error) => {
        if (conn.closed) return; // 'error' is followed by 'close'
        conn.closed = true;
        all.delete(conn);
        const i = idle.indexOf(conn);
        if (i >= 0) idle.splice(i, 1);
        conn.done?.({ status: 0, body: String(error ?? 'connection closed') }, false);
        // A caller waiting for a connection gets a new one in its place.
        if (waiting.length > 0) {
          opening += 1;
          void open().then(release);
        }
      };
      conn.socket.once('error', fail);
      conn.socket.once('close', () => fail());
      conn.socket.once('connect', () => {
        opening -= 1;
        all.add(conn);
        resolve(conn);
      });
    });
  }

  function acquire() {
    const conn = idle.pop();
    if (conn) return Promise.resolve(conn);
    if (all.size + opening < connections) {
      opening += 1;
      return open();
    }
    return new Promise((resolve) => waiting.push(resolve));
  }

  function release(conn) {
    const next = waiting.shift();
    if (next) next(conn);
    else idle.push(conn);
  }

  return {
    async post(path, body, headers = {}) {
      const data = JSON.stringify(body);
      let head = `POST ${path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(data)}\r\n`;
      for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
      const conn = await acquire();
      return new Promise((resolve) => {
        conn.done = (response, reusable = true) => {
          conn.done = undefined;
          if (reusable) release(conn);
          resolve(response);
        };
        conn.socket.write(`${head}\r\n${data}`);
      });
    },
    close() {
      for (const conn of all) conn.socket.destroy();
      all.clear();
    },
  };
}
