import { sql } from 'kysely'
import * as oidc from 'openid-client'
import { withNoTenant, withTenant, type Db } from '../../platform/db.ts'
import { recordAudit } from '../../platform/audit.ts'
import { seal, unseal } from '../../platform/crypto.ts'
import { createSession } from '../../platform/sessions.ts'
import type { AuthDeps, Client } from './service.ts'

export type PublicAuthority = { id: string; code: string; name: string; oidcButton: string | null }

export async function publicAuthorities(db: Db): Promise<PublicAuthority[]> {
  return withNoTenant(db, async (tx) => {
    const { rows } = await sql<PublicAuthority>`select id, code, name, oidc_button as "oidcButton" from lantern_public_authorities()`.execute(tx)
    return rows
  })
}

export type OidcSetting = { enabled: boolean; issuer: string; clientId: string; clientSecret: string; buttonText: string; requireTotp: boolean }

export async function findOidcSetting(tx: Db, laId: string): Promise<OidcSetting | undefined> {
  const { rows } = await sql<OidcSetting>`
    select enabled, issuer, client_id as "clientId", client_secret as "clientSecret", button_text as "buttonText", require_totp as "requireTotp"
    from oidc_setting where local_authority_id = ${laId}`.execute(tx)
  return rows[0]
}

export async function saveOidcSetting(tx: Db, laId: string, s: OidcSetting, now: Date): Promise<void> {
  await sql`insert into oidc_setting (local_authority_id, enabled, issuer, client_id, client_secret, button_text, require_totp, updated_at)
    values (${laId}, ${s.enabled}, ${s.issuer}, ${s.clientId}, ${s.clientSecret}, ${s.buttonText}, ${s.requireTotp}, ${now})
    on conflict (local_authority_id) do update set enabled = excluded.enabled, issuer = excluded.issuer, client_id = excluded.client_id,
      client_secret = excluded.client_secret, button_text = excluded.button_text, require_totp = excluded.require_totp, updated_at = excluded.updated_at`.execute(tx)
}

export const redirectUri = (baseUrl: string): string => `${baseUrl}/sign-in/oidc/callback`

// Plain HTTP to the identity provider is allowed only for a provider on this machine outside production (tests, demos).
function discoveryOptions(issuer: URL, production: boolean) {
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname)
  return !production && local && issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined
}

async function discover(deps: AuthDeps, setting: OidcSetting): Promise<oidc.Configuration> {
  const issuer = new URL(setting.issuer)
  const secret = unseal(deps.totpKey, setting.clientSecret)
  return oidc.discovery(issuer, setting.clientId, secret, undefined, discoveryOptions(issuer, deps.config.env === 'production'))
}

type PendingLogin = { laId: string; state: string; nonce: string; verifier: string; next: string; expires: number }

/** Builds the provider's sign-in URL; the PKCE verifier, state and nonce travel sealed in a short-lived cookie. */
export async function startOidcSignIn(deps: AuthDeps, laId: string, next: string): Promise<{ url: string; cookie: string } | undefined> {
  const setting = await withTenant(deps.db, { laId }, (tx) => findOidcSetting(tx, laId))
  if (!setting?.enabled) return undefined
  const config = await discover(deps, setting)
  const pending: PendingLogin = {
    laId, next, state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier(),
    expires: deps.now().getTime() + 10 * 60_000,
  }
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri(deps.config.baseUrl),
    scope: 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
    code_challenge_method: 'S256',
    state: pending.state,
    nonce: pending.nonce,
  })
  return { url: url.href, cookie: seal(deps.totpKey, JSON.stringify(pending)) }
}

export type OidcResult =
  | { ok: true; token: string; stage: 'totp' | 'enrol' | 'complete'; next: string }
  | { ok: false; reason: 'expired' | 'provider' | 'no_account' }

/** Finishes sign-in at the callback: checks state, nonce and PKCE, then matches the provider's email to an invited, active user. */
export async function finishOidcSignIn(deps: AuthDeps, sealedCookie: string | undefined, callbackUrl: URL, client: Client): Promise<OidcResult> {
  let pending: PendingLogin
  try {
    pending = JSON.parse(unseal(deps.totpKey, sealedCookie ?? '')) as PendingLogin
  } catch {
    return { ok: false, reason: 'expired' }
  }
  if (pending.expires < deps.now().getTime()) return { ok: false, reason: 'expired' }
  const setting = await withTenant(deps.db, { laId: pending.laId }, (tx) => findOidcSetting(tx, pending.laId))
  if (!setting?.enabled) return { ok: false, reason: 'provider' }
  let email: string | undefined
  try {
    const config = await discover(deps, setting)
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true,
    })
    const claims = tokens.claims()
    // Entra ID puts the work address in preferred_username when the email claim is not configured.
    // An address the provider says it has not verified is not used: anyone could have typed it.
    const pick = (c: Record<string, unknown> | undefined) =>
      [c?.email_verified === false ? undefined : c?.email, c?.preferred_username].find((v): v is string => typeof v === 'string' && v.includes('@'))
    let candidate = pick(claims)
    // Many providers put scope claims such as email only in the UserInfo response, not the ID token.
    if (!candidate && claims?.sub) candidate = pick(await oidc.fetchUserInfo(config, tokens.access_token, claims.sub))
    email = candidate?.toLowerCase()
  } catch {
    return { ok: false, reason: 'provider' }
  }
  if (!email) return { ok: false, reason: 'no_account' }
  const now = deps.now()
  return withTenant(deps.db, { laId: pending.laId }, async (tx) => {
    const { rows } = await sql<{ id: string; totpEnabled: boolean }>`
      select id, totp_enabled_at is not null as "totpEnabled" from app_user where email = ${email} and status = 'active'`.execute(tx)
    const user = rows[0]
    if (!user) return { ok: false, reason: 'no_account' } as const
    const stage = !setting.requireTotp ? 'complete' : user.totpEnabled ? 'totp' : 'enrol'
    const { token } = await createSession(tx, { laId: pending.laId, userId: user.id, stage, method: 'oidc', ip: client.ip, userAgent: client.userAgent }, now)
    if (stage === 'complete') {
      await recordAudit(tx, { laId: pending.laId, userId: user.id, label: email, ip: client.ip },
        { action: 'auth.signed_in', recordType: 'user', recordId: user.id, details: { method: 'oidc' } }, now)
    }
    return { ok: true, token, stage, next: pending.next } as const
  })
}
