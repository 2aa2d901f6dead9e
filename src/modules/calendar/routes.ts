import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import type { z } from 'zod'
import type { Deps } from '../../app.ts'
import { withTenant } from '../../platform/db.ts'
import { actorOf } from '../../platform/authenticate.ts'
import { dateFields, formError, noFields, parseForm, toFormErrors, withDates } from '../../platform/forms.ts'
import { isUuid } from '../../platform/ids.ts'
import { NotFound } from '../../platform/errors.ts'
import { EDIT_CALENDAR, VIEW_CALENDAR } from './policy.ts'
import { bankHolidayForm, closureForm, termForm } from './forms.ts'
import { listBankHolidays, listClosures, listTerms, loadCalendar } from './queries.ts'
import * as calendar from './service.ts'

const CLOSURE_KINDS = [
  { value: 'half_term', text: 'Half term or holiday inside a term' },
  { value: 'inset', text: 'INSET (training) day' },
  { value: 'closure', text: 'Other closure' },
]

function readCalculator(query: Record<string, string | undefined>) {
  const from = dateFields(query, 'from')
  const to = dateFields(query, 'to')
  const daysText = query.days?.trim()
  const issues: { path: string[]; message: string }[] = []
  if (from === undefined && to === undefined && !daysText) return { asked: false as const }
  if (!from) issues.push({ path: ['from'], message: 'Enter the start date' })
  if (from === 'invalid') issues.push({ path: ['from'], message: 'The start date must be a real date, like 2 9 2026' })
  if (to === 'invalid') issues.push({ path: ['to'], message: 'The end date must be a real date, like 18 12 2026' })
  const days = daysText ? Number(daysText) : undefined
  if (daysText && (!Number.isInteger(days) || Math.abs(days!) > 1000)) issues.push({ path: ['days'], message: 'Number of days must be a whole number between -1000 and 1000' })
  if (issues.length) return { asked: true as const, errors: toFormErrors(issues) }
  return { asked: true as const, from: from as string, to: to as string | undefined, days }
}

export function calendarRoutes(deps: Deps): FastifyPluginAsync {
  const edit = { config: { access: EDIT_CALENDAR } }
  return async (app) => {
    app.get('/calendar', { config: { access: VIEW_CALENDAR } }, async (request, reply) => {
      const user = request.user!
      const query = request.query as Record<string, string | undefined>
      const calc = readCalculator(query)
      const data = await withTenant(deps.db, { laId: user.laId, userId: user.id }, async (tx) => {
        const [terms, closures, bankHolidays] = [await listTerms(tx), await listClosures(tx), await listBankHolidays(tx)]
        const result = calc.asked && !calc.errors ? calendar.calculate(await loadCalendar(tx), calc.from, calc.to, calc.days) : undefined
        return { terms, closures, bankHolidays, result }
      })
      const canEdit = EDIT_CALENDAR.kind === 'user' && EDIT_CALENDAR.allow(user)
      // Show one academic year (1 September to 31 August) at a time; the current one by default.
      const today = deps.now().toISOString().slice(0, 10)
      const currentYear = Number(today.slice(0, 4)) - (today.slice(5) < '09-01' ? 1 : 0)
      const year = /^\d{4}$/.test(query.year ?? '') && Math.abs(Number(query.year) - currentYear) < 50 ? Number(query.year) : currentYear
      const [yearStart, yearEnd] = [`${year}-09-01`, `${year + 1}-08-31`]
      const inYear = (r: { startsOn: string; endsOn: string }) => r.endsOn >= yearStart && r.startsOn <= yearEnd
      data.terms = data.terms.filter(inYear)
      data.closures = data.closures.filter(inYear)
      data.bankHolidays = data.bankHolidays.filter((h) => h.date >= yearStart && h.date <= yearEnd)
      const done = { term: 'Term added', closure: 'Day added', holiday: 'Bank holiday saved', removed: 'Removed from the calendar' }[query.done ?? '']
      return reply.page('calendar/views/overview.njk', {
        title: 'School calendar', ...data, canEdit, values: query, calc, errors: calc.asked ? calc.errors : undefined, flash: done,
        year: { label: `${year} to ${year + 1}`, previous: `/calendar?year=${year - 1}`, next: `/calendar?year=${year + 1}`, previousLabel: `${year - 1} to ${year}`, nextLabel: `${year + 1} to ${year + 2}` },
      }, calc.asked && calc.errors ? 400 : 200)
    })

    const addPage = <S extends z.ZodType>(path: string, template: string, title: string, schema: S, dates: string[],
      save: (actor: ReturnType<typeof actorOf>, value: z.infer<S>) => Promise<calendar.Change>, done: string) => {
      const show = (reply: FastifyReply, values: unknown, errors?: ReturnType<typeof formError>) =>
        reply.page(template, { title, values, errors, kinds: CLOSURE_KINDS, backLink: '/calendar' }, errors ? 400 : 200)
      app.get(`/calendar/${path}/new`, edit, async (_request, reply) => show(reply, {}))
      app.post(`/calendar/${path}`, edit, async (request, reply) => {
        const form = parseForm(schema, withDates(request.body, dates))
        if (!form.ok) return show(reply, request.body, form.errors)
        const result = await save(actorOf(request), form.value)
        if (!result.ok) return show(reply, request.body, formError(result.field, result.message))
        return reply.redirect(`/calendar?done=${done}`, 303)
      })
    }
    addPage('terms', 'calendar/views/term.njk', 'Add a term', termForm, ['startsOn', 'endsOn'], (a, v) => calendar.addTerm(deps.db, a, v, deps.now()), 'term')
    addPage('closures', 'calendar/views/closure.njk', 'Add a half term, INSET day or closure', closureForm, ['startsOn', 'endsOn'], (a, v) => calendar.addClosure(deps.db, a, v, deps.now()), 'closure')
    addPage('bank-holidays', 'calendar/views/bank-holiday.njk', 'Add a bank holiday', bankHolidayForm, ['date'], (a, v) => calendar.saveBankHoliday(deps.db, a, v, deps.now()), 'holiday')

    app.post('/calendar/:kind/:key/remove', edit, async (request, reply) => {
      const { kind, key } = request.params as { kind: string; key: string }
      const kinds: Record<string, calendar.Removable> = { terms: 'term', closures: 'closure', 'bank-holidays': 'bank_holiday' }
      const removable = kinds[kind]
      if (!removable) throw new NotFound()
      if (removable === 'bank_holiday' ? !/^\d{4}-\d{2}-\d{2}$/.test(key) : !isUuid(key)) throw new NotFound()
      parseForm(noFields, request.body)
      await calendar.removeCalendarEntry(deps.db, actorOf(request), removable, key, deps.now())
      return reply.redirect('/calendar?done=removed', 303)
    })
  }
}
