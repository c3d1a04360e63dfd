/**
 * wx's synchronous storage over a Map, shared by the test Taro-likes. Values are cloned as wx
 * serialises them; a missing key reads as "" as it does in wx.
 */
export class MapStorage {
  constructor(readonly storage: Map<string, unknown> = new Map()) {}

  getStorageSync(key: string): unknown {
    return this.storage.has(key) ? this.storage.get(key) : "";
  }

  setStorageSync(key: string, data: unknown): void {
    this.storage.set(key, structuredClone(data));
  }

  removeStorageSync(key: string): void {
    this.storage.delete(key);
  }
}
