import { z } from 'zod'
import { dateInput, type FormErrors } from '../../platform/forms.ts'

/** The census date of a return: a real date, and not one still to come (its figures would change). */
export const censusDate = (today: string) =>
  dateInput('Enter the census date', 'The census date must be a real date, like 2 10 2025')
    .refine((v) => v === 'invalid' || v <= today, { error: 'The census date must be today or in the past' })

export const dfeReturnForm = (today: string) =>
  z.object({
    census: censusDate(today),
    action: z.enum(['download', 'preview']).catch('download'),
  })

export const EXPORT_FORMATS = ['csv', 'xlsx'] as const

const queryValue = z.string().optional().catch(undefined)

export const exportForm = z.object({
  reason: z
    .string({ error: 'Enter why you are exporting these cases' })
    .trim()
    .min(1, { error: 'Enter why you are exporting these cases' })
    .min(10, { error: 'The reason must be 10 characters or more' })
    .max(500, { error: 'The reason must be 500 characters or fewer' }),
  format: z.enum(EXPORT_FORMATS, { error: 'Select a file format' }),
  // The register's filters, carried from the export page; read by parseRegisterFilter, which ignores anything it does not know.
  status: queryValue,
  type: queryValue,
  risk: queryValue,
  q: queryValue,
})

/** A date input's error should take the user to its first box (the Design System's advice). */
export function linkToDay(errors: FormErrors, field: string): FormErrors {
  return { ...errors, summary: errors.summary.map((s) => (s.href === `#${field}` ? { ...s, href: `#${field}-day` } : s)) }
}
