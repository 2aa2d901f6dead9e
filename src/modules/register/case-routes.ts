import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../app.ts'
import { withTenant } from '../../platform/db.ts'
import { parseForm, toFormErrors, withDates } from '../../platform/forms.ts'
import { isUuid } from '../../platform/ids.ts'
import { NotFound } from '../../platform/errors.ts'
import { WORK_CASES } from './policy.ts'
import { detailsForm, enquiryForm, riskForm, statusForm } from './case-forms.ts'
import { findCaseDetails, findCaseSummary, findEnquiry, listOfficers, listReasons, type CaseSummary } from './case-queries.ts'
import { REGISTER_TYPE_LABELS, STATUSES, STATUS_LABELS, OPEN_STATUSES } from './queries.ts'
import { changeDetails, changeRisk, changeStatus, recordEnquiryOutcome } from './case-service.ts'

/** A CME officer's work on a case: recording enquiries, moving the status on (the closure gate) and setting the risk. */
export function caseRoutes(deps: Deps): FastifyPluginAsync {
  const access = { config: { access: WORK_CASES } }
  const openCase = async (request: FastifyRequest): Promise<CaseSummary> => {
    const { caseId } = request.params as { caseId: string }
    if (!isUuid(caseId)) throw new NotFound()
    const user = request.user!
    const found = await withTenant(deps.db, { laId: user.laId, userId: user.id }, (tx) => findCaseSummary(tx, caseId))
    if (!found) throw new NotFound()
    return found
  }
  const statusItems = (c: CaseSummary, chosen?: unknown) => STATUSES.filter((s) => s !== c.status).map((s) => ({
    value: s, text: STATUS_LABELS[s], checked: s === chosen, hint: (OPEN_STATUSES as readonly string[]).includes(s) ? undefined : { text: 'Closes the case' },
  }))

  return async (app) => {
    const enquiryPage = async (request: FastifyRequest, reply: FastifyReply, values: unknown, errors?: ReturnType<typeof toFormErrors>) => {
      const c = await openCase(request)
      const { enquiryId } = request.params as { enquiryId: string }
      if (!isUuid(enquiryId)) throw new NotFound()
      const user = request.user!
      const enquiry = await withTenant(deps.db, { laId: user.laId, userId: user.id }, (tx) => findEnquiry(tx, c.id, enquiryId))
      if (!enquiry) throw new NotFound()
      return reply.page('register/views/enquiry.njk', { title: 'Record an enquiry', case: c, enquiry, values, errors, backLink: `/children/${c.childId}` }, errors ? 400 : 200)
    }
    app.get('/cases/:caseId/enquiries/:enquiryId', access, async (request, reply) => enquiryPage(request, reply, {}))
    app.post('/cases/:caseId/enquiries/:enquiryId', access, async (request, reply) => {
      const form = parseForm(enquiryForm(deps.now().toISOString().slice(0, 10)), withDates(request.body, ['doneOn']))
      if (!form.ok) return enquiryPage(request, reply, request.body, form.errors)
      const { caseId, enquiryId } = request.params as { caseId: string; enquiryId: string }
      if (!isUuid(caseId) || !isUuid(enquiryId)) throw new NotFound()
      const childId = await recordEnquiryOutcome(deps.db, request.user!, request.ip, caseId, enquiryId, form.value, deps.now())
      return reply.redirect(`/children/${childId}#case-${caseId}`, 303)
    })

    const statusPage = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, errors?: ReturnType<typeof toFormErrors>) => {
      const c = await openCase(request)
      return reply.page('register/views/status.njk', { title: 'Change the case status', case: c, statuses: statusItems(c, values.status), values: { version: c.version, ...values }, errors, backLink: `/children/${c.childId}` }, errors ? 400 : 200)
    }
    app.get('/cases/:caseId/status', access, async (request, reply) => statusPage(request, reply, {}))
    app.post('/cases/:caseId/status', access, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(statusForm, body)
      if (!form.ok) return statusPage(request, reply, body, form.errors)
      const c = await openCase(request)
      const result = await changeStatus(deps.db, request.user!, request.ip, c.id, form.value, deps.now())
      if (!result.ok) {
        const message = `You cannot close the case until these required enquiries are done, or recorded as not possible with a reason: ${result.outstanding.join('; ')}`
        return statusPage(request, reply, body, toFormErrors([{ path: ['status'], message }]))
      }
      return reply.redirect(`/children/${result.childId}#case-${c.id}`, 303)
    })

    const detailsPage = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, errors?: ReturnType<typeof toFormErrors>) => {
      const c = await openCase(request)
      const user = request.user!
      const data = await withTenant(deps.db, { laId: user.laId, userId: user.id }, async (tx) => ({
        details: (await findCaseDetails(tx, c.id))!, reasons: await listReasons(tx), officers: await listOfficers(tx),
      }))
      return reply.page('register/views/details.njk', {
        title: 'Change the case details', case: c, reasons: data.reasons, officers: data.officers, typeLabels: REGISTER_TYPE_LABELS,
        values: { version: c.version, ...data.details, ...values }, errors, backLink: `/children/${c.childId}`,
      }, errors ? 400 : 200)
    }
    app.get('/cases/:caseId/details', access, async (request, reply) => detailsPage(request, reply, {}))
    app.post('/cases/:caseId/details', access, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(detailsForm, body)
      if (!form.ok) return detailsPage(request, reply, body, form.errors)
      const c = await openCase(request)
      const result = await changeDetails(deps.db, request.user!, request.ip, c.id, form.value, deps.now())
      if (!result.ok) return detailsPage(request, reply, body, toFormErrors([{ path: [result.field], message: result.message }]))
      return reply.redirect(`/children/${result.childId}#case-${c.id}`, 303)
    })

    const riskPage = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, errors?: ReturnType<typeof toFormErrors>) => {
      const c = await openCase(request)
      return reply.page('register/views/risk.njk', { title: 'Change the risk level', case: c, values: { version: c.version, level: c.riskLevel, ...values }, errors, backLink: `/children/${c.childId}` }, errors ? 400 : 200)
    }
    app.get('/cases/:caseId/risk', access, async (request, reply) => riskPage(request, reply, {}))
    app.post('/cases/:caseId/risk', access, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(riskForm, body)
      if (!form.ok) return riskPage(request, reply, body, form.errors)
      const c = await openCase(request)
      const childId = await changeRisk(deps.db, request.user!, request.ip, c.id, form.value, deps.now())
      return reply.redirect(`/children/${childId}#case-${c.id}`, 303)
    })
  }
}
