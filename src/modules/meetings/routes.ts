import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../app.ts'
import { withTenant } from '../../platform/db.ts'
import { formError, noFields, parseForm, withDates, type FormErrors } from '../../platform/forms.ts'
import { isUuid } from '../../platform/ids.ts'
import { Conflict, NotFound } from '../../platform/errors.ts'
import { meetingPdf } from './pdf.ts'
import { loadCalendarInTx } from '../calendar/service.ts'
import { formatDate } from '../../platform/views.ts'
import { csvLine } from '../../platform/csv.ts'
import { SEND_EMAIL_JOB } from '../../platform/mail.ts'
import { ownerChoices } from '../actions/queries.ts'
import { findCaseSummary } from '../register/case-queries.ts'
import { ORGANISE, TAKE_PART } from './policy.ts'
import { addItemForm, amendForm, attendanceStatus, itemForm, meetingForm, referForm, removeForm, RULE_LABELS, rulesForm, seriesForm } from './forms.ts'
import {
  addAgendaItem, amendMinutes, approveMinutes, findCasesForAgenda, changeAgenda, exportActionLog, changeRules, closeMeeting, createSeries, DEFAULT_RULES, getItem, getSeries, KIND_LABELS, listAllSeries, peopleAndSeries,
  planMeeting, recordAttendance, recordPdfExport, statisticsPack, recordItemOutcome, referToMeeting, viewMeeting,
} from './service.ts'
import type { AgendaRules } from './queries.ts'

const SCHEDULE_LABELS = { weekly: 'Every week', termly: 'Three times a year, once in each school term', as_needed: 'When needed' } as const
const STATE_LABELS = { planned: 'Planned', closed: 'Closed, minutes to approve', approved: 'Minutes approved' } as const

function param(request: FastifyRequest, name = 'id'): string {
  const value = (request.params as Record<string, string>)[name]
  if (!isUuid(value)) throw new NotFound()
  return value
}

const ruleItems = (values: Record<string, unknown>) =>
  Object.entries(RULE_LABELS).map(([value, text]) => ({ value: 'on', name: value, text, checked: Boolean(values[value]) }))

