import { Hono } from 'hono'

/** Liveness: answers as long as the event loop does. It checks no dependency on purpose. */
export function healthzRoute() {
  return new Hono().get('/healthz', (c) => c.json({ status: 'ok' }))
}
