import { describe, expect, it } from 'vitest';
import { taroLoginCodeSource } from '../src/code-source.ts';
import { createSessionManager, DEFAULT_STORAGE_KEY, type SessionManagerOptions } from '../src/session.ts';
import { FakeTaro } from './support/fake-taro.ts';

const NOW = Date.parse('2030-01-01T00:00:00.000Z');
const at = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();

function setup(overrides: Partial<SessionManagerOptions> = {}, taro = new FakeTaro()) {
  const counts = { exchanges: 0, revokes: 0 };
  const session = createSessionManager({
    taro,
    codeSource: taroLoginCodeSource(taro),
    exchangeCode: async (code) => {
      counts.exchanges++;
      return { token: `token-for-${code}`, expiresAt: at(3_600_000), user: { id: 'u1' } };
    },
    revokeSession: async () => {
      counts.revokes++;
    },
    now: () => NOW,
    ...overrides,
  });
  return { taro, session, counts };
}

describe('ensureSession', () => {
  it('reuses a stored unexpired token when checkSession succeeds, with zero requests', async () => {
    const { taro, session, counts } = setup();
    taro.setStorageSync(DEFAULT_STORAGE_KEY, { token: 'kept', expiresAt: at(3_600_000) });

    await expect(session.ensureSession()).resolves.toEqual({ token: 'kept', expiresAt: at(3_600_000) });
    expect(taro.checkSessionCalls).toBe(1);
    expect(taro.loginCalls).toBe(0);
    expect(taro.requests).toHaveLength(0);
    expect(counts.exchanges).toBe(0);
  });

  it('logs in when the stored token has expired', async () => {
    const { taro, session, counts } = setup();
    taro.setStorageSync(DEFAULT_STORAGE_KEY, { token: 'old', expiresAt: at(-1) });
    await expect(session.ensureSession()).resolves.toMatchObject({ token: 'token-for-code-1' });
    expect(taro.loginCalls).toBe(1);
    expect(counts.exchanges).toBe(1);
    expect(taro.storage.get(DEFAULT_STORAGE_KEY)).toEqual({ token: 'token-for-code-1', expiresAt: at(3_600_000) });
  });

  it('logs in when the token expires within the safety margin', async () => {
    const { taro, session } = setup({ expiryMarginMs: 60_000 });
    taro.setStorageSync(DEFAULT_STORAGE_KEY, { token: 'nearly', expiresAt: at(59_000) });
    await expect(session.ensureSession()).resolves.toMatchObject({ token: 'token-for-code-1' });
  });

  it('logs in when checkSession fails (WeChat dropped the session_key)', async () => {
    const { taro, session } = setup();
    taro.setStorageSync(DEFAULT_STORAGE_KEY, { token: 'kept', expiresAt: at(3_600_000) });
    taro.checkSessionSucceeds = false;
    await expect(session.ensureSession()).resolves.toMatchObject({ token: 'token-for-code-1' });
    expect(taro.checkSessionCalls).toBe(1);
    expect(taro.loginCalls).toBe(1);
  });

  it('logs in when nothing (or garbage) is stored', async () => {
    const { taro, session } = setup();
    taro.setStorageSync(DEFAULT_STORAGE_KEY, 'not json');
    await expect(session.ensureSession()).resolves.toMatchObject({ token: 'token-for-code-1' });
    expect(taro.checkSessionCalls).toBe(0);
  });

  it('reuses the token without checkSession on platforms that lack it, or when told not to check', async () => {
    const withoutCheck = setup({}, new FakeTaro({ withoutCheckSession: true }));
    withoutCheck.taro.setStorageSync(DEFAULT_STORAGE_KEY, { token: 'kept', expiresAt: at(3_600_000) });
    await expect(withoutCheck.session.ensureSession()).resolves.toMatchObject({ token: 'kept' });

    const optedOut = setup({ checkSession: false });
    optedOut.taro.setStorageSync(DEFAULT_STORAGE_KEY, { token: 'kept', expiresAt: at(3_600_000) });
    optedOut.taro.checkSessionSucceeds = false;
    await expect(optedOut.session.ensureSession()).resolves.toMatchObject({ token: 'kept' });
    expect(optedOut.taro.checkSessionCalls).toBe(0);
  });

  it('accepts a session stored as a JSON string', async () => {
    const { taro, session } = setup();
    taro.setStorageSync(DEFAULT_STORAGE_KEY, JSON.stringify({ token: 'kept', expiresAt: at(3_600_000) }));
    await expect(session.ensureSession()).resolves.toMatchObject({ token: 'kept' });
  });

  it('concurrent ensureSession and login calls share one login', async () => {
    const { taro, session, counts } = setup();
    const results = await Promise.all([session.ensureSession(), session.ensureSession(), session.login(), session.login()]);
    expect(new Set(results.map((result) => result.token))).toEqual(new Set(['token-for-code-1']));
    expect(taro.loginCalls).toBe(1);
    expect(counts.exchanges).toBe(1);
  });
});

