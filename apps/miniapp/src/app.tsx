import { QueryClientProvider } from "@tanstack/react-query";
import { useLaunch } from "@tarojs/taro";
import type { PropsWithChildren } from "react";
import { queryClient, wireQueriesToApp } from "./services/trpc";
import { privacyConsent } from "./state/app-privacy";
import { sessionStore } from "./state/app-session";
import "./app.css";

function App({ children }: PropsWithChildren) {
  // Signing in at launch (not on first API call) lets the home page show the user at once; the
  // stored token is reused, so wx.login runs only when there is no usable session.
  useLaunch(() => {
    wireQueriesToApp();
    // Before any page can tap chooseAvatar or getPhoneNumber; a no-op where WeChat has no privacy API.
    privacyConsent.start();
    void sessionStore.start();
  });
  return <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>;
}

export default App;
