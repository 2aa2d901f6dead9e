import { z } from 'zod'
import { dateInput, optionalText, text } from '../../platform/forms.ts'

/** A home education register the LA keeps outside Lantern: like a roll, it says a child is known to be educated. */
export const HOME_EDUCATION_LIST = 'Home education register (kept outside Lantern)'
// The lists a run matches against, "rolls" for short: children on them are known to be in education.
export const ROLL_TYPES = ['School census', 'Common Transfer File', 'Independent school roll', 'Alternative provision roll', HOME_EDUCATION_LIST] as const
export const POPULATION_TYPES = ['GP registrations', 'Council tax', 'Housing', 'School admissions applications', 'Health visiting',
  'Children’s social care', 'Other population source'] as const
export const SOURCE_TYPES = [...ROLL_TYPES, ...POPULATION_TYPES] as const
export const kindOf = (type: string): 'roll' | 'population' => ((ROLL_TYPES as readonly string[]).includes(type) ? 'roll' : 'population')

export const sourceForm = (today: string) => z.object({
  sourceType: z.enum(SOURCE_TYPES, { error: 'Select the type of source' }),
  dataDate: dateInput('Enter the date the data was taken', 'The date the data was taken must be a real date, like 1 10 2026')
    .refine((v) => v === 'invalid' || v <= today, { error: 'The date the data was taken must be today or in the past' }),
  suppliedBy: text('Enter who supplied the data', 200),
})

export const DATE_FORMATS = ['DD/MM/YYYY', 'ISO', 'YYYYMMDD'] as const
export const DATE_FORMAT_LABELS: Record<(typeof DATE_FORMATS)[number], string> = {
  'DD/MM/YYYY': 'Day, month, year (27/03/2014)', ISO: 'Year-month-day (2014-03-27)', YYYYMMDD: 'Digits only (20140327)',
}

/** Which column holds each field. `headers` is the file's own list, so a column that is not in it is refused. */
export const mappingForm = (headers: string[]) => {
  const column = (missing: string) => z.string({ error: missing }).min(1, missing).refine((v) => headers.includes(v), { error: 'Select a column from the file' })
  const optional = z.string().optional().transform((v) => v || undefined).refine((v) => v === undefined || headers.includes(v), { error: 'Select a column from the file' })
  return z.object({
    id: column('Select the column that identifies each row'),
    forename: column('Select the column with the first name'),
    surname: column('Select the column with the last name'),
    dateOfBirth: column('Select the column with the date of birth'),
    dateFormat: z.enum(DATE_FORMATS, { error: 'Select how dates are written' }),
    sex: optional, postcode: optional, address1: optional, address2: optional, nhsNumber: optional, upn: optional,
    saveAs: optionalText(100),
  })
}

export const runForm = (today: string) => z.object({
  referenceDate: dateInput('Enter the reference date', 'The reference date must be a real date, like 1 10 2026')
    .refine((v) => v === 'invalid' || v <= today, { error: 'The reference date must be today or in the past' }),
  sourceIds: z.union([z.string(), z.array(z.string())]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
})

export const DISMISS_REASONS = {
  independent_school: 'On the roll of an independent school',
  on_roll_elsewhere: 'On a school roll in another area',
  moved_away: 'Has moved away from the area',
  home_education: 'Known to be educated at home',
  already_known: 'Already known to the CME team under another record',
  not_of_school_age: 'Not of compulsory school age',
  other: 'Another reason',
} as const
export type DismissReason = keyof typeof DISMISS_REASONS

export const dismissForm = z.object({
  reason: z.enum(Object.keys(DISMISS_REASONS) as [DismissReason, ...DismissReason[]], { error: 'Select why this child does not need a referral' }),
  note: optionalText(2000, 'Keep the note to 2000 characters or fewer'),
}).superRefine((v, ctx) => {
  if (v.reason === 'other' && !v.note) ctx.addIssue({ code: 'custom', path: ['note'], message: 'Say why this child does not need a referral' })
})

export const acceptForm = z.object({
  concern: text('Say why this child needs a referral', 4000, 'Keep this to 4000 characters or fewer'),
  whereaboutsKnown: z.enum(['yes', 'no'], { error: 'Select whether you know where the child is now' }),
})

const DISTRICT = /^[A-Z]{1,2}[0-9R][0-9A-Z]?$/
const SECTOR = /^[A-Z]{1,2}[0-9R][0-9A-Z]? [0-9]$/
export const MAX_AREA_POSTCODES = 500

/** The area's postcode districts and sectors, one per line or separated by commas; empty clears the area. */
export const areaForm = z.object({
  postcodes: z.string().optional().transform((v) => [...new Set((v ?? '').split(/[,;\n]+/).map((p) => p.trim().toUpperCase().replace(/\s+/g, ' ')).filter(Boolean))])
    .superRefine((list, ctx) => {
      const bad = list.filter((p) => !DISTRICT.test(p) && !SECTOR.test(p))
      if (bad.length) {
        const shown = bad.slice(0, 5).map((p) => `“${p.slice(0, 20)}”`).join(', ')
        ctx.addIssue({ code: 'custom', message: `${bad.length === 1 ? 'This is not a postcode district or sector' : 'These are not postcode districts or sectors'}: ${shown}${bad.length > 5 ? ` and ${bad.length - 5} more` : ''}. Write each like ZZ1 (a district) or ZZ1 2 (a sector)` })
      } else if (list.length > MAX_AREA_POSTCODES) {
        ctx.addIssue({ code: 'custom', message: `Enter ${MAX_AREA_POSTCODES} districts or sectors or fewer: list whole districts where you can` })
      }
    }),
})
