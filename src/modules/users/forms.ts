import { z } from 'zod'
import { ROLES } from '../../platform/access.ts'
import { checkboxes, email, text } from '../../platform/forms.ts'

const organisationId = z.uuid({ error: 'Select an organisation' })

// Keys in the order the fields appear, so the error summary lists problems in page order.
export const inviteForm = z.object({
  displayName: text('Enter their full name', 200, 'Name must be 200 characters or fewer'),
  email: email('Enter their work email address'),
  organisationId,
  roles: checkboxes(ROLES, 'Select at least one role'),
})

export const editUserForm = z.object({
  displayName: text('Enter their full name', 200, 'Name must be 200 characters or fewer'),
  organisationId,
  roles: checkboxes(ROLES, 'Select at least one role'),
  updatedAt: z.string({ error: 'The form is missing a field. Reload the page and try again' }).min(1),
})

export const reasonForm = z.object({
  reason: text('Enter the reason', 500, 'Reason must be 500 characters or fewer'),
})
