import { z } from 'zod'
import { text, versionField } from '../../platform/forms.ts'
import { addSchoolDays, addWorkingDays, CalendarGap, type Calendar } from '../calendar/days.ts'
import { parseOwner, type Owner } from './service.ts'

const owner = z.string({ error: 'Select who will do this' }).transform((v, ctx) => {
  const parsed = parseOwner(v)
  if (!parsed) ctx.addIssue({ code: 'custom', message: 'Select who will do this' })
  return parsed as Owner
})

/**
 * When an action is due: on a date, or a number of school days or working days from today, as the
 * rule behind it counts (a home visit within 5 school days; a reply within 10 working days).
 */
const due = {
  dueMode: z.enum(['date', 'school_days', 'working_days'], { error: 'Select how to set the due date' }),
  dueOn: z.string().optional(),
  dueDays: z.string().optional(),
}

function resolveDue(v: { dueMode: 'date' | 'school_days' | 'working_days'; dueOn?: string; dueDays?: string }, today: string, calendar: Calendar, ctx: z.RefinementCtx): string {
  if (v.dueMode === 'date') {
    if (!v.dueOn) ctx.addIssue({ code: 'custom', path: ['dueOn'], message: 'Enter the date the action is due' })
    else if (v.dueOn === 'invalid') ctx.addIssue({ code: 'custom', path: ['dueOn'], message: 'The due date must be a real date, like 4 12 2026' })
    else if (v.dueOn < today) ctx.addIssue({ code: 'custom', path: ['dueOn'], message: 'The due date must be today or in the future' })
    return v.dueOn ?? ''
  }
  const n = Number(v.dueDays)
  if (!v.dueDays || !Number.isInteger(n) || n < 0 || n > 200) {
    ctx.addIssue({ code: 'custom', path: ['dueDays'], message: 'Enter a whole number of days from 0 to 200' })
    return ''
  }
  try {
    return v.dueMode === 'school_days' ? addSchoolDays(calendar, today, n) : addWorkingDays(calendar, today, n)
  } catch (err) {
    if (err instanceof CalendarGap) ctx.addIssue({ code: 'custom', path: ['dueDays'], message: err.message })
    else throw err
    return ''
  }
}

export const newActionForm = (today: string, calendar: Calendar) =>
  z.object({
    title: text('Enter what needs to be done', 300, 'Keep the action to 300 characters or fewer'),
    owner,
    ...due,
    priority: z.enum(['normal', 'high'], { error: 'Select the priority' }),
  }).transform((v, ctx) => ({ title: v.title, owner: v.owner, priority: v.priority, dueOn: resolveDue(v, today, calendar, ctx) }))

export const changeActionForm = (today: string, calendar: Calendar) =>
  z.object({
    owner,
    ...due,
    reason: text('Enter why the action is changing', 1000, 'Keep the reason to 1000 characters or fewer'),
    version: versionField,
  }).transform((v, ctx) => ({ owner: v.owner, reason: v.reason, version: v.version, dueOn: resolveDue(v, today, calendar, ctx) }))

export const finishActionForm = z.object({
  status: z.enum(['done', 'cancelled'], { error: 'Select whether the action is done or no longer needed' }),
  outcome: text('Enter what happened', 2000, 'Keep this to 2000 characters or fewer'),
  version: versionField,
})
