import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { Deps } from '../../app.ts'
import { withTenant } from '../../platform/db.ts'
import { parseForm, text, toFormErrors, withDates } from '../../platform/forms.ts'
import { isUuid } from '../../platform/ids.ts'
import { NotFound } from '../../platform/errors.ts'
import { PAGE_SIZE, pageNumber, pagination } from '../../platform/pagination.ts'
import { MAKE_REFERRAL, VIEW_REGISTER, WORK_CASES } from './policy.ts'
import { CONCERNS, CONCERN_LABELS, referralForm } from './forms.ts'
import { EVENT_KIND_LABELS, FLAG_LABELS, REGISTER_TYPES, REGISTER_TYPE_LABELS, STATUSES, STATUS_LABELS, deleteSavedView, insertSavedView, listReferralsBy, listReferringOrganisations, listRegister, listSavedViews } from './queries.ts'
import { FILTER_NAMES, filterQuery, parseRegisterFilter, SORT_LABELS } from './filters.ts'
import { listOfficers, listReasons } from './case-queries.ts'
import { BARRIER_LABELS } from '../placement/queries.ts'
import { makeReferral, MergedRecord, viewChild } from './service.ts'
import { missingClock } from './clock.ts'
import { loadCalendarInTx } from '../calendar/service.ts'

const concernItems = (chosen: unknown) => {
  const list = Array.isArray(chosen) ? chosen : chosen ? [chosen] : []
  return CONCERNS.map((c) => ({ value: c, text: CONCERN_LABELS[c], checked: list.includes(c) }))
}

const savedViewForm = z.object({ name: text('Enter a name for the view', 80, 'Keep the name to 80 characters or fewer') })
const stringsOf = (body: Record<string, unknown>) => Object.fromEntries(FILTER_NAMES.map((k) => [k, typeof body[k] === 'string' ? body[k] : undefined]))

