import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import type { Deps } from '../../app.ts'
import { PUBLIC, safeNext } from '../../platform/access.ts'
import { actorOf, setSessionCookie } from '../../platform/authenticate.ts'
import { withTenant } from '../../platform/db.ts'
import { parseForm, text } from '../../platform/forms.ts'
import { recordAudit } from '../../platform/audit.ts'
import { seal } from '../../platform/crypto.ts'
import { cookieName } from '../../platform/security.ts'
import { NotFound } from '../../platform/errors.ts'
import { finishOidcSignIn, findOidcSetting, publicAuthorities, redirectUri, saveOidcSetting, startOidcSignIn } from './oidc.ts'
import { CONFIGURE_SIGN_IN } from './policy.ts'

const settingsForm = z.object({
  enabled: z.enum(['yes', 'no'], { error: 'Select whether single sign-on is on' }),
  issuer: z.string({ error: 'Enter the issuer URL' }).trim().min(1, { error: 'Enter the issuer URL' })
    .refine((v) => /^https?:\/\/[^\s]+$/.test(v) && URL.canParse(v), { error: 'Enter the issuer URL in the correct format, like https://login.microsoftonline.com/<tenant id>/v2.0' }),
  clientId: text('Enter the client ID', 200),
  clientSecret: z.string().max(500, { error: 'Client secret must be 500 characters or fewer' }).optional().default(''),
  buttonText: text('Enter the text for the sign-in button', 60),
  requireTotp: z.enum(['yes', 'no'], { error: 'Select whether Lantern also asks for an authenticator code' }),
})

const FAILURE: Record<'expired' | 'provider' | 'no_account', string> = {
  expired: 'Your single sign-on attempt took too long or was started in another browser. Try again.',
  provider: 'The sign-in service did not confirm who you are. Try again, or sign in with your email address and password.',
  no_account: 'There is no active Lantern account for the account you signed in with. Ask your Lantern administrator to invite you.',
}

/** OpenID Connect sign-in (e.g. Microsoft Entra ID), configured per Local Authority. */
export function oidcRoutes(deps: Deps): FastifyPluginAsync {
  const pendingCookie = cookieName('lantern_oidc', deps.config.cookieSecure)
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: deps.config.cookieSecure }
  return async (app) => {
    app.get('/sign-in/oidc/:laCode', { config: { access: PUBLIC } }, async (request, reply) => {
      const { laCode } = request.params as { laCode: string }
      const la = (await publicAuthorities(deps.db)).find((a) => a.code === laCode && a.oidcButton)
      if (!la) throw new NotFound()
      const started = await startOidcSignIn(deps, la.id, safeNext((request.query as Record<string, string>).next))
      if (!started) throw new NotFound()
      reply.setCookie(pendingCookie, started.cookie, { ...cookieOptions, maxAge: 600 })
      return reply.redirect(started.url, 303)
    })

    app.get('/sign-in/oidc/callback', { config: { access: PUBLIC } }, async (request, reply) => {
      const callbackUrl = new URL(request.url, deps.config.baseUrl)
      const result = await finishOidcSignIn(deps, request.cookies[pendingCookie], callbackUrl, { ip: request.ip, userAgent: request.headers['user-agent'] ?? null })
      reply.clearCookie(pendingCookie, cookieOptions)
      if (!result.ok) return reply.page('auth/views/oidc-problem.njk', { title: 'You could not be signed in', message: FAILURE[result.reason] }, 400)
      setSessionCookie(reply, deps.config.cookieSecure, result.token)
      if (result.stage === 'totp') return reply.redirect(`/sign-in/code?next=${encodeURIComponent(result.next)}`, 303)
      if (result.stage === 'enrol') return reply.redirect('/sign-in/set-up-authenticator', 303)
      return reply.redirect(result.next, 303)
    })

    app.get('/admin/single-sign-on', { config: { access: CONFIGURE_SIGN_IN } }, async (request, reply) => {
      const user = request.user!
      const setting = await withTenant(deps.db, { laId: user.laId, userId: user.id }, (tx) => findOidcSetting(tx, user.laId))
      const values = setting
        ? { ...setting, clientSecret: '', enabled: setting.enabled ? 'yes' : 'no', requireTotp: setting.requireTotp ? 'yes' : 'no' }
        : { enabled: 'no', requireTotp: 'yes', buttonText: `Sign in with your ${user.laName} account` }
      return reply.page('auth/views/oidc-settings.njk', { title: 'Single sign-on', values, hasSecret: Boolean(setting), redirectUri: redirectUri(deps.config.baseUrl), backLink: '/admin' })
    })

    app.post('/admin/single-sign-on', { config: { access: CONFIGURE_SIGN_IN } }, async (request, reply) => {
      const user = request.user!
      const body = request.body as Record<string, unknown>
      const form = parseForm(settingsForm, body)
      const existing = await withTenant(deps.db, { laId: user.laId, userId: user.id }, (tx) => findOidcSetting(tx, user.laId))
      const view = { title: 'Single sign-on', values: { ...body, clientSecret: '' }, hasSecret: Boolean(existing), redirectUri: redirectUri(deps.config.baseUrl), backLink: '/admin' }
      // A secret is needed the first time; after that a blank field keeps the saved one.
      const secretMissing = !existing && !(typeof body.clientSecret === 'string' && body.clientSecret.trim())
      if (!form.ok || secretMissing) {
        const errors = form.ok ? { summary: [], fields: {} } : form.errors
        if (secretMissing) {
          errors.fields.clientSecret = { text: 'Enter the client secret' }
          errors.summary.push({ text: 'Enter the client secret', href: '#clientSecret' })
        }
        return reply.page('auth/views/oidc-settings.njk', { ...view, errors }, 400)
      }
      const now = deps.now()
      await withTenant(deps.db, { laId: user.laId, userId: user.id }, async (tx) => {
        await saveOidcSetting(tx, user.laId, {
          enabled: form.value.enabled === 'yes', issuer: form.value.issuer, clientId: form.value.clientId,
          clientSecret: form.value.clientSecret ? seal(deps.totpKey, form.value.clientSecret) : existing!.clientSecret,
          buttonText: form.value.buttonText, requireTotp: form.value.requireTotp === 'yes',
        }, now)
        await recordAudit(tx, actorOf(request), { action: 'settings.single_sign_on_changed', recordType: 'local_authority', recordId: user.laId,
          details: { enabled: form.value.enabled === 'yes', issuer: form.value.issuer, secretChanged: Boolean(form.value.clientSecret) } }, now)
      })
      return reply.page('auth/views/oidc-settings.njk', { ...view, values: { ...form.value, clientSecret: '' }, hasSecret: true, flash: 'Single sign-on settings saved' })
    })
  }
}
