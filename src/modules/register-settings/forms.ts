import { z } from 'zod'
import { text } from '../../platform/forms.ts'

const days = (label: string, min: number, max: number) => z.coerce.number({ error: `Enter ${label} as a whole number` })
  .int({ error: `Enter ${label} as a whole number` }).min(min, { error: `${label[0].toUpperCase()}${label.slice(1)} must be ${min} or more` })
  .max(max, { error: `${label[0].toUpperCase()}${label.slice(1)} must be ${max} or fewer` })

export const settingsForm = z.object({
  overdueEscalationWorkingDays: days('the number of working days', 0, 60),
  teamManagerUserId: z.string().trim().optional().transform((v) => v || null),
  placementTargetSchoolDays: days('the number of school days', 1, 200),
})

export const reasonForm = z.object({ label: text('Enter the reason', 200, 'Keep the reason to 200 characters or fewer') })

export const enquiryForm = z.object({
  label: text('Enter the enquiry', 200, 'Keep the enquiry to 200 characters or fewer'),
  required: z.enum(['yes', 'no'], { error: 'Select whether a case can close without it' }).transform((v) => v === 'yes'),
})
