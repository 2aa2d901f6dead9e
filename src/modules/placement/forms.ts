import { z } from 'zod'
import { isRealDate, optionalText, text, versionField } from '../../platform/forms.ts'
import { BARRIER_KINDS } from './queries.ts'

const pastDate = (missing: string, today: string) => z.string({ error: missing }).min(1, { error: missing })
  .refine((v) => v !== 'invalid' && isRealDate(v), { error: 'The date must be a real date, like 20 11 2026' })
  .refine((v) => v > '1900' && v <= today, { error: 'The date must be today or in the past' })

export const barrierForm = (today: string) => z.object({
  kind: z.enum(BARRIER_KINDS, { error: 'Select what happened' }),
  schoolName: optionalText(200),
  occurredOn: pastDate('Enter the date it happened', today),
  reason: text('Enter the reason or what was asked', 2000, 'Keep this to 2000 characters or fewer'),
}).superRefine((v, ctx) => {
  if (v.kind !== 'formal_dispute' && v.kind !== 'fair_access_referral' && !v.schoolName) {
    ctx.addIssue({ code: 'custom', path: ['schoolName'], message: 'Enter the school' })
  }
})

export const resolveForm = (today: string) => z.object({
  outcome: text('Enter the outcome', 2000, 'Keep this to 2000 characters or fewer'),
  resolvedOn: pastDate('Enter the date it was resolved', today),
  version: versionField,
})
