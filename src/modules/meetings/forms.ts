import { z } from 'zod'
import { dateInput, optionalText, text, versionField } from '../../platform/forms.ts'
import { newActionForm } from '../actions/forms.ts'
import type { Calendar } from '../calendar/days.ts'

const uuid = (message: string) => z.string({ error: message }).uuid({ error: message })
const list = z.union([z.string(), z.array(z.string())]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
const on = z.union([z.literal('on'), z.literal('true')]).optional().transform((v) => Boolean(v))

export const RULE_LABELS = {
  referred: 'Cases referred to this meeting by an officer',
  newCases: 'New cases since the last meeting',
  highRisk: 'High-risk cases',
  missingLong: 'Children missing more than the set number of school days',
  protection: 'Children in care or with a child protection plan',
  placement: 'Cases with school refusals or a stalled placement',
  openActions: 'Actions from earlier meetings that are due or overdue',
} as const

export const rulesForm = z.object({
  referred: on, newCases: on, highRisk: on, missingLong: on, protection: on, placement: on, openActions: on,
  missingSchoolDays: z.coerce.number({ error: 'Enter a whole number of school days from 1 to 200' }).int({ error: 'Enter a whole number of school days from 1 to 200' })
    .min(1, { error: 'Enter a whole number of school days from 1 to 200' }).max(200, { error: 'Enter a whole number of school days from 1 to 200' }),
})

export const seriesForm = z.object({
  name: text('Enter a name for the meeting series', 120),
  kind: z.enum(['weekly_officer', 'cme_panel', 'other'], { error: 'Select the type of meeting' }),
  schedule: z.enum(['weekly', 'termly', 'as_needed'], { error: 'Select how often it meets' }),
  chairUserId: uuid('Select the chair'),
  memberIds: list,
  quorum: z.coerce.number({ error: 'Enter the quorum as a whole number from 1 to 50' }).int({ error: 'Enter the quorum as a whole number from 1 to 50' })
    .min(1, { error: 'Enter the quorum as a whole number from 1 to 50' }).max(50, { error: 'Enter the quorum as a whole number from 1 to 50' }),
  ...rulesForm.shape,
}).superRefine((v, ctx) => {
  if (!v.memberIds.every((m) => /^[0-9a-f-]{36}$/.test(m))) ctx.addIssue({ code: 'custom', path: ['memberIds'], message: 'Select members from the list' })
  if (new Set([v.chairUserId, ...v.memberIds]).size < v.quorum) ctx.addIssue({ code: 'custom', path: ['quorum'], message: 'The quorum cannot be more than the number of members, counting the chair' })
})

export const meetingForm = (today: string) => z.object({
  heldOn: dateInput('Enter the date of the meeting', 'The date of the meeting must be a real date, like 3 12 2026')
    .refine((v) => v === 'invalid' || v >= today, { error: 'The date of the meeting must be today or in the future' }),
})

export const referForm = z.object({
  seriesId: uuid('Select the meeting series'),
  reason: text('Say why the case should go to the meeting', 1000, 'Keep the reason to 1000 characters or fewer'),
})

export const removeForm = z.object({ reason: text('Say why the item is being taken off the agenda', 1000, 'Keep the reason to 1000 characters or fewer') })

/** An item's outcome, with an action when its title is filled in (the action then needs an owner and a due date). */
export const itemForm = (today: string, calendar: Calendar) => z.object({
  notes: optionalText(8000, 'Keep the notes to 8000 characters or fewer'),
  outcome: z.enum(['decided', 'not_discussed'], { error: 'Select whether the meeting made a decision or did not discuss the item' }),
  decision: optionalText(4000, 'Keep the decision to 4000 characters or fewer'),
  rationale: optionalText(4000, 'Keep the rationale to 4000 characters or fewer'),
  version: versionField,
  title: z.string().optional(),
}).passthrough().superRefine((v, ctx) => {
  if (v.outcome === 'decided' && !v.decision) ctx.addIssue({ code: 'custom', path: ['decision'], message: 'Enter the decision' })
  if (v.outcome === 'decided' && !v.rationale) ctx.addIssue({ code: 'custom', path: ['rationale'], message: 'Enter why the meeting decided this' })
  if (v.title?.trim()) {
    const action = newActionForm(today, calendar).safeParse(v)
    if (!action.success) for (const issue of action.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message })
  }
}).transform((v) => {
  const action = v.title?.trim() ? newActionForm(today, calendar).parse(v) : undefined
  return { notes: v.notes, outcome: v.outcome, decision: v.outcome === 'decided' ? v.decision : undefined, rationale: v.outcome === 'decided' ? v.rationale : undefined, version: v.version, action }
})

export const attendanceStatus = z.enum(['present', 'apologies', 'absent'])

export const amendForm = z.object({
  itemId: z.string().optional().transform((v) => v || undefined).refine((v) => v === undefined || /^[0-9a-f-]{36}$/.test(v), { error: 'Select an item from the list' }),
  correction: text('Enter the correction', 4000, 'Keep the correction to 4000 characters or fewer'),
  reason: text('Enter why the minutes need correcting', 1000, 'Keep the reason to 1000 characters or fewer'),
})

export const addItemForm = z.object({
  caseId: uuid('Select a case to add'),
  reason: text('Say why the case is being added', 1000, 'Keep the reason to 1000 characters or fewer'),
})
