import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { accessOf, redirectToSignIn, type CurrentUser } from './access.ts'
import { findSession, type Session, type SessionLimits } from './sessions.ts'
import { cookieName } from './security.ts'
import { Forbidden } from './errors.ts'
import type { Db } from './db.ts'
import type { AuditActor } from './audit.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The fully signed-in user, if any. */
    user?: CurrentUser
    /** The session, which may be part-way through sign-in. */
    session?: Session
  }
}

export type AuthenticateOptions = { db: Db; limits: SessionLimits; cookieSecure: boolean; now: () => Date }

export const sessionCookieName = (secure: boolean): string => cookieName('lantern_session', secure)

export function setSessionCookie(reply: FastifyReply, secure: boolean, token: string): void {
  reply.setCookie(sessionCookieName(secure), token, { path: '/', httpOnly: true, sameSite: 'lax', secure })
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(sessionCookieName(secure), { path: '/', httpOnly: true, sameSite: 'lax', secure })
}

/** Who did it, for the audit log. */
export function actorOf(request: FastifyRequest): AuditActor {
  const user = request.user ?? request.session?.user
  if (!user) throw new Error('actorOf needs a session')
  return { laId: user.laId, userId: user.id, label: user.email, ip: request.ip }
}

/**
 * Loads the session from its cookie on every request, then enforces each route's declared access:
 * signed out goes to the sign-in page, signed in without permission gets 403.
 */
export const authenticate = fp(async (app: FastifyInstance, opts: AuthenticateOptions) => {
  const name = sessionCookieName(opts.cookieSecure)

  app.addHook('onRoute', (route) => {
    if (!route.config?.access) throw new Error(`Route ${route.method} ${route.url} declares no access rule`)
  })

  app.addHook('onRequest', async (request, reply) => {
    const token = request.cookies[name]
    if (!token) return
    const session = await findSession(opts.db, token, opts.limits, opts.now())
    if (!session) {
      clearSessionCookie(reply, opts.cookieSecure)
      return
    }
    request.session = session
    if (session.stage === 'complete') request.user = session.user
  })

  app.addHook('preHandler', async (request, reply) => {
    if (request.is404) return
    const access = accessOf(request)
    if (!access) throw new Forbidden()
    if (access.kind === 'public') return
    if (access.kind === 'signing-in') {
      if (!request.session || request.session.stage === 'complete') return reply.redirect('/', 303)
      return
    }
    if (!request.user) return redirectToSignIn(request, reply)
    if (!access.allow(request.user)) throw new Forbidden()
  })
})
