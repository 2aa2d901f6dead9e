import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../app.ts'
import { PUBLIC } from '../../platform/access.ts'
import { setSessionCookie } from '../../platform/authenticate.ts'
import { parseForm } from '../../platform/forms.ts'
import { SEND_EMAIL_JOB } from '../../platform/mail.ts'
import { forgotPasswordForm, newPasswordForm } from './forms.ts'
import { acceptInvitation, checkLink, requestPasswordReset, resetPassword } from './tokens.ts'

const client = (request: FastifyRequest) => ({ ip: request.ip, userAgent: request.headers['user-agent'] ?? null })

const LINK_PROBLEM = {
  unknown: 'This link is not valid. Check you copied the whole link from the email.',
  used: 'This link has already been used. Each link works once.',
  expired: 'This link has expired.',
}

/** The pages reached from emailed links: accepting an invitation and resetting a password. */
export function linkRoutes(deps: Deps): FastifyPluginAsync {
  const tokenOf = (request: FastifyRequest): string => {
    const fromBody = (request.body as Record<string, unknown> | undefined)?.token
    const fromQuery = (request.query as Record<string, unknown>).token
    return String(fromBody ?? fromQuery ?? '')
  }
  const problem = (reply: FastifyReply, reason: keyof typeof LINK_PROBLEM, purpose: 'invitation' | 'password_reset') =>
    reply.page('auth/views/link-problem.njk', { title: 'There is a problem with this link', message: LINK_PROBLEM[reason], purpose }, reason === 'unknown' ? 404 : 410)

  return async (app) => {
    app.get('/forgot-password', { config: { access: PUBLIC } }, async (_request, reply) =>
      reply.page('auth/views/forgot-password.njk', { title: 'Reset your password', values: {} }))

    app.post('/forgot-password', { config: { access: PUBLIC } }, async (request, reply) => {
      const form = parseForm(forgotPasswordForm, request.body)
      if (!form.ok) return reply.page('auth/views/forgot-password.njk', { title: 'Reset your password', values: request.body, errors: form.errors }, 400)
      await requestPasswordReset(deps, form.value.email, client(request))
      await deps.jobs.send(SEND_EMAIL_JOB)
      return reply.page('auth/views/check-email.njk', { title: 'Check your email', expiryMinutes: deps.config.passwordResetExpiryMinutes })
    })

    app.get('/reset-password', { config: { access: PUBLIC } }, async (request, reply) => {
      const state = await checkLink(deps, tokenOf(request), 'password_reset')
      if (!state.ok) return problem(reply, state.reason, 'password_reset')
      return reply.page('auth/views/new-password.njk', { title: 'Choose a new password', token: tokenOf(request), action: '/reset-password', button: 'Change password' })
    })

    app.post('/reset-password', { config: { access: PUBLIC } }, async (request, reply) => {
      const token = tokenOf(request)
      const state = await checkLink(deps, token, 'password_reset')
      if (!state.ok) return problem(reply, state.reason, 'password_reset')
      const form = parseForm(newPasswordForm(state.token.email), request.body)
      if (!form.ok) return reply.page('auth/views/new-password.njk', { title: 'Choose a new password', token, action: '/reset-password', button: 'Change password', errors: form.errors }, 400)
      const result = await resetPassword(deps, token, form.value.password, client(request))
      if (!result.ok) return problem(reply, result.reason, 'password_reset')
      return reply.redirect('/sign-in?reset=done', 303)
    })

    app.get('/accept-invitation', { config: { access: PUBLIC } }, async (request, reply) => {
      const state = await checkLink(deps, tokenOf(request), 'invitation')
      if (!state.ok) return problem(reply, state.reason, 'invitation')
      return reply.page('auth/views/new-password.njk', {
        title: 'Set your password', intro: `You have been invited to use Lantern at ${state.token.laName}. Your account is ${state.token.email}.`,
        token: tokenOf(request), action: '/accept-invitation', button: 'Set password and continue',
      })
    })

    app.post('/accept-invitation', { config: { access: PUBLIC } }, async (request, reply) => {
      const token = tokenOf(request)
      const state = await checkLink(deps, token, 'invitation')
      if (!state.ok) return problem(reply, state.reason, 'invitation')
      const form = parseForm(newPasswordForm(state.token.email), request.body)
      if (!form.ok) {
        return reply.page('auth/views/new-password.njk', {
          title: 'Set your password', intro: `You have been invited to use Lantern at ${state.token.laName}. Your account is ${state.token.email}.`,
          token, action: '/accept-invitation', button: 'Set password and continue', errors: form.errors,
        }, 400)
      }
      const result = await acceptInvitation(deps, token, form.value.password, client(request))
      if (!result.ok) return problem(reply, result.reason, 'invitation')
      setSessionCookie(reply, deps.config.cookieSecure, result.sessionToken)
      return reply.redirect('/sign-in/set-up-authenticator', 303)
    })
  }
}
