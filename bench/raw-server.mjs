// The "HTTP + transaction" raw limit: a bare node:http server that, per POST, writes one row
// and one outbox row in one transaction over a 16-connection pool, with no
// framework, auth, validation or messaging. Started by bench/run.mjs as its own process.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import postgres from 'postgres';

const [databaseUrl, port] = process.argv.slice(2);
const sql = postgres(databaseUrl, { max: 16, onnotice: () => {} });
let n = 0;

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
      const id = randomUUID();
      const domain = body.domain ?? `raw-${process.pid}-${n++}.example.com`;
      await sql.begin(async (tx) => {
        await tx`insert into item (id, tenant_id, domain) values (${id}, 't_raw', ${domain})`;
        await tx`insert into outbox (event_id, subject, event) values (${randomUUID()}, 'raw.created', ${tx.json({ id, domain })})`;
      });
      const out = JSON.stringify({ id, domain, status: 'provisioning' });
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    } catch (error) {
      res.writeHead(500);
      res.end(String(error));
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => sql.end().then(() => process.exit(0))));
