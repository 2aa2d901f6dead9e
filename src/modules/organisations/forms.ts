import { z } from 'zod'
import { text } from '../../platform/forms.ts'
import { ORGANISATION_KINDS } from './queries.ts'

export const organisationForm = z
  .object({
    name: text('Enter the organisation name', 200, 'Organisation name must be 200 characters or fewer'),
    kind: z.enum(ORGANISATION_KINDS, { error: 'Select the kind of organisation' }),
    urn: z.string().trim().optional().default(''),
  })
  .superRefine((v, ctx) => {
    if (v.kind === 'school' && !v.urn) ctx.addIssue({ code: 'custom', path: ['urn'], message: "Enter the school's URN" })
    else if (v.kind === 'school' && !/^\d{6,7}$/.test(v.urn)) ctx.addIssue({ code: 'custom', path: ['urn'], message: 'URN must be 6 or 7 digits, like 123456' })
  })
  .transform((v) => ({ name: v.name, kind: v.kind, urn: v.kind === 'school' ? v.urn : null }))
