export default defineAppConfig({
  pages: ["pages/home/index", "pages/profile/index", "pages/sessions/index", "pages/notes/index"],
  window: {
    navigationBarTitleText: "我的账号",
    navigationBarBackgroundColor: "#ffffff",
    navigationBarTextStyle: "black",
    backgroundColor: "#f5f6f7",
    backgroundTextStyle: "light",
  },
});
