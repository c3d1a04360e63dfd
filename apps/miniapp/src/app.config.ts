export default defineAppConfig({
  pages: ["pages/home/index", "pages/profile/index", "pages/sessions/index", "pages/notes/index"],
  window: {
    navigationBarTitleText: "我的账号",
    navigationBarBackgroundColor: "#ffffff",
    navigationBarTextStyle: "black",
    backgroundColor: "#f5f6f7",
    backgroundTextStyle: "light",
  },
  // WeChat's privacy consent: chooseAvatar, the nickname input and getPhoneNumber wait for the
  // popup of src/components/privacy-popup.tsx (enforced by WeChat for every app since 2023-09-15).
  __usePrivacyCheck__: true,
});
