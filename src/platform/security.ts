import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import cookie from '@fastify/cookie'
import helmet from '@fastify/helmet'
import formbody from '@fastify/formbody'
import { hmac, randomToken, safeEqual } from './crypto.ts'
import { HttpError } from './errors.ts'

export type SecurityOptions = { secret: string; cookieSecure: boolean; production: boolean }

declare module 'fastify' {
  interface FastifyRequest {
    csrfToken: string
  }
}

// The __Host- prefix pins a cookie to this host and path /, but browsers only accept it over HTTPS.
export const cookieName = (name: string, secure: boolean): string => (secure ? `__Host-${name}` : name)

/**
 * Security headers (CSP with a nonce per response and no inline script), cookie parsing, form
 * bodies, and CSRF protection by a signed double-submit token on every state-changing request.
 */
export const security = fp(async (app: FastifyInstance, opts: SecurityOptions) => {
  await app.register(cookie)
  await app.register(formbody, { bodyLimit: 256 * 1024 })
  // Lantern takes HTML forms only: a JSON or plain-text body would reach handlers as values no form can send.
  app.removeContentTypeParser(['application/json', 'text/plain'])
  await app.register(helmet, {
    enableCSPNonces: true,
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        upgradeInsecureRequests: opts.production ? [] : null,
      },
    },
    strictTransportSecurity: opts.production,
    referrerPolicy: { policy: 'same-origin' },
  })

  const csrfCookie = cookieName('lantern_csrf', opts.cookieSecure)
  app.addHook('onRequest', async (request, reply) => {
    let value = request.cookies[csrfCookie]
    if (!value || !/^[A-Za-z0-9_-]{43}$/.test(value)) {
      value = randomToken()
      reply.setCookie(csrfCookie, value, { path: '/', httpOnly: true, sameSite: 'lax', secure: opts.cookieSecure })
    }
    request.csrfToken = hmac(opts.secret, `csrf:${value}`)
  })

  app.addHook('preHandler', async (request: FastifyRequest, _reply: FastifyReply) => {
    // Unknown addresses change nothing, so they get the page not found rather than a form-expired refusal.
    if (['GET', 'HEAD', 'OPTIONS'].includes(request.method) || request.is404) return
    // A request with no body at all reaches handlers as an empty form, never as undefined.
    request.body ??= {}
    const body = request.body as Record<string, unknown> | undefined
    const sent = typeof body?._csrf === 'string' ? body._csrf : request.headers['x-csrf-token']
    if (typeof sent !== 'string' || !safeEqual(sent, request.csrfToken)) {
      throw new HttpError(403, 'This form has expired or was not sent from Lantern. Go back, refresh the page and try again.')
    }
  })

  app.addHook('onSend', async (_request, reply) => {
    // Pages hold personal data: no caching in shared or browser caches.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store')
  })
})
