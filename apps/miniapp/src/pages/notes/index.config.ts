export default definePageConfig({
  navigationBarTitleText: "我的笔记",
  // Pull-to-refresh (usePullDownRefresh) reloads the list from its first page.
  enablePullDownRefresh: true,
  // useReachBottom fires this far (px) from the bottom: the next page loads before the end shows.
  onReachBottomDistance: 120,
});
