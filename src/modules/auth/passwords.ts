import { hash, verify, Algorithm } from '@node-rs/argon2'
import { dictionary } from '@zxcvbn-ts/language-common'

// OWASP's argon2id settings: 19 MiB memory, 2 iterations, 1 lane.
const ARGON2 = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 }

// zxcvbn's list of about 49,000 passwords seen most often in breaches (MIT licence).
const COMMON = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()))

export const MIN_PASSWORD_LENGTH = 12
export const MAX_PASSWORD_LENGTH = 256

/**
 * NCSC password guidance: a minimum length and a deny-list of common passwords, and no
 * composition rules (no forced symbols or digits). Returns the message to show, or undefined.
 */
export function passwordProblem(password: string, email?: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `Password must be ${MIN_PASSWORD_LENGTH} characters or more`
  if (password.length > MAX_PASSWORD_LENGTH) return `Password must be ${MAX_PASSWORD_LENGTH} characters or fewer`
  const lower = password.toLowerCase()
  if (COMMON.has(lower)) return 'Choose a password that is harder to guess: this one is on a list of common passwords'
  if (/^(.)\1+$/.test(password)) return 'Choose a password that is harder to guess: do not repeat one character'
  if (email && lower.includes(email.split('@')[0].toLowerCase()) && email.split('@')[0].length >= 4) {
    return 'Choose a password that does not contain your email address'
  }
  return undefined
}

export const hashPassword = (password: string): Promise<string> => hash(password, ARGON2)

// A hash of a random password, so a sign-in attempt for an unknown email costs the same time as a real one.
const DUMMY_HASH = hash('lantern-timing-equaliser-' + Math.random(), ARGON2)

export async function verifyPassword(storedHash: string | null, password: string): Promise<boolean> {
  if (!storedHash || password.length > MAX_PASSWORD_LENGTH) {
    await verify(await DUMMY_HASH, password.slice(0, MAX_PASSWORD_LENGTH)).catch(() => false)
    return false
  }
  return verify(storedHash, password).catch(() => false)
}