describe('login and storage', () => {
  it('keeps token and expiry under one configurable key', async () => {
    const { taro, session } = setup({ storageKey: 'my-app.session' });
    await session.login();
    expect([...taro.storage.keys()]).toEqual(['my-app.session']);
    expect(session.getSession()).toEqual({ token: 'token-for-code-1', expiresAt: at(3_600_000) });
    expect(session.getToken()).toBe('token-for-code-1');
  });

  it('uses a pluggable code source instead of Taro.login', async () => {
    const { taro, session } = setup({ codeSource: async () => 'dev-code' });
    await expect(session.login()).resolves.toMatchObject({ token: 'token-for-dev-code' });
    expect(taro.loginCalls).toBe(0);
  });

  it('fails clearly when Taro.login gives no code (H5) or fails', async () => {
    const taro = new FakeTaro();
    const { session } = setup({}, taro);
    taro.nextLoginResult = () => ({});
    await expect(session.login()).rejects.toThrow(/gave no code.*codeSource/);
    taro.nextLoginResult = () => new Error('login:fail network');
    await expect(session.login()).rejects.toThrow('Taro.login failed: login:fail network');
    expect(session.getToken()).toBeNull();
  });

  it('rejects a login answer without token and expiry, storing nothing', async () => {
    const { session, taro } = setup({ exchangeCode: async () => ({ user: {} }) });
    await expect(session.login()).rejects.toThrow(/without a token/);
    expect(taro.storage.size).toBe(0);
  });

  it('a failed login can be retried: the in-flight login is released', async () => {
    let fail = true;
    const { session } = setup({
      exchangeCode: async () => {
        if (fail) throw new Error('busy');
        return { token: 't', expiresAt: at(1000_000) };
      },
    });
    await expect(session.login()).rejects.toThrow('busy');
    fail = false;
    await expect(session.login()).resolves.toMatchObject({ token: 't' });
  });

  it('clearIfCurrent clears only the token it is given', async () => {
    const { session } = setup();
    await session.login();
    expect(session.clearIfCurrent('someone-elses')).toBe(false);
    expect(session.getToken()).toBe('token-for-code-1');
    expect(session.clearIfCurrent(null)).toBe(false);
    expect(session.clearIfCurrent('token-for-code-1')).toBe(true);
    expect(session.getToken()).toBeNull();
  });
});

describe('logout', () => {
  it('revokes on the server, then clears storage', async () => {
    const { session, counts } = setup();
    await session.login();
    await expect(session.logout()).resolves.toEqual({ revokedOnServer: true });
    expect(counts.revokes).toBe(1);
    expect(session.getToken()).toBeNull();
  });

  it('clears storage even when the server call fails', async () => {
    const failure = new Error('offline');
    const { session } = setup({
      revokeSession: async () => {
        throw failure;
      },
    });
    await session.login();
    await expect(session.logout()).resolves.toEqual({ revokedOnServer: false, error: failure });
    expect(session.getToken()).toBeNull();
  });

  it('does not call the server without a session', async () => {
    const { session, counts } = setup();
    await expect(session.logout()).resolves.toEqual({ revokedOnServer: false });
    expect(counts.revokes).toBe(0);
  });

  it('a login still in flight at logout does not store its session', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { session } = setup({
      exchangeCode: async () => {
        await gate;
        return { token: 'late', expiresAt: at(3_600_000) };
      },
    });
    const login = session.login();
    await session.logout();
    release();
    await expect(login).rejects.toThrow(/Logged out/);
    expect(session.getToken()).toBeNull();
  });
});
