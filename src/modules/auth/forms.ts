import { z } from 'zod'
import { email } from '../../platform/forms.ts'
import { passwordProblem } from './passwords.ts'

export const signInForm = z.object({
  email: email('Enter your email address'),
  password: z.string({ error: 'Enter your password' }).min(1, { error: 'Enter your password' }),
})

export const codeForm = z.object({
  code: z
    .string({ error: 'Enter the 6-digit code from your authenticator app' })
    .trim()
    .min(1, { error: 'Enter the 6-digit code from your authenticator app' })
    .refine((v) => /^\d{6}$/.test(v.replace(/\s/g, '')) || /^[a-z0-9]{4}-?[a-z0-9]{4}-?[a-z0-9]{4}$/i.test(v), {
      error: 'Enter the 6-digit code from your authenticator app, or a recovery code',
    }),
})

export const enrolForm = z.object({
  code: z
    .string({ error: 'Enter the 6-digit code from your authenticator app' })
    .trim()
    .min(1, { error: 'Enter the 6-digit code from your authenticator app' })
    .refine((v) => /^\d{6}$/.test(v.replace(/\s/g, '')), { error: 'The code must be 6 digits' }),
})

export const forgotPasswordForm = z.object({ email: email('Enter your email address') })

/** New password and its confirmation, checked against NCSC guidance (length and a common-password list). */
export const newPasswordForm = (accountEmail?: string) =>
  z
    .object({
      password: z.string({ error: 'Enter a password' }).min(1, { error: 'Enter a password' }),
      confirmPassword: z.string({ error: 'Confirm your password' }).min(1, { error: 'Confirm your password' }),
    })
    .superRefine((v, ctx) => {
      const problem = passwordProblem(v.password, accountEmail)
      if (problem) ctx.addIssue({ code: 'custom', path: ['password'], message: problem })
      else if (v.password !== v.confirmPassword) ctx.addIssue({ code: 'custom', path: ['confirmPassword'], message: 'The passwords do not match' })
    })


