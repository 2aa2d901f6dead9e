import { z } from 'zod'

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { error: 'must be true or false' })
    .optional()
    .transform((v) => (v === undefined ? fallback : ['true', '1', 'yes', 'on'].includes(v)))

const positiveInt = (fallback: number) =>
  z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').positive('must be more than 0').default(fallback)

const Env = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production'], { error: 'must be development, test or production' }).default('development'),
  PORT: z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535, 'must be a port number').default(3000),
  HOST: z.string().min(1).default('localhost'),
  BASE_URL: z.url({ error: 'must be a full URL such as https://lantern.example.gov.uk' }).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// (leave it unset to use the embedded database)')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  SESSION_IDLE_MINUTES: positiveInt(30),
  SESSION_ABSOLUTE_HOURS: positiveInt(12),
  COOKIE_SECURE: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://').optional(),
  MAIL_FROM: z.string().min(3).default('Lantern <no-reply@lantern.invalid>'),
  NOTIFY_API_KEY: z.string().min(20, 'must be a GOV.UK Notify API key').optional(),
  NOTIFY_TEMPLATE_ID: z.uuid({ error: 'must be the id of a Notify template with ((subject)) and ((body))' }).optional(),
  NOTIFY_BASE_URL: z.url().optional(),
  DEMO: bool(true),
  MAILBOX: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  INVITATION_EXPIRY_HOURS: positiveInt(72),
  PASSWORD_RESET_EXPIRY_MINUTES: positiveInt(60),
  SIGN_IN_MAX_FAILURES: positiveInt(5),
  LOCKOUT_MINUTES: positiveInt(15),
  TRUST_PROXY: bool(false),
})

export type Config = {
  env: 'development' | 'test' | 'production'
  port: number
  host: string
  baseUrl: string
  database: { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string | null }
  sessionSecret: string | undefined
  sessionIdleMinutes: number
  sessionAbsoluteHours: number
  cookieSecure: boolean
  mail: {
    from: string
    smtpUrl?: string
    notify?: { apiKey: string; templateId: string; baseUrl?: string }
    mailbox: boolean
  }
  demo: boolean
  logLevel: string
  invitationExpiryHours: number
  passwordResetExpiryMinutes: number
  signInMaxFailures: number
  lockoutMinutes: number
  trustProxy: boolean
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Lantern cannot start because of its settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  }
}

/** Reads and checks every setting once, reporting all the bad ones together. Nothing else reads process.env. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const parsed = Env.safeParse(cleaned)
  const problems: string[] = []
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')} ${issue.message}`)
    throw new ConfigError(problems)
  }
  const e = parsed.data
  const production = e.NODE_ENV === 'production'
  if (production && !e.SESSION_SECRET) problems.push('SESSION_SECRET must be set in production (at least 32 random characters)')
  if (production && !e.BASE_URL) problems.push('BASE_URL must be set in production')
  if (e.NOTIFY_API_KEY && !e.NOTIFY_TEMPLATE_ID) problems.push('NOTIFY_TEMPLATE_ID must be set when NOTIFY_API_KEY is set')
  if (problems.length) throw new ConfigError(problems)

  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    baseUrl: (e.BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    database: e.DATABASE_URL ? { kind: 'postgres', url: e.DATABASE_URL } : { kind: 'pglite', dataDir: e.DATA_DIR },
    sessionSecret: e.SESSION_SECRET,
    sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
    sessionAbsoluteHours: e.SESSION_ABSOLUTE_HOURS,
    cookieSecure: e.COOKIE_SECURE ? e.COOKIE_SECURE === 'true' : production,
    mail: {
      from: e.MAIL_FROM,
      smtpUrl: e.SMTP_URL,
      notify:
        e.NOTIFY_API_KEY && e.NOTIFY_TEMPLATE_ID
          ? { apiKey: e.NOTIFY_API_KEY, templateId: e.NOTIFY_TEMPLATE_ID, baseUrl: e.NOTIFY_BASE_URL }
          : undefined,
      // The local mailbox page shows every message, links included: never in production.
      mailbox: production ? false : e.MAILBOX ? e.MAILBOX === 'true' : true,
    },
    demo: e.DEMO && !production,
    logLevel: e.LOG_LEVEL,
    invitationExpiryHours: e.INVITATION_EXPIRY_HOURS,
    passwordResetExpiryMinutes: e.PASSWORD_RESET_EXPIRY_MINUTES,
    signInMaxFailures: e.SIGN_IN_MAX_FAILURES,
    lockoutMinutes: e.LOCKOUT_MINUTES,
    trustProxy: e.TRUST_PROXY,
  }
}
