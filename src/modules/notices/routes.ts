import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../app.ts'
import { withTenant } from '../../platform/db.ts'
import { parseForm, toFormErrors, withDates, type FormErrors } from '../../platform/forms.ts'
import { isUuid } from '../../platform/ids.ts'
import { hasRole } from '../../platform/access.ts'
import { NotFound } from '../../platform/errors.ts'
import { PAGE_SIZE, pageNumber, pagination } from '../../platform/pagination.ts'
import { REGISTER_TYPE_LABELS, STATUS_LABELS } from '../register/queries.ts'
import { GROUNDS, GROUND_INFO, groundLabel } from './grounds.ts'
import { newPupilNoticeSchema, processNoticeForm, removalNoticeSchema } from './forms.ts'
import { PROCESS_NOTICES, READ_NOTICES, SEND_NOTICES, VIEW_NOTICE } from './policy.ts'
import * as q from './queries.ts'
import { noticeRules, processNotice, schoolOf, submitNotice, viewNotice } from './service.ts'

const REMOVAL_DATES = ['dateOfBirth', 'deletionDate', 'futureSchoolStart', 'jointEnquiriesOn', 'absenceFrom', 'absenceTo']
const NEW_PUPIL_DATES = ['dateOfBirth', 'startDate']
const labels = { stateLabels: q.NOTICE_STATE_LABELS, kindLabels: q.NOTICE_KIND_LABELS, statusLabels: STATUS_LABELS }

/** Schools' statutory notices to the LA (removal from roll, new pupil) and the CME team's inbox for them. */
export function noticeRoutes(deps: Deps): FastifyPluginAsync {
  const tenant = (request: FastifyRequest) => ({ laId: request.user!.laId, userId: request.user!.id })
  const groundItems = (chosen: unknown) => GROUNDS.map((g) => ({ value: g, text: groundLabel(g), checked: g === chosen,
    hint: GROUND_INFO[g].jointEnquiries ? { text: 'Only after the school and the LA have made reasonable enquiries together' } : undefined }))

  return async (app) => {
    app.get('/notices', { config: { access: SEND_NOTICES } }, async (request, reply) => {
      const page = pageNumber((request.query as Record<string, string>).page)
      const data = await withTenant(deps.db, tenant(request), async (tx) => {
        const school = await schoolOf(tx, request.user!)
        return { school, ...(await q.listSchoolNotices(tx, school.id, PAGE_SIZE, (page - 1) * PAGE_SIZE)) }
      })
      const sent = (request.query as Record<string, string>).sent
      return reply.page('notices/views/school-list.njk', { title: 'Notices to the LA', school: data.school, notices: data.rows, ...labels,
        pager: pagination('/notices', {}, page, data.total), flash: sent ? 'Notice sent to the Children Missing Education team.' : undefined })
    })

    const removalPage = (reply: FastifyReply, values: Record<string, unknown>, errors?: FormErrors) =>
      reply.page('notices/views/removal.njk', { title: 'Tell the LA about a pupil leaving your roll', values, errors, grounds: groundItems(values.ground) }, errors ? 400 : 200)
    app.get('/notices/removal/new', { config: { access: SEND_NOTICES } }, async (request, reply) => {
      await withTenant(deps.db, tenant(request), (tx) => schoolOf(tx, request.user!))
      return removalPage(reply, {})
    })
    app.post('/notices/removal', { config: { access: SEND_NOTICES } }, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const rules = await noticeRules(deps.db, request.user!, deps.now())
      const form = parseForm(removalNoticeSchema(rules), withDates(body, REMOVAL_DATES))
      if (!form.ok) return removalPage(reply, body, form.errors)
      await submitNotice(deps.db, request.user!, request.ip, 'removal', form.value, rules, deps.now())
      return reply.redirect('/notices?sent=1', 303)
    })

    const newPupilPage = (reply: FastifyReply, values: Record<string, unknown>, errors?: FormErrors) =>
      reply.page('notices/views/new-pupil.njk', { title: 'Tell the LA about a new pupil', values, errors }, errors ? 400 : 200)
    app.get('/notices/new-pupil/new', { config: { access: SEND_NOTICES } }, async (request, reply) => {
      await withTenant(deps.db, tenant(request), (tx) => schoolOf(tx, request.user!))
      return newPupilPage(reply, {})
    })
    app.post('/notices/new-pupil', { config: { access: SEND_NOTICES } }, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const rules = await noticeRules(deps.db, request.user!, deps.now())
      const form = parseForm(newPupilNoticeSchema(rules), withDates(body, NEW_PUPIL_DATES))
      if (!form.ok) return newPupilPage(reply, body, form.errors)
      await submitNotice(deps.db, request.user!, request.ip, 'new_pupil', form.value, rules, deps.now())
      return reply.redirect('/notices?sent=1', 303)
    })

    app.get('/notices/inbox', { config: { access: READ_NOTICES } }, async (request, reply) => {
      const query = request.query as Record<string, string | undefined>
      const state = (q.NOTICE_STATES as readonly string[]).includes(query.state ?? '') ? (query.state as q.NoticeState) : undefined
      const kind = query.kind === 'removal' || query.kind === 'new_pupil' ? query.kind : undefined
      const page = pageNumber(query.page)
      const result = await withTenant(deps.db, tenant(request), (tx) => q.listInbox(tx, { state, kind, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }))
      const filters = { state, kind }
      return reply.page('notices/views/inbox.njk', { title: 'Notices from schools', notices: result.rows, filters, states: q.NOTICE_STATES, ...labels,
        pager: pagination('/notices/inbox', filters, page, result.total) })
    })

    const noticePage = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, errors?: FormErrors) => {
      const { id } = request.params as { id: string }
      if (!isUuid(id)) throw new NotFound()
      const user = request.user!
      const view = await viewNotice(deps.db, user, request.ip, id, deps.now())
      const officer = hasRole(user, 'cme_officer', 'auditor')
      return reply.page('notices/views/notice.njk', {
        title: `${q.NOTICE_KIND_LABELS[view.notice.kind]} notice`, ...view, ...labels, officer, canProcess: hasRole(user, 'cme_officer'),
        ground: view.notice.ground ? { label: groundLabel(view.notice.ground), info: GROUND_INFO[view.notice.ground as keyof typeof GROUND_INFO] } : undefined,
        typeLabels: REGISTER_TYPE_LABELS, values: { version: view.notice.version, ...values }, errors,
        backLink: officer ? '/notices/inbox' : '/notices',
      }, errors ? 400 : 200)
    }
    app.get('/notices/:id', { config: { access: VIEW_NOTICE } }, async (request, reply) => noticePage(request, reply, {}))
    app.post('/notices/:id/process', { config: { access: PROCESS_NOTICES } }, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(processNoticeForm, body)
      if (!form.ok) return noticePage(request, reply, body, form.errors)
      const { id } = request.params as { id: string }
      if (!isUuid(id)) throw new NotFound()
      const result = await processNotice(deps.db, request.user!, request.ip, id, form.value, deps.now())
      if (!result.ok) return noticePage(request, reply, body, toFormErrors([{ path: [result.field], message: result.message }]))
      return reply.redirect(`/children/${result.childId}`, 303)
    })
  }
}
