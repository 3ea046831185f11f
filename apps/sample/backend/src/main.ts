// The sample app: a small HTTP API over the products and orders tables.
//   GET /health            the app and its database answer
//   GET /products          list products          POST /products {"name", "priceCents"}
//   GET /orders            list orders            POST /orders   {"productId", "quantity"}
// PORT picks the port (default 3000; 0 = any free one). CREATE_TABLES_ON_STARTUP=false hands
// the schema to migrations: the app then refuses to start on a database behind them
// (STALE_SCHEMA=warn starts anyway with a warning).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { createVeloiqApp, describeError, type VeloiqApp } from '@veloiq/db/runtime';
import { Order } from './modules/orders/models';
import { Product } from './modules/products/models';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY = 64 * 1024;

function flag(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return !/^(0|false|no|off)$/i.test(value.trim());
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > MAX_BODY) throw new HttpError(413, `The body must be at most ${MAX_BODY} bytes.`);
  }
  try {
    const parsed = JSON.parse(body || '{}');
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
  } catch {
    // answered below
  }
  throw new HttpError(400, 'The body must be a JSON object.');
}

function positiveInteger(body: Record<string, unknown>, key: string, min = 0): number {
  const value = body[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new HttpError(400, `'${key}' must be an integer of at least ${min}.`);
  }
  return value;
}

type ProductRow = InstanceType<typeof Product>;
type OrderRow = InstanceType<typeof Order>;

const productJson = (p: ProductRow) => ({ id: p.id, name: p.name, priceCents: p.priceCents, createdAt: p.createdAt });
const orderJson = (o: OrderRow) => ({
  id: o.id,
  productId: o.product.id,
  productName: o.product.name,
  quantity: o.quantity,
  createdAt: o.createdAt,
});

async function route(app: VeloiqApp, req: IncomingMessage): Promise<[number, unknown]> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '') || '/';
  const key = `${req.method} ${path}`;
  const em = app.em();
  switch (key) {
    case 'GET /health':
      try {
        await em.getConnection().execute('select 1');
        return [200, { status: 'ok' }];
      } catch (error) {
        console.error(describeError(error));
        return [503, { status: 'unavailable', error: 'The database does not answer.' }];
      }
    case 'GET /products':
      return [200, (await em.find(Product, {}, { orderBy: { id: 'asc' } })).map(productJson)];
    case 'POST /products': {
      const body = await readJson(req);
      const name = typeof body.name === 'string' ? body.name.trim() : '';
      if (!name || name.length > 200) throw new HttpError(400, "'name' must be a non-empty string of at most 200 characters.");
      const product = em.create(Product, { name, priceCents: positiveInteger(body, 'priceCents') });
      await em.flush();
      return [201, productJson(product)];
    }
    case 'GET /orders':
      return [200, (await em.find(Order, {}, { populate: ['product'], orderBy: { id: 'asc' } })).map(orderJson)];
    case 'POST /orders': {
      const body = await readJson(req);
      const product = await em.findOne(Product, { id: positiveInteger(body, 'productId', 1) });
      if (!product) throw new HttpError(404, `No product with id ${String(body.productId)}.`);
      const order = em.create(Order, { product, quantity: positiveInteger(body, 'quantity', 1) });
      await em.flush();
      return [201, orderJson(order)];
    }
  }
  const known = ['/health', '/products', '/orders'].includes(path);
  throw new HttpError(known ? 405 : 404, known ? `${req.method} is not allowed on ${path}.` : `No route ${path}.`);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function main(): Promise<void> {
  const app = await createVeloiqApp({
    projectRoot: join(__dirname, '..', '..'),
    createTablesOnStartup: flag(process.env.CREATE_TABLES_ON_STARTUP, true),
    staleSchema: process.env.STALE_SCHEMA === 'warn' ? 'warn' : 'refuse',
  });
  const { created, database } = app.startup;
  const made = [...created.tables, ...created.columns];
  if (made.length > 0) console.log(`Created on startup: ${made.join(', ')}`);

  const server = createServer((req, res) => {
    route(app, req).then(
      ([status, body]) => send(res, status, body),
      (error) => {
        if (error instanceof HttpError) return send(res, error.status, { error: error.message });
        console.error(describeError(error));
        send(res, 500, { error: 'Internal error; see the server log.' });
      },
    );
  });
  server.listen(Number(process.env.PORT ?? 3000), () => {
    const { port } = server.address() as { port: number };
    console.log(`Sample API listening on http://localhost:${port} (database ${database})`);
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections();
    app.close().then(
      () => process.exit(0),
      (error) => {
        console.error(describeError(error));
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  console.error(describeError(error));
  process.exit(1);
});
