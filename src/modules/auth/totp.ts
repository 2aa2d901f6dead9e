import { generateSecret, generate, verify } from 'otplib'
import QRCode from 'qrcode'
import { randomBytes } from 'node:crypto'
import { sha256 } from '../../platform/crypto.ts'

export const newTotpSecret = (): string => generateSecret()

/** The otpauth URI authenticator apps read from the QR code. */
export function totpUri(secret: string, account: string, issuer: string): string {
  const label = encodeURIComponent(`${issuer}:${account}`)
  return `otpauth://totp/${label}?secret=${secret}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=6&period=30`
}

export const qrDataUrl = (uri: string): Promise<string> => QRCode.toDataURL(uri, { margin: 1, width: 200, errorCorrectionLevel: 'M' })

/** Whether the code is the one for the 30-second step containing `at`, exactly. */
export async function isCodeForStep(secret: string, code: string, at: Date): Promise<boolean> {
  if (!/^\d{6}$/.test(code)) return false
  const result = await verify({ secret, token: code, epoch: Math.floor(at.getTime() / 1000), epochTolerance: 0 })
  return result.valid
}

/**
 * The time step (30-second window number) a code belongs to, trying the current step and one either
 * side for clocks that drift, and skipping steps at or before `after` so a used code cannot be replayed.
 */
export async function matchingStep(secret: string, code: string, now: Date, after: number | null): Promise<number | undefined> {
  const step = Math.floor(now.getTime() / 30_000)
  for (const candidate of [step - 1, step, step + 1]) {
    if (after !== null && candidate <= after) continue
    if (await isCodeForStep(secret, code, new Date(candidate * 30_000))) return candidate
  }
  return undefined
}

export const totpCode = (secret: string, now: Date): Promise<string> => generate({ secret, epoch: Math.floor(now.getTime() / 1000) })

/** Ten single-use recovery codes like "k7q2-9xmd-4tph", shown once and stored only as hashes. */
export function newRecoveryCodes(count = 10): string[] {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789'
  return Array.from({ length: count }, () => {
    const bytes = randomBytes(12)
    const chars = Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('')
    return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`
  })
}

export const normaliseRecoveryCode = (code: string): string => code.trim().toLowerCase().replace(/[^a-z0-9]/g, '').replace(/(.{4})(?=.)/g, '$1-')
export const hashRecoveryCode = (code: string): string => sha256(`recovery:${normaliseRecoveryCode(code)}`)
