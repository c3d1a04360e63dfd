/** Display helpers for the pages (pure; tested in test/format.test.ts). */

const DEFAULT_NICKNAME = "微信用户";

export function displayNickname(nickname: string | null | undefined): string {
  const trimmed = nickname?.trim();
  return trimmed ? trimmed : DEFAULT_NICKNAME;
}

/** The character shown in the avatar placeholder. */
export function avatarInitial(nickname: string | null | undefined): string {
  return Array.from(displayNickname(nickname))[0] ?? "微";
}

/** "2025-03-01 14:05" in the device's time zone; the ISO text back if it is not a date. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (value: number) => String(value).padStart(2, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

/** A short device description from the User-Agent the server recorded at login. */
export function describeDevice(userAgent: string | null | undefined): string {
  if (!userAgent) return "未知设备";
  if (/MicroMessenger|miniProgram/i.test(userAgent)) {
    if (/iPhone|iPad|iOS/i.test(userAgent)) return "微信小程序（iOS）";
    if (/Android/i.test(userAgent)) return "微信小程序（Android）";
    return "微信小程序";
  }
  if (/HeadlessChrome|Chrome|Chromium|Firefox|Safari/i.test(userAgent)) return "浏览器";
  if (/node|undici|curl/i.test(userAgent)) return "其他客户端";
  return "未知设备";
}
