export { startMockWechat } from "./server.ts";
export type { MockWechat, StartMockWechatOptions } from "./server.ts";
export {
  advanceMockClock,
  clearFaults,
  encryptForUser,
  getMockClock,
  getMockStats,
  injectFault,
  mintLoginCode,
  mintPhoneCode,
  resetMock,
} from "./client.ts";
export {
  MOCK_ACCESS_TOKEN_OVERLAP_MS,
  MOCK_ACCESS_TOKEN_TTL_MS,
  MOCK_DEFAULT_APPID,
  MOCK_DEFAULT_CODE_TTL_MS,
  MOCK_DEFAULT_PORT,
  MOCK_DEFAULT_SECRET,
  MOCK_FORCE_REFRESH_DAILY_LIMIT,
  MOCK_FORCE_REFRESH_MIN_INTERVAL_MS,
  mockAppsFor,
} from "./defaults.ts";
export { personOpenid, personUnionid, type MockAppCredentials } from "./state.ts";
export { MOCK_ROUTE_PATHS } from "./protocol.ts";
export type {
  AdvanceClockRequest,
  EncryptForUserRequest,
  EncryptForUserResponse,
  MintLoginCodeRequest,
  MintLoginCodeResponse,
  MintPhoneCodeRequest,
  MintPhoneCodeResponse,
  MockClockState,
  MockFault,
  MockStats,
} from "./protocol.ts";
export { randomSessionKey } from "./ids.ts";
