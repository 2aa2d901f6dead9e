import { z } from 'zod'

export type FieldError = { text: string }
export type FormErrors = { summary: { text: string; href: string }[]; fields: Record<string, FieldError> }
export type FormResult<T> = { ok: true; value: T } | { ok: false; errors: FormErrors }

/**
 * Validates a submitted form and, on failure, returns errors in the shape govukErrorSummary and
 * each macro's errorMessage take. Only the first message per field is shown, as the Design System asks.
 */
export function parseForm<S extends z.ZodType>(schema: S, body: unknown): FormResult<z.infer<S>> {
  const parsed = schema.safeParse(body ?? {})
  if (parsed.success) return { ok: true, value: parsed.data }
  return { ok: false, errors: toFormErrors(parsed.error.issues) }
}

export function toFormErrors(issues: { path: PropertyKey[]; message: string }[]): FormErrors {
  const errors: FormErrors = { summary: [], fields: {} }
  for (const issue of issues) {
    const field = String(issue.path[0] ?? 'form')
    if (errors.fields[field]) continue
    errors.fields[field] = { text: issue.message }
    errors.summary.push({ text: issue.message, href: `#${field}` })
  }
  return errors
}

/** One error not tied to a schema, such as "Enter a correct email address and password". */
export function formError(field: string, text: string): FormErrors {
  return toFormErrors([{ path: [field], message: text }])
}

// Form fields arrive as strings, arrays or not at all; these helpers give each a clear message.
export const text = (missing: string, max = 200, tooLong?: string) =>
  z
    .string({ error: missing })
    .trim()
    .min(1, { error: missing })
    .max(max, { error: tooLong ?? `Must be ${max} characters or fewer` })

export const optionalText = (max = 200, tooLong?: string) =>
  z
    .string()
    .trim()
    .max(max, { error: tooLong ?? `Must be ${max} characters or fewer` })
    .optional()
    .transform((v) => (v ? v : undefined))

export const email = (missing = 'Enter an email address') =>
  z
    .string({ error: missing })
    .trim()
    .min(1, { error: missing })
    .max(254, { error: 'Email address must be 254 characters or fewer' })
    .pipe(z.email({ error: 'Enter an email address in the correct format, like name@example.org' }))
    .transform((v) => v.toLowerCase())

/** A checkbox group: absent, one value or many, always an array. */
export const checkboxes = <T extends string>(values: readonly [T, ...T[]], missing?: string) =>
  z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
    .pipe(
      missing
        ? z.array(z.enum(values, { error: 'Select a valid option' })).min(1, { error: missing })
        : z.array(z.enum(values, { error: 'Select a valid option' })),
    )

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/

/** A date typed as day, month and year (the GOV.UK date input), or as one ISO field. Returns YYYY-MM-DD. */
export function dateFields(body: Record<string, unknown>, name: string): string | undefined | 'invalid' {
  const whole = body[name]
  if (typeof whole === 'string' && whole.trim()) return ISO_DATE.test(whole.trim()) && isRealDate(whole.trim()) ? whole.trim() : 'invalid'
  const parts = ['day', 'month', 'year'].map((p) => String(body[`${name}-${p}`] ?? '').trim())
  if (parts.every((p) => p === '')) return undefined
  const [d, m, y] = parts
  if (!/^\d{1,2}$/.test(d) || !/^\d{1,2}$/.test(m) || !/^\d{4}$/.test(y)) return 'invalid'
  const iso = `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`
  return isRealDate(iso) ? iso : 'invalid'
}

export function isRealDate(iso: string): boolean {
  const date = new Date(`${iso}T00:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === iso
}

/** A zod field for a GOV.UK date input named `name` (fields name-day, name-month, name-year). */
export const dateInput = (missing: string, invalid: string) =>
  z
    .string({ error: missing })
    .min(1, { error: missing })
    .refine((v) => v !== 'invalid', { error: invalid })

/** Folds the three parts of each named date input into one field so a schema can check it. */
export function withDates(body: unknown, names: string[]): Record<string, unknown> {
  const source = (body ?? {}) as Record<string, unknown>
  const out: Record<string, unknown> = { ...source }
  for (const name of names) out[name] = dateFields(source, name) ?? ''
  return out
}

/** The schema for a POST whose only field is the CSRF token (sign out, remove, resend). */
export const noFields = z.object({ _csrf: z.string().optional() })

/** The record's version the form was loaded with, so a change made meanwhile by someone else is refused, not overwritten. */
export const versionField = z.coerce.number({ error: 'The form is missing a field. Reload the page and try again' }).int().positive()

/**
 * An optional identifier typed by a person: trimmed, normalised to its stored form, and checked,
 * with the check's own message (UPN, NHS number, ULN, postcode). Empty means not given.
 */
export const checkedText = (check: (v: string) => string | undefined, normalise: (v: string) => string) =>
  z.string().trim().optional()
    .transform((v) => (v ? normalise(v) : undefined))
    .superRefine((v, ctx) => {
      const problem = v ? check(v) : undefined
      if (problem) ctx.addIssue({ code: 'custom', message: problem })
    })
