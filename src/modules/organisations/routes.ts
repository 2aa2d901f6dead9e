import type { FastifyPluginAsync } from 'fastify'
import type { Deps } from '../../app.ts'
import { actorOf } from '../../platform/authenticate.ts'
import { withTenant } from '../../platform/db.ts'
import { formError, parseForm } from '../../platform/forms.ts'
import { NotFound } from '../../platform/errors.ts'
import { isUuid } from '../../platform/ids.ts'
import { MANAGE_ORGANISATIONS } from './policy.ts'
import { organisationForm } from './forms.ts'
import { KIND_LABELS, ORGANISATION_KINDS, findOrganisation, listOrganisations } from './queries.ts'
import { saveOrganisation } from './service.ts'

const kindItems = (selected?: unknown) => ORGANISATION_KINDS.map((k) => ({ value: k, text: KIND_LABELS[k], checked: k === selected }))

export function organisationRoutes(deps: Deps): FastifyPluginAsync {
  const access = { config: { access: MANAGE_ORGANISATIONS } }
  return async (app) => {
    app.get('/admin/organisations', access, async (request, reply) => {
      const user = request.user!
      const organisations = await withTenant(deps.db, { laId: user.laId, userId: user.id }, (tx) => listOrganisations(tx))
      const saved = (request.query as Record<string, string>).saved
      return reply.page('organisations/views/list.njk', { title: 'Organisations', organisations, kindLabels: KIND_LABELS, backLink: '/admin', flash: saved ? 'Organisation saved' : undefined })
    })

    app.get('/admin/organisations/new', access, async (_request, reply) =>
      reply.page('organisations/views/edit.njk', { title: 'Add an organisation', values: {}, kinds: kindItems(), backLink: '/admin/organisations' }))

    app.get('/admin/organisations/:id', access, async (request, reply) => {
      const user = request.user!
      const { id } = request.params as { id: string }
      if (!isUuid(id)) throw new NotFound()
      const org = await withTenant(deps.db, { laId: user.laId, userId: user.id }, (tx) => findOrganisation(tx, id))
      if (!org) throw new NotFound()
      return reply.page('organisations/views/edit.njk', { title: `Change ${org.name}`, values: org, id, kinds: kindItems(org.kind), backLink: '/admin/organisations' })
    })

    app.post('/admin/organisations', access, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const id = typeof body.id === 'string' && body.id ? body.id : undefined
      if (id && !isUuid(id)) throw new NotFound()
      const view = { title: id ? 'Change organisation' : 'Add an organisation', values: body, id, kinds: kindItems(body.kind), backLink: '/admin/organisations' }
      const form = parseForm(organisationForm, body)
      if (!form.ok) return reply.page('organisations/views/edit.njk', { ...view, errors: form.errors }, 400)
      const result = await saveOrganisation(deps.db, actorOf(request), id, form.value, deps.now())
      if (!result.ok) return reply.page('organisations/views/edit.njk', { ...view, errors: formError(result.field, result.message) }, 400)
      return reply.redirect('/admin/organisations?saved=1', 303)
    })
  }
}
