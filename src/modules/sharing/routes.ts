import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { Deps } from '../../app.ts'
import { withTenant } from '../../platform/db.ts'
import { noFields, parseForm, text, toFormErrors, type FormErrors } from '../../platform/forms.ts'
import { isUuid } from '../../platform/ids.ts'
import { NotFound } from '../../platform/errors.ts'
import { findCaseSummary } from '../register/case-queries.ts'
import { STATUS_LABELS } from '../register/queries.ts'
import { SEE_SHARED, SHARE_CASES } from './policy.ts'
import * as q from './queries.ts'
import { revokeShare, shareCase, viewShared } from './service.ts'

const shareForm = z.object({
  organisationId: z.string({ error: 'Select a partner organisation' }).min(1, { error: 'Select a partner organisation' }),
  reason: text('Enter why the organisation needs to see this case', 1000, 'Keep the reason to 1000 characters or fewer'),
})

/** Sharing a case with a partner organisation, and the partner's view of what is shared with them. */
export function sharingRoutes(deps: Deps): FastifyPluginAsync {
  return async (app) => {
    const page = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, errors?: FormErrors) => {
      const { caseId } = request.params as { caseId: string }
      if (!isUuid(caseId)) throw new NotFound()
      const user = request.user!
      const data = await withTenant(deps.db, { laId: user.laId, userId: user.id }, async (tx) => {
        const c = await findCaseSummary(tx, caseId)
        if (!c) throw new NotFound()
        return { case: c, shares: await q.listSharesForCase(tx, caseId), organisations: await q.listPartnerOrganisations(tx) }
      })
      return reply.page('sharing/views/shares.njk', { title: 'Share this case', ...data, values, errors, backLink: `/children/${data.case.childId}` }, errors ? 400 : 200)
    }
    app.get('/cases/:caseId/shares', { config: { access: SHARE_CASES } }, async (request, reply) => page(request, reply, {}))
    app.post('/cases/:caseId/shares', { config: { access: SHARE_CASES } }, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(shareForm, body)
      if (!form.ok) return page(request, reply, body, form.errors)
      const { caseId } = request.params as { caseId: string }
      if (!isUuid(caseId)) throw new NotFound()
      const result = await shareCase(deps.db, request.user!, request.ip, caseId, form.value, deps.now())
      if (!result.ok) return page(request, reply, body, toFormErrors([{ path: [result.field], message: result.message }]))
      return reply.redirect(`/cases/${caseId}/shares`, 303)
    })
    app.post('/cases/:caseId/shares/:shareId/revoke', { config: { access: SHARE_CASES } }, async (request, reply) => {
      parseForm(noFields, request.body)
      const { caseId, shareId } = request.params as { caseId: string; shareId: string }
      if (!isUuid(caseId) || !isUuid(shareId)) throw new NotFound()
      await revokeShare(deps.db, request.user!, request.ip, caseId, shareId, deps.now())
      return reply.redirect(`/cases/${caseId}/shares`, 303)
    })

    app.get('/shared', { config: { access: SEE_SHARED } }, async (request, reply) => {
      const user = request.user!
      const cases = await withTenant(deps.db, { laId: user.laId, userId: user.id }, (tx) => q.listSharedWith(tx, user.organisationId))
      return reply.page('sharing/views/shared-list.njk', { title: 'Cases shared with you', cases, statusLabels: STATUS_LABELS })
    })
    app.get('/shared/:shareId', { config: { access: SEE_SHARED } }, async (request, reply) => {
      const { shareId } = request.params as { shareId: string }
      if (!isUuid(shareId)) throw new NotFound()
      const view = await viewShared(deps.db, request.user!, request.ip, shareId, deps.now())
      return reply.page('sharing/views/shared.njk', { title: `${view.forename} ${view.surname}`, view, statusLabels: STATUS_LABELS, backLink: '/shared' })
    })
  }
}
