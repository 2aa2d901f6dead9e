import { z } from 'zod'
import { text, versionField } from '../../platform/forms.ts'
import { OPEN_STATUSES, STATUSES } from './queries.ts'


export const enquiryForm = (today: string) =>
  z
    .object({
      state: z.enum(['done', 'exception'], { error: 'Select whether the enquiry was made' }),
      doneOn: z.string().optional(),
      outcome: z.string().trim().max(2000, { error: 'Keep the outcome to 2000 characters or fewer' }).optional(),
      exceptionReason: z.string().trim().max(2000, { error: 'Keep the reason to 2000 characters or fewer' }).optional(),
    })
    .superRefine((v, ctx) => {
      if (v.state === 'done') {
        if (!v.doneOn) ctx.addIssue({ code: 'custom', path: ['doneOn'], message: 'Enter the date the enquiry was made' })
        else if (v.doneOn === 'invalid') ctx.addIssue({ code: 'custom', path: ['doneOn'], message: 'The date must be a real date, like 20 11 2026' })
        else if (v.doneOn > today) ctx.addIssue({ code: 'custom', path: ['doneOn'], message: 'The date must be today or in the past' })
        if (!v.outcome) ctx.addIssue({ code: 'custom', path: ['outcome'], message: 'Enter what the enquiry found' })
      } else if (v.state === 'exception' && !v.exceptionReason) {
        ctx.addIssue({ code: 'custom', path: ['exceptionReason'], message: 'Enter why this enquiry cannot be made' })
      }
    })
    .transform((v) => (v.state === 'done'
      ? { state: 'done' as const, doneOn: v.doneOn!, outcome: v.outcome! }
      : { state: 'exception' as const, exceptionReason: v.exceptionReason! }))

export const statusForm = z
  .object({
    status: z.enum(STATUSES, { error: 'Select the new status' }),
    note: z.string().trim().max(2000, { error: 'Keep the note to 2000 characters or fewer' }).optional().transform((v) => v || undefined),
    version: versionField,
  })
  .superRefine((v, ctx) => {
    if (!(OPEN_STATUSES as readonly string[]).includes(v.status) && !v.note) {
      ctx.addIssue({ code: 'custom', path: ['note'], message: 'Enter how the case was resolved, such as the new school or the evidence the family has left' })
    }
  })

export const riskForm = z.object({
  level: z.enum(['standard', 'high'], { error: 'Select the risk level' }),
  reason: text('Enter the reason for the risk level', 1000, 'Keep the reason to 1000 characters or fewer'),
  version: versionField,
})

/** Which register the case is on (a child moves between them without being entered again), why, and whose it is. */
export const detailsForm = z.object({
  registerType: z.enum(['cme', 'ehe', 'other_arrangements'], { error: 'Select the register' }),
  cmeReasonCode: z.string().trim().max(40).optional().transform((v) => v || null),
  assignedOfficerId: z.string().trim().optional().transform((v) => v || null),
  note: z.string().trim().max(1000, { error: 'Keep the note to 1000 characters or fewer' }).optional().transform((v) => v || undefined),
  version: versionField,
})
