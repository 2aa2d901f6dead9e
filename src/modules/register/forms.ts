import { z } from 'zod'
import { checkboxes, checkedText, optionalText, text } from '../../platform/forms.ts'
import { nhsNumberProblem, normaliseNhsNumber, normalisePostcode, normaliseUpn, postcodeProblem, upnProblem } from '../children/identifiers.ts'

export const CONCERNS = ['child_protection_plan', 'looked_after', 'safety_concerns', 'exploitation_concerns'] as const
export type Concern = (typeof CONCERNS)[number]

export const CONCERN_LABELS: Record<Concern, string> = {
  child_protection_plan: 'The child has a child protection plan',
  looked_after: 'The child is looked after (in care)',
  safety_concerns: 'There are concerns for the child’s safety',
  exploitation_concerns: 'There are concerns about exploitation',
}

const optionalDate = (invalid: string) =>
  z.string().optional().refine((v) => v !== 'invalid', { error: invalid }).transform((v) => (v ? v : undefined))

// Keys in page order, so the error summary lists problems in the order of the fields.
export const referralForm = (today: string) =>
  z
    .object({
      forename: text('Enter the child’s first name', 100),
      surname: text('Enter the child’s last name', 100),
      dateOfBirth: optionalDate('Date of birth must be a real date, like 27 3 2012').refine((v) => !v || v <= today, {
        error: 'Date of birth must be in the past',
      }),
      sex: z.enum(['female', 'male', 'unknown'], { error: 'Select the child’s sex, or not known' }),
      upn: checkedText(upnProblem, normaliseUpn),
      nhsNumber: checkedText(nhsNumberProblem, normaliseNhsNumber),
      addressLine1: optionalText(200),
      town: optionalText(100),
      postcode: checkedText(postcodeProblem, normalisePostcode),
      concern: text('Tell us why you think the child is not receiving an education', 4000, 'Keep this to 4000 characters or fewer'),
      dateLastInEducation: optionalDate('Date last in education must be a real date').refine((v) => !v || v <= today, { error: 'Date last in education must be today or in the past' }),
      dateLastSeen: optionalDate('Date last seen must be a real date').refine((v) => !v || v <= today, { error: 'Date last seen must be today or in the past' }),
      whereaboutsKnown: z.enum(['yes', 'no'], { error: 'Select whether you know where the child is now' }),
      concerns: checkboxes(CONCERNS),
    })
    .superRefine((v, ctx) => {
      if ((v.postcode || v.town) && !v.addressLine1) ctx.addIssue({ code: 'custom', path: ['addressLine1'], message: 'Enter the first line of the address' })
    })

export type ReferralInput = z.infer<ReturnType<typeof referralForm>>

