import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../app.ts'
import { withTenant } from '../../platform/db.ts'
import { parseForm, withDates, type FormErrors } from '../../platform/forms.ts'
import { isUuid } from '../../platform/ids.ts'
import { NotFound } from '../../platform/errors.ts'
import { findCaseSummary } from '../register/case-queries.ts'
import { WORK_PLACEMENTS } from './policy.ts'
import { barrierForm, resolveForm } from './forms.ts'
import { BARRIER_KINDS, BARRIER_LABELS, findBarrier } from './queries.ts'
import { addBarrier, resolveBarrier } from './service.ts'

/** Placement barriers on a case: refusals, Fair Access, directions and disputes, each with its outcome. */
export function placementRoutes(deps: Deps): FastifyPluginAsync {
  const access = { config: { access: WORK_PLACEMENTS } }
  const today = () => deps.now().toISOString().slice(0, 10)
  const tenant = (request: FastifyRequest) => ({ laId: request.user!.laId, userId: request.user!.id })
  const kinds = (chosen: unknown) => BARRIER_KINDS.map((k) => ({ value: k, text: BARRIER_LABELS[k], checked: k === chosen,
    hint: k === 'direction_request_academy' ? { text: 'The academy is expected to answer within 7 days' } : undefined }))

  return async (app) => {
    const newPage = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, errors?: FormErrors) => {
      const { caseId } = request.params as { caseId: string }
      if (!isUuid(caseId)) throw new NotFound()
      const c = await withTenant(deps.db, tenant(request), (tx) => findCaseSummary(tx, caseId))
      if (!c) throw new NotFound()
      return reply.page('placement/views/new.njk', { title: 'Record a placement barrier', case: c, kinds: kinds(values.kind), values, errors, backLink: `/children/${c.childId}` }, errors ? 400 : 200)
    }
    app.get('/cases/:caseId/barriers/new', access, async (request, reply) => newPage(request, reply, {}))
    app.post('/cases/:caseId/barriers', access, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(barrierForm(today()), withDates(body, ['occurredOn']))
      if (!form.ok) return newPage(request, reply, body, form.errors)
      const { caseId } = request.params as { caseId: string }
      if (!isUuid(caseId)) throw new NotFound()
      const childId = await addBarrier(deps.db, request.user!, request.ip, caseId, form.value, deps.now())
      return reply.redirect(`/children/${childId}#case-${caseId}`, 303)
    })

    const barrierPage = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, errors?: FormErrors) => {
      const { id } = request.params as { id: string }
      if (!isUuid(id)) throw new NotFound()
      const data = await withTenant(deps.db, tenant(request), async (tx) => {
        const barrier = await findBarrier(tx, id)
        if (!barrier) throw new NotFound()
        return { barrier, case: (await findCaseSummary(tx, barrier.caseId))! }
      })
      return reply.page('placement/views/barrier.njk', { title: BARRIER_LABELS[data.barrier.kind], ...data, labels: BARRIER_LABELS, today: today(),
        values: { version: data.barrier.version, ...values }, errors, backLink: `/children/${data.barrier.childId}` }, errors ? 400 : 200)
    }
    app.get('/barriers/:id', access, async (request, reply) => barrierPage(request, reply, {}))
    app.post('/barriers/:id/resolve', access, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(resolveForm(today()), withDates(body, ['resolvedOn']))
      if (!form.ok) return barrierPage(request, reply, body, form.errors)
      const { id } = request.params as { id: string }
      if (!isUuid(id)) throw new NotFound()
      const childId = await resolveBarrier(deps.db, request.user!, request.ip, id, form.value, deps.now())
      return reply.redirect(`/children/${childId}`, 303)
    })
  }
}
