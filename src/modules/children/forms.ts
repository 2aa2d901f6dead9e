import { z } from 'zod'
import { checkedText, email, isRealDate, optionalText, text, versionField } from '../../platform/forms.ts'
import { FLAGS } from '../register/queries.ts'
import { nhsNumberProblem, normaliseNhsNumber, normalisePostcode, normaliseUpn, postcodeProblem, ulnProblem, upnProblem } from './identifiers.ts'


// Stored as null when not given, so an identifier can be cleared.
const checked = (check: (v: string) => string | undefined, normalise: (v: string) => string) => checkedText(check, normalise).transform((v) => v ?? null)

const date = (invalid: string) => z.string().optional()
  .refine((v) => !v || (v !== 'invalid' && isRealDate(v)), { error: invalid })
  .transform((v) => (v ? v : null))

const nullable = (max: number) => optionalText(max).transform((v) => v ?? null)

export const identityForm = (today: string) => z.object({
  forename: text('Enter the child’s first name', 100),
  surname: text('Enter the child’s last name', 100),
  preferredName: nullable(100),
  dateOfBirth: date('Date of birth must be a real date, like 27 3 2012').refine((v) => !v || v < today, { error: 'Date of birth must be in the past' }),
  sex: z.enum(['female', 'male', 'unknown'], { error: 'Select the child’s sex, or not known' }),
  upn: checked(upnProblem, normaliseUpn),
  formerUpns: z.string().optional().transform((v, ctx) => {
    const list = [...new Set((v ?? '').split(/[\s,;]+/).filter(Boolean).map(normaliseUpn))]
    for (const u of list) {
      const problem = upnProblem(u)
      if (problem) ctx.addIssue({ code: 'custom', message: `Former UPN ${u}: ${problem}` })
    }
    if (list.length > 10) ctx.addIssue({ code: 'custom', message: 'Enter no more than 10 former UPNs' })
    return list
  }),
  uln: checked(ulnProblem, (v) => v.replace(/\s/g, '')),
  nhsNumber: checked(nhsNumberProblem, normaliseNhsNumber),
  laReference: nullable(50),
  // No format is assumed for the coming consistent child identifier (domain brief 2.4).
  consistentId: nullable(100),
  version: versionField,
})

export const aliasForm = z.object({
  kind: z.enum(['alias', 'former_name', 'preferred_name'], { error: 'Select what kind of name this is' }),
  forename: nullable(100),
  surname: nullable(100),
}).superRefine((v, ctx) => {
  if (!v.forename && !v.surname) ctx.addIssue({ code: 'custom', path: ['forename'], message: 'Enter a first name, a last name or both' })
})

const yesNo = (missing: string) => z.enum(['yes', 'no'], { error: missing }).transform((v) => v === 'yes')

export const contactForm = z.object({
  name: text('Enter the person’s name', 200),
  relationship: text('Enter their relationship to the child, like mother or foster carer', 100),
  parentalResponsibility: yesNo('Select whether they have parental responsibility'),
  livesWith: yesNo('Select whether the child lives with them'),
  phone: nullable(30).refine((v) => !v || (/^\+?[0-9 ()-]{10,20}$/.test(v) && v.replace(/\D/g, '').length >= 10), { error: 'Enter a phone number, like 01632 960 001 or 07700 900 982' }),
  email: z.string().trim().optional().transform((v) => v || undefined).pipe(email().optional()).transform((v) => v ?? null),
  address: nullable(400),
  language: nullable(100),
  interpreterNeeded: yesNo('Select whether they need an interpreter'),
})

export const flagForm = (today: string) => z.object({
  flag: z.enum(FLAGS, { error: 'Select what the child is known for' }),
  source: text('Enter where this comes from, like Children’s social care', 200),
  startsOn: date('The start date must be a real date').refine((v) => !v || v <= today, { error: 'The start date must be today or in the past' }),
})

export const endFlagForm = (today: string) => z.object({
  endsOn: date('The end date must be a real date').refine((v) => !!v, { error: 'Enter the date it ended' }).refine((v) => !v || v <= today, { error: 'The end date must be today or in the past' }),
})

export const schoolForm = z.object({
  schoolName: text('Enter the school’s name', 200),
  fromDate: date('The start date must be a real date'),
  toDate: date('The end date must be a real date'),
  howEnded: nullable(400),
}).superRefine((v, ctx) => {
  if (v.fromDate && v.toDate && v.toDate < v.fromDate) ctx.addIssue({ code: 'custom', path: ['toDate'], message: 'The end date must be on or after the start date' })
})

export const addressForm = z.object({
  line1: text('Enter the first line of the address', 200),
  line2: nullable(200),
  town: nullable(100),
  postcode: checked(postcodeProblem, normalisePostcode),
  fromDate: date('The date they moved in must be a real date'),
  toDate: date('The date they moved out must be a real date'),
}).superRefine((v, ctx) => {
  if (v.fromDate && v.toDate && v.toDate < v.fromDate) ctx.addIssue({ code: 'custom', path: ['toDate'], message: 'The date they moved out must be on or after the date they moved in' })
})

export const siblingForm = z.object({ siblingId: z.string({ error: 'Select a child' }).uuid({ error: 'Select a child' }) })
