import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { Deps } from '../../app.ts'
import { formError, parseForm, withDates, type FormErrors } from '../../platform/forms.ts'
import { VIEW_REGISTER } from '../register/policy.ts'
import { FLAG_LABELS, REGISTER_TYPE_LABELS, STATUS_LABELS, type CaseStatus } from '../register/queries.ts'
import { FILTER_NAMES, filterQuery, parseRegisterFilter, type RegisterFilter } from '../register/filters.ts'
import { censusDate, dfeReturnForm, exportForm, linkToDay } from './forms.ts'
import { openCasesChart } from './chart.ts'
import {
  EXPORT_LIMIT, countForExport, exportDfeReturn, exportRegister, latestCensusDate, loadDashboard, previewDfeReturn, ukToday, type DfeReturn,
} from './service.ts'

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

const dateParts = (iso: string) => {
  const [year, month, day] = iso.split('-')
  return { 'census-day': String(Number(day)), 'census-month': String(Number(month)), 'census-year': year }
}

const queryString = (f: RegisterFilter) =>
  new URLSearchParams(Object.entries(filterQuery(f)).filter((e): e is [string, string] => Boolean(e[1]))).toString()

/** The filters in words, for the export page. */
const describeFilter = (f: RegisterFilter) => [
  { key: { text: 'Status' }, value: { text: f.status === 'open' ? 'All open cases' : STATUS_LABELS[f.status as CaseStatus] } },
  { key: { text: 'Register' }, value: { text: f.registerType ? REGISTER_TYPE_LABELS[f.registerType] : 'All registers' } },
  { key: { text: 'Risk' }, value: { text: f.risk === 'high' ? 'High' : f.risk === 'standard' ? 'Standard' : 'All' } },
  { key: { text: 'Name, UPN or NHS number' }, value: { text: f.search ?? 'Any' } },
  ...(f.reason ? [{ key: { text: 'Reason' }, value: { text: f.reason } }] : []),
  ...(f.officer ? [{ key: { text: 'Officer' }, value: { text: f.officer === 'none' ? 'Nobody yet' : 'One officer' } }] : []),
  ...(f.school ? [{ key: { text: 'School or referrer' }, value: { text: 'One organisation' } }] : []),
  ...(f.year !== undefined ? [{ key: { text: 'Year group' }, value: { text: f.year === 0 ? 'Reception' : `Year ${f.year}` } }] : []),
  ...(f.flag ? [{ key: { text: 'Known to other services' }, value: { text: FLAG_LABELS[f.flag] } }] : []),
  ...(f.band ? [{ key: { text: 'Time missing' }, value: { text: f.band === 'over_12_weeks' ? 'More than 12 weeks' : '12 weeks or less' } }] : []),
]

const stringsOf = (body: Record<string, unknown>) =>
  Object.fromEntries(FILTER_NAMES.map((k) => [k, typeof body[k] === 'string' ? body[k] : undefined]))

/** The CME team's dashboard, the termly DfE return, and exports of the register. */
export function reportRoutes(deps: Deps): FastifyPluginAsync {
  const access = { config: { access: VIEW_REGISTER } }
  return async (app) => {
    app.get('/dashboard', access, async (request, reply) => {
      const dashboard = await loadDashboard(deps.db, request.user!, deps.now())
      return reply.page('reports/views/dashboard.njk', {
        title: 'Dashboard', ...dashboard, chart: openCasesChart(dashboard.trend), typeLabels: REGISTER_TYPE_LABELS, statusLabels: STATUS_LABELS,
      })
    })

    const returnPage = (reply: FastifyReply, model: { values: Record<string, unknown>; errors?: FormErrors; figures?: DfeReturn }) =>
      reply.page('reports/views/dfe-return.njk', { title: 'Termly return to the DfE', backLink: '/dashboard', ...model }, model.errors ? 400 : 200)

    app.get('/reports/dfe-return', access, async (request, reply) => {
      const query = request.query as Record<string, string | undefined>
      const today = ukToday(deps.now())
      if (!query.census && !query['census-day'] && !query['census-month'] && !query['census-year']) {
        return returnPage(reply, { values: dateParts(latestCensusDate(today)) })
      }
      const form = parseForm(z.object({ census: censusDate(today) }), withDates(query, ['census']))
      const typed = /^\d{4}-\d{2}-\d{2}$/.test(query.census ?? '') ? dateParts(query.census!) : query
      if (!form.ok) return returnPage(reply, { values: typed, errors: linkToDay(form.errors, 'census') })
      const figures = await previewDfeReturn(deps.db, request.user!, form.value.census)
      return returnPage(reply, { values: dateParts(form.value.census), figures })
    })

    app.post('/reports/dfe-return', access, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(dfeReturnForm(ukToday(deps.now())), withDates(body, ['census']))
      if (!form.ok) return returnPage(reply, { values: body, errors: linkToDay(form.errors, 'census') })
      const { census, action } = form.value
      if (action === 'preview') return reply.redirect(`/reports/dfe-return?census=${census}#figures`, 303)
      const csv = await exportDfeReturn(deps.db, request.user!, request.ip, census, deps.now())
      return reply.header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="cme-return-${census}.csv"`).send(csv)
    })

    const exportPage = async (request: FastifyRequest, reply: FastifyReply, filter: RegisterFilter, values: Record<string, unknown>, errors?: FormErrors) => {
      const matching = await countForExport(deps.db, request.user!, filter)
      const query = queryString(filter)
      return reply.page('reports/views/export.njk', {
        title: 'Export cases from the register', filterRows: describeFilter(filter), filters: filterQuery(filter), matching, limit: EXPORT_LIMIT.toLocaleString('en-GB'),
        tooMany: matching > EXPORT_LIMIT, values, errors, backLink: `/register${query ? `?${query}` : ''}`,
      }, errors ? 400 : 200)
    }

    app.get('/register/export', access, async (request, reply) =>
      exportPage(request, reply, parseRegisterFilter(request.query as Record<string, string | undefined>, deps.now().toISOString().slice(0, 10)), {}))

    app.post('/register/export', access, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const filter = parseRegisterFilter(stringsOf(body), deps.now().toISOString().slice(0, 10))
      const form = parseForm(exportForm, body)
      if (!form.ok) return exportPage(request, reply, filter, body, form.errors)
      const result = await exportRegister(deps.db, request.user!, request.ip, { filter, reason: form.value.reason, format: form.value.format }, deps.now())
      if (!result.ok) {
        const message = `More than ${EXPORT_LIMIT.toLocaleString('en-GB')} cases match these filters. Go back to the register and narrow the filters, then export again`
        return exportPage(request, reply, filter, body, formError('filters', message))
      }
      const stamp = ukToday(deps.now())
      const xlsx = form.value.format === 'xlsx'
      return reply.header('content-type', xlsx ? XLSX_TYPE : 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="cme-register-${stamp}.${xlsx ? 'xlsx' : 'csv'}"`).send(result.body)
    })
  }
}
