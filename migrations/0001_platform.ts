import { sql, type Kysely } from 'kysely'

// The platform's tables. Every tenant table carries local_authority_id in its primary key and in
// every foreign key, so that a multi-LA deployment can be distributed by LA (Citus) unchanged.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create extension if not exists pg_trgm`.execute(db)
  await sql`create extension if not exists fuzzystrmatch`.execute(db)
  await sql`
    do $$ begin
      if not exists (select 1 from pg_roles where rolname = 'lantern_app') then
        create role lantern_app nologin;
      end if;
    exception when duplicate_object or unique_violation then null;
    end $$`.execute(db)
  // The migrating user must be a member of the app role to SET ROLE to it for each request.
  await sql`grant lantern_app to current_user`.execute(db)

  await sql`
    create table local_authority (
      id uuid primary key default gen_random_uuid(),
      code text not null unique check (code ~ '^[0-9]{3}$'),
      name text not null check (length(name) between 1 and 200),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table organisation (
      local_authority_id uuid not null references local_authority(id),
      id uuid not null default gen_random_uuid(),
      name text not null check (length(name) between 1 and 200),
      kind text not null check (kind in ('la_team','school','police','health','social_care','youth_justice','voluntary_sector','other_la')),
      urn text check (urn ~ '^[0-9]{6,7}$'),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (local_authority_id, id),
      unique (local_authority_id, urn)
    );

    create table app_user (
      local_authority_id uuid not null references local_authority(id),
      id uuid not null default gen_random_uuid(),
      email text not null check (email = lower(email) and length(email) <= 254),
      display_name text not null check (length(display_name) between 1 and 200),
      organisation_id uuid not null,
      status text not null default 'invited' check (status in ('invited','active','deactivated')),
      password_hash text,
      totp_secret text,
      totp_enabled_at timestamptz,
      totp_last_step bigint,
      failed_attempts integer not null default 0,
      locked_until timestamptz,
      last_sign_in_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (local_authority_id, id),
      foreign key (local_authority_id, organisation_id) references organisation(local_authority_id, id)
    );
    -- One account per email address across the deployment, so sign-in can find the LA from the address.
    create unique index app_user_email_key on app_user (email);

    create table user_role (
      local_authority_id uuid not null,
      user_id uuid not null,
      role text not null,
      primary key (local_authority_id, user_id, role),
      foreign key (local_authority_id, user_id) references app_user(local_authority_id, id) on delete cascade
    );

    create table recovery_code (
      local_authority_id uuid not null,
      user_id uuid not null,
      code_hash text not null,
      used_at timestamptz,
      created_at timestamptz not null default now(),
      primary key (local_authority_id, user_id, code_hash),
      foreign key (local_authority_id, user_id) references app_user(local_authority_id, id) on delete cascade
    );

    create table user_session (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      user_id uuid not null,
      token_hash text not null unique,
      stage text not null check (stage in ('totp','enrol','complete')),
      method text not null default 'password' check (method in ('password','oidc')),
      ip text,
      user_agent text,
      created_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      ended_at timestamptz,
      ended_reason text,
      primary key (local_authority_id, id),
      foreign key (local_authority_id, user_id) references app_user(local_authority_id, id)
    );

    create table one_time_token (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      user_id uuid not null,
      purpose text not null check (purpose in ('invitation','password_reset')),
      token_hash text not null unique,
      expires_at timestamptz not null,
      used_at timestamptz,
      created_by uuid,
      created_at timestamptz not null default now(),
      primary key (local_authority_id, id),
      foreign key (local_authority_id, user_id) references app_user(local_authority_id, id)
    );

    create table audit_event (
      local_authority_id uuid not null references local_authority(id),
      seq bigint not null,
      occurred_at timestamptz not null,
      actor_user_id uuid,
      actor_label text not null,
      action text not null,
      record_type text,
      record_id text,
      ip text,
      reason text,
      details text not null default '{}',
      prev_hash text not null,
      hash text not null,
      primary key (local_authority_id, seq)
    );
    create index audit_event_record_idx on audit_event (local_authority_id, record_type, record_id);
    create index audit_event_actor_idx on audit_event (local_authority_id, actor_user_id, occurred_at);
    create index audit_event_time_idx on audit_event (local_authority_id, occurred_at);
    create index audit_event_action_idx on audit_event (local_authority_id, action, seq);

    -- The latest entry of each LA's chain. Locking this row serialises audit writes per LA,
    -- so two transactions can never both chain onto the same previous entry.
    create table audit_chain_head (
      local_authority_id uuid primary key references local_authority(id),
      last_seq bigint not null,
      last_hash text not null
    );

    create table email_outbox (
      local_authority_id uuid not null references local_authority(id),
      id uuid not null default gen_random_uuid(),
      to_address text not null,
      subject text not null,
      body text not null,
      status text not null default 'pending' check (status in ('pending','sending','sent','failed')),
      attempts integer not null default 0,
      last_error text,
      transport text,
      claimed_at timestamptz,
      created_at timestamptz not null default now(),
      sent_at timestamptz,
      primary key (local_authority_id, id)
    );
    create index email_outbox_pending_idx on email_outbox (status, created_at) where status = 'pending';

    create table school_term (
      local_authority_id uuid not null references local_authority(id),
      id uuid not null default gen_random_uuid(),
      name text not null check (length(name) between 1 and 100),
      starts_on date not null,
      ends_on date not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (local_authority_id, id),
      check (ends_on >= starts_on)
    );

    create table school_closure (
      local_authority_id uuid not null references local_authority(id),
      id uuid not null default gen_random_uuid(),
      kind text not null check (kind in ('half_term','inset','closure')),
      description text not null check (length(description) between 1 and 200),
      starts_on date not null,
      ends_on date not null,
      created_at timestamptz not null default now(),
      primary key (local_authority_id, id),
      check (ends_on >= starts_on)
    );

    create table bank_holiday (
      local_authority_id uuid not null references local_authority(id),
      holiday_on date not null,
      title text not null check (length(title) between 1 and 100),
      created_at timestamptz not null default now(),
      primary key (local_authority_id, holiday_on)
    );

    create table oidc_setting (
      local_authority_id uuid primary key references local_authority(id),
      enabled boolean not null default false,
      issuer text not null,
      client_id text not null,
      client_secret text not null,
      button_text text not null,
      require_totp boolean not null default true,
      updated_at timestamptz not null default now()
    );

    -- Not tenant data: counters keyed by a hash of an IP address or an email address.
    create table rate_limit (
      key text primary key,
      window_start timestamptz not null,
      hits integer not null
    );

    -- Deployment settings such as a generated session secret; the app role cannot read them.
    create table app_setting (
      key text primary key,
      value text not null
    );
  `.execute(db)

  const tenantTables = [
    'organisation', 'app_user', 'user_role', 'recovery_code', 'user_session', 'one_time_token',
    'audit_event', 'audit_chain_head', 'email_outbox', 'school_term', 'school_closure', 'bank_holiday', 'oidc_setting',
  ]
  for (const table of tenantTables) await enableTenantIsolation(db, table)
  await sql`alter table local_authority enable row level security`.execute(db)
  await sql`create policy tenant_isolation on local_authority to lantern_app
    using (id = nullif(current_setting('lantern.la_id', true), '')::uuid)`.execute(db)
  await sql`grant select, update on local_authority to lantern_app`.execute(db)

  await sql`grant select, insert, update, delete on organisation, app_user, user_role, recovery_code, user_session,
    one_time_token, email_outbox, school_term, school_closure, bank_holiday, oidc_setting to lantern_app`.execute(db)
  // The audit log is append-only for the application: it may add and read entries, never change them.
  await sql`grant select, insert on audit_event to lantern_app`.execute(db)
  await sql`grant select, insert, update on audit_chain_head to lantern_app`.execute(db)
  await sql`
    create function audit_event_is_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_event is append-only';
    end $$;
    create trigger audit_event_append_only before update or delete on audit_event
      for each row execute function audit_event_is_append_only();
    create trigger audit_event_no_truncate before truncate on audit_event
      for each statement execute function audit_event_is_append_only();
  `.execute(db)

  // Sign-in happens before we know the user's LA. These narrow functions run as the owner and
  // return only ids, so the app role never needs to read another LA's rows to route a request.
  await sql`
    create function lantern_find_login(p_email text) returns table (local_authority_id uuid, user_id uuid)
      language sql stable security definer set search_path = public as $$
      select local_authority_id, id from app_user where email = lower(p_email) $$;
    create function lantern_find_session(p_token_hash text) returns table (local_authority_id uuid, session_id uuid)
      language sql stable security definer set search_path = public as $$
      select local_authority_id, id from user_session where token_hash = p_token_hash and ended_at is null $$;
    create function lantern_find_token(p_token_hash text) returns table (local_authority_id uuid, token_id uuid)
      language sql stable security definer set search_path = public as $$
      select local_authority_id, id from one_time_token where token_hash = p_token_hash $$;
    create function lantern_public_authorities() returns table (id uuid, code text, name text, oidc_button text)
      language sql stable security definer set search_path = public as $$
      select la.id, la.code, la.name, case when o.enabled then o.button_text end
      from local_authority la left join oidc_setting o on o.local_authority_id = la.id order by la.name $$;
    create function lantern_rate_hit(p_key text, p_window_seconds integer, p_limit integer) returns boolean
      language plpgsql volatile security definer set search_path = public as $$
      declare v_hits integer;
      begin
        insert into rate_limit as r (key, window_start, hits) values (p_key, now(), 1)
        on conflict (key) do update set
          hits = case when r.window_start < now() - make_interval(secs => p_window_seconds) then 1 else r.hits + 1 end,
          window_start = case when r.window_start < now() - make_interval(secs => p_window_seconds) then now() else r.window_start end
        returning hits into v_hits;
        return v_hits <= p_limit;
      end $$;
    revoke all on function lantern_find_login(text), lantern_find_session(text), lantern_find_token(text),
      lantern_public_authorities(), lantern_rate_hit(text, integer, integer) from public;
    grant execute on function lantern_find_login(text), lantern_find_session(text), lantern_find_token(text),
      lantern_public_authorities(), lantern_rate_hit(text, integer, integer) to lantern_app;
  `.execute(db)
}

async function enableTenantIsolation(db: Kysely<unknown>, table: string): Promise<void> {
  const t = sql.table(table)
  await sql`alter table ${t} enable row level security`.execute(db)
  await sql`create policy tenant_isolation on ${t} to lantern_app
    using (local_authority_id = nullif(current_setting('lantern.la_id', true), '')::uuid)
    with check (local_authority_id = nullif(current_setting('lantern.la_id', true), '')::uuid)`.execute(db)
}
