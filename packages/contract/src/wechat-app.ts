/**
 * How a request says which mini-program it comes from, when one server serves several (README
 * "Several mini-programs"). The Taro link sends the build's appid in this header on every request;
 * WeChat itself sends a Referer naming the appid. The server reads both.
 */

/** The request header carrying the mini-program's appid (lower case: Node's and wx.request's form). */
export const APPID_HEADER = "x-wx-appid";

/** A mini-program appid: "wx" and 16 letters or digits today; a little room either way. */
export const APPID_PATTERN = /^wx[0-9a-zA-Z]{10,30}$/;

/**
 * The appid in the Referer WeChat sends with every wx.request and uploadFile of a mini-program:
 * `https://servicewechat.com/<appid>/<version>/page-frame.html` (version is a number, `devtools`, or
 * 0 for a development build). undefined for any other Referer (a browser page, the H5 build), which
 * then says nothing about the app.
 */
export function appidFromWechatReferer(referer: string | undefined): string | undefined {
  const match = referer ? /^https:\/\/servicewechat\.com\/([^/]+)\/[^/]+\/page-frame\.html$/.exec(referer) : null;
  return match && APPID_PATTERN.test(match[1]!) ? match[1] : undefined;
}
