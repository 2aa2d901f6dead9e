import { z } from 'zod'
import { dateInput, text } from '../../platform/forms.ts'

const startsOn = dateInput('Enter the first day', 'The first day must be a real date, like 2 9 2026')
const endsOn = dateInput('Enter the last day', 'The last day must be a real date, like 18 12 2026')
const inOrder = (v: { startsOn: string; endsOn: string }) => v.endsOn >= v.startsOn
const orderError = { path: ['endsOn'], error: 'The last day must be the same as or after the first day' }

export const termForm = z
  .object({ name: text('Enter the term name, like Autumn term 2026', 100), startsOn, endsOn })
  .refine(inOrder, orderError)

export const closureForm = z
  .object({
    kind: z.enum(['half_term', 'inset', 'closure'], { error: 'Select the kind of day' }),
    description: text('Enter a description, like INSET day', 200),
    startsOn,
    endsOn,
  })
  .refine(inOrder, orderError)

export const bankHolidayForm = z.object({
  date: dateInput('Enter the date', 'The date must be a real date, like 25 12 2027'),
  title: text('Enter the name of the bank holiday', 100),
})