/** Referrals from any practitioner, the register of children missing education, and the child's page. */
export function registerRoutes(deps: Deps): FastifyPluginAsync {
  const today = () => deps.now().toISOString().slice(0, 10)
  return async (app) => {
    app.get('/referrals/new', { config: { access: MAKE_REFERRAL } }, async (_request, reply) =>
      reply.page('register/views/referral.njk', { title: 'Refer a child who may be missing education', values: {}, concerns: concernItems([]) }))

    app.post('/referrals', { config: { access: MAKE_REFERRAL } }, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const today = deps.now().toISOString().slice(0, 10)
      const form = parseForm(referralForm(today), withDates(body, ['dateOfBirth', 'dateLastInEducation', 'dateLastSeen']))
      if (!form.ok) {
        return reply.page('register/views/referral.njk', { title: 'Refer a child who may be missing education', values: body, errors: form.errors, concerns: concernItems(body.concerns) }, 400)
      }
      await makeReferral(deps.db, request.user!, request.ip, form.value, deps.now())
      return reply.redirect('/referrals?done=1', 303)
    })

    app.get('/referrals', { config: { access: MAKE_REFERRAL } }, async (request, reply) => {
      const user = request.user!
      const referrals = await withTenant(deps.db, { laId: user.laId, userId: user.id }, (tx) => listReferralsBy(tx, user.id))
      const done = (request.query as Record<string, string>).done
      return reply.page('register/views/my-referrals.njk', { title: 'Your referrals', referrals, statusLabels: STATUS_LABELS, flash: done ? 'Referral sent. The Children Missing Education team will look at it.' : undefined })
    })

    app.get('/register', { config: { access: VIEW_REGISTER } }, async (request, reply) => {
      const user = request.user!
      const query = request.query as Record<string, string | undefined>
      const filter = parseRegisterFilter(query, deps.now().toISOString().slice(0, 10))
      const page = pageNumber(query.page)
      const today = deps.now().toISOString().slice(0, 10)
      const result = await withTenant(deps.db, { laId: user.laId, userId: user.id }, async (tx) => {
        const found = await listRegister(tx, { ...filter, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE })
        const calendar = await loadCalendarInTx(tx)
        const options = { reasons: await listReasons(tx), officers: await listOfficers(tx), schools: await listReferringOrganisations(tx), savedViews: await listSavedViews(tx, user.id) }
        const rows = found.rows.map((r) => ({ ...r, clock: missingClock(calendar, r.dateLastInEducation ?? new Date(r.openedAt).toISOString().slice(0, 10), today) }))
        return { rows, total: found.total, options }
      })
      const filters = filterQuery(filter)
      return reply.page('register/views/register.njk', {
        title: 'Register', cases: result.rows, filters, statusLabels: STATUS_LABELS, typeLabels: REGISTER_TYPE_LABELS, canWork: WORK_CASES.kind === 'user' && WORK_CASES.allow(request.user!),
        statuses: STATUSES, types: REGISTER_TYPES, ...result.options, flagLabels: FLAG_LABELS, sortLabels: SORT_LABELS, pager: pagination('/register', filters, page, result.total),
        exportHref: `/register/export?${new URLSearchParams(Object.entries(filters).filter((e): e is [string, string] => Boolean(e[1]))).toString()}`,
      })
    })

    // Saved views: an officer's named filters, kept as the query string the register reads.
    const registerWithError = async (request: FastifyRequest, reply: FastifyReply, message: string) => {
      const body = request.body as Record<string, unknown>
      const back = new URLSearchParams(Object.entries(filterQuery(parseRegisterFilter(stringsOf(body), today()))).filter((e): e is [string, string] => Boolean(e[1])))
      return reply.page('register/views/view-error.njk', { title: 'Save this view', errors: toFormErrors([{ path: ['name'], message }]), values: body, back: `/register?${back}` }, 400)
    }
    app.post('/register/views', { config: { access: VIEW_REGISTER } }, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(savedViewForm, body)
      if (!form.ok) return registerWithError(request, reply, form.errors.summary[0].text)
      const user = request.user!
      const query = new URLSearchParams(Object.entries(filterQuery(parseRegisterFilter(stringsOf(body), today()))).filter((e): e is [string, string] => Boolean(e[1]))).toString()
      const saved = await withTenant(deps.db, { laId: user.laId, userId: user.id }, (tx) => insertSavedView(tx, user.laId, { userId: user.id, name: form.value.name, query }))
      if (!saved) return registerWithError(request, reply, 'You already have a view with this name. Choose another name')
      return reply.redirect(`/register?${query}`, 303)
    })
    app.post('/register/views/:id/delete', { config: { access: VIEW_REGISTER } }, async (request, reply) => {
      const { id } = request.params as { id: string }
      if (!isUuid(id)) throw new NotFound()
      const user = request.user!
      const deleted = await withTenant(deps.db, { laId: user.laId, userId: user.id }, (tx) => deleteSavedView(tx, user.id, id))
      if (!deleted) throw new NotFound()
      return reply.redirect('/register', 303)
    })

    app.get('/children/:id', { config: { access: VIEW_REGISTER } }, async (request, reply) => {
      const { id } = request.params as { id: string }
      if (!isUuid(id)) throw new NotFound()
      const kind = (request.query as Record<string, string | undefined>).events
      const eventKind = kind && /^[a-z_]{1,40}$/.test(kind) ? kind : undefined
      let view
      try {
        view = await viewChild(deps.db, request.user!, request.ip, id, deps.now(), eventKind)
      } catch (err) {
        if (err instanceof MergedRecord) return reply.redirect(`/children/${err.into}?from=merged`, 303)
        throw err
      }
      const query = request.query as Record<string, string | undefined>
      const flash = query.merged ? 'The records were merged. You can undo this below.' : query.unmerged ? 'The merge was undone: this is a separate record again.'
        : query.from === 'merged' ? 'The record you asked for was merged into this one.' : undefined
      return reply.page('register/views/child.njk', { flash,
        title: `${view.child.forename} ${view.child.surname}`, ...view, statusLabels: STATUS_LABELS, typeLabels: REGISTER_TYPE_LABELS, backLink: '/register',
        canWork: WORK_CASES.kind === 'user' && WORK_CASES.allow(request.user!), flagLabels: FLAG_LABELS, barrierLabels: BARRIER_LABELS, eventKindLabels: EVENT_KIND_LABELS, eventKind, today: deps.now().toISOString().slice(0, 10),
      })
    })
  }
}