/** CME panels and weekly officer meetings (issue 5): series, agendas that build themselves, items, minutes. */
export function meetingRoutes(deps: Deps): FastifyPluginAsync {
  const part = { config: { access: TAKE_PART } }
  const organise = { config: { access: ORGANISE } }
  const today = () => deps.now().toISOString().slice(0, 10)
  const tenant = (request: FastifyRequest) => ({ laId: request.user!.laId, userId: request.user!.id })

  return async (app) => {
    app.get('/meetings', part, async (request, reply) => {
      const series = await listAllSeries(deps.db, request.user!, today())
      return reply.page('meetings/views/index.njk', { title: 'Meetings', series, kindLabels: KIND_LABELS, canOrganise: ORGANISE.kind === 'user' && ORGANISE.allow(request.user!) })
    })

    const seriesPage = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, errors?: FormErrors) => {
      const { people } = await peopleAndSeries(deps.db, request.user!)
      const members = ([] as unknown[]).concat(values.memberIds ?? [])
      return reply.page('meetings/views/series-new.njk', {
        title: 'Set up a meeting series', values, errors, backLink: '/meetings', rules: ruleItems(values),
        chairs: [{ value: '', text: 'Choose the chair' }, ...people.map((p) => ({ ...p, selected: values.chairUserId === p.value }))],
        members: people.map((p) => ({ ...p, checked: members.includes(p.value) })),
        kinds: Object.entries(KIND_LABELS).map(([value, text]) => ({ value, text, checked: values.kind === value })),
        schedules: Object.entries(SCHEDULE_LABELS).map(([value, text]) => ({ value, text, checked: values.schedule === value })),
      }, errors ? 400 : 200)
    }
    app.get('/meetings/series/new', organise, async (request, reply) => seriesPage(request, reply, { ...DEFAULT_RULES, quorum: '3' }))
    app.post('/meetings/series', organise, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(seriesForm, body)
      if (!form.ok) return seriesPage(request, reply, body, form.errors)
      const { name, kind, schedule, chairUserId, quorum, memberIds, ...rules } = form.value
      const result = await createSeries(deps.db, request.user!, request.ip, { name, kind, schedule, chairUserId, quorum, memberIds, agendaRules: rules as AgendaRules }, deps.now())
      if (!result.ok) return seriesPage(request, reply, body, formError(result.field, result.message))
      return reply.redirect(`/meetings/series/${result.id}`, 303)
    })

    const showSeries = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown> = {}, errors?: FormErrors, form?: 'meeting' | 'rules') => {
      const data = await getSeries(deps.db, request.user!, param(request), deps.now())
      return reply.page('meetings/views/series.njk', {
        title: data.series.name, ...data, values, errors, form, backLink: '/meetings', kindLabels: KIND_LABELS, scheduleLabels: SCHEDULE_LABELS, stateLabels: STATE_LABELS,
        isChair: data.series.chairUserId === request.user!.id, rules: ruleItems(form === 'rules' ? values : data.series.agendaRules),
        missingSchoolDays: form === 'rules' ? values.missingSchoolDays : data.series.agendaRules.missingSchoolDays,
      }, errors ? 400 : 200)
    }
    app.get('/meetings/series/:id', part, async (request, reply) => showSeries(request, reply))
    app.post('/meetings/series/:id/rules', part, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(rulesForm, body)
      if (!form.ok) return showSeries(request, reply, body, form.errors, 'rules')
      await changeRules(deps.db, request.user!, request.ip, param(request), form.value, deps.now())
      return reply.redirect(`/meetings/series/${param(request)}`, 303)
    })
    app.post('/meetings/series/:id/meetings', part, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(meetingForm(today()), withDates(body, ['heldOn']))
      if (!form.ok) return showSeries(request, reply, body, form.errors, 'meeting')
      const result = await planMeeting(deps.db, request.user!, request.ip, param(request), form.value.heldOn, deps.now())
      if (!result.ok) return showSeries(request, reply, body, formError('heldOn', result.message), 'meeting')
      return reply.redirect(`/meetings/${result.id}`, 303)
    })

    const meetingPage = async (request: FastifyRequest, reply: FastifyReply, problems?: string[], addErrors?: FormErrors, addValues: Record<string, unknown> = {}) => {
      const data = await viewMeeting(deps.db, request.user!, request.ip, param(request), deps.now())
      const query = request.query as Record<string, string | undefined>
      const find = (query.find ?? '').trim().slice(0, 100)
      const found = data.isChair && data.meeting.state === 'planned' && find.length >= 2 ? await findCasesForAgenda(deps.db, request.user!, find) : undefined
      return reply.page('meetings/views/meeting.njk', {
        title: `${data.meeting.seriesName}, ${formatDate(data.meeting.heldOn)}`, ...data, stateLabels: STATE_LABELS, backLink: `/meetings/series/${data.meeting.seriesId}`,
        errors: problems ? { summary: problems.map((text) => ({ text, href: '#agenda' })), fields: {} } : addErrors, find, found, addValues,
        flash: query.saved ? 'Saved.' : query.closed ? 'The meeting is closed. The chair can now approve the minutes.' : query.approved ? 'The minutes are approved.' : undefined,
      }, problems || addErrors ? 400 : 200)
    }
    app.get('/meetings/:id', part, async (request, reply) => meetingPage(request, reply))
    app.post('/meetings/:id/items', part, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(addItemForm, body)
      if (!form.ok) return meetingPage(request, reply, undefined, form.errors, body)
      await addAgendaItem(deps.db, request.user!, request.ip, param(request), form.value, deps.now())
      return reply.redirect(`/meetings/${param(request)}?saved=1#agenda`, 303)
    })
    app.post('/meetings/:id/attendance', part, async (request, reply) => {
      const body = request.body as Record<string, string>
      const rows = Object.keys(body).filter((k) => k.startsWith('status-')).map((k) => {
        const userId = k.slice(7)
        const status = attendanceStatus.safeParse(body[k])
        const declaration = (body[`declaration-${userId}`] ?? '').trim().slice(0, 1000)
        return isUuid(userId) && status.success ? { userId, status: status.data, declaration: declaration || null } : undefined
      }).filter((r): r is NonNullable<typeof r> => Boolean(r))
      await recordAttendance(deps.db, request.user!, request.ip, param(request), rows, deps.now())
      return reply.redirect(`/meetings/${param(request)}?saved=1#attendance`, 303)
    })
    app.post('/meetings/:id/close', part, async (request, reply) => {
      parseForm(noFields, request.body)
      const result = await closeMeeting(deps.db, request.user!, request.ip, param(request), deps.now())
      if (!result.ok) return meetingPage(request, reply, result.problems)
      return reply.redirect(`/meetings/${param(request)}?closed=1`, 303)
    })
    app.post('/meetings/:id/approve', part, async (request, reply) => {
      parseForm(noFields, request.body)
      await approveMinutes(deps.db, request.user!, request.ip, param(request), deps.config.baseUrl, deps.now())
      await deps.jobs.send(SEND_EMAIL_JOB)
      return reply.redirect(`/meetings/${param(request)}?approved=1`, 303)
    })

    app.post('/meetings/:id/amendments', part, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(amendForm, body)
      if (!form.ok) {
        const data = await viewMeeting(deps.db, request.user!, request.ip, param(request), deps.now())
        return reply.page('meetings/views/meeting.njk', { title: `${data.meeting.seriesName}, ${formatDate(data.meeting.heldOn)}`, ...data, stateLabels: STATE_LABELS,
          backLink: `/meetings/series/${data.meeting.seriesId}`, errors: form.errors, values: body }, 400)
      }
      await amendMinutes(deps.db, request.user!, request.ip, param(request), form.value, deps.now())
      return reply.redirect(`/meetings/${param(request)}?saved=1#amendments`, 303)
    })
    // The agenda pack at any time; the minutes once approved. Each copy is an export of children's details, so audited.
    app.get('/meetings/:id/:kind.pdf', part, async (request, reply) => {
      const kind = (request.params as Record<string, string>).kind
      if (kind !== 'agenda' && kind !== 'minutes') throw new NotFound()
      const data = await viewMeeting(deps.db, request.user!, request.ip, param(request), deps.now())
      if (kind === 'minutes' && data.meeting.state !== 'approved') throw new Conflict('The minutes can be downloaded once the chair has approved them')
      const user = request.user!
      const pdf = await meetingPdf(kind, data, user.laName, { name: user.displayName, organisation: user.organisationName, at: deps.now() })
      await recordPdfExport(deps.db, user, request.ip, data.meeting.id, kind, deps.now())
      return reply.header('content-type', 'application/pdf').header('content-disposition', `attachment; filename="${kind}-${data.meeting.heldOn}.pdf"`)
        .header('cache-control', 'no-store').send(pdf)
    })
    app.get('/meetings/:id/statistics', part, async (request, reply) => {
      const pack = await statisticsPack(deps.db, request.user!, param(request), deps.now())
      return reply.page('meetings/views/statistics.njk', { title: `Statistics for the ${pack.meeting.seriesName}, ${formatDate(pack.meeting.heldOn)}`, pack, backLink: `/meetings/${pack.meeting.id}` })
    })
    app.get('/meetings/:id/actions.csv', part, async (request, reply) => {
      const { meeting, rows } = await exportActionLog(deps.db, request.user!, request.ip, param(request), deps.now())
      const head = ['Child', 'Decision', 'Action', 'Owner', 'Due', 'Priority', 'Status', 'Outcome']
      const body = csvLine(head) + rows.map((r) => csvLine([r.childName, r.decision, r.title, r.ownerLabel, r.dueOn, r.priority, r.status, r.outcome])).join('')
      return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="actions-${meeting.heldOn}.csv"`)
        .header('cache-control', 'no-store').send(`\ufeff${body}`)
    })

    const itemPage = async (request: FastifyRequest, reply: FastifyReply, values?: Record<string, unknown>, errors?: FormErrors, status = 200) => {
      const data = await getItem(deps.db, request.user!, request.ip, param(request, 'itemId'), deps.now())
      const owners = await withTenant(deps.db, tenant(request), (tx) => ownerChoices(tx, values?.owner))
      const v = values ?? { notes: data.item.notes, outcome: data.item.outcome, decision: data.item.decision, rationale: data.item.rationale, dueMode: 'date', priority: 'normal' }
      return reply.page('meetings/views/item.njk', { title: data.item.childName, ...data, owners, values: v, errors, backLink: `/meetings/${data.meeting.id}#item-${data.item.id}` }, errors ? status === 200 ? 400 : status : status)
    }
    app.get('/meetings/:id/items/:itemId', part, async (request, reply) => itemPage(request, reply))
    app.post('/meetings/:id/items/:itemId', part, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const calendar = await withTenant(deps.db, tenant(request), (tx) => loadCalendarInTx(tx))
      const form = parseForm(itemForm(today(), calendar), withDates(body, ['dueOn']))
      if (!form.ok) return itemPage(request, reply, body, form.errors)
      try {
        const meetingId = await recordItemOutcome(deps.db, request.user!, request.ip, param(request, 'itemId'), form.value, deps.now())
        return reply.redirect(`/meetings/${meetingId}?saved=1#item-${param(request, 'itemId')}`, 303)
      } catch (err) {
        if (err instanceof Error && 'statusCode' in err && err.statusCode === 409) return itemPage(request, reply, body, formError('outcome', err.message), 409)
        throw err
      }
    })
    app.post('/meetings/:id/items/:itemId/remove', part, async (request, reply) => {
      const form = parseForm(removeForm, request.body)
      if (!form.ok) return itemPage(request, reply, request.body as Record<string, unknown>, form.errors)
      const meetingId = await changeAgenda(deps.db, request.user!, request.ip, param(request, 'itemId'), { remove: form.value.reason }, deps.now())
      return reply.redirect(`/meetings/${meetingId}?saved=1#agenda`, 303)
    })
    app.post('/meetings/:id/items/:itemId/move', part, async (request, reply) => {
      const direction = (request.body as Record<string, string>).direction
      if (direction !== 'up' && direction !== 'down') throw new NotFound()
      const meetingId = await changeAgenda(deps.db, request.user!, request.ip, param(request, 'itemId'), { move: direction }, deps.now())
      return reply.redirect(`/meetings/${meetingId}#item-${param(request, 'itemId')}`, 303)
    })

    const referPage = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, errors?: FormErrors) => {
      const caseId = param(request, 'caseId')
      const data = await withTenant(deps.db, tenant(request), async (tx) => findCaseSummary(tx, caseId))
      if (!data) throw new NotFound()
      const { series } = await peopleAndSeries(deps.db, request.user!)
      return reply.page('meetings/views/refer.njk', {
        title: 'Refer to a meeting', case: data, values, errors, backLink: `/children/${data.childId}`,
        series: [{ value: '', text: 'Choose a meeting series' }, ...series.map((s) => ({ value: s.id, text: s.name, selected: values.seriesId === s.id }))],
      }, errors ? 400 : 200)
    }
    app.get('/cases/:caseId/refer-to-meeting', organise, async (request, reply) => referPage(request, reply, {}))
    app.post('/cases/:caseId/refer-to-meeting', organise, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(referForm, body)
      if (!form.ok) return referPage(request, reply, body, form.errors)
      const childId = await referToMeeting(deps.db, request.user!, request.ip, param(request, 'caseId'), form.value, deps.now())
      return reply.redirect(`/children/${childId}`, 303)
    })
  }
}
