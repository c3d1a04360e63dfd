export { startMockWechat } from "./server.ts";
export type { MockWechat, StartMockWechatOptions } from "./server.ts";
export { clearFaults, getMockStats, injectFault, mintLoginCode, resetMock } from "./client.ts";
export { MOCK_DEFAULT_APPID, MOCK_DEFAULT_CODE_TTL_MS, MOCK_DEFAULT_PORT, MOCK_DEFAULT_SECRET } from "./defaults.ts";
export { MOCK_ROUTE_PATHS } from "./protocol.ts";
export type { MintLoginCodeRequest, MintLoginCodeResponse, MockFault, MockStats } from "./protocol.ts";
export { randomSessionKey } from "./ids.ts";
