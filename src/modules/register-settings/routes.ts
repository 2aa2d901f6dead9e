import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../app.ts'
import { noFields, parseForm, toFormErrors, type FormErrors } from '../../platform/forms.ts'
import { isUuid } from '../../platform/ids.ts'
import { NotFound } from '../../platform/errors.ts'
import { ADMINISTER } from '../pages/policy.ts'
import { enquiryForm, reasonForm, settingsForm } from './forms.ts'
import { addEnquiry, addReason, changeEnquiry, loadRegisterSettings, saveSettings, toggleReason } from './service.ts'

/**
 * The register's rules an LA administrator sets: where the brief marks a fact uncertain (the DfE's
 * reason list, escalation periods, the target for a school place, the enquiries checklist), each LA decides.
 */
export function registerSettingsRoutes(deps: Deps): FastifyPluginAsync {
  const access = { config: { access: ADMINISTER } }
  return async (app) => {
    const page = async (request: FastifyRequest, reply: FastifyReply, form?: string, values: Record<string, unknown> = {}, errors?: FormErrors) => {
      const data = await loadRegisterSettings(deps.db, request.user!)
      const saved = (request.query as Record<string, string>).saved
      return reply.page('register-settings/views/settings.njk', {
        title: 'Register settings', ...data, form, values: form === 'settings' ? values : { ...data.settings }, other: form !== 'settings' ? values : {},
        errors, backLink: '/admin', flash: saved ? 'Saved.' : undefined,
      }, errors ? 400 : 200)
    }
    app.get('/admin/register', access, async (request, reply) => page(request, reply))
    app.post('/admin/register/settings', access, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(settingsForm, body)
      if (!form.ok) return page(request, reply, 'settings', body, form.errors)
      const result = await saveSettings(deps.db, request.user!, request.ip, form.value, deps.now())
      if (!result.ok) return page(request, reply, 'settings', body, toFormErrors([{ path: [result.field], message: result.message }]))
      return reply.redirect('/admin/register?saved=1', 303)
    })
    app.post('/admin/register/reasons', access, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(reasonForm, body)
      if (!form.ok) return page(request, reply, 'reason', body, form.errors)
      const result = await addReason(deps.db, request.user!, request.ip, form.value.label, deps.now())
      if (!result.ok) return page(request, reply, 'reason', body, toFormErrors([{ path: [result.field], message: result.message }]))
      return reply.redirect('/admin/register?saved=1#reasons', 303)
    })
    app.post('/admin/register/reasons/:code/toggle', access, async (request, reply) => {
      parseForm(noFields, request.body)
      const { code } = request.params as { code: string }
      if (!/^[a-z_]{2,40}$/.test(code)) throw new NotFound()
      await toggleReason(deps.db, request.user!, request.ip, code, deps.now())
      return reply.redirect('/admin/register?saved=1#reasons', 303)
    })
    app.post('/admin/register/enquiries', access, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(enquiryForm, body)
      if (!form.ok) return page(request, reply, 'enquiry', body, form.errors)
      const result = await addEnquiry(deps.db, request.user!, request.ip, form.value, deps.now())
      if (!result.ok) return page(request, reply, 'enquiry', body, toFormErrors([{ path: [result.field], message: result.message }]))
      return reply.redirect('/admin/register?saved=1#enquiries', 303)
    })
    for (const change of ['active', 'required'] as const) {
      app.post(`/admin/register/enquiries/:id/${change}`, access, async (request, reply) => {
        const { id } = request.params as { id: string }
        if (!isUuid(id)) throw new NotFound()
        await changeEnquiry(deps.db, request.user!, request.ip, id, change, deps.now())
        return reply.redirect('/admin/register?saved=1#enquiries', 303)
      })
    }
  }
}
