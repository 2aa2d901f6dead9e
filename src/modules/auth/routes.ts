import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { Deps } from '../../app.ts'
import { ANY_USER, PUBLIC, SIGNING_IN, safeNext } from '../../platform/access.ts'
import { clearSessionCookie, setSessionCookie } from '../../platform/authenticate.ts'
import { formError, noFields, parseForm } from '../../platform/forms.ts'
import { withTenant } from '../../platform/db.ts'
import { codeForm, enrolForm, signInForm } from './forms.ts'
import * as auth from './service.ts'
import { countUnusedRecoveryCodes, listActiveSessions } from './queries.ts'
import { publicAuthorities } from './oidc.ts'

const client = (request: FastifyRequest): auth.Client => ({ ip: request.ip, userAgent: request.headers['user-agent'] ?? null })

const signInFailed = (minutes: number): Record<'invalid' | 'locked' | 'rate_limited', string> => ({
  invalid: 'Enter a correct email address and password',
  locked: `Your account is locked because of too many failed attempts. Wait ${minutes} minutes and try again, or reset your password`,
  rate_limited: 'There have been too many sign-in attempts from your network. Wait 15 minutes and try again',
})

const codeFailed = (minutes: number): Record<'invalid' | 'locked' | 'rate_limited', string> => ({
  invalid: 'The code is not correct or has already been used. Enter the latest code from your authenticator app',
  locked: `Your account is locked because of too many failed attempts. Wait ${minutes} minutes and sign in again`,
  rate_limited: 'There have been too many attempts. Wait 15 minutes and try again',
})

/** Sign in with password and TOTP, set up an authenticator, sign out, and the account page. */
export function authRoutes(deps: Deps): FastifyPluginAsync {
  const secure = deps.config.cookieSecure
  return async (app) => {
    app.get('/sign-in', { config: { access: PUBLIC } }, async (request, reply) => {
      if (request.user) return reply.redirect('/', 303)
      const query = request.query as Record<string, string | undefined>
      const providers = (await publicAuthorities(deps.db)).filter((la) => la.oidcButton)
      return reply.page('auth/views/sign-in.njk', {
        title: 'Sign in', values: {}, next: safeNext(query.next), providers,
        flash: query.reset === 'done' ? 'Your password has been changed. Sign in with your new password.' : query.signedOut === 'all' ? 'You have been signed out of all your sessions.' : undefined,
      })
    })

    app.post('/sign-in', { config: { access: PUBLIC } }, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const next = safeNext(body.next)
      const providers = (await publicAuthorities(deps.db)).filter((la) => la.oidcButton)
      const form = parseForm(signInForm, body)
      const again = (errors: ReturnType<typeof formError>, status: number) =>
        reply.page('auth/views/sign-in.njk', { title: 'Sign in', values: { email: body.email }, errors, next, providers }, status)
      if (!form.ok) return again(form.errors, 400)
      const result = await auth.signInWithPassword(deps, form.value.email, form.value.password, client(request))
      if (!result.ok) return again(formError(result.reason === 'invalid' ? 'email' : 'form', signInFailed(deps.config.lockoutMinutes)[result.reason]), result.reason === 'rate_limited' ? 429 : 400)
      setSessionCookie(reply, secure, result.token)
      const step = result.stage === 'totp' ? '/sign-in/code' : '/sign-in/set-up-authenticator'
      return reply.redirect(`${step}?next=${encodeURIComponent(next)}`, 303)
    })

    app.get('/sign-in/code', { config: { access: SIGNING_IN } }, async (request, reply) => {
      if (request.session?.stage === 'enrol') return reply.redirect('/sign-in/set-up-authenticator', 303)
      const next = safeNext((request.query as Record<string, string>).next)
      return reply.page('auth/views/code.njk', { title: 'Enter your security code', values: {}, next })
    })

    app.post('/sign-in/code', { config: { access: SIGNING_IN } }, async (request, reply) => {
      const session = request.session!
      const body = request.body as Record<string, unknown>
      const next = safeNext(body.next)
      const form = parseForm(codeForm, body)
      if (!form.ok) return reply.page('auth/views/code.njk', { title: 'Enter your security code', values: body, errors: form.errors, next }, 400)
      const result = await auth.verifySecondFactor(deps, session, form.value.code, client(request))
      if (!result.ok) {
        if (result.reason === 'locked') clearSessionCookie(reply, secure)
        return reply.page('auth/views/code.njk', { title: 'Enter your security code', values: {}, errors: formError('code', codeFailed(deps.config.lockoutMinutes)[result.reason]), next, locked: result.reason === 'locked' }, result.reason === 'rate_limited' ? 429 : 400)
      }
      return reply.redirect(next, 303)
    })

    app.get('/sign-in/set-up-authenticator', { config: { access: SIGNING_IN } }, async (request, reply) => {
      const session = request.session!
      if (session.stage !== 'enrol') return reply.redirect('/sign-in/code', 303)
      const enrolment = await auth.startTotpEnrolment(deps, session)
      return reply.page('auth/views/enrol.njk', { title: 'Set up your authenticator app', enrolment, values: {} })
    })

    app.post('/sign-in/set-up-authenticator', { config: { access: SIGNING_IN } }, async (request, reply) => {
      const session = request.session!
      if (session.stage !== 'enrol') return reply.redirect('/sign-in/code', 303)
      const form = parseForm(enrolForm, request.body)
      const result = form.ok ? await auth.completeTotpEnrolment(deps, session, form.value.code, client(request)) : undefined
      if (!result?.ok) {
        const errors = form.ok ? formError('code', 'The code is not correct. Check the app shows Lantern and enter its latest code') : form.errors
        const enrolment = await auth.startTotpEnrolment(deps, session)
        return reply.page('auth/views/enrol.njk', { title: 'Set up your authenticator app', enrolment, values: {}, errors }, 400)
      }
      return reply.page('auth/views/recovery-codes.njk', { title: 'Save your recovery codes', codes: result.recoveryCodes })
    })

    app.post('/sign-out', { config: { access: PUBLIC } }, async (request, reply) => {
      parseForm(noFields, request.body)
      if (request.session) await auth.signOut(deps, request.session, request.ip)
      clearSessionCookie(reply, secure)
      return reply.redirect('/signed-out', 303)
    })

    app.get('/signed-out', { config: { access: PUBLIC } }, async (_request, reply) => reply.page('auth/views/signed-out.njk', { title: 'You have signed out' }))

    app.post('/account/sign-out-everywhere', { config: { access: ANY_USER } }, async (request, reply) => {
      parseForm(noFields, request.body)
      await auth.signOutEverywhere(deps, request.session!, request.ip)
      clearSessionCookie(reply, secure)
      return reply.redirect('/sign-in?signedOut=all', 303)
    })

    app.get('/account', { config: { access: ANY_USER } }, async (request, reply) => {
      const user = request.user!
      const { sessions, recoveryCodesLeft } = await withTenant(deps.db, { laId: user.laId, userId: user.id }, async (tx) => ({
        sessions: await listActiveSessions(tx, user.id),
        recoveryCodesLeft: await countUnusedRecoveryCodes(tx, user.id),
      }))
      return reply.page('auth/views/account.njk', { title: 'Your account', sessions, recoveryCodesLeft, currentSessionId: user.sessionId })
    })
  }
}
