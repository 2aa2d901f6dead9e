import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../app.ts'
import { withTenant } from '../../platform/db.ts'
import { parseForm, withDates, type FormErrors } from '../../platform/forms.ts'
import { isUuid } from '../../platform/ids.ts'
import { NotFound } from '../../platform/errors.ts'
import { PAGE_SIZE, pageNumber, pagination } from '../../platform/pagination.ts'
import { findCaseSummary } from '../register/case-queries.ts'
import { loadCalendarInTx } from '../calendar/service.ts'
import { WORK_ACTIONS } from './policy.ts'
import { changeActionForm, finishActionForm, newActionForm } from './forms.ts'
import * as q from './queries.ts'
import { changeAction, createAction, finishAction } from './service.ts'

const ownerItems = q.ownerChoices

/** Actions on a case (who does what by when), an officer's "my work" queue and the overdue list. */
export function actionRoutes(deps: Deps): FastifyPluginAsync {
  const access = { config: { access: WORK_ACTIONS } }
  const today = () => deps.now().toISOString().slice(0, 10)
  const tenant = (request: FastifyRequest) => ({ laId: request.user!.laId, userId: request.user!.id })

  return async (app) => {
    const newPage = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, errors?: FormErrors) => {
      const { caseId } = request.params as { caseId: string }
      if (!isUuid(caseId)) throw new NotFound()
      const data = await withTenant(deps.db, tenant(request), async (tx) => {
        const c = await findCaseSummary(tx, caseId)
        if (!c) throw new NotFound()
        return { case: c, owners: await ownerItems(tx, values.owner ?? `user:${request.user!.id}`) }
      })
      return reply.page('actions/views/new.njk', { title: 'Add an action', ...data, values: { dueMode: 'date', priority: 'normal', ...values }, errors, backLink: `/children/${data.case.childId}` }, errors ? 400 : 200)
    }
    app.get('/cases/:caseId/actions/new', access, async (request, reply) => newPage(request, reply, {}))
    app.post('/cases/:caseId/actions', access, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const calendar = await withTenant(deps.db, tenant(request), (tx) => loadCalendarInTx(tx))
      const form = parseForm(newActionForm(today(), calendar), withDates(body, ['dueOn']))
      if (!form.ok) return newPage(request, reply, body, form.errors)
      const { caseId } = request.params as { caseId: string }
      if (!isUuid(caseId)) throw new NotFound()
      const childId = await createAction(deps.db, request.user!, request.ip, caseId, form.value, deps.now())
      return reply.redirect(`/children/${childId}#case-${caseId}`, 303)
    })

    const actionPage = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, errors?: FormErrors) => {
      const { id } = request.params as { id: string }
      if (!isUuid(id)) throw new NotFound()
      const data = await withTenant(deps.db, tenant(request), async (tx) => {
        const action = await q.findAction(tx, id)
        if (!action) throw new NotFound()
        const owner = action.ownerUserId ? `user:${action.ownerUserId}` : `org:${action.ownerOrganisationId}`
        return { action, owners: await ownerItems(tx, values.owner ?? owner) }
      })
      return reply.page('actions/views/action.njk', {
        title: data.action.title, ...data, today: today(), values: { version: data.action.version, dueMode: 'date', ...values }, errors,
        backLink: `/children/${data.action.childId}#case-${data.action.caseId}`,
      }, errors ? 400 : 200)
    }
    app.get('/actions/:id', access, async (request, reply) => actionPage(request, reply, {}))
    app.post('/actions/:id/finish', access, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(finishActionForm, body)
      if (!form.ok) return actionPage(request, reply, body, form.errors)
      const { id } = request.params as { id: string }
      if (!isUuid(id)) throw new NotFound()
      const childId = await finishAction(deps.db, request.user!, request.ip, id, form.value, deps.now())
      return reply.redirect(`/children/${childId}`, 303)
    })
    app.post('/actions/:id/change', access, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const calendar = await withTenant(deps.db, tenant(request), (tx) => loadCalendarInTx(tx))
      const form = parseForm(changeActionForm(today(), calendar), withDates(body, ['dueOn']))
      if (!form.ok) return actionPage(request, reply, body, form.errors)
      const { id } = request.params as { id: string }
      if (!isUuid(id)) throw new NotFound()
      const childId = await changeAction(deps.db, request.user!, request.ip, id, form.value, deps.now())
      return reply.redirect(`/children/${childId}`, 303)
    })

    app.get('/my-work', access, async (request, reply) => {
      const user = request.user!
      const page = pageNumber((request.query as Record<string, string>).page)
      const data = await withTenant(deps.db, tenant(request), async (tx) => ({
        actions: await q.listMyActions(tx, user.id, user.organisationId, PAGE_SIZE, (page - 1) * PAGE_SIZE),
        withoutAction: await q.listCasesWithoutNextAction(tx, user.id, 50),
      }))
      return reply.page('actions/views/my-work.njk', {
        title: 'My work', actions: data.actions.rows, withoutAction: data.withoutAction, today: today(), pager: pagination('/my-work', {}, page, data.actions.total),
      })
    })

    app.get('/actions/overdue', access, async (request, reply) => {
      const page = pageNumber((request.query as Record<string, string>).page)
      const result = await withTenant(deps.db, tenant(request), (tx) => q.listOverdue(tx, today(), PAGE_SIZE, (page - 1) * PAGE_SIZE))
      return reply.page('actions/views/overdue.njk', { title: 'Overdue actions', actions: result.rows, today: today(), pager: pagination('/actions/overdue', {}, page, result.total) })
    })
  }
}
