/// <reference types="@tarojs/taro" />

declare namespace NodeJS {
  interface ProcessEnv {
    /** Set by the Taro CLI from --type. */
    TARO_ENV: "weapp" | "h5" | (string & {});
    /** Build-time constants from config/index.ts (see config/client-env.ts). */
    TARO_APP_API_URL: string;
    TARO_APP_WX_MOCK_URL: string;
    /**
     * The build's appid, or "" (config/client-env.ts): sent as X-WX-Appid. Optional in the type
     * because the Node scripts (scripts/taro-build.ts) leave it unset.
     */
    TARO_APP_ID?: string;
  }
}

declare module "*.css";
declare module "*.png" {
  const url: string;
  export default url;
}
